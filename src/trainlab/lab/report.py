"""One self-contained HTML page of experiment runs and searches, in the chapters' order, readable offline.

The experiments appear in the order of the chapters, grouped by book, each headed by the passage and
figure it reproduces; each shows its latest complete run (a full-size run before a quick one), and
with ``all_runs`` the older runs too, folded away. Searches written by ``trainlab tune`` follow the
experiments. Figures are embedded as data URIs (so the page can be copied or mailed on its own) and
open full size when clicked; a contents list stays in view (a sidebar on a wide screen, a bar on top
on a phone). The page's script writes what the tests read back from headless Chromium into
``<body data-...>``: how many images the browser decoded, and whether the page is wider than the
window.
"""

from __future__ import annotations

import base64
import functools
import html
import itertools
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from trainlab.figures import FigureOptions
from trainlab.lab.claims import VERDICTS, count
from trainlab.lab.lesson import list_lessons, load_lesson
from trainlab.lab.redraw import RedrawError, redraw
from trainlab.lab.runs import Run, RunSkippedWarning, load_runs
from trainlab.textio import displayable, format_cell, write_text

REPORT_FORMATS = ("png", "svg")  # what a browser shows inline
SEARCHES = "Hyperparameter searches (trainlab tune)"
OTHER = "Other experiments"

STYLE = """
* { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; margin: 0; color: #222; line-height: 1.45; }
.page { display: grid; grid-template-columns: 17rem minmax(0, 1fr); max-width: 1400px; margin: 0 auto; }
#contents { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow-y: auto; padding: 1em;
  font-size: 0.9em; border-right: 1px solid #ddd; }
#contents ol { padding-left: 1.1em; margin: 0.2em 0; } \
#contents summary { font-weight: bold; cursor: pointer; }
main { padding: 0 1.5em 3em; min-width: 0; }
h1 { border-bottom: 2px solid #444; } h2.book { margin-top: 2em; border-bottom: 2px solid #999; }
section.experiment { margin-top: 2.5em; border-top: 1px solid #ccc; }
.source { color: #555; font-size: 0.9em; margin-bottom: 0; }
.badge { font-size: 0.7em; padding: 0.1em 0.5em; border-radius: 0.8em; vertical-align: middle; \
white-space: nowrap; }
.quick { background: #ffe2a8; color: #6a4500; }
.verdict { font-size: 0.8em; padding: 0.05em 0.45em; border-radius: 0.3em; font-weight: bold; }
.verdict.agrees { background: #d7f0dd; color: #15562a; } \
.verdict.contradicts { background: #f9d6d5; color: #7a1411; }
.verdict.unsettled { background: #fff0c2; color: #6a4f00; } \
.verdict.untested { background: #e6e6e6; color: #444; }
ul.claims li { margin-bottom: 0.4em; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; } th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
.note { background: #fff4d6; border-left: 4px solid #e0a800; padding: 0.5em 1em; }
.meta { color: #666; font-size: 0.9em; overflow-wrap: anywhere; }
code { background: #f4f4f4; padding: 0.1em 0.3em; overflow-wrap: anywhere; }
figure { margin: 0.5em 0; } \
figure img { max-width: 100%; height: auto; border: 1px solid #eee; cursor: zoom-in; }
details.older { margin-top: 1.5em; } details.older > summary { cursor: pointer; color: #444; }
#viewer { position: fixed; inset: 0; background: rgba(0, 0, 0, 0.85); overflow: auto; z-index: 10;
  cursor: zoom-out; } #viewer[hidden] { display: none; }
#viewer img { display: block; margin: 1em auto; max-width: none; background: #fff; }
@media (max-width: 800px) {
  .page { display: block; }
  #contents { position: sticky; top: 0; z-index: 5; background: #fff; max-height: 70vh; border-right: none;
    border-bottom: 1px solid #ccc; padding: 0.5em 1em; }
  main { padding: 0 0.8em 2em; }
}
"""

SCRIPT = """
function openViewer(img) {
  var viewer = document.getElementById("viewer");
  viewer.querySelector("img").src = img.src;
  viewer.hidden = false;
}
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target.matches("figure img")) { openViewer(target); }
  else if (target.closest("#viewer")) { document.getElementById("viewer").hidden = true; }
  if (target.matches("#contents a") && window.innerWidth <= 800) { target.closest("details").open = false; }
});
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape") { document.getElementById("viewer").hidden = true; }
});
window.addEventListener("load", function () {
  if (window.innerWidth <= 800) { document.querySelector("#contents details").open = false; }
  var images = Array.from(document.querySelectorAll("figure img"));
  var loaded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; }).length;
  document.body.setAttribute("data-images-loaded", String(loaded));
  document.body.setAttribute("data-images-total", String(images.length));
  var wide = document.documentElement.scrollWidth > document.documentElement.clientWidth;
  document.body.setAttribute("data-horizontal-scroll", String(wide));
  document.body.setAttribute("data-window-width", String(window.innerWidth));
});
"""


Figures = Callable[
    [Run], list[tuple[str, bytes, str]]
]  # a run's figures to embed: name, contents, MIME type


@dataclass
class Entry:
    """One experiment (or search) of the report: where it belongs, its latest run and the older ones."""

    key: str  # the anchor: "optimizers", "tune-STUDY"
    book: str
    source: str  # "6.1 Updating parameters · Figure 6-9"
    runs: list[Run] = field(
        default_factory=list
    )  # the shown run first, then the older, newest first


def placement(run: Run) -> tuple[str, str, str]:
    """(key, book, source) of a run: from its experiment's declaration, else from its summary."""
    if run.summary.get("kind") == "tune":
        return f"tune-{run.summary.get('study', run.folder.name)}", SEARCHES, ""
    try:
        experiment = load_lesson(run.name)
        book, parts = experiment.book, (experiment.section, experiment.figure)
    except (ValueError, TypeError):  # an experiment this version does not have
        book, parts = (
            str(run.summary.get("book", "")),
            (run.summary.get("section", ""), run.summary.get("figure", "")),
        )
    return run.name, book or OTHER, " · ".join(str(part) for part in parts if part)


def entries(runs: Iterable[Run]) -> list[Entry]:
    """The runs grouped by experiment and by book, in the chapters' order (searches last), the run
    to show first in each group."""
    grouped: dict[str, Entry] = {}
    for run in runs:
        key, book, source = placement(run)
        grouped.setdefault(key, Entry(key, book, source)).runs.append(run)
    for entry in grouped.values():
        entry.runs.sort(key=lambda run: (not run.quick, run.started), reverse=True)
        shown = entry.runs[0]
        entry.runs = [
            shown,
            *sorted(
                (r for r in entry.runs if r is not shown), key=lambda r: r.started, reverse=True
            ),
        ]
    order = {name: i for i, name in enumerate(list_lessons())}
    chapters = sorted(grouped.values(), key=lambda e: (order.get(e.key, len(order)), e.key))
    return sorted(chapters, key=lambda e: book_rank(e.book, [entry.book for entry in chapters]))


def book_rank(book: str, books: list[str]) -> tuple[int, int]:
    """Books in the order their first experiment comes in the chapters; the unplaced ones, then
    searches, last."""
    return (book == OTHER) + 2 * (book == SEARCHES), books.index(book)


def build_report(
    root: str | Path = "runs",
    out: str | Path | None = None,
    *,
    all_runs: bool = False,
    prefer: str = "png",
    redraw_as: FigureOptions | None = None,
) -> Path:
    """Write the report of the complete runs under ``root`` to ``out`` (default ``root/report.html``).

    ``all_runs``: the older runs of each experiment too; ``prefer``: the figure format embedded
    where a run has both (png or svg). ``redraw_as``: draw each run's figures again from its numbers
    in that resolution, style and (first) format, instead of embedding the saved ones (a run that
    cannot be redrawn, such as a search, keeps its saved figures, with a warning). A broken or
    incomplete run folder is skipped with a warning naming it (:mod:`.runs`)."""
    if prefer not in REPORT_FORMATS:
        raise ValueError(
            f"--format {prefer}: the report embeds {' or '.join(REPORT_FORMATS)} figures"
        )
    if redraw_as is not None and redraw_as.formats[0] not in REPORT_FORMATS:
        raise ValueError(
            f"--format {redraw_as.formats[0]}: the report embeds {' or '.join(REPORT_FORMATS)} figures"
        )
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"no runs at {root}: run an experiment first (trainlab run NAME)")
    found = entries(load_runs(root))
    if not found:
        raise FileNotFoundError(f"no complete experiment runs under {root}")
    out = Path(out) if out is not None else (root if root.is_dir() else root.parent) / "report.html"
    shown = sum(len(entry.runs) if all_runs else 1 for entry in found)
    older = sum(len(entry.runs) - 1 for entry in found)
    hidden = (
        f"; {older} older run(s) not shown (trainlab report --all shows them)"
        if older and not all_runs
        else ""
    )
    body = "".join(
        render_book(
            book,
            list(group),
            all_runs,
            functools.partial(figures_of, prefer=prefer, redraw_as=redraw_as),
        )
        for book, group in itertools.groupby(found, key=lambda entry: entry.book)
    )
    generated = datetime.now().strftime("%Y-%m-%d %H:%M")
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>trainlab report</title>"
        f"<style>{STYLE}</style></head><body><div class='page'>{contents(found)}<main>"
        f"<h1>trainlab lessons</h1><p class='meta'>{shown} run(s) from {html.escape(str(root))}, "
        f"generated {generated}{hidden}. Click a figure to see it full size.</p>{overview(found)}{body}"
        "</main></div>"
        "<div id='viewer' hidden><img alt='the figure, full size'></div>"
        f"<script>{SCRIPT}</script></body></html>"
    )
    return write_text(
        out, displayable(page)
    )  # a non-UTF-8 folder name or a "\ud800" in a summary: shown as �


def overview(found: list[Entry]) -> str:
    """A table of the shown runs' verdicts: how many of each lesson's claims agree with the book,
    and so on."""
    rows = []
    totals = dict.fromkeys(VERDICTS, 0)
    for entry in found:
        claims = entry.runs[0].summary.get("claims")
        if not isinstance(claims, list) or not claims:
            continue
        counts = count(
            [
                str(c.get("verdict"))
                for c in claims
                if isinstance(c, dict) and c.get("verdict") in VERDICTS
            ]
        )
        totals = {v: totals[v] + counts[v] for v in VERDICTS}
        rows.append(
            f"<tr><td><a href='#{anchor(entry.key)}'>{html.escape(entry.key)}</a>{quick_badge(entry.runs[0])}"
            "</td>" + "".join(f"<td>{counts[v]}</td>" for v in VERDICTS) + "</tr>"
        )
    if not rows:
        return ""
    head = "".join(f"<th><span class='verdict {v}'>{v}</span></th>" for v in VERDICTS)
    total = "<tr><th>all</th>" + "".join(f"<th>{totals[v]}</th>" for v in VERDICTS) + "</tr>"
    return (
        f"<h2>The book's claims, by verdict</h2><div class='scroll'><table><tr><th>lesson</th>{head}</tr>"
        f"{''.join(rows)}{total}</table></div>"
    )


def contents(found: list[Entry]) -> str:
    """The table of contents: books, and under each its experiments (quick runs marked)."""
    books = []
    for book, group in itertools.groupby(found, key=lambda entry: entry.book):
        items = "".join(
            f"<li><a href='#{anchor(e.key)}'>{html.escape(e.runs[0].summary['title'])}</a>"
            f"{quick_badge(e.runs[0])}</li>"
            for e in group
        )
        books.append(f"<li>{html.escape(book)}<ol>{items}</ol></li>")
    return (
        "<nav id='contents'><details open><summary>Contents</summary>"
        f"<ol>{''.join(books)}</ol></details></nav>"
    )


def render_book(book: str, group: list[Entry], all_runs: bool, figures: Figures) -> str:
    sections = []
    for entry in group:
        shown, older = entry.runs[0], entry.runs[1:]
        source = f"<p class='source'>{html.escape(entry.source)}</p>" if entry.source else ""
        parts = [
            f"<section class='experiment' id='{anchor(entry.key)}' "
            f"data-experiment='{html.escape(entry.key)}'>",
            source,
            f"<h3>{html.escape(shown.summary['title'])}{quick_badge(shown)}</h3>",
            render_run(shown, figures),
        ]
        if all_runs and older:
            parts.append(
                f"<details class='older'><summary>{len(older)} older run(s)</summary>"
                + "".join(
                    f"<h4>{html.escape(run.started)}{quick_badge(run)}</h4>{render_run(run, figures)}"
                    for run in older
                )
                + "</details>"
            )
        sections.append("".join(parts) + "</section>")
    return f"<h2 class='book'>{html.escape(book)}</h2>{''.join(sections)}"


def render_run(run: Run, figures: Figures) -> str:
    """One run: description, command and folder, notes, the key-results table, conclusions, figures."""
    summary = run.summary
    parts = [
        f"<p>{html.escape(str(summary['description']))}</p>",
        f"<p class='meta'>Command: <code>{html.escape(str(summary['command']))}</code> · run "
        f"{html.escape(run.started)} · folder <code>{html.escape(str(run.folder))}</code></p>",
    ]
    parts += [f"<p class='note'>{html.escape(str(note))}</p>" for note in summary.get("notes", [])]
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in summary["headers"])
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(format_cell(v))}</td>" for v in row) + "</tr>"
        for row in summary["rows"]
    )
    parts.append(f"<div class='scroll'><table><tr>{head}</tr>{rows}</table></div>")
    claims = summary.get("claims")
    if isinstance(claims, list) and claims:
        items = []
        for claim in (c for c in claims if isinstance(c, dict)):
            verdict = html.escape(str(claim.get("verdict")))
            items.append(
                f"<li><span class='verdict {verdict}'>{verdict}</span> "
                f"{html.escape(str(claim.get('sentence', '')))}</li>"
            )
        parts.append(f"<h4>The book's claims</h4><ul class='claims'>{''.join(items)}</ul>")
    else:
        parts.append(
            "<ul>"
            + "".join(f"<li>{html.escape(str(c))}</li>" for c in summary["conclusions"])
            + "</ul>"
        )
    for name, content, mime in figures(run):
        data = base64.b64encode(content).decode("ascii")
        parts.append(
            f"<figure><img alt='{html.escape(name)}' src='data:{mime};base64,{data}'></figure>"
        )
    return "".join(parts)


def figures_of(
    run: Run, prefer: str, redraw_as: FigureOptions | None
) -> list[tuple[str, bytes, str]]:
    """(file name, contents, MIME type) of each figure of ``run`` to embed: drawn again as
    ``redraw_as`` says, else (or where that fails, with a warning) the saved files, in the
    ``prefer`` format where there is a choice."""
    if redraw_as is not None:
        try:
            return redraw(run, redraw_as)
        except RedrawError as problem:
            warnings.warn(
                f"{run.folder}: figures not drawn again ({problem}); the saved ones are shown",
                RunSkippedWarning,
                stacklevel=2,
            )
    return [(path.name, path.read_bytes(), mime) for path, mime in run.figures(prefer)]


def quick_badge(run: Run) -> str:
    return (
        " <span class='badge quick' title='a seconds-long version (--quick)'>quick run</span>"
        if run.quick
        else ""
    )


def anchor(key: str) -> str:
    return "exp-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in key)
