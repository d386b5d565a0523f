"""Time to load all 70,000 MNIST (or Fashion-MNIST) images as float32: first load, then from the
decoded cache.

The first load reads the .gz files, decompresses them, checks the SHA-256 of their contents and
writes the decoded arrays to the cache; later loads read the cached arrays and convert them to
float32 (goal: well under a second). The cache is a temporary folder, so "first" really is first.
Each load runs in a fresh process, as a command would.

    python benchmarks/data_load.py [--dataset mnist|fashion-mnist|mnist-mini] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

LOAD = """
import json, time
start = time.perf_counter()
from trainlab.data import load_dataset
imported, cpu = time.perf_counter(), time.process_time()
data = load_dataset({name!r})
done = time.perf_counter()
print(json.dumps({{"name": data.name, "seconds": done - imported, "cpu": time.process_time() - cpu,
                  "import": imported - start,
                  "images": len(data.x_train) + len(data.x_test), "dtype": str(data.x_train.dtype),
                  "source": data.source}}))
"""


def timed_load(name: str, cache: str) -> dict:
    """Load ``name`` in a fresh Python process using the cache folder ``cache``; its timings."""
    env = {**os.environ, "TRAINLAB_CACHE": cache}
    result = subprocess.run(
        [sys.executable, "-c", LOAD.format(name=name)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--repeats", type=int, default=3, help="cached loads to time (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trainlab-cache-") as cache:
        first = timed_load(args.dataset, cache)
        print(
            f"{first['name']}: {first['images']:,} images as {first['dtype']}, from {first['source']}"
        )
        print(
            f"first load (decode, check, write cache): {first['seconds']:.3f} s wall, "
            f"{first['cpu']:.3f} s CPU"
        )
        loads = [timed_load(args.dataset, cache) for _ in range(args.repeats)]
        seconds = [load["seconds"] for load in loads]
        print(
            f"second load:                             {min(seconds):.3f} s wall, "
            f"{min(load['cpu'] for load in loads):.3f} s CPU "
            f"(best of {len(seconds)}; all: {', '.join(f'{s:.3f}' for s in seconds)})"
        )
        print(
            f"(importing trainlab: {first['import']:.3f} s, not included; on a loaded machine wall time "
            "exceeds CPU time by the time spent waiting for a core)"
        )


if __name__ == "__main__":
    main()
