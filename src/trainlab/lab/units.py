"""The lab's unit of work: one training run of a lesson (a setting × a seed), and running one.

:func:`units_of` lists a lesson's units; :func:`train_unit` runs one with a given number of BLAS
threads and returns what it gave (:class:`Trained`: the run's numbers, its wall and CPU seconds, the
warnings it raised). It is a plain module-level function of picklable arguments, so that any
``concurrent.futures`` executor runs it: this process, local worker processes, or the workers of a
Dask cluster on other machines.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from trainlab.backend import blas_threads
from trainlab.lab.lesson import LessonModule, load_lesson
from trainlab.textio import to_plain


@dataclass(frozen=True)
class Unit:
    """One training run: lesson ``lesson``, setting ``setting`` (None: every setting of the seed),
    ``seed``."""

    lesson: str
    setting: str | None
    seed: int
    cost: float = (
        1.0  # the expected seconds (or a relative weight): the longest units are started first
    )

    def text(self) -> str:
        """ "optimizers: adam, seed 2"."""
        return f"{self.lesson}: {self.setting + ', ' if self.setting else ''}seed {self.seed}"


@dataclass
class Trained:
    """What one unit gave: its run (plain data), how long it took, and the warnings it raised."""

    unit: Unit
    run: Any
    seconds: float
    cpu_seconds: float
    warnings: list[str] = field(default_factory=list)
    cached: bool = False


def units_of(lesson: LessonModule, config: Any, seconds_per_unit: float = 1.0) -> list[Unit]:
    """Every unit of ``lesson`` under ``config``: each setting × each seed (each seed, for
    unit="seed"), with its expected cost: ``seconds_per_unit`` times the lesson's relative ``cost``
    of the setting."""
    settings: list[str | None] = (
        list(lesson.settings(config)) if lesson.about.unit == "setting" else [None]
    )
    weights = {setting: lesson.cost(config, setting) for setting in settings}
    mean = sum(weights.values()) / len(weights) if weights else 1.0
    return [
        Unit(lesson.name, setting, seed, seconds_per_unit * weights[setting] / (mean or 1.0))
        for setting in settings
        for seed in config.seed_list()
    ]


def plain(run: Any) -> Any:
    """``run`` as JSON holds it (NumPy arrays and numbers as lists and Python numbers): a cached run
    and a fresh one are then the same data, and metrics.json the same bytes."""
    return json.loads(json.dumps(run, default=to_plain))


def train_unit(unit: Unit, config: Any, threads: int | None = 1) -> Trained:
    """Run ``unit`` with ``threads`` BLAS threads (None: the library's default); its numbers as plain data."""
    lesson = load_lesson(unit.lesson)
    with warnings.catch_warnings(record=True) as caught, blas_threads(threads):
        warnings.simplefilter("always")
        started, cpu = time.perf_counter(), time.process_time()
        run = lesson.train(config, unit.setting, unit.seed)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return Trained(
        unit, plain(run), seconds, cpu_seconds, list(dict.fromkeys(str(w.message) for w in caught))
    )
