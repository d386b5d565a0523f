"""The files of a search, in the shape of a lesson's run folder (see :mod:`trainlab.lab.runner`).

``write_outputs(result, out)`` writes into ``out``, each file atomically (:mod:`trainlab.textio`),
so a crash or a full disk leaves whole files, never half-written ones:

* ``config.json``: the search's settings (storage password hidden);
* ``trials.json``: every trial with its curves (plain data) and ``trials.csv``: one row per trial;
* ``narrowing.json``: the proposed second-stage space;
* figures (PNG; SVG and PDF too as ``--format`` asks): ``best_curves`` (the book's Best-N grid),
  ``scatter`` (validation accuracy over lr and weight decay), and Optuna's ``importances``
  (parameter importance) and ``optimization_history``;
* ``summary.md`` and ``summary.json``: the Best-N table, the conclusions (best trial, narrowing, the
  second-stage command), notes and figures, with the keys of an experiment's summary (``title``,
  ``description``, ``command``, ``headers``, ``rows``, ``conclusions``, ``notes``, ``figures``) plus
  ``kind: "tune"``, ``study`` and ``storage``, so that ``trainlab report`` can show a search like a
  run;
* ``run.json`` (when, how long, versions, the files written), written last: a folder with it is complete.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import platform
import shlex
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

import trainlab
from trainlab.figures import FORMATS, FigureOptions, figure_style, save_figures
from trainlab.textio import markdown_table, write_json, write_text
from trainlab.tune.config import SearchConfig
from trainlab.tune.narrowing import Narrowing, narrow
from trainlab.tune.plots import (
    plot_best_curves,
    plot_importances,
    plot_optimization_history,
    plot_scatter,
)
from trainlab.tune.results import SearchResult, best_table, best_trials, bound_warnings
from trainlab.tune.storage import storage_label

FIGURES: dict[str, tuple[int, Callable[[SearchResult, int], Figure]]] = {
    "best_curves": (1, lambda result, best: plot_best_curves(result, best)),
    "scatter": (1, lambda result, best: plot_scatter(result)),
    "importances": (2, lambda result, best: plot_importances(result)),
    "optimization_history": (2, lambda result, best: plot_optimization_history(result)),
}
"""Each figure of a search: the complete trials it needs, and how it is drawn."""


def write_outputs(
    result: SearchResult,
    out: str | Path,
    best: int = 20,
    top_k: int = 5,
    quick: bool = False,
    figures: FigureOptions | None = None,
) -> dict[str, Path]:
    """Write the files listed in the module docstring into ``out``; return them by name.

    ``quick``: the search is a ``--quick`` one (the report marks it); ``figures``: their formats,
    resolution and style (default: PNG at 110 dpi, the paper style).
    """
    out = Path(out)
    files = {
        "config": write_json(out / "config.json", result.config.to_dict()),
        "trials_json": write_json(
            out / "trials.json",
            {
                "study": result.study,
                "dataset": result.dataset,
                "data_note": result.data_note,
                "trials": [dataclasses.asdict(trial) for trial in result.trials],
            },
        ),
        "trials_csv": write_text(out / "trials.csv", trials_csv(result)),
    }
    narrowing = narrow(result, top_k) if result.complete else None
    if narrowing is not None:
        files["narrowing"] = write_json(out / "narrowing.json", dataclasses.asdict(narrowing))
    figure_files = write_figures(result, out, best, figures or FigureOptions())
    files.update({path.name: path for path in figure_files})
    summary = {
        **summary_data(result, narrowing, best, [path.name for path in figure_files]),
        "quick": quick,
    }
    files["summary_json"] = write_json(out / "summary.json", summary)
    files["summary"] = write_text(out / "summary.md", summary_markdown(summary))
    started = datetime.now() - timedelta(seconds=result.seconds)
    files["run"] = write_json(
        out / "run.json",
        {  # the keys of an experiment's run.json
            "started": started.isoformat(timespec="seconds"),
            "seconds": round(result.seconds, 3),
            "complete": True,
            "files": [path.name for path in files.values()],
            "trainlab": trainlab.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
    )
    return files


def write_figures(result: SearchResult, out: Path, best: int, options: FigureOptions) -> list[Path]:
    """Draw the figures the search has enough complete trials for, in ``options``' style, and save
    each in every format; remove the other figure files an earlier search left in this folder (they
    would mislead)."""
    with figure_style(options.style):
        drawn = {
            name: draw(result, best)
            for name, (needs, draw) in FIGURES.items()
            if len(result.complete) >= needs
        }
    names = save_figures(drawn, out, options)
    for stale in {f"{name}.{format_}" for name in FIGURES for format_ in FORMATS} - set(names):
        (out / stale).unlink(missing_ok=True)
    return [out / name for name in names]


def trials_csv(result: SearchResult) -> str:
    """One row per trial: state, accuracies, epochs trained, the searched parameters, time, slot, worker."""
    names = [dim.name for dim in result.space().searched]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(
        [
            "number",
            "state",
            "status",
            "val_accuracy",
            "train_accuracy",
            "epochs",
            *names,
            "seconds",
            "slot",
            "worker",
        ]
    )
    for t in result.trials:
        writer.writerow(
            [
                t.number,
                t.state,
                t.status,
                "" if t.value is None else f"{t.value:.6g}",
                f"{t.train_accuracy[-1]:.6g}" if t.train_accuracy else "",
                len(t.val_accuracy),
                *(t.params.get(name, "") for name in names),
                "" if t.seconds is None else t.seconds,
                "" if t.slot is None else t.slot,
                t.worker,
            ]
        )
    return text.getvalue()


def summary_data(
    result: SearchResult, narrowing: Narrowing | None, best: int, figures: list[str]
) -> dict[str, Any]:
    """The summary of a search as plain data, with the keys of an experiment's ``summary.json``."""
    config, counts = result.config, result.counts()
    rows = best_table(result, best)
    description = (
        f"{len(result.finished)} of {config.trials} trials finished ({counts['complete']} complete, "
        f"{counts['pruned']} pruned) on {result.dataset}: {result.n_train} training and "
        f"{result.n_val} validation samples (the first {config.train_samples or 'all'} training "
        f"samples, {config.val_fraction:g} held out), {config.epochs} epochs per trial. "
        f"Sampler {config.sampler}, pruner {config.pruner}, seed {config.seed}; "
        f"space {' '.join(config.space)}; storage {storage_label(result.storage)}."
    )
    conclusions = []
    top = best_trials(result, 1)
    if top:
        conclusions.append(
            f"Best: trial {top[0].number}, validation accuracy {top[0].value:.4f}, with "
            f"{top[0].describe_params()}."
        )
    if narrowing is not None:
        ranges = "; ".join(f"{old} → {new}" for old, new in narrowing.changes)
        conclusions.append(
            f"The top {narrowing.top_k} trials ({', '.join(map(str, narrowing.trials))}) used "
            f"{ranges}. A second stage searches them: {stage_two_command(config, narrowing)}"
        )
    notes = [result.data_note] if result.data_note else []
    for warning in bound_warnings(result):  # in the summary, and said on the terminal
        notes.append(f"Warning: {warning}.")
        warnings.warn(warning, UserWarning, stacklevel=3)
    if counts["failed"]:
        notes.append(
            f"{counts['failed']} failed attempts (interrupted or surplus) are not counted; their slots "
            "ran again."
        )
    return {
        "kind": "tune",
        "name": "tune",
        "study": result.study,
        "storage": storage_label(result.storage),
        "title": f"Hyperparameter search: {result.study}",
        "description": description,
        "command": tune_command(config),
        "headers": rows[0],
        "rows": rows[1:],
        "conclusions": conclusions,
        "notes": notes,
        "figures": [name for name in figures if name.endswith((".png", ".svg"))],
    }


def summary_markdown(data: dict[str, Any]) -> str:
    lines = [f"# {data['title']}", "", data["description"], "", f"Command: `{data['command']}`", ""]
    lines += [f"> **Note:** {note}" for note in data["notes"]] + ([""] if data["notes"] else [])
    lines += [f"## Best-{len(data['rows'])} by final validation accuracy", ""]
    lines += [
        markdown_table([data["headers"], *data["rows"]]) if data["rows"] else "No trial completed.",
        "",
    ]
    if data["conclusions"]:
        lines += ["## Conclusions", ""] + [f"- {line}" for line in data["conclusions"]] + [""]
    lines += [f"![{figure}]({figure})" for figure in data["figures"]]
    return "\n".join(lines) + "\n"


def tune_command(
    config: SearchConfig, study: str | None = None, space: list[str] | None = None
) -> str:
    """The ``trainlab tune`` command of ``config``'s search (same data and budget); ``study`` and
    ``space`` (``--space=...`` words) replace its own.
    """
    words = [
        "trainlab",
        "tune",
        "--dataset",
        config.dataset,
        "--train-samples",
        str(config.train_samples) if config.train_samples else "all",
        "--val-fraction",
        f"{config.val_fraction:g}",
        "--epochs",
        str(config.epochs),
        "--trials",
        str(config.trials),
        "--sampler",
        config.sampler,
        "--seed",
        str(config.seed),
        "--study",
        study or config.study,
        *(space or [f"--space={entry}" for entry in config.space]),
    ]
    if config.sampler == "grid":
        words += ["--grid-points", str(config.grid_points)]
    if config.pruner != "none":
        words += ["--pruner", config.pruner]
    return " ".join(shlex.quote(word) for word in words)


def stage_two_command(config: SearchConfig, narrowing: Narrowing) -> str:
    """The ``trainlab tune`` command searching the narrowed space in a new study (same data and budget)."""
    return tune_command(config, f"{config.study}-stage2", narrowing.space_args())
