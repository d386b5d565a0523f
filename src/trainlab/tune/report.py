"""The files of a search: config, every trial (JSON and CSV), figures, narrowing and a summary.

``write_outputs(result, out)`` writes into ``out``:

* ``config.json``: the search's settings (storage password hidden);
* ``trials.json``: every trial with its curves (plain data) and ``trials.csv``: one row per trial;
* ``best_curves.png`` (the book's Best-20 grid), ``scatter.png`` (validation accuracy over lr and weight
  decay), ``history.png`` (accuracy by trial number);
* ``narrowing.json``: the proposed second-stage space; ``summary.md``: counts, the Best-N table, the
  narrowing and the command for the second stage.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import shlex
from pathlib import Path
from typing import Any

from trainlab.tune.config import SearchConfig
from trainlab.tune.narrowing import Narrowing, narrow
from trainlab.tune.plots import plot_best_curves, plot_history, plot_scatter
from trainlab.tune.results import SearchResult, best_table, markdown_table


def write_outputs(result: SearchResult, out: str | Path, best: int = 20, top_k: int = 5) -> dict[str, Path]:
    """Write the files listed in the module docstring into ``out``; return them by name."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"config": out / "config.json", "trials_json": out / "trials.json", "trials_csv": out / "trials.csv",
             "summary": out / "summary.md"}
    write_json(files["config"], result.config.to_dict())
    write_json(files["trials_json"], {"study": result.study, "dataset": result.dataset, "data_note": result.data_note,
                                      "trials": [dataclasses.asdict(trial) for trial in result.trials]})
    write_trials_csv(files["trials_csv"], result)
    narrowing = narrow(result, top_k) if result.complete else None
    if narrowing is not None:
        files["narrowing"] = out / "narrowing.json"
        write_json(files["narrowing"], dataclasses.asdict(narrowing))
        figures = {"best_curves": lambda: plot_best_curves(result, best), "scatter": lambda: plot_scatter(result),
                   "history": lambda: plot_history(result)}
        for name, make in figures.items():
            figure = make()
            files[name] = out / f"{name}.png"
            figure.savefig(files[name], dpi=110)
    files["summary"].write_text(summary_markdown(result, narrowing, best, files), encoding="utf-8")
    return files


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")


def write_trials_csv(path: Path, result: SearchResult) -> None:
    names = [dim.name for dim in result.space().searched]
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["number", "state", "status", "val_accuracy", "train_accuracy", "epochs", *names, "seconds",
                         "slot", "worker"])
        for t in result.trials:
            writer.writerow([t.number, t.state, t.status, "" if t.value is None else f"{t.value:.6g}",
                             f"{t.train_accuracy[-1]:.6g}" if t.train_accuracy else "", len(t.val_accuracy),
                             *(t.params.get(name, "") for name in names), "" if t.seconds is None else t.seconds,
                             "" if t.slot is None else t.slot, t.worker])


def summary_markdown(result: SearchResult, narrowing: Narrowing | None, best: int, files: dict[str, Path]) -> str:
    config, counts = result.config, result.counts()
    lines = [f"# Hyperparameter search: {result.study}", ""]
    lines.append(
        f"{len(result.finished)} of {config.trials} trials finished ({counts['complete']} complete, "
        f"{counts['pruned']} pruned"
        + (f"; {counts['failed']} failed attempts, not counted: interrupted or surplus" if counts["failed"] else "")
        + f") on {result.dataset}: {result.n_train} training and {result.n_val} validation samples (the first "
        f"{config.train_samples or 'all'} training samples, {config.val_fraction:g} held out), {config.epochs} "
        f"epochs per trial. Sampler {config.sampler}, pruner {config.pruner}, seed {config.seed}; storage "
        f"{result.storage}."
    )
    if result.data_note:
        lines += ["", f"> Note: {result.data_note}"]
    lines += ["", "Space: " + " ".join(f"`{entry}`" for entry in config.space), ""]
    lines += [f"## Best-{best} by final validation accuracy", ""]
    rows = best_table(result, best)
    lines.append(markdown_table(rows) if len(rows) > 1 else "No trial completed.")
    if narrowing is not None:
        lines += ["", "## Narrowing", "", f"The top {narrowing.top_k} trials ({', '.join(map(str, narrowing.trials))}) "
                  "used these ranges; a second stage can search them:", ""]
        lines += [f"- `{old}` → `{new}`" for old, new in narrowing.changes]
        lines += ["", "```", stage_two_command(config, narrowing), "```"]
    figures = [name for name in ("best_curves", "scatter", "history") if name in files]
    if figures:
        lines += ["", "## Figures", ""] + [f"![{name}]({files[name].name})" for name in figures]
    return "\n".join(lines) + "\n"


def stage_two_command(config: SearchConfig, narrowing: Narrowing) -> str:
    """The ``trainlab tune`` command searching the narrowed space in a new study (same data and budget)."""
    study = f"{config.study}-stage2"
    words = ["trainlab", "tune", "--dataset", config.dataset,
             "--train-samples", str(config.train_samples) if config.train_samples else "all",
             "--val-fraction", f"{config.val_fraction:g}", "--epochs", str(config.epochs),
             "--trials", str(config.trials), "--sampler", config.sampler, "--seed", str(config.seed),
             "--study", study, *narrowing.space_args()]
    if config.pruner != "none":
        words += ["--pruner", config.pruner]
    return " ".join(shlex.quote(word) for word in words)
