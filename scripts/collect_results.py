"""Write docs/results.md from the newest full-size run of each experiment (figures to docs/results/NAME/).

    .venv/bin/python scripts/collect_results.py [RUNS]      # RUNS defaults to runs/

Quick runs (--quick) are skipped: the page records the full-size numbers and the commands that made them.
Each run's numbers (metrics.json) are summarized and plotted again by the experiment's current code, so the
words and figures follow the code while the numbers stay those of the run; a run whose metrics the current
code cannot read keeps its own summary.json and figures. docs/results/timing.md, if present, is appended.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

from trainlab.lab.common import result_from_plain
from trainlab.lab.legacy import Summary
from trainlab.lab.lesson import lesson_module, list_lessons
from trainlab.lab.runs import Run, load_runs
from trainlab.textio import write_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
AGREE = ("As in the book", "as in the book", "as the book says", "supports the book", "this run agrees",
         "the book's lesson")
DISAGREE = ("Unlike the book", "unlike the book", "does not support", "does not confirm", "this run disagrees")
UNSETTLED = ("not tested by a run",)  # the difference is within the seed-to-seed noise: neither side


def newest_full_runs(runs: Path) -> dict[str, Run]:
    """The newest complete full-size run of each experiment (broken folders are skipped with a warning)."""
    newest: dict[str, Run] = {}
    for run in sorted(load_runs(runs), key=lambda run: run.started):
        if not run.quick:
            newest[run.name] = run
    return newest


def fresh(module: ModuleType, run: Run, target: Path) -> tuple[Summary, list[str]]:
    """The run summarized and plotted by the current code; the run's own summary and figures if that fails."""
    try:
        result = result_from_plain(module.Result, json.loads((run.folder / "metrics.json").read_text()))
        summary = module.summarize(result)
        figures = module.plot(result)
    except (KeyError, TypeError, ValueError, IndexError) as problem:
        print(f"{run.folder}: kept its own summary ({type(problem).__name__}: {problem})")
        data = run.summary
        for path, _ in run.figures():
            shutil.copy(path, target / path.name)
        return (Summary(data["headers"], data["rows"], data["conclusions"], data.get("notes", [])),
                [path.name for path, _ in run.figures()])
    for name, figure in figures.items():
        figure.savefig(target / f"{name}.png", dpi=100, bbox_inches="tight")
    return summary, [f"{name}.png" for name in figures]


def agreement(conclusions: list[str]) -> tuple[int, int, int]:
    """How many conclusions say the book's statement holds, how many say it does not, and how many say that the
    run cannot tell (the difference within the seed-to-seed noise)."""
    return tuple(sum(any(phrase in line for phrase in phrases) for line in conclusions)
                 for phrases in (AGREE, DISAGREE, UNSETTLED))


def passage(module: ModuleType) -> str:
    parts = [getattr(module, key, "") for key in ("BOOK", "SECTION", "FIGURE")]
    return ", ".join(part for part in parts if part) or "trainlab's own"


def section(name: str, run: Run) -> tuple[str, list]:
    module = lesson_module(name)
    target = DOCS / "results" / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    summary, figures = fresh(module, run, target)
    agree, disagree, unsettled = agreement(summary.conclusions)
    seconds = run.facts.get("seconds", 0)
    lines = [f"## {run.summary['title']} (`{name}`)", "", f"**Reproduces:** {passage(module)}.", ""]
    if getattr(module, "BOOK_SAYS", ""):
        lines += [f"**The book:** {module.BOOK_SAYS}", ""]
    lines += [module.DESCRIPTION, "", f"Command: `{run.summary['command']}` — run {run.started}, {seconds:.0f} s.",
              ""]
    lines += [f"> **Note:** {note}" for note in summary.notes] + ([""] if summary.notes else [])
    lines += [summary.table_markdown(), "", "**Ours, against the book:**", ""]
    lines += [f"- {line}" for line in summary.conclusions] + [""]
    lines += [f"![{name} {figure}](results/{name}/{figure})" for figure in figures] + [""]
    return "\n".join(lines), [f"[`{name}`](#{anchor(run.summary['title'], name)})", passage(module),
                              str(agree), str(disagree), str(unsettled), f"{seconds:.0f}"]


def anchor(title: str, name: str) -> str:
    text = f"{title} ({name})".lower()
    return "".join(c for c in text.replace(" ", "-") if c.isalnum() or c in "-_")


def main() -> None:
    runs = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "runs"
    newest = newest_full_runs(runs)
    built = [section(name, newest[name]) for name in list_lessons() if name in newest]
    missing = [name for name in list_lessons() if name not in newest]
    headers = ["experiment", "reproduces", "conclusions agreeing with the book", "disagreeing",
               "not settled (within the noise)", "run seconds"]
    overview = Summary(headers, [row for _, row in built], []).table_markdown()
    header = [
        "# Results of the full-size experiments", "",
        "Each section is the newest full-size run of one experiment: the passage of the book it reproduces, what",
        "the book states there, the command that made the run, the key numbers and the conclusions the numbers",
        "support (computed by the experiment's `summarize`, not written by hand). Numbers are mean ± sd over the",
        "seeds; a difference counts only where it exceeds the seed-to-seed noise, twice the standard error of",
        "the difference (2·√(sd₁²/n₁ + sd₂²/n₂)). Regenerate with `trainlab run all` and then",
        "`python scripts/collect_results.py`. The overview counts the conclusions that agree with the book, those",
        "that disagree, and those the run cannot settle (a difference within the seed-to-seed noise).", "",
        overview, "",
    ]
    if missing:
        header += [f"Not run at full size for this page: {', '.join(missing)}.", ""]
    timing = DOCS / "results" / "timing.md"
    footer = [timing.read_text()] if timing.exists() else []
    write_text(DOCS / "results.md", "\n".join(header + [text for text, _ in built] + footer))
    print(f"wrote {DOCS / 'results.md'} ({len(built)} experiments)")


if __name__ == "__main__":
    main()
