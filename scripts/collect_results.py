"""Write docs/results.md from the newest full-size run of each experiment (figures copied to docs/results/).

    .venv/bin/python scripts/collect_results.py [RUNS]      # RUNS defaults to runs/

Quick runs (--quick) are skipped: the page records the full-size numbers and the commands that made them.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from trainlab.experiments import list_experiments
from trainlab.experiments.base import Summary

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def newest_full_run(runs: Path, name: str) -> Path | None:
    folders = [p.parent for p in (runs / name).glob("*/summary.json")
               if "--quick" not in json.loads(p.read_text())["command"]]
    return max(folders, key=lambda folder: folder.name, default=None)


def section(name: str, folder: Path) -> str:
    summary = json.loads((folder / "summary.json").read_text())
    run = json.loads((folder / "run.json").read_text())
    target = DOCS / "results" / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for figure in summary["figures"]:
        shutil.copy(folder / figure, target / figure)
    table = Summary(summary["headers"], summary["rows"], summary["conclusions"]).table_markdown()
    lines = [f"## {summary['title']} (`{name}`)", "", summary["description"], "",
             f"Command: `{summary['command']}` — run {run['started']}, {run['seconds']:.0f} s.", ""]
    lines += [f"> **Note:** {note}" for note in summary["notes"]] + ([""] if summary["notes"] else [])
    lines += [table, ""] + [f"- {line}" for line in summary["conclusions"]] + [""]
    lines += [f"![{name} {figure}](results/{name}/{figure})" for figure in summary["figures"]] + [""]
    return "\n".join(lines)


def main() -> None:
    runs = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "runs"
    sections, missing = [], []
    for name in list_experiments():
        folder = newest_full_run(runs, name)
        if folder is None:
            missing.append(name)
        else:
            sections.append(section(name, folder))
    header = [
        "# Results of the full-size experiments", "",
        "Each section is the newest full-size run of one experiment: the command that made it, the key numbers",
        "and the conclusions the numbers support (computed by the experiment's `summarize`, not written by hand).",
        "Regenerate with `trainlab run all` and then `python scripts/collect_results.py`.", "",
    ]
    if missing:
        header += [f"Not run at full size yet: {', '.join(missing)}.", ""]
    (DOCS / "results.md").write_text("\n".join(header + sections))
    print(f"wrote {DOCS / 'results.md'} ({len(sections)} experiments)")


if __name__ == "__main__":
    main()
