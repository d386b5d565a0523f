# PYTHON_ARGCOMPLETE_OK  (argcomplete looks for this marker to complete the console script)
"""The ``trainlab`` command: parse arguments, dispatch to the library, print. No logic of its own."""

from __future__ import annotations

import argparse
import os
import re
import sys
import typing
import warnings
from collections.abc import Callable, Sequence

import matplotlib

import trainlab
from trainlab.data.cache import cache_root, decoded_dir
from trainlab.data.catalog import DATASETS
from trainlab.data.download import download_dataset
from trainlab.data.files_io import human_size
from trainlab.data.inventory import DatasetStatus, dataset_status, list_datasets
from trainlab.gradcheck import TOLERANCE, run_gradcheck
from trainlab.lab.command import add_parsers as add_experiment_parsers
from trainlab.lab.runner import IncompleteRunError
from trainlab.textio import did_you_mean, print_table
from trainlab.tune.command import add_parser as add_tune_parser


def cmd_gradcheck(args: argparse.Namespace) -> int:

    rows = run_gradcheck(seed=args.seed)
    table = [("model", "parameter", "shape", "relative error", "result")] + [
        (
            row.model,
            row.parameter,
            str(row.shape),
            f"{row.relative_error:.2e}",
            "ok" if row.passed else "FAIL",
        )
        for row in rows
    ]
    print_table(table)
    failed = [row for row in rows if not row.passed]
    worst = max(row.relative_error for row in rows)
    print(
        f"{len(rows) - len(failed)}/{len(rows)} gradients agree (max relative error {worst:.2e}, "
        f"tolerance {TOLERANCE:.0e})"
    )
    return 1 if failed else 0


def cmd_data(args: argparse.Namespace) -> int:
    """``trainlab data list | info NAME | path NAME | download NAME``: what trainlab.data reports or does."""

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
            print(
                f"trainlab data path: {args.name} not found; searched: {searched}", file=sys.stderr
            )
            return 1
        print(status.found.path)
        return 0
    return _print_data_info(status, args.verify)


def _print_data_list(statuses: list[DatasetStatus]) -> int:

    print_table(
        [("dataset", "train", "test", "size", "where")]
        + [
            (
                s.spec.name,
                f"{s.counts[0]:,}",
                f"{s.counts[1]:,}",
                human_size(s.size) if s.available else "-",
                s.where,
            )
            for s in statuses
        ]
    )
    print(
        f"cache: {cache_root()}; `trainlab data download NAME` fetches a dataset that is not found"
    )
    return 0


def _print_data_info(status: DatasetStatus, verify: bool) -> int:

    spec = status.spec
    (height, width), (n_train, n_test) = spec.image_shape, status.counts
    print(f"{spec.name}: {spec.title}, {spec.description}")
    print(
        f"  samples:  {n_train:,} train / {n_test:,} test, {height}x{width} uint8 images, "
        f"{len(spec.classes)} classes"
    )
    print(f"  classes:  {', '.join(spec.classes)}")
    print(f"  credit:   {spec.attribution}; licence {spec.licence}")
    print(f"  where:    {status.where}")
    if status.files:
        header = ("  file", "name", "size", "shape") + (("check",) if verify else ())
        print_table(
            [header]
            + [
                (
                    f"  {f.role}",
                    f.path.name,
                    human_size(f.size),
                    str(f.shape) if f.shape else f"BROKEN: {f.problem}",
                )
                + ((f.verified or "",) if verify else ())
                for f in status.files
            ]
        )
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


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="trainlab",
        description="A NumPy laboratory for the techniques of neural-network training.",
    )
    parser.add_argument("--version", action="version", version=f"trainlab {trainlab.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    gradcheck = commands.add_parser(
        "gradcheck", help="check every layer's backward pass against numerical gradients"
    )
    gradcheck.add_argument(
        "--seed", type=int, default=0, help="seed of the model and data (default 0)"
    )
    gradcheck.set_defaults(handler=cmd_gradcheck)
    add_data_parser(commands)
    add_experiment_parsers(commands)
    add_tune_parser(commands)
    return parser


def add_data_parser(commands: argparse._SubParsersAction) -> None:
    """The ``data`` command and its actions ``list``, ``info NAME``, ``path NAME`` and ``download NAME``."""

    data = commands.add_parser(
        "data", help="the datasets: what is available, from where, sizes and counts"
    )
    actions = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        help="a folder with the dataset's files, searched first (before $TRAINLAB_DATA)",
    )
    actions.add_parser(
        "list", parents=[common], help="every dataset, where it is found, sizes and counts"
    )
    info = actions.add_parser(
        "info", parents=[common], help="one dataset: files, sizes, folders searched"
    )
    info.add_argument("name", choices=list(DATASETS))
    info.add_argument(
        "--verify", action="store_true", help="decode every file and check its checksum"
    )
    path = actions.add_parser(
        "path", parents=[common], help="print the folder a load would read from"
    )
    path.add_argument("name", choices=list(DATASETS))
    download = actions.add_parser(
        "download",
        parents=[common],
        help="download a dataset that is not shipped into the user cache",
    )
    download.add_argument("name", choices=list(DATASETS))
    download.add_argument(
        "--mirror",
        action="append",
        metavar="URL",
        help="a base URL to download from instead of the published mirrors (repeatable)",
    )
    data.set_defaults(handler=cmd_data)


def complete_in_the_shell(parser: argparse.ArgumentParser) -> None:
    """Tab completion of commands, options and experiment names, when argcomplete is installed.

    Enable it once: ``eval "$(register-python-argcomplete trainlab)"``. Without the shell's request
    this returns at once; the command then runs as usual.
    """
    try:
        import argcomplete  # optional dependency (pip install "trainlab[completion]")
    except ImportError:
        return
    argcomplete.autocomplete(parser)


class Parser(argparse.ArgumentParser):
    """argparse, with "did you mean" added to a mistyped command or choice."""

    def error(self, message: str) -> typing.NoReturn:
        match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if match:
            message += did_you_mean(match.group(1), re.findall(r"'([^']*)'", match.group(2)))
        super().error(message)


def option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every option of ``parser`` and of its subcommands, for "did you mean" on an unknown one."""
    options = []
    for (
        action
    ) in parser._actions:  # argparse keeps no public list; tests/test_cli_hostile.py pins this
        options += [option for option in action.option_strings if option.startswith("--")]
        for sub in (
            (action.choices or {}).values()
            if isinstance(action, argparse._SubParsersAction)
            else ()
        ):
            options += option_strings(sub)
    return sorted(set(options))


def chosen_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The (sub)command parser that ``args`` were parsed by: ``trainlab data download`` -> its own parser."""
    for (
        action
    ) in parser._actions:  # argparse keeps no public list; tests/test_cli_hostile.py pins this
        if (
            isinstance(action, argparse._SubParsersAction)
            and getattr(args, action.dest, None) in action.choices
        ):
            return chosen_parser(action.choices[getattr(args, action.dest)], args)
    return parser


def one_line_warnings() -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints each distinct warning once, as one line for a person."""
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if str(message) not in seen:
            seen.add(str(message))
            print(f"trainlab: warning: {message}", file=file or sys.stderr)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """The ``trainlab`` command; returns the exit status (0 done, 1 a run failed, 2 bad input)."""
    with (
        warnings.catch_warnings()
    ):  # restored afterwards, for callers that run the command in-process
        warnings.showwarning = one_line_warnings()
        return run_command(argv)


def run_command(argv: Sequence[str] | None) -> int:
    matplotlib.use(
        "Agg"
    )  # the command draws into files, never on a screen; the library leaves this choice open
    parser = build_parser()
    complete_in_the_shell(parser)
    args, extras = parser.parse_known_args(argv)
    if extras:  # said by the subcommand that got them, with its usage and its options
        chosen = chosen_parser(parser, args)
        chosen.error(
            f"unrecognized arguments: {' '.join(extras)}"
            + did_you_mean(extras[0].split("=")[0], option_strings(chosen))
        )
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.handler(args)
    except (ValueError, OSError, IncompleteRunError) as error:  # one clear line, no traceback
        if isinstance(
            error, BrokenPipeError
        ):  # `trainlab ... | head` closed the pipe: not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        print(f"trainlab {args.command}: error: {error}", file=sys.stderr)
        return 1 if isinstance(error, IncompleteRunError) else 2
    except KeyboardInterrupt:
        print(f"trainlab {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug, not bad input: one line; TRAINLAB_DEBUG=1 shows where
        if os.environ.get("TRAINLAB_DEBUG"):
            raise
        print(
            f"trainlab {args.command}: internal error: {type(error).__name__}: {error} (a bug in trainlab; "
            "TRAINLAB_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
