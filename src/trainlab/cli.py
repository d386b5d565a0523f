"""The ``trainlab`` command: parse arguments, dispatch to the library, print. No logic of its own."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import trainlab
from trainlab.textio import print_table
from trainlab.tune.command import add_parser as add_tune_parser

if TYPE_CHECKING:
    from trainlab.data.inventory import DatasetStatus


def cmd_gradcheck(args: argparse.Namespace) -> int:
    from trainlab.gradcheck import TOLERANCE, run_gradcheck

    rows = run_gradcheck(seed=args.seed)
    table = [("model", "parameter", "shape", "relative error", "result")] + [
        (row.model, row.parameter, str(row.shape), f"{row.relative_error:.2e}", "ok" if row.passed else "FAIL")
        for row in rows
    ]
    print_table(table)
    failed = [row for row in rows if not row.passed]
    worst = max(row.relative_error for row in rows)
    print(f"{len(rows) - len(failed)}/{len(rows)} gradients agree (max relative error {worst:.2e}, "
          f"tolerance {TOLERANCE:.0e})")
    return 1 if failed else 0


def cmd_data(args: argparse.Namespace) -> int:
    """``trainlab data list | info NAME | path NAME | download NAME``: what trainlab.data reports or does."""
    from trainlab.data.download import download_dataset
    from trainlab.data.inventory import dataset_status, list_datasets

    if args.data_command == "list":
        return _print_data_list(list_datasets(args.data_dir))
    status = dataset_status(args.name, args.data_dir, verify=getattr(args, "verify", False))
    if args.data_command == "download":
        if status.found is not None:
            print(f"{args.name} is already available: {status.where}; nothing to download")
            return 0
        folder, note = download_dataset(status.spec, args.data_dir, mirrors=args.mirror)
        print(note or f"{args.name}: every file already in {folder.path}")
        return 0
    if args.data_command == "path":
        if status.found is None:
            searched = "; ".join(folder.describe() for folder in status.folders)
            print(f"trainlab data path: {args.name} not found; searched: {searched}", file=sys.stderr)
            return 1
        print(status.found.path)
        return 0
    return _print_data_info(status, args.verify)


def _print_data_list(statuses: list[DatasetStatus]) -> int:
    from trainlab.data.cache import cache_root
    from trainlab.data.files_io import human_size

    print_table([("dataset", "train", "test", "size", "where")] + [
        (s.spec.name, f"{s.counts[0]:,}", f"{s.counts[1]:,}", human_size(s.size) if s.available else "-", s.where)
        for s in statuses
    ])
    print(f"cache: {cache_root()}; `trainlab data download NAME` fetches a dataset that is not found")
    return 0


def _print_data_info(status: DatasetStatus, verify: bool) -> int:
    from trainlab.data.cache import decoded_dir
    from trainlab.data.files_io import human_size

    spec = status.spec
    (height, width), (n_train, n_test) = spec.image_shape, status.counts
    print(f"{spec.name}: {spec.title}, {spec.description}")
    print(f"  samples:  {n_train:,} train / {n_test:,} test, {height}x{width} uint8 images, "
          f"{len(spec.classes)} classes")
    print(f"  classes:  {', '.join(spec.classes)}")
    print(f"  credit:   {spec.attribution}; licence {spec.licence}")
    print(f"  where:    {status.where}")
    if status.files:
        header = ("  file", "name", "size", "shape") + (("check",) if verify else ())
        print_table([header] + [
            (f"  {f.role}", f.path.name, human_size(f.size), str(f.shape) if f.shape else f"BROKEN: {f.problem}")
            + ((f.verified or "",) if verify else ())
            for f in status.files
        ])
    print("  searched, in order:")
    for number, folder in enumerate(status.folders, 1):
        print(f"    {number}. {folder.describe()}")
    if status.mirrors:
        state = "" if status.download else " (downloads are off)"
        print(f"    {len(status.folders) + 1}. download{state} from: {', '.join(status.mirrors)}")
    if status.decoded_bytes:
        print(f"  decoded cache: {human_size(status.decoded_bytes)} in {decoded_dir(spec.name)}")
    broken = [f for f in status.files if f.problem or (f.verified or "").startswith("FAILED")]
    return 1 if broken else 0


def cmd_list(args: argparse.Namespace) -> int:
    """``trainlab list``: the experiments, in chapter order, with their titles."""
    from trainlab.experiments import get_experiment, list_experiments

    print_table([("experiment", "what it shows")]
                + [(name, get_experiment(name).TITLE) for name in list_experiments()])
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``trainlab run NAME|all``: run experiments, write runs/NAME/<timestamp>/, print the conclusions."""
    from trainlab.backend import blas_threads
    from trainlab.experiments import list_experiments
    from trainlab.experiments.report import build_report
    from trainlab.experiments.runner import run_experiment

    names = list_experiments() if args.name == "all" else [args.name]
    if args.threads < 0:
        raise ValueError(f"--threads must be >= 0 (0: the BLAS library's default), got {args.threads}")
    if args.name == "all" and args.set:
        raise ValueError("--set applies to one experiment's settings; name the experiment instead of 'all'")
    failed = []
    for name in names:
        try:
            with blas_threads(args.threads or None):
                run_experiment(name, quick=args.quick, dataset=args.dataset, seed=args.seed,
                               data_dir=args.data_dir, overrides=args.set, out=args.out)
        except Exception as error:  # one broken experiment must not stop `run all`; it is reported below
            if len(names) == 1:
                raise
            failed.append(name)
            print(f"{name}: FAILED: {type(error).__name__}: {error}", file=sys.stderr)
    if len(names) > 1:
        print(f"report: {build_report(args.out)}")
        print(f"{len(names) - len(failed)}/{len(names)} experiments ran" + (f"; failed: {', '.join(failed)}"
                                                                          if failed else ""))
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    """``trainlab report [RUNS]``: one offline HTML page of the runs' summaries and figures."""
    from trainlab.experiments.report import build_report

    print(build_report(args.runs, args.out))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainlab", description="A NumPy laboratory for the techniques of neural-network training."
    )
    parser.add_argument("--version", action="version", version=f"trainlab {trainlab.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    gradcheck = commands.add_parser(
        "gradcheck", help="check every layer's backward pass against numerical gradients"
    )
    gradcheck.add_argument("--seed", type=int, default=0, help="seed of the model and data (default 0)")
    gradcheck.set_defaults(handler=cmd_gradcheck)
    add_data_parser(commands)
    add_experiment_parsers(commands)
    add_tune_parser(commands)
    return parser


def add_experiment_parsers(commands: argparse._SubParsersAction) -> None:
    """``list``, ``run NAME|all`` and ``report [RUNS]``."""
    commands.add_parser("list", help="the experiments that `trainlab run` reproduces").set_defaults(
        handler=cmd_list)
    run = commands.add_parser("run", help="run an experiment (or all): figures, metrics and a summary")
    run.add_argument("name", help="an experiment from `trainlab list`, or 'all'")
    run.add_argument("--quick", action="store_true", help="a small version that runs in seconds")
    run.add_argument("--dataset", help="mnist (default), fashion-mnist or mnist-mini")
    run.add_argument("--data-dir", metavar="DIR", help="a folder with the dataset's files, searched first")
    run.add_argument("--seed", type=int, help="the seed of every random number (default 0)")
    run.add_argument("--out", default="runs", metavar="DIR", help="where run folders go (default runs/)")
    run.add_argument("--threads", type=int, default=1, metavar="N",
                     help="BLAS threads (default 1: the same numbers on every machine, and no slowdown when "
                          "other work shares the cores; 0 = the library's default)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="change a setting of the experiment's config (repeatable), e.g. --set epochs=5")
    run.set_defaults(handler=cmd_run)
    report = commands.add_parser("report", help="one HTML page of all runs, readable offline")
    report.add_argument("runs", nargs="?", default="runs", help="a runs folder or one run (default runs/)")
    report.add_argument("--out", metavar="FILE", help="the HTML file (default RUNS/report.html)")
    report.set_defaults(handler=cmd_report)


def add_data_parser(commands: argparse._SubParsersAction) -> None:
    """The ``data`` command and its actions ``list``, ``info NAME``, ``path NAME`` and ``download NAME``."""
    from trainlab.data.catalog import DATASETS

    data = commands.add_parser("data", help="the datasets: what is available, from where, sizes and counts")
    actions = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR",
                        help="a folder with the dataset's files, searched first (before $TRAINLAB_DATA)")
    actions.add_parser("list", parents=[common], help="every dataset, where it is found, sizes and counts")
    info = actions.add_parser("info", parents=[common], help="one dataset: files, sizes, folders searched")
    info.add_argument("name", choices=list(DATASETS))
    info.add_argument("--verify", action="store_true", help="decode every file and check its checksum")
    path = actions.add_parser("path", parents=[common], help="print the folder a load would read from")
    path.add_argument("name", choices=list(DATASETS))
    download = actions.add_parser("download", parents=[common],
                                  help="download a dataset that is not shipped into the user cache")
    download.add_argument("name", choices=list(DATASETS))
    download.add_argument("--mirror", action="append", metavar="URL",
                          help="a base URL to download from instead of the published mirrors (repeatable)")
    data.set_defaults(handler=cmd_data)


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line for a person at a terminal (not a file name, line number and source line)."""
    print(f"trainlab: warning: {message}", file=file or sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    warnings.showwarning = show_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except (ValueError, OSError) as error:  # bad input or missing files: one clear line, no traceback
        if isinstance(error, BrokenPipeError):  # `trainlab ... | head` closed the pipe: not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        print(f"trainlab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"trainlab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
