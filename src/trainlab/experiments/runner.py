"""Run an experiment and write its results: ``runs/NAME/<timestamp>/``.

The folder holds ``config.json`` (the settings), ``metrics.json`` (the Result, plain data), one PNG per
figure, ``summary.md`` (the key numbers and conclusions) and ``summary.json`` (the same, for the report),
and ``run.json`` (when, how long, versions: kept apart so that metrics.json is the same for the same seed).
"""

from __future__ import annotations

import dataclasses
import platform
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: figures are files

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_info

import trainlab
from trainlab.experiments import get_experiment
from trainlab.experiments.base import Summary
from trainlab.textio import parse_assignments, write_json, write_text


@dataclasses.dataclass
class RunRecord:
    name: str
    folder: Path
    summary: Summary
    seconds: float


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
) -> RunRecord:
    """Run experiment ``name`` with its book defaults (or ``quick`` ones) changed as asked; write the folder."""
    module = get_experiment(name)
    config = module.Config()
    if quick:
        config = config.quick()
    changes = {key: value for key, value in (("dataset", dataset), ("seed", seed), ("data_dir", data_dir))
               if value is not None}
    config = dataclasses.replace(config, **changes).with_overrides(parse_assignments(overrides))
    config.validate()  # every setting checked before a folder exists or anything runs
    folder = new_run_folder(Path(out) / name)
    echo(f"{name}: {module.TITLE}{' (quick)' if quick else ''} -> {folder}")

    started = time.perf_counter()
    result = module.run(config)
    seconds = time.perf_counter() - started
    summary = module.summarize(result)
    for note in summary.notes:
        echo(f"  note: {note}")

    write_json(folder / "config.json", dataclasses.asdict(config))
    write_json(folder / "metrics.json", dataclasses.asdict(result))
    figures = module.plot(result)
    for figure_name, figure in figures.items():
        figure.savefig(folder / f"{figure_name}.png", dpi=110, bbox_inches="tight")
        plt.close(figure)
    command = " ".join(["trainlab run", name, *(["--quick"] if quick else []),
                        *(f"--{k.replace('_', '-')} {v}" for k, v in changes.items()),
                        *(f"--set {o}" for o in overrides)])
    summary_data = {"name": name, "title": module.TITLE, "description": module.DESCRIPTION, "command": command,
                    "headers": summary.headers, "rows": summary.rows, "conclusions": summary.conclusions,
                    "notes": summary.notes, "figures": [f"{f}.png" for f in figures]}
    write_json(folder / "summary.json", summary_data)
    write_text(folder / "summary.md", summary_markdown(summary_data, summary))
    write_json(folder / "run.json", {
        "started": datetime.now().isoformat(timespec="seconds"), "seconds": round(seconds, 3),
        "trainlab": trainlab.__version__, "numpy": np.__version__, "python": platform.python_version(),
        "machine": platform.machine(),
        "blas_threads": [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"],
    })
    for line in summary.conclusions:
        echo(f"  {line}")
    return RunRecord(name, folder, summary, seconds)


def new_run_folder(parent: Path) -> Path:
    """``parent/<YYYYmmdd-HHMMSS>``, with a suffix when two runs start in the same second."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for suffix in ["", *(f"-{i}" for i in range(2, 1000))]:
        folder = parent / f"{stamp}{suffix}"
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
    lines += [f"![{figure}]({figure})" for figure in data["figures"]]
    return "\n".join(lines) + "\n"
