"""Run an experiment and write its results: ``runs/NAME/<timestamp>/``.

The folder holds ``config.json`` (the settings), ``metrics.json`` (the Result, plain data), the figures,
``summary.json`` (the key numbers and conclusions, for the report), ``summary.md`` (the same, to read) and,
written last, ``run.json`` (when, how long, versions, the files written; kept apart so that metrics.json is
the same for the same seed). What a failure leaves behind:

- a setting that is not allowed, or an experiment that fails before it has results: no folder at all;
- summarizing or plotting fails: the folder with config.json and metrics.json (the training's numbers are
  kept), without run.json; the error names the folder, and the report skips it as incomplete;
- a crash or a full disk mid-write: every file is written atomically (:func:`trainlab.textio.atomic_writer`),
  so each file is whole or absent, and a run is complete only when run.json exists.

This module never chooses a matplotlib backend: the figures are saved through their own canvas, and the
``trainlab`` command chooses the headless Agg backend for itself.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import pickle
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info

import trainlab
from trainlab.backend import blas_threads
from trainlab.figures import FigureOptions, figure_style, save_figures
from trainlab.lab.legacy import Experiment, ExperimentConfig, Summary
from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import IncompleteRunError
from trainlab.lab.runs import RUN_FILE
from trainlab.textio import parse_assignments, write_json, write_text


@dataclasses.dataclass
class RunRecord:
    name: str
    folder: Path
    summary: Summary
    seconds: float
    files: list[str]  # the files written, in the folder
    quick: bool = False


def make_config(experiment: Experiment, *, quick: bool = False, overrides: Sequence[str] = (),
                **changes: Any) -> ExperimentConfig:
    """The experiment's book defaults (or quick ones), changed as asked (None: unchanged), and validated."""
    config = experiment.Config()
    if quick:
        config = config.quick()
    config = dataclasses.replace(config, **{key: value for key, value in changes.items() if value is not None})
    return config.with_overrides(parse_assignments(overrides)).validate()


def check_output_folder(out: Path) -> None:
    """Refuse an output folder that is a file, or that cannot be created or written, before anything runs."""
    existing = next(folder for folder in (out, *out.parents) if folder.exists())
    if not existing.is_dir():
        raise ValueError(f"--out {out}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK):
        raise ValueError(f"--out {out}: {existing} is not writable")


def run_experiment(
    name: str,
    *,
    quick: bool = False,
    dataset: str | None = None,
    seed: int | None = None,
    data_dir: str | None = None,
    overrides: Sequence[str] = (),
    out: str | Path = "runs",
    echo: Callable[[str], None] = print,
    figures: FigureOptions | None = None,
) -> RunRecord:
    """Run experiment ``name`` with its book defaults (or ``quick`` ones) changed as asked; write the folder.

    ``figures``: their formats, resolution and style (default: PNG at 110 dpi, the paper style)."""
    figures = figures or FigureOptions()
    experiment = load_lesson(name)
    config = make_config(experiment, quick=quick, overrides=overrides, dataset=dataset, seed=seed,
                         data_dir=data_dir)
    check_output_folder(Path(out))
    stamp = datetime.now()
    echo(f"{name}: {experiment.title}{' (quick)' if quick else ''}")
    started = time.perf_counter()
    result = experiment.run(config)  # a failure here leaves nothing behind: there are no results to keep
    seconds = time.perf_counter() - started

    folder = new_run_folder(Path(out) / name, stamp)
    files = [write_json(folder / "config.json", dataclasses.asdict(config)).name,
             write_json(folder / "metrics.json", dataclasses.asdict(result)).name]
    command = command_line(name, quick, dict(dataset=dataset, seed=seed, data_dir=data_dir), overrides)
    try:
        summary = experiment.summarize(result)
        with figure_style(figures.style):
            figure_files = save_figures(experiment.plot(result), folder, figures)
    except Exception as error:  # the training's numbers are on disk; say where, and why the rest is missing
        raise IncompleteRunError(f"{name}: the results are kept in {folder} (config.json, metrics.json), but "
                                 f"the summary or figures failed: {type(error).__name__}: {error}") from error
    summary_data = {"name": name, "title": experiment.title, "description": experiment.description,
                    "book": experiment.book, "section": experiment.section, "figure": experiment.figure,
                    "command": command, "quick": quick, "headers": summary.headers, "rows": summary.rows,
                    "conclusions": summary.conclusions, "notes": summary.notes,
                    "figures": [file for file in figure_files if file.endswith((".png", ".svg"))]}
    files += [write_json(folder / "summary.json", summary_data).name,
              write_text(folder / "summary.md", summary_markdown(summary_data, summary)).name, *figure_files]
    write_json(folder / RUN_FILE, run_facts(stamp, seconds, files))
    return RunRecord(name, folder, summary, seconds, [*files, RUN_FILE], quick)


@dataclasses.dataclass
class Outcome:
    """How one experiment of :func:`run_many` ended: its record, or the error; the warnings it raised."""

    name: str
    record: RunRecord | None
    error: BaseException | None
    warnings: list[str]


def run_many(names: Sequence[str], *, jobs: int = 1, threads: int | None = 1, **options: Any) -> Iterator[Outcome]:
    """Run experiments ``names`` (options as :func:`run_experiment`'s), yielding each outcome as it finishes.

    ``jobs`` > 1 runs them in that many worker processes, each with ``threads`` BLAS threads, so that the
    numbers are those of a serial run; ``jobs == 1`` runs them here, one after the other. The workers print
    nothing: their warnings come back in the outcomes, for the caller to show once.
    """
    options = {**options, "echo": silent}
    if jobs <= 1 or len(names) <= 1:
        for name in names:
            yield run_captured(name, threads, options)
        return
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no BLAS thread pools copied by fork
    with ProcessPoolExecutor(max_workers=min(jobs, len(names)), mp_context=context, initializer=quiet) as pool:
        futures = {pool.submit(run_captured, name, threads, options): name for name in names}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as error:  # the worker process died (killed, out of memory): say which experiment
                outcome = Outcome(futures[future], None, RuntimeError(f"its worker process died ({error})"), [])
            yield outcome


def run_captured(name: str, threads: int | None, options: dict[str, Any]) -> Outcome:
    """Run one experiment with ``threads`` BLAS threads; its record or error, and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught, blas_threads(threads):
        warnings.simplefilter("always")
        try:
            record, error = run_experiment(name, **options), None
        except Exception as failure:  # reported by the caller, with the other experiments' outcomes
            record, error = None, portable(failure)
    return Outcome(name, record, error, list(dict.fromkeys(str(w.message) for w in caught)))


def portable(error: Exception) -> Exception:
    """``error`` itself if it survives pickling (to come back from a worker), else a RuntimeError saying it."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # an exception class whose arguments cannot be rebuilt
        return RuntimeError(f"{type(error).__name__}: {error}")


def silent(line: str) -> None:
    """An ``echo`` that prints nothing (a module-level function: workers receive it pickled)."""


def quiet() -> None:
    """In a worker: no progress bars or warnings on the terminal (one display, the caller's)."""
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (open for the life of the worker)


def command_line(name: str, quick: bool, options: dict[str, Any], overrides: Sequence[str]) -> str:
    """The ``trainlab run`` command that repeats this run."""
    return " ".join(["trainlab run", name, *(["--quick"] if quick else []),
                     *(f"--{key.replace('_', '-')} {value}" for key, value in options.items() if value is not None),
                     *(f"--set {item}" for item in overrides)])


def run_facts(stamp: datetime, seconds: float, files: list[str]) -> dict[str, Any]:
    """run.json: when, how long, the versions and BLAS threads, and the files the run wrote."""
    return {
        "started": stamp.isoformat(timespec="seconds"), "seconds": round(seconds, 3), "complete": True,
        "files": files, "trainlab": trainlab.__version__, "numpy": np.__version__,
        "python": platform.python_version(), "machine": platform.machine(),
        "blas_threads": [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"],
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


def summary_markdown(data: dict[str, Any], summary: Summary) -> str:
    lines = [f"# {data['title']}", "", data["description"], "", f"Command: `{data['command']}`", ""]
    if summary.notes:
        lines += [f"> **Note:** {note}" for note in summary.notes] + [""]
    lines += ["## Results", "", summary.table_markdown(), "", "## Conclusions", ""]
    lines += [f"- {line}" for line in summary.conclusions] + [""]
    lines += [f"![{figure}]({figure})" for figure in data["figures"] if figure.endswith((".png", ".svg"))]
    return "\n".join(lines) + "\n"
