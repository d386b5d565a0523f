"""What a lesson is: a module that declares, and the lab that does.

A lesson module (``trainlab/lessons/NAME.py``) declares:

- ``LESSON``: a :class:`Lesson`, its name, title, the passage of the book it reproduces and a
  description (``{field}`` in it is replaced by the run's setting, so a quick run describes itself);
- ``Config``: its settings, a dataclass deriving from :class:`trainlab.lab.settings.LessonConfig`
  (or ``DataConfig``) with the book's values as defaults and ``QUICK``, the seconds-long version;
- ``CLAIMS``: the book's claims it tests (:class:`trainlab.lab.claims.Claim`);
- ``settings(config)``: the settings (arms) it compares, in the order tables and legends show them;
- ``train(config, setting, seed)``: one unit of work, one training run, as a dict of plain numbers
  (lists, floats, strings: what metrics.json keeps). A lesson whose settings build on one another (a
  net pretrained, then reused) declares ``unit="seed"``: ``train(config, None, seed)`` then runs
  every setting of that seed and returns ``{setting: run}``;
- ``plot(runs)``: its figures, ``{name: Figure}``, drawn from :class:`Runs`;

and may declare ``TABLE`` (the measures tabulated per setting; or a ``table(runs)`` function),
``label`` (a setting's name for readers), ``notes(runs)`` (facts the numbers show that no claim
states: which runs diverged) and ``cost(config, setting)`` (the relative time of a unit, for
scheduling the longest first).

The lab (:mod:`trainlab.lab.runner`) builds the units (every setting × every seed), runs them on an
executor, caches them, assembles :class:`Runs`, evaluates the claims and writes the run folder. A
lesson imports ``trainlab`` and ``trainlab.lab`` only, never another lesson.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from trainlab.lab.claims import Claim, Evaluation, Measure, evaluate, spread_text
from trainlab.lab.settings import LessonConfig
from trainlab.lessons import MODULES
from trainlab.textio import did_you_mean

DLFS = "Deep Learning from Scratch"
HOML = "Hands-On Machine Learning"
BOOK_SHORT = {DLFS: "DLfS", HOML: "HOML"}
UNITS = ("setting", "seed")


@dataclass(frozen=True)
class Lesson:
    """A lesson's metadata: its command-line name, its title and the passage of the book it reproduces."""

    name: str  # as on the command line: "optimizers"
    title: str
    book: str  # DLFS or HOML
    section: str  # "6.1.8 Comparing the update methods on MNIST"
    figure: str  # "Figure 6-9"; "" when the lesson reproduces a passage, not a figure
    description: str  # what the lesson does, with {field} for the run's settings
    unit: str = (
        "setting"  # one unit of work: a setting × a seed, or (for "seed") every setting of a seed
    )

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(
                f"lesson {self.name!r}: unit={self.unit!r} is not allowed; use one of {UNITS}"
            )

    def reproduces(self) -> str:
        """ "Deep Learning from Scratch, 6.1 Updating parameters, Figure 6-9" (the parts that are known)."""
        return ", ".join(part for part in (self.book, self.section, self.figure) if part)


@dataclass
class Runs:
    """A lesson's training runs, by setting and seed: what ``plot``, ``table`` and the claims read.

    ``get(setting, seed)`` is one run (the dict ``train`` returned), ``of(setting)`` the runs of a
    setting in seed order, ``values(setting, key)`` one number per seed, ``curves(setting, key)``
    one row per seed.
    """

    config: Any
    settings: list[str]
    seeds: list[int]
    runs: dict[tuple[str, int], Mapping[str, Any]]

    def get(self, setting: str, seed: int) -> Mapping[str, Any] | None:
        return self.runs.get((setting, seed))

    def of(self, setting: str) -> list[Mapping[str, Any]]:
        return [run for seed in self.seeds if (run := self.get(setting, seed)) is not None]

    def values(self, setting: str, key: str | Callable[[Mapping[str, Any]], float]) -> np.ndarray:
        """One number per seed: ``run[key]``, or ``key(run)``."""
        pick = key if callable(key) else (lambda run: run[key])
        return np.array([float(pick(run)) for run in self.of(setting)], dtype=np.float64)

    def curves(self, setting: str, key: str) -> np.ndarray:
        """``run[key]`` (a list) of every seed as the rows of one array, shorter ones padded with NaN."""
        rows = [np.asarray(run[key], dtype=np.float64) for run in self.of(setting)]
        width = max((len(row) for row in rows), default=0)
        out = np.full((len(rows), width), np.nan)
        for i, row in enumerate(rows):
            out[i, : len(row)] = row
        return out


@dataclass
class LessonModule:
    """A lesson module checked against the protocol, with the lab's defaults for what it may leave out."""

    about: Lesson
    module: ModuleType
    Config: type[LessonConfig]
    claims: tuple[Claim, ...]
    settings: Callable[[Any], Sequence[str]]
    train: Callable[..., Any]
    plot: Callable[[Runs], dict[str, Any]]

    @property
    def name(self) -> str:
        return self.about.name

    @property
    def title(self) -> str:
        return self.about.title

    @property
    def book(self) -> str:
        return self.about.book

    @property
    def section(self) -> str:
        return self.about.section

    @property
    def figure(self) -> str:
        return self.about.figure

    def checked_settings(self, config: Any) -> list[str]:
        """The settings ``config`` compares, each named once (runs are told apart by the setting's name)."""
        settings = list(self.settings(config))
        repeated = [s for s in dict.fromkeys(settings) if settings.count(s) > 1]
        if repeated:
            raise ValueError(
                f"{self.name}: the settings {', '.join(map(str, settings))} name "
                f"{', '.join(map(str, repeated))} more than once; each may appear once (compare "
                "other values of it in separate runs with --set)"
            )
        return settings

    def label(self, setting: str) -> str:
        label = getattr(self.module, "label", None)
        return label(setting) if label is not None else setting

    def notes(self, runs: Runs) -> list[str]:
        notes = getattr(self.module, "notes", None)
        return list(notes(runs)) if notes is not None else []

    def cost(self, config: Any, setting: str | None) -> float:
        cost = getattr(self.module, "cost", None)
        return float(cost(config, setting)) if cost is not None else 1.0

    def table(self, runs: Runs) -> tuple[list[str], list[list[Any]]]:
        """The lesson's table: its ``table(runs)``, else one row per setting of its ``TABLE``
        measures (or of the measures its claims use), each as mean ± sd over the seeds."""
        table = getattr(self.module, "table", None)
        if table is not None:
            return table(runs)
        measures: Sequence[Measure] = getattr(self.module, "TABLE", None) or list(
            {claim.measure.name: claim.measure for claim in self.claims}.values()
        )
        rows = [
            [
                self.label(setting),
                *(
                    spread_text([m.of(run, runs.config) for run in runs.of(setting)], m)
                    for m in measures
                ),
            ]
            for setting in runs.settings
            if runs.of(setting)
        ]
        return ["setting", *(m.header(runs.config) for m in measures)], rows

    def runs_from(self, config_data: dict[str, Any], metrics: dict[str, Any]) -> Runs:
        """The :class:`Runs` of a written run, from its config.json and metrics.json (the report
        draws its figures again, docs/results.md evaluates its claims again, with the current
        code)."""
        config = self.Config.from_json(config_data)
        runs: dict[tuple[str, int], Any] = {}
        for entry in metrics["runs"]:
            if entry["setting"] is None:
                runs.update(
                    {(setting, entry["seed"]): run for setting, run in entry["run"].items()}
                )
            else:
                runs[(entry["setting"], entry["seed"])] = entry["run"]
        return Runs(config, list(metrics["settings"]), list(metrics["seeds"]), runs)

    def evaluate(self, runs: Runs) -> list[Evaluation]:
        """Every claim's verdict on ``runs``."""
        return [evaluate(claim, runs, runs.config, self.label) for claim in self.claims]

    def describe(self, config: Any) -> str:
        return config.described(self.about.description)


REQUIRED = {
    "LESSON": Lesson,
    "Config": type,
    "CLAIMS": tuple,
    "settings": Callable,
    "train": Callable,
    "plot": Callable,
}


def checked(module: ModuleType) -> LessonModule:
    """The :class:`LessonModule` of ``module``; a TypeError naming what is missing or of the wrong kind."""
    where = module.__name__.rsplit(".", 1)[-1] + ".py"
    for attribute, kind in REQUIRED.items():
        if not isinstance(getattr(module, attribute, None), kind):
            raise TypeError(
                f"lesson module {where} must define {attribute} ({getattr(kind, '__name__', kind)})"
            )
    if not (dataclasses.is_dataclass(module.Config) and issubclass(module.Config, LessonConfig)):
        raise TypeError(
            f"lesson module {where}: Config must be a dataclass deriving from LessonConfig"
        )
    ids = [claim.id for claim in module.CLAIMS]
    if len(set(ids)) != len(ids) or not all(isinstance(claim, Claim) for claim in module.CLAIMS):
        raise TypeError(f"lesson module {where}: CLAIMS must be Claim objects with distinct ids")
    return LessonModule(
        module.LESSON,
        module,
        module.Config,
        module.CLAIMS,
        module.settings,
        module.train,
        module.plot,
    )


# -- the catalogue: trainlab/lessons/__init__.py lists the lessons in the chapters' order ----------
def list_lessons() -> list[str]:
    """The names of the lessons whose modules are present, in the chapters' order."""
    return [
        name
        for name in MODULES
        if importlib.util.find_spec(f"trainlab.lessons.{MODULES[name]}") is not None
    ]


def lesson_module(name: str) -> ModuleType:
    """The module of lesson ``name``; a clear error listing the names for an unknown one."""
    available = list_lessons()
    if name not in available:
        raise ValueError(
            f"lesson {name!r} does not exist; choose one of: {', '.join(available)} (or 'all')"
            + did_you_mean(name, available)
        )
    return importlib.import_module(f"trainlab.lessons.{MODULES[name]}")


def load_lesson(name: str) -> LessonModule:
    """Lesson ``name``, its module checked against the protocol."""
    return checked(lesson_module(name))


def finite_or_nan(value: float) -> float:
    """``value`` if it is a finite number, else NaN (for a measure of a run that diverged)."""
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else math.nan
