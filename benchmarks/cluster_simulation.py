"""How `trainlab run all` would scale on a cluster: the real unit costs of a full-size run, replayed
on a local Dask cluster with W simulated workers, each unit a sleep of its measured time (scaled
down).

    .venv/bin/python benchmarks/cluster_simulation.py [--workers 2,8,32,128] [--seconds 60] [--costs FILE]

The costs are the seconds each unit of the full-size run took (one core each), as the cache of that
run kept them (`python scripts/collect_results.py` writes them to benchmarks/data/unit_costs.json);
without the file, the expected costs of src/trainlab/lab/timings.json. The units go through the
runner's own scheduling (`trainlab.lab.runner.train_all`: longest first, a few more queued than
there are workers) on a `distributed.LocalCluster` of W single-threaded workers in this process
(sleeps need no cores). For each W it prints the makespan against the best any schedule can do,
max(total / W, the longest unit), and their ratio. The time is scaled so that each W's best case
takes about ``--seconds`` of wall time.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from distributed import LocalCluster

from trainlab.lab.executors import Workers
from trainlab.lab.lesson import LessonModule, list_lessons, load_lesson
from trainlab.lab.runner import make_config, train_all
from trainlab.lab.timings import seconds_per_unit
from trainlab.lab.units import Trained, Unit, units_of

COSTS = Path(__file__).with_name("data") / "unit_costs.json"


def measured_units(path: Path) -> list[Unit]:
    """The units of a full-size run with their measured seconds (or, without the file, the expected ones)."""
    if path.exists():
        return [
            Unit(entry["lesson"], entry["setting"], entry["seed"], float(entry["seconds"]))
            for entry in json.loads(path.read_text())
        ]
    units = []
    for name in list_lessons():
        lesson = load_lesson(name)
        if isinstance(lesson, LessonModule):
            units += units_of(lesson, make_config(lesson), seconds_per_unit(name, quick=False))
    return units


class Sleep:
    """A unit that sleeps its cost times ``scale`` (a module-level class: Dask pickles it to the workers)."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def __call__(self, unit: Unit, config: object, threads: int | None) -> Trained:
        time.sleep(unit.cost * self.scale)
        return Trained(unit, None, unit.cost * self.scale, 0.0)


def makespan(units: list[Unit], workers: int, scale: float) -> float:
    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        memory_limit=0,  # sleeps hold no data; a share of the RAM per worker would pause 128 of them
    ) as cluster:
        pool = Workers(cluster=cluster.scheduler_address)
        pool.client.wait_for_workers(workers)
        waiting = sorted(units, key=lambda u: -u.cost)
        owner = {unit: argparse.Namespace(config=None) for unit in units}
        started = time.perf_counter()
        for _, error, unit in train_all(waiting, owner, pool, None, train=Sleep(scale)):
            if error is not None:
                raise RuntimeError(f"{unit.text()}: {error}")
        seconds = time.perf_counter() - started
        pool.stop()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers", default="2,8,32,128", help="the cluster sizes W (default 2,8,32,128)"
    )
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="wall seconds of each W's best case"
    )
    parser.add_argument("--costs", type=Path, default=COSTS, help="measured unit costs (JSON list)")
    args = parser.parse_args()
    units = measured_units(args.costs)
    total, longest = sum(u.cost for u in units), max(u.cost for u in units)
    source = args.costs if args.costs.exists() else "timings.json (expected costs)"
    print(
        f"{len(units)} units from {source}: {total / 60:.1f} CPU-minutes, the longest {longest:.1f} s"
    )
    print(
        f"{'W':>4} {'ideal (total/W)':>16} {'longest':>8} {'bound':>8} {'makespan':>9} {'makespan/bound':>15}"
    )
    for workers in (int(w) for w in args.workers.split(",")):
        bound = max(total / workers, longest)
        scale = args.seconds / bound
        took = makespan(units, workers, scale) / scale
        print(
            f"{workers:>4} {total / workers:>15.0f}s {longest:>7.0f}s {bound:>7.0f}s {took:>8.0f}s "
            f"{took / bound:>15.3f}"
        )


if __name__ == "__main__":
    main()
