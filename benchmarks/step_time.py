"""Time of one training step (forward, backward, SGD update) of the textbook's 784-100x4-10 ReLU net.

Prints ms/step for trainlab and for the same net and SGD step in PyTorch (eager, CPU) and JAX (one
``jax.jit``-compiled step, CPU), each when installed (``pip install -e .[bench]``), timed in the
same process in interleaved blocks (the machine is shared and noisy), and the ratios trainlab / peer
(goals: <= 0.5 of PyTorch's time, <= 0.8 of JAX's), in wall-clock time and in CPU time (all of the
process's threads; the steadier measure when other work waits for the same cores). A fourth
contender, the same step hand-written in bare NumPy (no layers, checks or guard; the same numbers),
shows what the library's structure costs over the least a NumPy step can do.

``--cores N`` pins the process to N cores (Linux), so that every framework's helper threads share
them: JAX runs its computation on a thread of its own besides the Python one, which ``--threads 1``
alone does not stop from using a second core.

    python benchmarks/step_time.py [--batch 128] [--steps 300] [--repeats 7] [--dtype float32]
        [--peers pytorch,jax] [--threads 1] [--cores 1]
"""

from __future__ import annotations

import argparse

from peers import interleaved, limit_threads, load_average, peers, pin_cores, print_times

GOALS = {"pytorch": 0.5, "jax": 0.8}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=300, help="steps per timed block")
    parser.add_argument(
        "--repeats", type=int, default=7, help="timed blocks per framework (median taken)"
    )
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument(
        "--peers", default="pytorch,jax", help="peers to time next to trainlab (comma-separated)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="threads for every framework (default theirs)"
    )
    parser.add_argument(
        "--cores", type=int, default=None, help="pin the process to this many cores (Linux)"
    )
    args = parser.parse_args()

    pinned = pin_cores(args.cores)
    limit = limit_threads(args.threads)  # noqa: F841 (kept alive: the limit holds while it lives)
    times = interleaved(peers(args.batch, args.dtype, args.peers), args.steps, args.repeats)
    print(
        f"net 784-100x4-10 ReLU, batch {args.batch}, {args.dtype}, SGD; median of {args.repeats} "
        f"interleaved blocks of {args.steps} steps; {pinned}; {load_average()}"
    )
    medians = print_times(times)
    ours = medians.pop("trainlab")
    for name, theirs in medians.items():
        peer = name.split()[0].rstrip(",")
        goal = (
            f"(goal <= {GOALS[peer]:.2f})"
            if peer in GOALS
            else "(what the library costs over bare NumPy)"
        )
        print(
            f"  ratio trainlab / {peer}: wall {ours[0] / theirs[0]:.2f}, cpu "
            f"{ours[1] / theirs[1]:.2f}  {goal}"
        )


if __name__ == "__main__":
    main()
