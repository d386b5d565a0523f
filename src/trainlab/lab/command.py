"""The experiment commands of ``trainlab``: ``list``, ``run NAME... | all`` and ``report [RUNS]``.

Parse, check every option before anything runs, dispatch to the runner, print. What a run leaves on disk is
the runner's business (:mod:`.runner`); this module says what happened: the key results, the folder and
files written, and the next command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from tqdm import tqdm

from trainlab.backend import usable_cores
from trainlab.figures import FigureOptions, add_figure_options
from trainlab.lab.compare import MAX_FIGURES, compare_runs, comparison_page, text_tables
from trainlab.lab.report import REPORT_FORMATS, build_report
from trainlab.lab.runner import (
    IncompleteRunError,
    Outcome,
    RunRecord,
    check_output_folder,
    make_config,
    run_many,
)
from trainlab.lessons import get_experiment, list_experiments, load_experiment
from trainlab.textio import print_table, text_table

BOOK_SHORT = {"Deep Learning from Scratch": "DLfS", "Hands-On Machine Learning": "HOML"}


def cmd_list(args: argparse.Namespace) -> int:
    """``trainlab list``: the experiments, in chapter order, with the book section each reproduces."""
    modules = {name: get_experiment(name) for name in list_experiments()}
    print_table([("experiment", "book section", "what it shows")]
                + [(name, f"{BOOK_SHORT.get(module.BOOK, module.BOOK)} {module.SECTION}", module.TITLE)
                   for name, module in modules.items()])
    return 0


def chosen_names(names: list[str]) -> list[str]:
    """The experiments asked for: 'all' means every one; each name checked (with a "did you mean")."""
    if "all" in names:
        if len(names) > 1:
            raise ValueError("'all' already runs every experiment; name no others with it")
        return list_experiments()
    for name in names:
        get_experiment(name)
    return list(dict.fromkeys(names))


def check_run_options(args: argparse.Namespace, names: list[str]) -> FigureOptions:
    """Every option of ``trainlab run`` checked, and every experiment's settings built, before anything runs."""
    if args.threads < 0:
        raise ValueError(f"--threads must be >= 0 (0: the BLAS library's default), got {args.threads}")
    if args.jobs < 0:
        raise ValueError(f"--jobs must be >= 0 (0: one per core, {usable_cores()} here), got {args.jobs}")
    if args.set and len(names) > 1:
        raise ValueError("--set changes one experiment's settings; name a single experiment to use it")
    for name in names:
        try:
            make_config(load_experiment(name), quick=args.quick, overrides=args.set, dataset=args.dataset,
                        seed=args.seed, data_dir=args.data_dir)
        except ValueError as error:
            raise ValueError(f"{name}: {error}" if len(names) > 1 else str(error)) from None
    check_output_folder(Path(args.out))
    return FigureOptions.from_args(args)


def cmd_run(args: argparse.Namespace) -> int:
    """``trainlab run NAME... | all``: run experiments, write runs/NAME/<timestamp>/, say what came out."""
    names = chosen_names(args.names)
    figures = check_run_options(args, names)
    jobs = args.jobs or usable_cores()
    outcomes = run_many(names, jobs=jobs, threads=args.threads or None, quick=args.quick, dataset=args.dataset,
                        seed=args.seed, data_dir=args.data_dir, overrides=args.set, out=args.out, figures=figures)
    if len(names) == 1:
        print(f"{names[0]}: {load_experiment(names[0]).title}{' (quick)' if args.quick else ''} ...", flush=True)
        outcome = next(outcomes)
        show_warnings([outcome])
        if outcome.error is not None:
            raise outcome.error
        print_record(outcome.record)
        print(f"next: trainlab report {args.out}   (one HTML page of every run; "
              f"trainlab compare RUN RUN compares two runs)")
        return 0
    finished = list(progress(outcomes, len(names), jobs))
    show_warnings(finished)
    return print_many(finished, args.out)


def progress(outcomes: Iterator[Outcome], total: int, jobs: int) -> Iterable[Outcome]:
    """One line per finished experiment, under one bar on a terminal."""
    print(f"running {total} experiments, {jobs} at a time", flush=True)
    bar = None
    if sys.stderr.isatty():
        bar = tqdm(total=total, desc="experiments", leave=False)
    write = bar.write if bar is not None else print
    for done, outcome in enumerate(outcomes, 1):
        status = f"{outcome.record.seconds:.1f} s" if outcome.record else f"FAILED: {one_line(outcome.error)}"
        write(f"[{done:>2}/{total}] {outcome.name}: {status}")
        if bar is not None:
            bar.update()
        yield outcome
    if bar is not None:
        bar.close()


def print_record(record: RunRecord) -> None:
    """The end of one run: notes, the key results table, the conclusions, the folder and its files."""
    summary = record.summary
    print(f"{record.name}{' (quick)' if record.quick else ''}: done in {record.seconds:.1f} s")
    for note in summary.notes:
        print(f"  note: {note}")
    print("\n".join(f"  {line}" for line in text_table([summary.headers, *summary.rows]).splitlines()))
    for line in summary.conclusions:
        print(f"  - {line}")
    print(f"written: {record.folder}/ ({', '.join(record.files)})")


def print_many(outcomes: list[Outcome], out: str) -> int:
    """The end of several runs: a table of them, the report, what failed, the next command."""
    order = {name: i for i, name in enumerate(list_experiments())}
    outcomes = sorted(outcomes, key=lambda outcome: order.get(outcome.name, len(order)))
    print_table([("experiment", "seconds", "folder")] + [
        (o.name, f"{o.record.seconds:.1f}", str(o.record.folder)) if o.record else (o.name, "-", "FAILED")
        for o in outcomes])
    failed = [o for o in outcomes if o.record is None]
    for outcome in failed:
        print(f"{outcome.name}: FAILED: {one_line(outcome.error)}", file=sys.stderr)
    print(f"{len(outcomes) - len(failed)}/{len(outcomes)} experiments ran")
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
    options = FigureOptions.from_args(args, REPORT_FORMATS)  # checked before anything is read or written
    redraw_as = options if args.dpi is not None or args.style is not None else None
    print(build_report(args.runs, args.out, all_runs=args.all, prefer=options.formats[0], redraw_as=redraw_as))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """``trainlab compare RUN RUN...``: the settings that differ, the key results side by side, curves overlaid."""
    if args.smooth is not None and args.smooth < 0:
        raise ValueError(f"--smooth takes a number of points >= 0 (0: no smoothing), got {args.smooth}")
    comparison = compare_runs(args.runs)
    # the page goes next to the runs' experiment folders, named from the experiment (letters and digits only)
    out = Path(args.out) if args.out else Path(args.runs[0]).parent.parent / comparison.file_name
    page = comparison_page(comparison, out, args.smooth)
    if args.json:
        print(json.dumps({**comparison.to_dict(), "page": str(page)}, indent=1))
        return 0
    differ = comparison.differing()
    print(f"{comparison.name}: {len(comparison.labels)} runs; {len(differ)} setting(s) differ, "
          f"{len(comparison.settings) - len(differ)} agree")
    for label, folder in zip(comparison.labels, comparison.folders, strict=True):
        print(f"  {label}: {folder}")
    for table in text_tables(comparison):
        print()
        print_table(table)
    shown = min(len(comparison.curves), MAX_FIGURES)
    print(f"\npage: {page} (every setting, the results, {shown} figure(s) of curves overlaid)")
    return 0


def complete_names(prefix: str, **_: object) -> list[str]:
    """The experiment names (and 'all') that start with ``prefix``: shell completion of ``trainlab run``."""
    return [name for name in [*list_experiments(), "all"] if name.startswith(prefix)]


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """``list``, ``run NAME... | all``, ``report [RUNS]`` and ``compare RUN RUN...``."""
    commands.add_parser("list", help="the experiments that `trainlab run` reproduces").set_defaults(
        handler=cmd_list)
    run = commands.add_parser("run", help="run experiments (or all): figures, metrics and a summary")
    names = run.add_argument("names", nargs="+", metavar="NAME", help="experiments from `trainlab list`, or 'all'")
    names.completer = complete_names  # read by argcomplete (shell completion), when installed
    run.add_argument("--quick", action="store_true", help="a small version that runs in seconds")
    run.add_argument("--dataset", help="mnist (default), fashion-mnist or mnist-mini")
    run.add_argument("--data-dir", metavar="DIR", help="a folder with the dataset's files, searched first")
    run.add_argument("--seed", type=int, help="the seed of every random number (default 0)")
    run.add_argument("--out", default="runs", metavar="DIR", help="where run folders go (default runs/)")
    run.add_argument("--threads", type=int, default=1, metavar="N",
                     help="BLAS threads per experiment (default 1: the same numbers on every machine, and no "
                          "slowdown when other work shares the cores; 0 = the library's default)")
    run.add_argument("--jobs", type=int, default=0, metavar="N",
                     help="experiments run at once, each in its own process (default 0: one per core); "
                          "the numbers are those of a serial run")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="change a setting of the experiment's config (repeatable), e.g. --set epochs=5")
    add_figure_options(run)
    run.set_defaults(handler=cmd_run)
    report = commands.add_parser("report", help="one HTML page of all runs, readable offline")
    report.add_argument("runs", nargs="?", default="runs", help="a runs folder or one run (default runs/)")
    report.add_argument("--out", metavar="FILE", help="the HTML file (default RUNS/report.html)")
    report.add_argument("--all", action="store_true",
                        help="every complete run, not only the latest of each experiment (older ones folded)")
    add_figure_options(report, REPORT_FORMATS, redraw=True)
    report.set_defaults(handler=cmd_report)
    compare = commands.add_parser("compare", help="compare runs of one experiment: settings, results, curves")
    compare.add_argument("runs", nargs="+", metavar="RUN", help="run folders (runs/NAME/<timestamp>), two or more")
    compare.add_argument("--out", metavar="FILE",
                         help="the HTML page (default: compare-NAME.html in the runs folder of the first run)")
    compare.add_argument("--smooth", type=int, metavar="N",
                         help="smooth the curves over N points, the raw curve faint behind (default: curves of "
                              "over 100 points over a fortieth of them; 0: none)")
    compare.add_argument("--json", action="store_true",
                         help="print the comparison as JSON (settings, results, claims, curves) instead of tables")
    compare.set_defaults(handler=cmd_compare)
