"""The lab's commands of ``trainlab``: ``list``, ``show NAME``, ``run NAME... | all``, ``report``
and ``compare``.

Parse, check every option before anything runs, dispatch to the runner, print. What a run leaves on
disk is the runner's business (:mod:`.runner`); this module says what happened: the book's claims
and their verdicts, the key numbers, the folder and files written, and the next command.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import shutil
import signal
import sys
import textwrap
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trainlab.backend import usable_cores
from trainlab.cluster import CLUSTER_VARIABLE, cluster_address
from trainlab.figures import FigureOptions, add_figure_options
from trainlab.lab.compare import MAX_FIGURES, compare_runs, comparison_page, text_tables
from trainlab.lab.lesson import BOOK_SHORT, list_lessons, load_lesson
from trainlab.lab.progress import duration
from trainlab.lab.report import REPORT_FORMATS, build_report
from trainlab.lab.runner import (
    IncompleteRunError,
    Interrupted,
    Outcome,
    RunRecord,
    check_output_folder,
    make_config,
)
from trainlab.lab.runner import run_lessons as run_units
from trainlab.lab.settings import declared, rule, value_text
from trainlab.lab.timings import measured
from trainlab.textio import print_table, text_table

VERDICT_WORDS = {
    "agrees": "agrees",
    "contradicts": "CONTRADICTS",
    "unsettled": "unsettled",
    "untested": "untested",
}


def time_text(name: str, size: str) -> str:
    """The measured time of a lesson's run ("12 min"), or "-" where none was measured."""
    entry = measured(name, size)
    return duration(entry["seconds"]) if entry else "-"


def lesson_facts(name: str) -> dict[str, Any]:
    lesson = load_lesson(name)
    book = BOOK_SHORT.get(lesson.book, lesson.book)
    return {
        "name": name,
        "title": lesson.title,
        "book": lesson.book,
        "section": lesson.section,
        "figure": lesson.figure,
        "source": f"{book} {lesson.section.split(' ')[0]}",
        "full_time": time_text(name, "full"),
        "quick_time": time_text(name, "quick"),
        "claims": [c.id for c in lesson.claims],
    }


def cmd_list(args: argparse.Namespace) -> int:
    """``trainlab list``: the lessons in the chapters' order, the passage each reproduces and its time."""
    facts = [lesson_facts(name) for name in list_lessons()]
    if args.json:
        print(json.dumps(facts, indent=1))
        return 0
    width = max(60, min(100, shutil.get_terminal_size((100, 24)).columns))
    rows = [("lesson", "book", "full", "quick", "what it shows")]
    rows += [(f["name"], f["source"], f["full_time"], f["quick_time"], f["title"]) for f in facts]
    fixed = sum(max(len(str(r[i])) for r in rows) + 2 for i in range(4))
    print_table(
        [
            (*row[:4], textwrap.shorten(row[4], max(20, width - fixed), placeholder="…"))
            for row in rows
        ]
    )
    print(
        "times: one core per unit, on the machine docs/results.md was made on; `trainlab show NAME` for more"
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """``trainlab show NAME``: a lesson's passage, description, settings (full and quick), claims and time."""
    lesson = load_lesson(args.name)
    full, quick = lesson.Config(), lesson.Config().quick()
    hints = typing.get_type_hints(lesson.Config)
    settings = [
        {
            "name": f.name,
            "full": getattr(full, f.name),
            "quick": getattr(quick, f.name),
            "allowed": rule(hints[f.name], declared(lesson.Config, f.name)),
        }
        for f in dataclasses.fields(full)
        if f.name != "data_dir"
    ]
    facts = lesson_facts(args.name)
    description = lesson.describe(full)
    claims = [
        {"id": c.id, "book": c.book, "source": c.source, "measure": c.measure.name}
        for c in lesson.claims
    ]
    if args.json:
        print(
            json.dumps(
                {**facts, "description": description, "settings": settings, "claims": claims},
                indent=1,
                default=str,
            )
        )
        return 0
    print(f"{args.name}: {lesson.title}")
    print(f"reproduces: {', '.join(p for p in (lesson.book, lesson.section, lesson.figure) if p)}")
    print(
        f"time: {facts['full_time']} full size, {facts['quick_time']} with --quick (one core per unit)\n"
    )
    print(textwrap.fill(description, 100) + "\n")
    print_table(
        [("setting", "full size", "--quick", "allowed")]
        + [
            (s["name"], value_text(s["full"]), value_text(s["quick"]), s["allowed"])
            for s in settings
        ]
    )
    if claims:
        print("\nthe book's claims it tests:")
        for c in claims:
            print(
                textwrap.fill(
                    f"{c['id']}: {c['book']} ({c['source']}; measured as {c['measure']})",
                    100,
                    initial_indent="  ",
                    subsequent_indent="    ",
                )
            )
    print(f"\nrun it: trainlab run {args.name} [--quick] [--set KEY=VALUE]")
    return 0


def chosen_names(names: list[str]) -> list[str]:
    """The lessons asked for: 'all' means every one; each name checked (with a "did you mean")."""
    if "all" in names:
        if len(names) > 1:
            raise ValueError("'all' already runs every lesson; name no others with it")
        return list_lessons()
    for name in names:
        load_lesson(name)
    return list(dict.fromkeys(names))


def check_run_options(args: argparse.Namespace, names: list[str]) -> FigureOptions:
    """Every option of ``trainlab run`` checked, and every lesson's settings built, before anything runs."""
    if args.threads < 0:
        raise ValueError(
            f"--threads must be >= 0 (0: the BLAS library's default), got {args.threads}"
        )
    if args.jobs < 0:
        raise ValueError(
            f"--jobs must be >= 0 (0: one per core, {usable_cores()} here), got {args.jobs}"
        )
    if args.seeds is not None and args.seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
    if args.set and len(names) > 1:
        raise ValueError("--set changes one lesson's settings; name a single lesson to use it")
    for name in names:
        lesson = load_lesson(name)
        try:
            make_config(lesson, quick=args.quick, overrides=args.set, **shared_changes(args))
        except ValueError as error:
            raise ValueError(f"{name}: {error}" if len(names) > 1 else str(error)) from None
    check_output_folder(Path(args.out))
    return FigureOptions.from_args(args)


def shared_changes(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "seed": args.seed,
        "seeds": args.seeds,
        "dataset": args.dataset,
        "data_dir": args.data_dir,
    }


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, ``timeout``, a CI cancel) stops a run as Ctrl-C does: queued units
    cancelled, workers ended, finished lessons kept."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_run(args: argparse.Namespace) -> int:
    """``trainlab run NAME... | all``: run lessons, write runs/NAME/<timestamp>/, say what came out."""
    names = chosen_names(args.names)
    figures = check_run_options(args, names)
    jobs = args.jobs or usable_cores()
    cluster = cluster_address(args.cluster)
    where = f"the Dask cluster at {cluster}" if cluster else f"{jobs} worker{'s' * (jobs != 1)}"
    print(
        f"running {len(names)} lesson{'s' * (len(names) != 1)}{' (quick)' if args.quick else ''} on {where}; "
        f"finished units are kept in {Path(args.out) / '.cache'} (--fresh trains them again)",
        flush=True,
    )
    outcomes: list[Outcome] = []
    try:
        with sigterm_as_interrupt():
            for outcome in run_units(
                names,
                quick=args.quick,
                overrides=args.set,
                out=args.out,
                jobs=jobs,
                cluster=cluster,
                threads=args.threads or None,
                fresh=args.fresh,
                figures=figures,
                **shared_changes(args),
            ):
                outcomes.append(outcome)
                if len(names) > 1:
                    print_line(outcome)
    except Interrupted as stop:
        print(
            f"trainlab run: interrupted; finished: {', '.join(stop.finished) or 'no lesson'} "
            f"({stop.cached_units} units kept in the cache: the same command goes on from there)",
            file=sys.stderr,
        )
        return 130
    show_warnings(outcomes)
    if len(names) == 1:
        outcome = outcomes[0]
        if outcome.error is not None:
            raise outcome.error
        print_record(outcome.record)
        print(
            f"next: trainlab report {args.out}   (one HTML page of every run; "
            f"trainlab compare RUN RUN compares two runs)"
        )
        return 0
    return print_many(outcomes, args.out)


def print_line(outcome: Outcome) -> None:
    if outcome.record is None:
        print(f"{outcome.name}: FAILED: {one_line(outcome.error)}", flush=True)
        return
    counts = verdict_counts(outcome.record)
    print(f"{outcome.name}: {duration(outcome.record.seconds)}; {counts}", flush=True)


def verdict_counts(record: RunRecord) -> str:
    verdicts = [claim["verdict"] for claim in record.summary.get("claims", [])]
    return (
        ", ".join(f"{verdicts.count(v)} {v}" for v in VERDICT_WORDS if verdicts.count(v))
        or "no claims"
    )


def print_record(record: RunRecord) -> None:
    """The end of one run: notes, the claims with their verdicts, the key numbers, the folder and
    its files."""
    summary = record.summary
    print(
        f"{record.name}{' (quick)' if record.quick else ''}: done ({duration(record.seconds)} of training)"
    )
    for note in summary["notes"]:
        print(textwrap.fill(f"note: {note}", 100, initial_indent="  ", subsequent_indent="    "))
    for claim in summary["claims"]:
        print(
            textwrap.fill(
                f"[{VERDICT_WORDS[claim['verdict']]}] {claim['sentence']}",
                100,
                initial_indent="  ",
                subsequent_indent="    ",
            )
        )
    if not summary["claims"]:
        for line in summary["conclusions"]:
            print(f"  - {line}")
    print(
        "\n".join(
            f"  {line}" for line in text_table([summary["headers"], *summary["rows"]]).splitlines()
        )
    )
    print(f"written: {record.folder}/ ({', '.join(record.files)})")


def print_many(outcomes: list[Outcome], out: str) -> int:
    """The end of several runs: a table of them with their verdicts, the report, what failed."""
    order = {name: i for i, name in enumerate(list_lessons())}
    outcomes = sorted(outcomes, key=lambda outcome: order.get(outcome.name, len(order)))
    print_table(
        [("lesson", "training", "claims", "folder")]
        + [
            (o.name, duration(o.record.seconds), verdict_counts(o.record), str(o.record.folder))
            if o.record
            else (o.name, "-", "-", "FAILED")
            for o in outcomes
        ]
    )
    failed = [o for o in outcomes if o.record is None]
    for outcome in failed:
        print(f"{outcome.name}: FAILED: {one_line(outcome.error)}", file=sys.stderr)
    print(f"{len(outcomes) - len(failed)}/{len(outcomes)} lessons ran")
    if len(failed) < len(outcomes):
        report = build_report(out)
        print(f"report: {report}\nnext: open {report} in a browser (one self-contained page)")
    return 1 if failed else 0


def show_warnings(outcomes: list[Outcome]) -> None:
    """Each distinct warning of the runs once."""
    for message in dict.fromkeys(message for outcome in outcomes for message in outcome.warnings):
        print(f"trainlab: warning: {message}", file=sys.stderr)


def one_line(error: BaseException | None) -> str:
    if isinstance(error, IncompleteRunError | ValueError | OSError):
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"{type(error).__name__}: {error}".splitlines()[0]


def cmd_report(args: argparse.Namespace) -> int:
    """``trainlab report [RUNS]``: one offline HTML page of the runs' summaries and figures."""
    options = FigureOptions.from_args(
        args, REPORT_FORMATS
    )  # checked before anything is read or written
    redraw_as = options if args.dpi is not None or args.style is not None else None
    print(
        build_report(
            args.runs, args.out, all_runs=args.all, prefer=options.formats[0], redraw_as=redraw_as
        )
    )
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """``trainlab compare RUN RUN...``: the settings that differ, the key results side by side,
    curves overlaid."""
    if args.smooth is not None and args.smooth < 0:
        raise ValueError(
            f"--smooth takes a number of points >= 0 (0: no smoothing), got {args.smooth}"
        )
    comparison = compare_runs(args.runs)
    # the page goes next to the runs' experiment folders, named from the experiment (letters and digits only)
    out = Path(args.out) if args.out else Path(args.runs[0]).parent.parent / comparison.file_name
    page = comparison_page(comparison, out, args.smooth)
    if args.json:
        print(json.dumps({**comparison.to_dict(), "page": str(page)}, indent=1))
        return 0
    differ = comparison.differing()
    print(
        f"{comparison.name}: {len(comparison.labels)} runs; {len(differ)} setting(s) differ, "
        f"{len(comparison.settings) - len(differ)} agree"
    )
    for label, folder in zip(comparison.labels, comparison.folders, strict=True):
        print(f"  {label}: {folder}")
    for table in text_tables(comparison):
        print()
        print_table(table)
    shown = min(len(comparison.curves), MAX_FIGURES)
    print(f"\npage: {page} (every setting, the results, {shown} figure(s) of curves overlaid)")
    return 0


def complete_names(prefix: str, **_: object) -> list[str]:
    """The lesson names (and 'all') that start with ``prefix``: shell completion of ``trainlab run``."""
    return [name for name in [*list_lessons(), "all"] if name.startswith(prefix)]


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """``list``, ``show NAME``, ``run NAME... | all``, ``report [RUNS]`` and ``compare RUN RUN...``."""
    listing = commands.add_parser(
        "list", help="the lessons that `trainlab run` reproduces, and their times"
    )
    listing.add_argument("--json", action="store_true", help="as JSON, for scripts")
    listing.set_defaults(handler=cmd_list)
    show = commands.add_parser(
        "show", help="one lesson: its passage, settings (full and quick), claims, time"
    )
    show.add_argument(
        "name", metavar="NAME", help="a lesson from `trainlab list`"
    ).completer = complete_names
    show.add_argument("--json", action="store_true", help="as JSON, for scripts")
    show.set_defaults(handler=cmd_show)
    run = commands.add_parser(
        "run", help="run lessons (or all): their claims' verdicts, figures, metrics"
    )
    names = run.add_argument(
        "names", nargs="+", metavar="NAME", help="lessons from `trainlab list`, or 'all'"
    )
    names.completer = complete_names  # read by argcomplete (shell completion), when installed
    run.add_argument("--quick", action="store_true", help="a small version that runs in seconds")
    run.add_argument("--dataset", help="mnist (default), fashion-mnist or mnist-mini")
    run.add_argument(
        "--data-dir", metavar="DIR", help="a folder with the dataset's files, searched first"
    )
    run.add_argument("--seed", type=int, help="the first seed (default 0)")
    run.add_argument(
        "--seeds",
        type=int,
        metavar="N",
        help="how many seeds (runs of each setting) to measure (default: each lesson's own)",
    )
    run.add_argument(
        "--out", default="runs", metavar="DIR", help="where run folders go (default runs/)"
    )
    run.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="BLAS threads per unit (default 1: the same numbers on every machine of one CPU kind, "
        "and no slowdown when other work shares the cores; 0 = the library's default)",
    )
    run.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="local worker processes (default 0: one per core); the numbers are those of --jobs 1",
    )
    run.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help=f"a Dask scheduler (tcp://HOST:8786) whose workers run the units (default: "
        f"${CLUSTER_VARIABLE} if set, else local processes; pip install 'trainlab[cluster]')",
    )
    run.add_argument(
        "--fresh", action="store_true", help="train every unit again, not from the cache"
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a setting of the lesson (repeatable), e.g. --set epochs=5; "
        "`trainlab show NAME` lists them",
    )
    add_figure_options(run)
    run.set_defaults(handler=cmd_run)
    report = commands.add_parser("report", help="one HTML page of all runs, readable offline")
    report.add_argument(
        "runs", nargs="?", default="runs", help="a runs folder or one run (default runs/)"
    )
    report.add_argument("--out", metavar="FILE", help="the HTML file (default RUNS/report.html)")
    report.add_argument(
        "--all",
        action="store_true",
        help="every complete run, not only the latest of each lesson (older ones folded)",
    )
    add_figure_options(report, REPORT_FORMATS, redraw=True)
    report.set_defaults(handler=cmd_report)
    compare = commands.add_parser(
        "compare", help="compare runs of one lesson: settings, results, curves"
    )
    compare.add_argument(
        "runs", nargs="+", metavar="RUN", help="run folders (runs/NAME/<timestamp>), two or more"
    )
    compare.add_argument(
        "--out",
        metavar="FILE",
        help="the HTML page (default: compare-NAME.html in the runs folder of the first run)",
    )
    compare.add_argument(
        "--smooth",
        type=int,
        metavar="N",
        help="smooth the curves over N points, the raw curve faint behind (default: curves of "
        "over 100 points over a fortieth of them; 0: none)",
    )
    compare.add_argument(
        "--json",
        action="store_true",
        help="print the comparison as JSON (settings, results, claims, curves) instead of tables",
    )
    compare.set_defaults(handler=cmd_compare)
