"""Write docs/results.md from the newest full-size run of each experiment (figures copied to docs/results/).

    .venv/bin/python scripts/collect_results.py [RUNS]      # RUNS defaults to runs/

Quick runs (--quick) are skipped: the page records the full-size numbers and the commands that made them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from trainlab.experiments import list_experiments
from trainlab.experiments.base import Summary
from trainlab.experiments.runs import Run, load_runs
from trainlab.textio import write_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def newest_full_runs(runs: Path) -> dict[str, Run]:
    """The newest complete full-size run of each experiment (broken folders are skipped with a warning)."""
    newest: dict[str, Run] = {}
    for run in sorted(load_runs(runs), key=lambda run: run.started):
        if not run.quick:
            newest[run.name] = run
    return newest


def section(name: str, run: Run) -> str:
    summary = run.summary
    target = DOCS / "results" / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    figures = [path.name for path, _ in run.figures()]
    for figure in figures:
        shutil.copy(run.folder / figure, target / figure)
    table = Summary(summary["headers"], summary["rows"], summary["conclusions"]).table_markdown()
    lines = [f"## {summary['title']} (`{name}`)", "", summary["description"], "",
             f"Command: `{summary['command']}` — run {run.started}, {run.facts.get('seconds', 0):.0f} s.", ""]
    notes = summary.get("notes", [])
    lines += [f"> **Note:** {note}" for note in notes] + ([""] if notes else [])
    lines += [table, ""] + [f"- {line}" for line in summary["conclusions"]] + [""]
    lines += [f"![{name} {figure}](results/{name}/{figure})" for figure in figures] + [""]
    return "\n".join(lines)


def main() -> None:
    runs = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "runs"
    newest = newest_full_runs(runs)
    sections = [section(name, newest[name]) for name in list_experiments() if name in newest]
    missing = [name for name in list_experiments() if name not in newest]
    header = [
        "# Results of the full-size experiments", "",
        "Each section is the newest full-size run of one experiment: the command that made it, the key numbers",
        "and the conclusions the numbers support (computed by the experiment's `summarize`, not written by hand).",
        "Regenerate with `trainlab run all` and then `python scripts/collect_results.py`.", "",
    ]
    if missing:
        header += [f"Not run at full size yet: {', '.join(missing)}.", ""]
    write_text(DOCS / "results.md", "\n".join(header + sections))
    print(f"wrote {DOCS / 'results.md'} ({len(sections)} experiments)")


if __name__ == "__main__":
    main()
