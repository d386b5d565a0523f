"""Speed-up of a search with 2 worker processes over 1 (goal on 2 cores: 2 workers take <= 0.6x the time).

Both searches are the book's (784-100x6-10 network, 400 + 100 samples of mnist-mini, 50 epochs,
random lr and weight decay) with N trials, each in a fresh study (a new SQLite file) and a fresh
Python process; the time is that of ``run_search`` from the opened study to the last trial, so the
2-worker time includes starting its worker processes.

Each worker's BLAS runs 1 thread (cores // workers), and so does the 1-worker baseline: with its
default of one thread per core OpenBLAS is several times *slower* on these small matrices on a busy
2-core machine, which would flatter the ratio (``--baseline-threads default`` shows it). Other
programs running at the same time take cores from the workers: the load average before each pair is
printed, and the CPU time of each search (its processes, workers included) shows whether 2 workers
did more work or merely had less of the machine.

    python benchmarks/tune_workers.py [--trials 40] [--epochs 50] [--repeats 2] [--baseline-threads 1|default]
    taskset -c 0,1 python benchmarks/tune_workers.py     # 2 cores of a bigger machine
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

from trainlab.backend import usable_cores

SEARCH = """
import json
from trainlab.tune import SearchConfig, run_search
config = SearchConfig(dataset="mnist-mini", trials={trials}, epochs={epochs}, workers={workers}, out={out!r})
result = run_search(config)
print(json.dumps({{"seconds": result.seconds, "finished": len(result.finished),
                  "trial_seconds": sum(t.seconds or 0 for t in result.finished)}}))
"""

BLAS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def timed_search(workers: int, trials: int, epochs: int, threads: str) -> dict:
    """Run a fresh search with ``workers`` processes in a new Python process; its timings."""
    env = dict(os.environ)
    for name in BLAS:
        env.pop(name, None)
        if threads != "default":
            env[name] = threads
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="trainlab-tune-bench-") as out:
        code = SEARCH.format(trials=trials, epochs=epochs, workers=workers, out=out)
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the search's process and its workers
    data = json.loads(result.stdout.splitlines()[-1])
    data["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert data["finished"] == trials, data
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument(
        "--repeats", type=int, default=2, help="pairs of searches to time (default 2)"
    )
    parser.add_argument(
        "--baseline-threads",
        default="1",
        help="BLAS threads of the 1-worker search: a number "
        "or 'default' (default 1, as each worker)",
    )
    args = parser.parse_args()
    print(
        f"{args.trials} trials of {args.epochs} epochs, book network, mnist-mini; {usable_cores()} cores; "
        f"1-worker BLAS threads: {args.baseline_threads}"
    )
    ratios = []
    for repeat in range(1, args.repeats + 1):
        load = os.getloadavg()[
            0
        ]  # other work on the machine makes the ratio worse: say how busy it was
        one = timed_search(1, args.trials, args.epochs, args.baseline_threads)
        two = timed_search(
            2, args.trials, args.epochs, "default"
        )  # the workers set their own limits
        ratios.append(two["seconds"] / one["seconds"])
        print(
            f"run {repeat}: 1 worker {one['seconds']:5.1f} s   2 workers {two['seconds']:5.1f} s   "
            f"ratio {ratios[-1]:.2f}   (mean trial {one['trial_seconds'] / args.trials:.2f} s alone, "
            f"{two['trial_seconds'] / args.trials:.2f} s with 2 workers; CPU {one['cpu']:.0f} s vs "
            f"{two['cpu']:.0f} s; load average before: {load:.1f})"
        )
    print(
        f"ratio 2 workers / 1 worker: best {min(ratios):.2f}, worst {max(ratios):.2f} over "
        f"{len(ratios)} runs "
        f"(goal <= 0.60)"
    )


if __name__ == "__main__":
    main()
