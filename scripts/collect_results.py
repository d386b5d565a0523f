"""Write docs/results.md from the newest full-size run of each lesson (figures to
docs/results/NAME/), and src/trainlab/lab/timings.json from those runs' times.

    .venv/bin/python scripts/collect_results.py [RUNS] [--quick QUICK_RUNS]

RUNS (default runs/) holds the full-size runs; QUICK_RUNS (optional) a `trainlab run all --quick`.
Each run's numbers (config.json, metrics.json) are evaluated again by the lesson's current code: its
claims' verdicts, its table and its figures, so that the words follow the code while the numbers
stay those of the run. The overview counts verdicts (agrees, contradicts, unsettled, untested),
never phrases. The teachers' table says, for each lesson, how its claims fare at full size, at the
notebook's size (the lesson run in memory with the settings its notebook uses, ``Config.NOTEBOOK``)
and in ``--quick``. docs/results/timing.md, if present, is appended.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

from trainlab.figures import close_figures
from trainlab.lab.claims import VERDICTS, Evaluation, count
from trainlab.lab.lesson import BOOK_SHORT, LessonModule, list_lessons, load_lesson
from trainlab.lab.runner import run_lesson
from trainlab.lab.runs import Run, load_runs
from trainlab.textio import markdown_table, read_json, write_json, write_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TIMINGS = ROOT / "src" / "trainlab" / "lab" / "timings.json"
UNIT_COSTS = ROOT / "benchmarks" / "data" / "unit_costs.json"
# the notebooks' code, to tell a lesson a notebook runs at full size from one no notebook runs
NOTEBOOK_CODE = "\n".join(path.read_text() for path in sorted((ROOT / "notebooks").glob("*.py")))


def newest(runs: Path, quick: bool) -> dict[str, Run]:
    """The newest complete run of each lesson, full-size or quick (broken folders skipped with a warning)."""
    found: dict[str, Run] = {}
    for run in sorted(load_runs(runs), key=lambda run: run.started):
        if run.quick == quick:
            found[run.name] = run
    return found


def evaluated(lesson: LessonModule, run: Run) -> tuple[list[Evaluation], object]:
    """The run's claims evaluated again by the current code, and its Runs."""
    runs = lesson.runs_from(
        read_json(run.folder / "config.json"), read_json(run.folder / "metrics.json")
    )
    return lesson.evaluate(runs), runs


def verdict_text(evaluations: list[Evaluation]) -> str:
    """ "4 of 5 agree, 1 contradicts" (what a teacher needs to know of a run)."""
    counts = count([e.verdict for e in evaluations])
    parts = [f"{counts['agrees']} of {len(evaluations)} agree"]
    parts += [f"{counts[v]} {v}" for v in VERDICTS[1:] if counts[v]]
    return ", ".join(parts)


def section(
    lesson: LessonModule, run: Run, seconds: float
) -> tuple[str, list[str], dict[str, int]]:
    """The lesson's section of the page, its overview row and its verdict counts (``seconds``: the
    CPU time its units took)."""
    evaluations, runs = evaluated(lesson, run)
    target = DOCS / "results" / lesson.name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    figures = lesson.plot(runs)
    for name, figure in figures.items():
        figure.savefig(target / f"{name}.png", dpi=100, bbox_inches="tight")
    close_figures(figures.values())
    headers, rows = lesson.table(runs)
    counts = count([e.verdict for e in evaluations])
    lines = [
        f"## {lesson.title} (`{lesson.name}`)",
        "",
        f"**Reproduces:** {lesson.about.reproduces()}.",
        "",
        run.summary["description"],
        "",
        f"Command: `{run.summary['command']}` — run {run.started}, {seconds / 60:.1f} CPU-minutes "
        "of training "
        f"over {len(runs.seeds)} seeds.",
        "",
    ]
    lines += [f"> **Note:** {note}" for note in run.summary.get("notes", [])]
    lines += ["", "**The book's claims, and what the runs say:**", ""]
    lines += [f"- **{e.verdict}** (`{e.claim.id}`): {e.sentence()}" for e in evaluations] + [""]
    lines += [markdown_table([headers, *rows]), ""]
    lines += [f"![{lesson.name} {name}](results/{lesson.name}/{name}.png)" for name in figures] + [
        ""
    ]
    book = BOOK_SHORT.get(lesson.book, lesson.book)
    row = [
        f"[`{lesson.name}`](#{anchor(lesson.title, lesson.name)})",
        f"{book} {lesson.section.split(' ')[0]}",
        *(str(counts[v]) for v in VERDICTS),
        f"{seconds / 60:.1f}",
    ]
    return "\n".join(lines), row, counts


def anchor(title: str, name: str) -> str:
    text = f"{title} (`{name}`)".lower()
    return "".join(c for c in text.replace(" ", "-") if c.isalnum() or c in "-_")


def teachers_row(lesson: LessonModule, full: Run | None, quick: Run | None) -> list[str]:
    """How the lesson's claims fare at full size, at the notebook's size and in --quick."""
    cells = [f"`{lesson.name}`"]
    cells.append(verdict_text(evaluated(lesson, full)[0]) if full else "not run")
    notebook = lesson.Config.NOTEBOOK
    if notebook:
        cells.append(verdict_text(run_lesson(lesson.name, **notebook).evaluations))
    elif f'run_lesson("{lesson.name}")' in NOTEBOOK_CODE:  # a notebook runs it as it is
        cells.append("full size (as the first column)")
    elif re.search(rf'run_lesson\(\s*"{re.escape(lesson.name)}"', NOTEBOOK_CODE):
        cells.append("sizes written in the notebook's cells (not re-run here)")
    else:
        cells.append("no notebook runs it")
    cells.append(verdict_text(evaluated(lesson, quick)[0]) if quick else "not run")
    return cells


def timings(
    full: dict[str, Run], quick: dict[str, Run], seconds: dict[str, float]
) -> dict[str, dict[str, dict[str, float]]]:
    """{lesson: {"full" | "quick": {"seconds", "units"}}} from the runs (trainlab list, the runner's
    ETA); a full run's seconds are its units' CPU time (``seconds``) where the cache holds them."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for size, runs in (("full", full), ("quick", quick)):
        for name, run in runs.items():
            units = len(read_json(run.folder / "metrics.json")["runs"])
            took = seconds.get(name) if size == "full" else None
            out.setdefault(name, {})[size] = {
                "seconds": round(float(run.facts.get("seconds", 0) if took is None else took), 1),
                "units": units,
            }
    return out


def cpu_seconds(full: dict[str, Run], costs: list[dict[str, object]]) -> dict[str, float]:
    """Each full run's CPU time, the sum of its units' (only where the cache held every unit)."""
    out = {}
    for name, run in full.items():
        mine = [float(c["seconds"]) for c in costs if c["lesson"] == name]  # type: ignore[arg-type]
        if len(mine) == len(read_json(run.folder / "metrics.json")["runs"]):
            out[name] = sum(mine)
    return out


def unit_costs(full: dict[str, Run], cache: Path) -> list[dict[str, object]]:
    """The measured CPU seconds of every unit of the full-size runs, from the cache that run filled
    (benchmarks/cluster_simulation.py replays them; CPU rather than wall time, which grows when the
    machine is shared). An entry is matched by its numbers, not by its key: the key also hashes the
    code, and a later edit of a lesson's text must not lose its costs. Units the cache no longer
    holds (or holds in an unreadable file) are left out."""
    costs = []
    for name, run in full.items():
        seconds = {}
        for path in sorted((cache / name).glob("*.json")):
            try:
                entry = read_json(path)
            except (ValueError, OSError):  # a damaged entry: the cache itself refuses it too
                continue
            if (
                isinstance(entry, dict)
                and {"setting", "seed", "cpu_seconds", "run"} <= entry.keys()
            ):
                key = entry["setting"], entry["seed"], canonical(entry["run"])
                seconds[key] = entry["cpu_seconds"]
        for entry in read_json(run.folder / "metrics.json")["runs"]:
            found = seconds.get((entry["setting"], entry["seed"], canonical(entry["run"])))
            if found is not None:
                costs.append(
                    {
                        "lesson": name,
                        "setting": entry["setting"],
                        "seed": entry["seed"],
                        "seconds": float(found),
                    }
                )
    return costs


def canonical(run: object) -> str:
    """A run's numbers as one string, the same for equal numbers however the JSON was laid out."""
    return json.dumps(run, sort_keys=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "runs", nargs="?", default=str(ROOT / "runs"), help="the full-size runs (default runs/)"
    )
    parser.add_argument(
        "--quick", metavar="RUNS", help="a folder of `trainlab run all --quick` runs"
    )
    parser.add_argument(
        "--no-notebook", action="store_true", help="skip the notebook-size column (it trains)"
    )
    args = parser.parse_args()
    full = newest(Path(args.runs), quick=False)
    quick = newest(Path(args.quick), quick=True) if args.quick else {}
    lessons = [load_lesson(name) for name in list_lessons()]
    costs = unit_costs(full, Path(args.runs) / ".cache")
    cpu = cpu_seconds(full, costs)
    built = [
        section(lesson, full[lesson.name], cpu.get(lesson.name, full[lesson.name].facts["seconds"]))
        for lesson in lessons
        if lesson.name in full
    ]
    totals = {v: sum(counts[v] for _, _, counts in built) for v in VERDICTS}
    overview = markdown_table(
        [
            ["lesson", "book", *VERDICTS, "CPU-minutes"],
            *(row for _, row, _ in built),
            ["**all**", "", *(f"**{totals[v]}**" for v in VERDICTS), ""],
        ]
    )
    teachers = markdown_table(
        [["lesson", "full size", "notebook size", "--quick"]]
        + [
            teachers_row(lesson, full.get(lesson.name), quick.get(lesson.name))
            if not args.no_notebook
            else [
                f"`{lesson.name}`",
                verdict_text(evaluated(lesson, full[lesson.name])[0])
                if lesson.name in full
                else "-",
                "-",
                verdict_text(evaluated(lesson, quick[lesson.name])[0])
                if lesson.name in quick
                else "-",
            ]
            for lesson in lessons
        ]
    )
    missing = [lesson.name for lesson in lessons if lesson.name not in full]
    header = [
        "# What the lessons found: the book's claims, verdict by verdict",
        "",
        "Each lesson declares the claims of the book it tests (`trainlab show NAME` lists them); "
        "each claim is",
        "measured on every seed and judged by one statistics engine (docs/lab.md): the 95 % interval of the",
        "difference (paired by seed where the runs pair) gives **agrees**, **contradicts**, "
        "**unsettled** (within",
        "the seed-to-seed noise) or **untested** (one seed, or the run cannot measure it). The "
        "sentences below are",
        "made from the verdicts and the numbers by `trainlab.lab.claims`; nothing on this page is "
        "counted from",
        "phrases. Each section is the newest full-size run of one lesson, its numbers evaluated "
        "by the current",
        "code. Regenerate with `trainlab run all` and then `python scripts/collect_results.py`.",
        "",
        overview,
        "",
        "## For teachers: which lessons reproduce the book at which size",
        "",
        "Full size is `trainlab run NAME`; notebook size is what the lesson's notebook runs (in "
        "about a minute);",
        "`--quick` is the seconds-long version the tests run, too small to settle most claims.",
        "",
        teachers,
        "",
    ]
    if missing:
        header += [f"Not run at full size for this page: {', '.join(missing)}.", ""]
    timing = DOCS / "results" / "timing.md"
    footer = [timing.read_text()] if timing.exists() else []
    write_text(DOCS / "results.md", "\n".join(header + [text for text, _, _ in built] + footer))
    write_json(TIMINGS, timings(full, quick, cpu))
    if costs:
        write_json(UNIT_COSTS, [{**c, "seconds": round(c["seconds"], 2)} for c in costs])
    print(f"wrote {DOCS / 'results.md'} ({len(built)} lessons: {totals}) and {TIMINGS}")


if __name__ == "__main__":
    main()
