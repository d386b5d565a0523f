"""Compare runs of one experiment: their settings side by side, their key results, their curves overlaid.

``compare_runs(folders)`` reads complete runs (refusing runs of different experiments) and gives a
:class:`Comparison`: the settings that differ and those that agree, the key-results tables of the runs in one
table (a first column names the run), and one figure per measured curve (every list of numbers in
metrics.json, by its name), each run's curves overlaid. ``trainlab compare`` prints the tables and writes an
HTML page with the figures.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from trainlab.figures import figure_style
from trainlab.lab.runs import BrokenRunError, Run, load_run
from trainlab.textio import format_cell, read_json, write_text

MAX_FIGURES = 12  # curves beyond these are left out of the page (the metrics.json files hold them all)


@dataclass
class Comparison:
    name: str
    labels: list[str]  # one per run: its folder's name (its parent's too when two are equal)
    settings: list[tuple[str, list[str], bool]]  # (setting, its value in each run, whether they differ)
    results: list[list[str]]  # header first: "run", then the runs' key-result columns
    curves: dict[str, dict[str, list[float]]]  # metric -> "run: curve" label -> values

    def figures(self) -> Iterator[tuple[str, Figure]]:
        """One figure per metric, every run's curves of that metric overlaid (solid, dashed, dotted...)."""
        for metric, lines in list(self.curves.items())[:MAX_FIGURES]:
            figure = Figure(figsize=(7, 4), layout="constrained")
            axes = figure.add_subplot()
            styles = {label: ["-", "--", ":", "-."][i % 4] for i, label in enumerate(self.labels)}
            for label, values in lines.items():
                axes.plot(range(len(values)), values, styles[label.split(": ")[0]], label=label, linewidth=1.2)
            axes.set(title=f"{self.name}: {metric}", xlabel="step (index in metrics.json)", ylabel=metric)
            axes.legend(fontsize="small", ncols=2 if len(lines) > 6 else 1)
            yield metric, figure


def compare_runs(folders: Sequence[str | Path]) -> Comparison:
    """The comparison of the complete runs in ``folders`` (at least two, of one experiment)."""
    if len(folders) < 2:
        raise ValueError(f"compare needs at least two run folders, got {len(folders)}")
    runs = []
    for folder in folders:
        try:
            runs.append(load_run(Path(folder)))
        except BrokenRunError as problem:
            raise ValueError(f"{folder}: not a complete run folder ({problem})") from None
    names = {run.name for run in runs}
    if len(names) > 1:
        described = ", ".join(f"{run.folder} is {run.name}" for run in runs)
        raise ValueError(f"runs of different experiments cannot be compared: {described}")
    labels = run_labels(runs)
    configs = [read_json(run.folder / "config.json") for run in runs]
    settings = []
    for key in dict.fromkeys(key for config in configs for key in config):
        values = [format_cell(config.get(key, "-")) for config in configs]
        settings.append((key, values, len(set(values)) > 1))
    results = [["run", *map(str, runs[0].summary["headers"])]]
    for label, run in zip(labels, runs, strict=True):
        results += [[label, *(format_cell(value) for value in row)] for row in run.summary["rows"]]
    curves: dict[str, dict[str, list[float]]] = {}
    for label, run in zip(labels, runs, strict=True):
        for path, metric, values in number_lists(read_json(run.folder / "metrics.json")):
            curves.setdefault(metric, {})[f"{label}: {path}" if path else label] = values
    return Comparison(runs[0].name, labels, settings, results, curves)


def run_labels(runs: list[Run]) -> list[str]:
    labels = [run.folder.name for run in runs]
    if len(set(labels)) < len(labels):
        labels = [f"{run.folder.parent.name}/{run.folder.name}" for run in runs]
    return labels


def number_lists(data: Any, path: str = "") -> Iterator[tuple[str, str, list[float]]]:
    """(where, metric name, values) of every list of at least two numbers in ``data`` (JSON).

    A list of objects is walked item by item, each named by its ``label`` or ``name`` field if it has one.
    """
    if isinstance(data, dict):
        for key, value in data.items():
            if is_curve(value):
                yield path, str(key), [float(v) for v in value]
            else:
                yield from number_lists(value, path)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            if isinstance(item, dict | list):
                name = item.get("label", item.get("name", index)) if isinstance(item, dict) else index
                yield from number_lists(item, f"{path}.{name}" if path else str(name))


def is_curve(value: Any) -> bool:
    """A list of at least two numbers that is not a counter (whole numbers in equal steps: epochs, steps)."""
    if not (isinstance(value, list) and len(value) >= 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        return False
    counter = all(isinstance(v, int) for v in value) and len({b - a for a, b in itertools.pairwise(value)}) == 1
    return not counter


def comparison_page(comparison: Comparison, out: Path) -> Path:
    """An HTML page of the comparison, the figures embedded (one self-contained file)."""
    head = "".join(f"<th>{html.escape(label)}</th>" for label in comparison.labels)
    settings = "".join(
        f"<tr class='{'differs' if differs else ''}'><td>{html.escape(key)}</td>"
        + "".join(f"<td>{html.escape(value)}</td>" for value in values) + "</tr>"
        for key, values, differs in comparison.settings)
    results = comparison.results
    table = ("<tr>" + "".join(f"<th>{html.escape(cell)}</th>" for cell in results[0]) + "</tr>"
             + "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                       for row in results[1:]))
    figures = []
    with figure_style("paper"):  # the colour-blind-safe palette
        for metric, figure in comparison.figures():
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=110)
            data = base64.b64encode(buffer.getvalue()).decode("ascii")
            figures.append(f"<figure><img alt='{html.escape(metric)}' src='data:image/png;base64,{data}'></figure>")
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>trainlab compare: {html.escape(comparison.name)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{html.escape(comparison.name)}: {len(comparison.labels)} runs compared</h1>"
            f"<h2>Settings</h2><p>Highlighted: the settings that differ.</p><div class='scroll'><table>"
            f"<tr><th>setting</th>{head}</tr>{settings}</table></div>"
            f"<h2>Key results</h2><div class='scroll'><table>{table}</table></div>"
            f"<h2>Curves</h2>{''.join(figures) or '<p>No curves in metrics.json.</p>'}</body></html>")
    return write_text(out, page)


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 1em auto; padding: 0 1em; color: #222; }
.scroll { overflow-x: auto; } table { border-collapse: collapse; font-size: 0.9em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; } th { background: #f0f0f0; }
tr.differs td { background: #fff1b8; font-weight: bold; } img { max-width: 100%; height: auto; }
"""
