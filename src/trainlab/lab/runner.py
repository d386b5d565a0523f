"""Run lessons as units of work and write each lesson's results: ``runs/NAME/<timestamp>/``.

:func:`run_lessons` builds every unit of the lessons asked for (:mod:`trainlab.lab.units`), takes
the ones already trained from the cache (:mod:`trainlab.lab.cache`), runs the others on the workers
(:mod:`trainlab.lab.executors`), the longest first, and writes a lesson's folder as soon as its last
unit is in. Its ``metrics.json`` lists the runs in the lesson's order (settings, then seeds), so it
is the same bytes whatever the executor, the order the units finished in, or how many came from the
cache.

A lesson's folder holds ``config.json`` (the settings), ``metrics.json`` (every run's numbers), the
figures, ``summary.json`` (the claims with their verdicts and numbers, the table, the notes),
``summary.md`` (the same, to read) and, written last, ``run.json`` (when, how long, versions, the
files written; kept apart so that metrics.json is the same for the same settings). What a failure
leaves behind:

- a setting that is not allowed: nothing runs and nothing is written;
- a unit that fails: its lesson is reported as failed, without a folder; the other lessons go on,
  and every unit that finished is in the cache, so the same command again trains only what is
  missing;
- the claims, the table or the figures fail: the folder with config.json and metrics.json, without
  run.json (the report skips it as incomplete), and an :class:`IncompleteRunError` naming it;
- Ctrl-C, SIGTERM, a crash or a full disk: every file is written atomically, finished units are
  cached, finished lessons keep their folders; a run is complete only when run.json exists.
"""

from __future__ import annotations

import dataclasses
import os
import platform
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info

import trainlab
from trainlab.figures import FigureOptions, figure_style, save_figures
from trainlab.lab.cache import UnitCache
from trainlab.lab.claims import Evaluation, count
from trainlab.lab.executors import Workers
from trainlab.lab.lesson import LessonModule, Runs, load_lesson
from trainlab.lab.progress import UnitProgress, duration
from trainlab.lab.runs import RUN_FILE
from trainlab.lab.settings import LessonConfig
from trainlab.lab.timings import seconds_per_unit
from trainlab.lab.units import Trained, Unit, train_unit, units_of
from trainlab.textio import did_you_mean, markdown_table, parse_assignments, write_json, write_text

RETRIES = 2  # a unit whose worker process died is run again this many times


class IncompleteRunError(RuntimeError):
    """The claims, table or figures failed after the numbers were written; the message names the folder."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the run; ``finished`` names the lessons whose folders were written."""

    def __init__(self, finished: list[str], cached_units: int) -> None:
        super().__init__(f"interrupted after {len(finished)} lesson(s)")
        self.finished, self.cached_units = finished, cached_units


@dataclasses.dataclass
class RunRecord:
    """A lesson's written run: its folder, what summary.json holds, how long it took, its files."""

    name: str
    folder: Path
    summary: dict[str, Any]
    seconds: float  # the units' training time (their sum: CPU-bound, one thread each)
    files: list[str]
    quick: bool = False


@dataclasses.dataclass
class Outcome:
    """How one lesson of :func:`run_lessons` ended: its record, or the error; the warnings it raised."""

    name: str
    record: RunRecord | None
    error: BaseException | None
    warnings: list[str]


def make_config(
    lesson: LessonModule, *, quick: bool = False, overrides: Sequence[str] = (), **changes: Any
) -> LessonConfig:
    """The lesson's book settings (or quick ones), changed as asked (None: unchanged), and validated.

    A change to a setting the lesson does not have (``dataset`` for a lesson without data) is
    ignored when it comes from an option every lesson shares; ``--set`` names one lesson's own
    settings."""
    config = lesson.Config()
    if quick:
        config = config.quick()
    fields = {f.name for f in dataclasses.fields(config)}
    config = dataclasses.replace(
        config,
        **{key: value for key, value in changes.items() if value is not None and key in fields},
    )
    config = config.with_overrides(parse_assignments(overrides)).validate()
    lesson.checked_settings(config)
    return config


def check_output_folder(out: Path) -> None:
    """Refuse an output folder that is a file, or that cannot be created or written, before anything runs."""
    existing = next(folder for folder in (out, *out.parents) if folder.exists())
    if not existing.is_dir():
        raise ValueError(f"--out {out}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK):
        raise ValueError(f"--out {out}: {existing} is not writable")


@dataclasses.dataclass
class Plan:
    """One lesson's part of a run: its settings, its units, and the units trained so far."""

    lesson: LessonModule
    config: LessonConfig
    units: list[Unit]
    command: str
    quick: bool
    trained: dict[Unit, Trained] = dataclasses.field(default_factory=dict)
    failed: BaseException | None = None

    @property
    def complete(self) -> bool:
        return len(self.trained) == len(self.units)

    def runs(self) -> Runs:
        """The trained units as :class:`Runs` (a unit="seed" lesson's ``{setting: run}`` spread out)."""
        runs: dict[tuple[str, int], Any] = {}
        for unit in self.units:
            run = self.trained[unit].run
            if unit.setting is None:
                runs.update({(setting, unit.seed): value for setting, value in run.items()})
            else:
                runs[(unit.setting, unit.seed)] = run
        return Runs(
            self.config, list(self.lesson.settings(self.config)), self.config.seed_list(), runs
        )

    def metrics(self) -> dict[str, Any]:
        """metrics.json: every run's numbers in the lesson's order (never in the order they finished)."""
        return {
            "lesson": self.lesson.name,
            "settings": list(self.lesson.settings(self.config)),
            "seeds": self.config.seed_list(),
            "runs": [
                {"setting": u.setting, "seed": u.seed, "run": self.trained[u].run}
                for u in self.units
            ],
        }


def run_lessons(
    names: Sequence[str],
    *,
    quick: bool = False,
    overrides: Sequence[str] = (),
    out: str | Path = "runs",
    jobs: int = 1,
    cluster: str | None = None,
    threads: int | None = 1,
    fresh: bool = False,
    figures: FigureOptions | None = None,
    **changes: Any,
) -> Iterator[Outcome]:
    """Run lessons ``names`` and write their folders under ``out``, yielding each lesson's outcome
    as soon as its last unit is in.

    ``changes``: settings every lesson shares (``seed``, ``seeds``, ``dataset``, ``data_dir``; None:
    the lesson's own); ``overrides``: ``key=value`` settings of a single lesson. ``jobs``: local
    worker processes (1: this process); ``cluster``: the address of a Dask scheduler instead.
    ``threads``: BLAS threads per unit. ``fresh``: train every unit again (the cache is still
    written). On Ctrl-C or SIGTERM (raised here as KeyboardInterrupt) the queued units are
    cancelled, the workers end, and :class:`Interrupted` says what finished.
    """
    figures = figures or FigureOptions()
    out = Path(out)
    check_output_folder(out)
    plans = [plan_lesson(name, quick=quick, overrides=overrides, changes=changes) for name in names]
    for plan in train_plans(
        plans, UnitCache(out / ".cache"), jobs=jobs, cluster=cluster, threads=threads, fresh=fresh
    ):
        if plan.failed is not None:
            yield Outcome(plan.lesson.name, None, plan.failed, warnings_of(plan))
        else:
            yield finish(plan, out, figures)


def train_plans(
    plans: list[Plan],
    cache: UnitCache | None,
    *,
    jobs: int = 1,
    cluster: str | None = None,
    threads: int | None = 1,
    fresh: bool = False,
    stream: Any = None,
) -> Iterator[Plan]:
    """Train every unit of ``plans`` (from ``cache`` where it holds them, unless ``fresh``; into
    it), yielding each plan as soon as it is complete or has failed (:attr:`Plan.failed`). See
    :func:`run_lessons`."""
    units = [unit for plan in plans for unit in plan.units]
    owner = {unit: plan for plan in plans for unit in plan.units}
    workers = Workers(jobs=jobs, cluster=cluster)
    progress = UnitProgress(units, workers.count, stream=stream)
    finished: list[str] = []
    try:
        for (
            plan
        ) in plans:  # cached units first: a lesson whose units are all cached is done at once
            for unit in plan.units:
                found = None if fresh or cache is None else cache.load(unit, plan.config)
                if found is not None:
                    plan.trained[unit] = found
                    progress.finished(found, 0)
        for plan in plans:
            if plan.complete:
                finished.append(plan.lesson.name)
                yield plan
        waiting = sorted((u for u in units if u not in owner[u].trained), key=lambda u: -u.cost)
        for trained, error, unit in train_all(waiting, owner, workers, threads):
            plan = owner[unit]
            if plan.failed is not None:
                continue
            if error is not None:
                plan.failed = error
                waiting[:] = [u for u in waiting if owner[u] is not plan]
                progress.say(
                    f"{plan.lesson.name}: FAILED in {unit.text()}: {type(error).__name__}: {error}"
                )
                yield plan
                continue
            if cache is not None:
                cache.store(trained, plan.config)
            plan.trained[unit] = trained
            progress.finished(trained, len(waiting))
            if plan.complete:
                finished.append(plan.lesson.name)
                progress.say(
                    f"{plan.lesson.name}: trained ({duration(sum(t.seconds for t in plan.trained.values()))})"
                )
                yield plan
    except KeyboardInterrupt:
        workers.stop(cancel=True)
        progress.close()
        raise Interrupted(finished, sum(len(p.trained) for p in plans)) from None
    workers.stop()
    progress.close()


@dataclasses.dataclass
class LessonRun:
    """A lesson run in memory (a notebook's): its settings, its runs, the claims' verdicts, table
    and figures."""

    lesson: LessonModule
    config: LessonConfig
    runs: Runs
    evaluations: list[Evaluation]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return self.lesson.table(self.runs)

    def figures(self) -> dict[str, Any]:
        return self.lesson.plot(self.runs)

    def notes(self) -> list[str]:
        return self.lesson.notes(self.runs)


def run_lesson(
    name: str,
    *,
    quick: bool = False,
    jobs: int = 1,
    cache: str | Path | None = None,
    **settings: Any,
) -> LessonRun:
    """Run lesson ``name`` here (``jobs`` > 1: in local worker processes) and keep the results in
    memory: for a notebook, or a script. ``settings`` change the lesson's own
    (``seeds=3, iterations=600``; an unknown name is a ValueError listing them); ``cache``: a folder
    of finished units to use and fill."""
    lesson = load_lesson(name)
    base = lesson.Config().quick() if quick else lesson.Config()
    fields = [f.name for f in dataclasses.fields(base)]
    unknown = [key for key in settings if key not in fields]
    if unknown:
        raise ValueError(
            f"{name} has no setting {unknown[0]!r}{did_you_mean(unknown[0], fields)}; "
            f"settings: {', '.join(fields)}"
        )
    config = dataclasses.replace(base, **settings).validate()
    lesson.checked_settings(config)
    plan = Plan(lesson, config, units_of(lesson, config, seconds_per_unit(name, quick)), "", quick)
    done = next(train_plans([plan], UnitCache(cache) if cache is not None else None, jobs=jobs))
    if done.failed is not None:
        raise done.failed
    runs = done.runs()
    return LessonRun(lesson, config, runs, lesson.evaluate(runs))


def plan_lesson(
    name: str, *, quick: bool, overrides: Sequence[str], changes: dict[str, Any]
) -> Plan:
    """One lesson's settings (checked) and units, with their expected costs on this machine."""
    lesson = load_lesson(name)
    config = make_config(lesson, quick=quick, overrides=overrides, **changes)
    units = units_of(lesson, config, seconds_per_unit(name, quick))
    return Plan(lesson, config, units, command_line(name, quick, changes, overrides), quick)


Came = tuple[
    Trained | None, BaseException | None, Unit
]  # a unit back from a worker: trained, or its error


def train_all(
    waiting: list[Unit],
    owner: dict[Unit, Any],
    workers: Workers,
    threads: int | None,
    train: Callable[..., Trained] = train_unit,
) -> Iterator[Came]:
    """Train the ``waiting`` units on ``workers`` (taking them from the front of the list, which the
    caller may shorten), yielding (trained, None, unit) or (None, error, unit) as each comes back.

    A few more units than workers are queued at a time, so that the longest go first and Ctrl-C has
    little to cancel. When a local worker process dies (killed, out of memory), every unit it shared
    the pool with fails; they are queued again on a fresh pool, each at most :data:`RETRIES` times.
    ``train(unit, config, threads)`` runs one unit (benchmarks/cluster_simulation.py replays
    measured costs with one that sleeps).
    """
    queued: dict[Future, Unit] = {}
    tries: dict[Unit, int] = {}
    while waiting or queued:
        while waiting and len(queued) < (
            1 if workers.jobs == 1 and workers.client is None else 2 * workers.count
        ):
            unit = waiting.pop(0)
            queued[workers.submit(train, unit, owner[unit].config, threads)] = unit
        done, _ = wait(list(queued), return_when=FIRST_COMPLETED)
        broken = []
        for future in done:
            unit = queued.pop(future)
            try:
                yield future.result(), None, unit
            except BrokenProcessPool:
                broken.append(unit)
            except Exception as error:  # the unit's own failure: reported with its lesson
                yield None, error, unit
        if broken:
            broken += list(queued.values())  # the pool is gone: every queued unit went with it
            queued.clear()
            workers.restart()
            for unit in broken:
                tries[unit] = tries.get(unit, 0) + 1
                if tries[unit] > RETRIES:
                    yield (
                        None,
                        RuntimeError(
                            f"its worker process died {tries[unit]} times (killed, or out of "
                            "memory?)"
                        ),
                        unit,
                    )
                else:
                    waiting.insert(0, unit)


def warnings_of(plan: Plan) -> list[str]:
    return list(
        dict.fromkeys(message for trained in plan.trained.values() for message in trained.warnings)
    )


def finish(plan: Plan, out: Path, figures: FigureOptions) -> Outcome:
    """Write a complete lesson's folder; its outcome (an :class:`IncompleteRunError` if the summary
    failed)."""
    try:
        record = write_run(plan, out, figures)
    except (IncompleteRunError, OSError) as error:
        return Outcome(plan.lesson.name, None, error, warnings_of(plan))
    return Outcome(plan.lesson.name, record, None, warnings_of(plan))


def write_run(plan: Plan, out: Path, figures: FigureOptions) -> RunRecord:
    """The lesson's folder: config and metrics first, then claims, table, figures and summary,
    run.json last."""
    lesson, config = plan.lesson, plan.config
    stamp = datetime.now()
    seconds = sum(t.seconds for t in plan.trained.values())
    folder = new_run_folder(out / lesson.name, stamp)
    files = [
        write_json(folder / "config.json", dataclasses.asdict(config)).name,
        write_json(folder / "metrics.json", plan.metrics()).name,
    ]
    try:
        runs = plan.runs()
        evaluations = lesson.evaluate(runs)
        headers, rows = lesson.table(runs)
        notes = lesson.notes(runs)
        with figure_style(figures.style):
            figure_files = save_figures(lesson.plot(runs), folder, figures)
    except (
        Exception
    ) as error:  # the training's numbers are on disk; say where, and why the rest is missing
        raise IncompleteRunError(
            f"{lesson.name}: the results are kept in {folder} (config.json, metrics.json), "
            f"but the claims, table or figures failed: {type(error).__name__}: {error}"
        ) from error
    changed = config.changed()
    if changed:
        notes.append(
            f"This run changed the full-size settings, so its numbers are not the full-size ones: "
            f"{'; '.join(changed)}."
        )
    claims = [evaluation.to_json() for evaluation in evaluations]
    about = lesson.about
    summary = {
        "name": lesson.name,
        "title": about.title,
        "description": lesson.describe(config),
        "book": about.book,
        "section": about.section,
        "figure": about.figure,
        "command": plan.command,
        "quick": plan.quick,
        "seeds": config.seed_list(),
        "changed": changed,
        "claims": claims,
        "verdicts": count([c["verdict"] for c in claims]),
        "headers": headers,
        "rows": rows,
        "conclusions": [c["sentence"] for c in claims],
        "notes": notes,
        "figures": [file for file in figure_files if file.endswith((".png", ".svg"))],
    }
    files += [
        write_json(folder / "summary.json", summary).name,
        write_text(folder / "summary.md", summary_markdown(summary)).name,
        *figure_files,
    ]
    write_json(folder / RUN_FILE, run_facts(stamp, seconds, files))
    return RunRecord(lesson.name, folder, summary, seconds, [*files, RUN_FILE], plan.quick)


def command_line(name: str, quick: bool, options: dict[str, Any], overrides: Sequence[str]) -> str:
    """The ``trainlab run`` command that repeats this run."""
    return " ".join(
        [
            "trainlab run",
            name,
            *(["--quick"] if quick else []),
            *(
                f"--{key.replace('_', '-')} {value}"
                for key, value in options.items()
                if value is not None
            ),
            *(f"--set {item}" for item in overrides),
        ]
    )


def run_facts(stamp: datetime, seconds: float, files: list[str]) -> dict[str, Any]:
    """run.json: when, how long, the versions and BLAS threads, and the files the run wrote."""
    return {
        "started": stamp.isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "complete": True,
        "files": files,
        "trainlab": trainlab.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "blas_threads": [
            pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"
        ],
    }


def new_run_folder(parent: Path, stamp: datetime) -> Path:
    """``parent/<YYYYmmdd-HHMMSS>`` of ``stamp``, with a suffix when two runs start in the same second."""
    text = stamp.strftime("%Y%m%d-%H%M%S")
    for suffix in ["", *(f"-{i}" for i in range(2, 1000))]:
        folder = parent / f"{text}{suffix}"
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a run folder under {parent}")


VERDICT_MARK = {
    "agrees": "agrees",
    "contradicts": "CONTRADICTS",
    "unsettled": "unsettled",
    "untested": "untested",
}


def summary_markdown(data: dict[str, Any]) -> str:
    lines = [f"# {data['title']}", "", data["description"], "", f"Command: `{data['command']}`", ""]
    lines += [f"> **Note:** {note}" for note in data["notes"]] + ([""] if data["notes"] else [])
    lines += ["## The book's claims", ""]
    lines += [
        f"- **{VERDICT_MARK[c['verdict']]}** ({c['id']}): {c['sentence']}" for c in data["claims"]
    ]
    lines += ["", "## Results", "", markdown_table([data["headers"], *data["rows"]]), ""]
    lines += [f"![{figure}]({figure})" for figure in data["figures"]]
    return "\n".join(lines) + "\n"
