"""Compare runs of one experiment: the settings that differ, the key results side by side, the
curves overlaid.

``compare_runs(folders)`` reads complete runs (refusing runs of different experiments) and gives a
:class:`Comparison`:

- each run is named by the settings in which it differs from the others (``lr=0.5``), or by its folder;
- the settings, those that differ first;
- the key results side by side: one small table per result column, a row per row of the summaries, a
  column per run; the claims' verdicts the same way, when the summaries have claims;
- every curve of metrics.json (a list of numbers), labelled by its run and by what it is inside the
  run (the setting and the seed: "sigmoid, seed 0"), with its x axis named (epoch, iteration) from
  the counters next to it or the run's config; optionally smoothed, the raw curve faint behind.

Run folders come from elsewhere (a colleague's, a download): their names, JSON and text are
untrusted. Labels are made printable, deep or malformed JSON is refused with one line naming the
file, and the default page's file name never comes from a file's content unchecked.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from trainlab.figures import figure_style
from trainlab.lab.data import smooth
from trainlab.lab.runs import BrokenRunError, Run, load_run
from trainlab.textio import format_cell, read_json, write_text

MAX_FIGURES = (
    12  # metrics beyond these are left out of the page (the metrics.json files hold them all)
)
MAX_DEPTH = 24  # how deep metrics.json is searched for curves
AXIS_WORDS = {
    "epoch": "epoch",
    "epochs": "epoch",
    "step": "iteration",
    "steps": "iteration",
    "iteration": "iteration",
    "iterations": "iteration",
}
OUTCOME_FIELDS = {
    "status",
    "stop_reason",
    "reason",
    "verdict",
    "message",
    "error",
}  # not what names a curve
SHOWN_SETTINGS = 3  # a run is named by at most this many differing settings (else by its folder)


@dataclass
class Curve:
    """One measured curve of one run: ``values`` against ``x``, which counts ``axis`` (epoch,
    iteration...)."""

    metric: str
    run: str  # the run's label
    label: str  # what the curve is inside the run: "sigmoid, seed 0" ("" for a run's only curve)
    values: list[float]
    x: list[float]
    axis: str

    @property
    def name(self) -> str:
        """The legend's label: "sigmoid, seed 0 (lr=0.5)"."""
        return f"{self.label} ({self.run})" if self.label else self.run


@dataclass
class ResultTable:
    """One result column of the runs' summaries, side by side: a row per summary row, a column per run."""

    title: str
    rows: list[list[str]]  # [row name, value in run 1, value in run 2, ...]


@dataclass
class Comparison:
    name: str  # the experiment's name, printable
    labels: list[str]  # one per run: its differing settings, or its folder
    folders: list[str]
    # (setting, its value in each run, whether they differ), those that differ first
    settings: list[tuple[str, list[str], bool]]
    results: list[ResultTable]
    claims: list[list[str]] = field(default_factory=list)  # [claim id, verdict in run 1, ...]
    named_by_settings: bool = False  # the labels are the differing settings ("lr=0.5")
    curves: dict[str, list[Curve]] = field(
        default_factory=dict
    )  # metric -> its curves in every run

    @property
    def file_name(self) -> str:
        """``compare-NAME.html``, NAME reduced to letters, digits, '-' and '_' (never a path)."""
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", self.name).strip("-")[:80]
        return f"compare-{slug or 'runs'}.html"

    def differing(self) -> list[tuple[str, list[str]]]:
        return [(key, values) for key, values, differs in self.settings if differs]

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON data (``trainlab compare --json``)."""
        return {
            "name": self.name,
            "runs": [
                {"label": label, "folder": folder}
                for label, folder in zip(self.labels, self.folders, strict=True)
            ],
            "settings": [
                {"setting": key, "values": values, "differs": differs}
                for key, values, differs in self.settings
            ],
            "results": [{"title": table.title, "rows": table.rows} for table in self.results],
            "claims": self.claims,
            "curves": [
                {
                    "metric": c.metric,
                    "run": c.run,
                    "label": c.label,
                    "axis": c.axis,
                    "x": c.x,
                    "values": c.values,
                }
                for curves in self.curves.values()
                for c in curves
            ],
        }

    def figures(self, smoothing: int | None = None) -> Iterator[tuple[str, Figure]]:
        """One figure per metric, every run's curves of it overlaid: a colour (and past eight
        settings, a marker) per setting, the seeds of a setting sharing it, a line style per run;
        the legend beside the axes names each curve ("sigmoid, seed 0 (lr=0.5)"), or, past 12
        curves, the settings and the runs. ``smoothing``: a moving average over that many points,
        the raw curve faint behind (None: curves of over 100 points are smoothed over a twentieth of
        their points; 0 or 1: none)."""
        from matplotlib.lines import Line2D  # slow to import: only drawing needs it

        styles = dict(zip(self.labels, itertools.cycle(["-", "--", ":", "-."]), strict=False))
        for metric, curves in list(self.curves.items())[:MAX_FIGURES]:
            figure = Figure(figsize=(10, 4.2), layout="constrained")
            axes = figure.add_subplot()
            settings = list(dict.fromkeys(setting_of(c.label) for c in curves))
            looks = {
                setting: (PALETTE[i % len(PALETTE)], MARKERS[i // len(PALETTE) % len(MARKERS)])
                for i, setting in enumerate(settings)
            }
            windows = set()
            for curve in curves:
                (colour, marker), style = looks[setting_of(curve.label)], styles[curve.run]
                window = (
                    smoothing
                    if smoothing is not None
                    else len(curve.values) // 20 * (len(curve.values) > 100)
                )
                shown = curve.values
                if window > 1:
                    windows.add(window)
                    axes.plot(curve.x, curve.values, style, color=colour, alpha=0.2, linewidth=0.8)
                    shown = smooth(curve.values, window)
                few = len(curve.values) <= 30
                axes.plot(
                    curve.x,
                    shown,
                    style,
                    color=colour,
                    linewidth=1.4,
                    label=curve.name,
                    marker="o" if few else marker or None,
                    markersize=3 if few else 4,
                    markevery=None if few else max(1, len(curve.values) // 8),
                )
            axes.set(
                title=f"{self.name}: {metric}",
                ylabel=metric,
                xlabel=" / ".join(dict.fromkeys(c.axis for c in curves)),
            )
            if all(c.axis == "epoch" for c in curves):
                axes.xaxis.get_major_locator().set_params(integer=True)
            axes.grid(alpha=0.3)
            title = (
                f"smoothed over {', '.join(map(str, sorted(windows)))} points,\nthe raw curves faint"
                if windows
                else None
            )
            if len(curves) <= 12:
                figure.legend(
                    loc="outside right upper", fontsize="small", title=title, title_fontsize="small"
                )
            else:  # a legend per meaning: the settings' colours, the runs' line styles
                handles = [
                    Line2D([], [], color=colour, marker=marker or None, label=setting)
                    for setting, (colour, marker) in looks.items()
                ]
                handles += [
                    Line2D([], [], color="0.4", linestyle=styles[run], label=f"run {run}")
                    for run in self.labels
                    if any(c.run == run for c in curves)
                ]
                seeds = len(curves) // max(1, len(settings) * len(self.labels))
                note = f"each setting's {seeds} seeds\nin its colour" if seeds > 1 else None
                figure.legend(
                    handles=handles,
                    loc="outside right upper",
                    fontsize="small",
                    ncols=2 if len(handles) > 16 else 1,
                    title="\n".join(t for t in (title, note) if t) or None,
                    title_fontsize="small",
                )
            yield metric, figure


PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#000000",
    "#F0E442",
)  # Okabe-Ito
MARKERS = ("", "o", "s", "^")  # past eight settings, the colours come again with a marker


def setting_of(label: str) -> str:
    """A curve's label without its seed: "sigmoid, seed 0" -> "sigmoid" (the seeds of a setting
    share a colour)."""
    return re.sub(r"(, )?seed \d+", "", label)


def printable(text: Any, limit: int = 200) -> str:
    """``text`` safe to print and to write as UTF-8: undecodable bytes of a file name and control
    characters shown as escapes, at most ``limit`` characters."""
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = "".join(c if unicodedata.category(c)[0] != "C" else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_data(path: Path) -> Any:
    """The JSON of a run's file; a ValueError naming it when it cannot be read or is nested too deeply."""
    try:
        return read_json(path)
    except RecursionError:
        raise ValueError(f"{printable(path)}: JSON nested too deeply to read") from None


def compare_runs(folders: Sequence[str | Path]) -> Comparison:
    """The comparison of the complete runs in ``folders`` (at least two, of one experiment)."""
    if len(folders) < 2:
        raise ValueError(f"compare needs at least two run folders, got {len(folders)}")
    runs = []
    for folder in folders:
        try:
            runs.append(load_run(Path(folder)))
        except BrokenRunError as problem:
            raise ValueError(
                f"{printable(folder)}: not a complete run folder ({printable(problem)})"
            ) from None
        except RecursionError:
            raise ValueError(
                f"{printable(folder)}: not a complete run folder (JSON nested too deeply)"
            ) from None
    names = {run.name for run in runs}
    if len(names) > 1:
        described = ", ".join(f"{printable(run.folder)} is {printable(run.name)}" for run in runs)
        raise ValueError(f"runs of different experiments cannot be compared: {described}")
    configs = [config_of(run) for run in runs]
    settings = compare_settings(configs)
    labels, by_settings = run_labels(
        runs, [(key, values) for key, values, differs in settings if differs]
    )
    comparison = Comparison(
        printable(runs[0].name),
        labels,
        [printable(run.folder) for run in runs],
        settings,
        side_by_side(runs),
        claims_side_by_side(runs),
        named_by_settings=by_settings,
    )
    for label, run, config in zip(labels, runs, configs, strict=True):
        for curve in find_curves(read_data(run.folder / "metrics.json"), config, label):
            comparison.curves.setdefault(curve.metric, []).append(curve)
    return comparison


def config_of(run: Run) -> dict[str, Any]:
    config = read_data(run.folder / "config.json")
    if not isinstance(config, dict):
        raise ValueError(
            f"{printable(run.folder)}/config.json holds a JSON {type(config).__name__}, not an object "
            "of settings"
        )
    return config


def compare_settings(configs: list[dict[str, Any]]) -> list[tuple[str, list[str], bool]]:
    """Each setting with its value in every run ("-" where a run lacks it), those that differ first."""
    rows = []
    for key in dict.fromkeys(key for config in configs for key in config):
        values = [printable(format_cell(config.get(key, "-")), 80) for config in configs]
        rows.append((printable(key, 60), values, len(set(values)) > 1))
    return sorted(rows, key=lambda row: not row[2])


def run_labels(runs: list[Run], differing: list[tuple[str, list[str]]]) -> tuple[list[str], bool]:
    """A label per run: the settings it differs in ("lr=0.5, seed=0") when few and telling, else its
    folder's name (with its parent's when two are equal); and whether the labels are the
    settings."""
    if 0 < len(differing) <= SHOWN_SETTINGS:
        labels = [
            ", ".join(f"{key}={values[i]}" for key, values in differing) for i in range(len(runs))
        ]
        if len(set(labels)) == len(labels) and max(map(len, labels)) <= 40:
            return labels, True
    labels = [printable(run.folder.name, 60) for run in runs]
    if len(set(labels)) < len(labels):
        labels = [printable(f"{run.folder.parent.name}/{run.folder.name}", 80) for run in runs]
    if len(set(labels)) < len(labels):
        labels = [f"run {i + 1}" for i in range(len(runs))]
    return labels, False


def side_by_side(runs: list[Run]) -> list[ResultTable]:
    """The summaries' result columns, one table each, the runs side by side (a missing cell is "-").

    A row is named by its first cells, as few as make the names unique in every run (the form, then
    the epoch...); rows that stay alike are numbered.
    """
    headers = [printable(h, 80) for h in runs[0].summary["headers"]]
    summaries = [
        [row if isinstance(row, list) else [] for row in run.summary["rows"]] for run in runs
    ]
    width = next((k for k in (1, 2, 3) if all(unique_keys(rows, k) for rows in summaries)), 0)
    keyed = [row_keys(rows, width) for rows in summaries]
    keys = list(dict.fromkeys(key for rows in keyed for key in rows))
    first = max(width, 1)
    tables = []
    for column in range(first, max(len(headers), first + 1)):
        title = headers[column] if column < len(headers) else f"column {column + 1}"
        rows = [[key, *(cell(rows.get(key), column) for rows in keyed)] for key in keys]
        tables.append(ResultTable(title, rows))
    return tables


def key_of(row: list[Any], width: int) -> str:
    return printable(", ".join(format_cell(value) for value in row[:width]), 80)


def unique_keys(rows: list[list[Any]], width: int) -> bool:
    keys = [key_of(row, width) for row in rows]
    return len(set(keys)) == len(keys)


def row_keys(rows: list[list[Any]], width: int) -> dict[str, list[Any]]:
    """A summary's rows by their first ``width`` cells; with ``width`` 0, by their first cell,
    numbered where two share one ("sigmoid #2")."""
    keyed: dict[str, list[Any]] = {}
    for index, row in enumerate(rows):
        key = key_of(row, max(width, 1)) or f"row {index + 1}"
        base, count = key, 1
        while key in keyed:
            count += 1
            key = f"{base} #{count}"
        keyed[key] = row
    return keyed


def cell(row: list[Any] | None, column: int) -> str:
    return printable(format_cell(row[column]), 60) if row is not None and column < len(row) else "-"


def claims_side_by_side(runs: list[Run]) -> list[list[str]]:
    """[claim id, verdict in each run] for the claims the summaries carry (none when they carry none)."""
    verdicts: list[dict[str, str]] = []
    for run in runs:
        claims = run.summary.get("claims")
        found = {}
        for claim in claims if isinstance(claims, list) else []:
            if isinstance(claim, dict) and "id" in claim:
                found[printable(claim["id"], 60)] = printable(claim.get("verdict", "-"), 40)
        verdicts.append(found)
    ids = list(dict.fromkeys(key for found in verdicts for key in found))
    return [[key, *(found.get(key, "-") for found in verdicts)] for key in ids]


def find_curves(data: Any, config: dict[str, Any], run: str) -> Iterator[Curve]:
    """Every list of at least two numbers in ``data`` (a run's metrics.json) as a Curve of run ``run``."""
    for where, metric, values, x, axis in walk(data, config, "", 0):
        yield Curve(metric, run, where, values, x, axis)


def number_lists(data: Any) -> Iterator[tuple[str, str, list[float]]]:
    """(where, metric name, values) of every curve in ``data`` (see :func:`find_curves`)."""
    for where, metric, values, _, _ in walk(data, {}, "", 0):
        yield where, metric, values


def walk(
    data: Any, config: dict[str, Any], where: str, depth: int
) -> Iterator[tuple[str, str, list, list, str]]:
    """(where, metric, values, x, axis) of the curves in ``data``; a list of objects is walked item
    by item, each named by :func:`item_label`. Deeper than MAX_DEPTH is not searched."""
    if depth > MAX_DEPTH:
        return
    if isinstance(data, dict):
        counters = {str(key): value for key, value in data.items() if is_counter(value)}
        for key, value in data.items():
            if is_curve(value):
                x, axis = x_axis(str(key), len(value), counters, config)
                yield where, printable(key, 60), [float(v) for v in value], x, axis
            elif isinstance(value, dict | list):
                yield from walk(value, config, where, depth + 1)
    elif isinstance(data, list):
        names = [item_label(item) if isinstance(item, dict) else "" for item in data]
        for index, item in enumerate(data):
            if isinstance(item, dict | list):
                name = names[index] or f"#{index}"
                if names[index] and names.count(names[index]) > 1:
                    name += f" #{index}"
                yield from walk(item, config, f"{where}, {name}" if where else name, depth + 1)


def item_label(item: dict[str, Any]) -> str:
    """What an object of a list is, from its own fields: its ``label``, ``name`` or ``setting``,
    else its text fields (not its outcome: status, reason...); then ``seed N`` when it has a
    seed."""
    for key in ("label", "name", "setting"):
        if isinstance(item.get(key), str | int | float) and not isinstance(item.get(key), bool):
            words = [str(item[key])]
            break
    else:
        words = [
            value
            for key, value in item.items()
            if isinstance(value, str) and key not in OUTCOME_FIELDS
        ]
    if isinstance(item.get("seed"), int) and not isinstance(item.get("seed"), bool):
        words.append(f"seed {item['seed']}")
    return printable(", ".join(words), 60)


def is_number_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def is_counter(value: Any) -> bool:
    """Whole numbers in equal steps (epochs 1, 2, 3; steps 0, 10, 20): an axis, not a curve."""
    return (
        is_number_list(value)
        and all(isinstance(v, int) for v in value)
        and len({b - a for a, b in itertools.pairwise(value)}) == 1
    )


def is_curve(value: Any) -> bool:
    """A list of at least two numbers that is not a counter."""
    return is_number_list(value) and not is_counter(value)


def x_axis(
    metric: str, length: int, counters: dict[str, list[int]], config: dict[str, Any]
) -> tuple[list, str]:
    """The x values of a curve and what they count: a counter of the same length next to it
    (``epochs``: epoch), else a count in the config equal to its length (``epochs``: epoch 1..n,
    ``iterations``: iteration 0..n-1), else a hint in its name, else the index of the point."""
    for key, counter in counters.items():
        if len(counter) == length:
            return [float(v) for v in counter], AXIS_WORDS.get(key, key)
    for key, word in (("epochs", "epoch"), ("iterations", "iteration")):
        if config.get(key) == length and not isinstance(config.get(key), bool):
            return list(range(1, length + 1)) if word == "epoch" else list(range(length)), word
    lowered = metric.lower()
    if "epoch" in lowered:
        return list(range(1, length + 1)), "epoch"
    if "step" in lowered or "iteration" in lowered:
        return list(range(length)), "iteration"
    return list(range(length)), "point (no axis recorded)"


def text_tables(comparison: Comparison) -> list[list[list[str]]]:
    """The tables ``trainlab compare`` prints: the differing settings (unless the runs are named by
    them), each result side by side, the claims."""
    tables = []
    if comparison.differing() and not comparison.named_by_settings:
        tables.append(
            [
                ["setting", *comparison.labels],
                *([key, *values] for key, values in comparison.differing()),
            ]
        )
    tables += [[[table.title, *comparison.labels], *table.rows] for table in comparison.results]
    if comparison.claims:
        tables.append([["claim", *comparison.labels], *comparison.claims])
    return tables


def comparison_page(comparison: Comparison, out: Path, smoothing: int | None = None) -> Path:
    """An HTML page of the comparison, the figures embedded (one self-contained file)."""

    def table(rows: list[list[str]], marked: set[int] = frozenset()) -> str:
        head = "<tr>" + "".join(f"<th>{html.escape(cell)}</th>" for cell in rows[0]) + "</tr>"
        body = "".join(
            f"<tr class='{'differs' if i in marked else ''}'>"
            + "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
            + "</tr>"
            for i, row in enumerate(rows[1:])
        )
        return f"<div class='scroll'><table>{head}{body}</table></div>"

    runs = "".join(
        f"<li><b>{html.escape(label)}</b>: {html.escape(folder)}</li>"
        for label, folder in zip(comparison.labels, comparison.folders, strict=True)
    )
    settings = [
        ["setting", *comparison.labels],
        *([key, *values] for key, values, _ in comparison.settings),
    ]
    marked = {i for i, (_, _, differs) in enumerate(comparison.settings) if differs}
    results = "".join(
        f"<h3>{html.escape(t.title)}</h3>{table([['', *comparison.labels], *t.rows])}"
        for t in comparison.results
    )
    claims = (
        f"<h2>Claims</h2>{table([['claim', *comparison.labels], *comparison.claims])}"
        if comparison.claims
        else ""
    )
    figures = []
    with figure_style("paper"):  # the colour-blind-safe palette's sizes
        for metric, figure in comparison.figures(smoothing):
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=110)
            data = base64.b64encode(buffer.getvalue()).decode("ascii")
            figures.append(
                f"<figure><img alt='{html.escape(metric)}' src='data:image/png;base64,{data}'></figure>"
            )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>trainlab compare: {html.escape(comparison.name)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(comparison.name)}: {len(comparison.labels)} runs compared</h1><ul>{runs}</ul>"
        f"<h2>Settings</h2><p>Highlighted, and first: the settings that differ.</p>{table(settings, marked)}"
        f"<h2>Key results, side by side</h2>{results}{claims}"
        f"<h2>Curves</h2>{''.join(figures) or '<p>No curves in metrics.json.</p>'}</body></html>"
    )
    return write_text(out, page)


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 1em auto; padding: 0 1em; color: #222; }
.scroll { overflow-x: auto; } table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; } th { background: #f0f0f0; }
tr.differs td { background: #fff1b8; font-weight: bold; } img { max-width: 100%; height: auto; }
h3 { font-size: 1em; margin-bottom: 0; }
"""
