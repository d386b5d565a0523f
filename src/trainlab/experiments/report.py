"""One self-contained HTML page of experiment runs (summaries and figures), readable offline.

Figures are embedded as data URIs, so the page can be copied or mailed on its own. A few lines of script
count the images the browser could decode and write the count into ``<body data-images-loaded=...>``:
the tests read that back from headless Chromium.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime
from pathlib import Path

from trainlab.experiments import list_experiments
from trainlab.experiments.runs import Run, load_runs
from trainlab.textio import format_cell, write_text

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { border-bottom: 2px solid #444; } h2 { margin-top: 2.5em; border-bottom: 1px solid #bbb; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; } th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
.note { background: #fff4d6; border-left: 4px solid #e0a800; padding: 0.5em 1em; }
.meta { color: #666; font-size: 0.9em; } img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
code { background: #f4f4f4; padding: 0.1em 0.3em; }
"""

SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.from(document.images);
  var loaded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; }).length;
  document.body.setAttribute("data-images-loaded", String(loaded));
  document.body.setAttribute("data-images-total", String(images.length));
});
"""


def build_report(root: str | Path = "runs", out: str | Path | None = None) -> Path:
    """Write the report of every complete run under ``root`` to ``out`` (default ``root/report.html``).

    A broken or incomplete run folder is skipped with a warning naming it (see :mod:`.runs`)."""
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"no runs at {root}: run an experiment first (trainlab run NAME)")
    order = {name: i for i, name in enumerate(list_experiments())}
    runs = sorted(load_runs(root), key=lambda run: (order.get(run.name, len(order)), run.name, run.started),
                  reverse=False)
    if not runs:
        raise FileNotFoundError(f"no complete experiment runs under {root}")
    out = Path(out) if out is not None else (root if root.is_dir() else root.parent) / "report.html"
    sections = [render_run(run) for run in runs]
    contents = "".join(f'<li><a href="#run-{i}">{html.escape(title)}</a></li>'
                       for i, (title, _) in enumerate(sections))
    body = "".join(f'<section id="run-{i}">{section}</section>' for i, (_, section) in enumerate(sections))
    generated = datetime.now().strftime("%Y-%m-%d %H:%M")
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>trainlab report</title>"
            f"<style>{STYLE}</style></head><body><h1>trainlab experiments</h1>"
            f"<p class='meta'>{len(runs)} run(s) from {html.escape(str(root))}, generated {generated}</p>"
            f"<ol>{contents}</ol>{body}<script>{SCRIPT}</script></body></html>")
    return write_text(out, page)


def render_run(run: Run) -> tuple[str, str]:
    summary = run.summary
    title = f"{summary['title']} ({run.folder.name})"
    parts = [f"<h2>{html.escape(title)}</h2>", f"<p>{html.escape(summary['description'])}</p>",
             f"<p class='meta'>Command: <code>{html.escape(summary['command'])}</code> · folder "
             f"<code>{html.escape(str(run.folder))}</code></p>"]
    parts += [f"<p class='note'>{html.escape(str(note))}</p>" for note in summary.get("notes", [])]
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in summary["headers"])
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(format_cell(v))}</td>" for v in row) + "</tr>"
                   for row in summary["rows"])
    parts.append(f"<table><tr>{head}</tr>{rows}</table>")
    parts.append("<ul>" + "".join(f"<li>{html.escape(str(c))}</li>" for c in summary["conclusions"]) + "</ul>")
    for path, mime in run.figures():
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(f"<img alt='{html.escape(path.name)}' src='data:{mime};base64,{data}'>")
    return title, "".join(parts)
