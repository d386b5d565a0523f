"""The ``trainlab tune`` command: parse the options, call :func:`run_search`, print, write the outputs.

No logic of its own: everything it does is a call into :mod:`trainlab.tune`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from trainlab.cluster import cluster_address
from trainlab.figures import FigureOptions, add_figure_options
from trainlab.textio import print_table
from trainlab.tune.config import PRUNERS, SAMPLERS, SearchConfig
from trainlab.tune.narrowing import narrow
from trainlab.tune.params import describe_parameters
from trainlab.tune.report import stage_two_command, write_outputs
from trainlab.tune.results import SearchResult, best_table
from trainlab.tune.search import run_search
from trainlab.tune.space import BOOK_SPACE, merge_space
from trainlab.tune.storage import storage_label
from trainlab.tune.workers import WorkerError
from trainlab.validation import check_int

EPILOG = """\
space entries (--space, repeatable; they replace the book's entries of the same name):
  lr=1e-6..1e-2:log            log-uniform       dropout=0..0.5         uniform
  hidden_units=50..200         integer           optimizer=sgd,adam     one of a list
  batch_size=128               fixed value       dropout=0..0.5:step=0.1  on a grid
  `trainlab tune --list-params` lists the names, their defaults and allowed values.

examples:
  trainlab tune                                   # the book: 100 random trials, 50 epochs, 500 samples
  trainlab tune --quick                           # seconds
  trainlab tune --workers 2 --resume              # continue an interrupted search with 2 processes
  trainlab tune --quick --overwrite               # run again from scratch (deletes the study's trials)
  trainlab tune --space lr=1e-4..1e-2:log --study stage2   # a second stage in a narrowed range
  # several machines, one PostgreSQL study: run the same line on each
  trainlab tune --storage postgresql://USER:PASS@HOST/DB --study mnist-lr --resume --workers 2
"""


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``tune`` command to the ``trainlab`` command's subparsers."""
    parser = commands.add_parser(
        "tune",
        help="hyperparameter search on a validation split (Optuna): parallel, resumable, distributed",
        description=(
            "Search hyperparameters: each trial trains a fresh network on a training split and is "
            "scored by its accuracy on a validation split carved from the training samples (never "
            "the test set)."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset", default="mnist", help="mnist (default), fashion-mnist or mnist-mini"
    )
    data.add_argument(
        "--data-dir", metavar="DIR", help="a folder with the dataset's files, searched first"
    )
    data.add_argument(
        "--train-samples",
        metavar="N",
        help="use the first N training samples, or 'all' (default 500, as the book)",
    )
    data.add_argument(
        "--val-fraction",
        type=float,
        default=0.2,
        metavar="F",
        help="fraction of them held out for validation (default 0.2)",
    )
    search = parser.add_argument_group("search")
    search.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="NAME=SPEC",
        help=f"search or fix a parameter (repeatable); default: {' '.join(BOOK_SPACE)}, "
        "on the book's 784-100x6-10 ReLU/He network trained by SGD, batch 100",
    )
    search.add_argument(
        "--list-params", action="store_true", help="list the parameters a space may use and exit"
    )
    search.add_argument("--epochs", type=int, help="epochs per trial (default 50; --quick: 20)")
    search.add_argument("--trials", type=int, help="trials to finish (default 100; --quick: 20)")
    search.add_argument(
        "--sampler", choices=SAMPLERS, default="random", help="default random, as the book"
    )
    search.add_argument(
        "--grid-points",
        type=int,
        default=5,
        metavar="K",
        help="values per continuous range for --sampler grid (default 5)",
    )
    search.add_argument(
        "--pruner", choices=PRUNERS, default="none", help="stop poor trials early (default none)"
    )
    search.add_argument(
        "--seed", type=int, default=0, help="seed of the split, the trials and the weights"
    )
    search.add_argument(
        "--quick",
        action="store_true",
        help="seconds: 20 trials of 20 epochs on a 784-50-50-10 network, batches of 50 "
        "(--trials, --epochs, --train-samples and --space still win)",
    )
    running = parser.add_argument_group("running")
    running.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="W",
        help="parallel worker processes (default 1); with --cluster, tasks on the cluster "
        "(default: one per worker thread)",
    )
    running.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="a Dask scheduler (tcp://HOST:8786; or $TRAINLAB_CLUSTER) whose workers run the "
        "search's workers, against --storage (which they must reach: PostgreSQL)",
    )
    running.add_argument(
        "--storage",
        metavar="URL|FILE",
        help="an SQLAlchemy URL (postgresql://user:pass@host/db) or an SQLite file "
        "(default OUT/study.db)",
    )
    running.add_argument(
        "--study", default="hyperparameter-search", help="the study's name in the storage"
    )
    running.add_argument(
        "--resume",
        action="store_true",
        help="continue the study if it exists (after an interruption, or to join it from "
        "another machine); without it an existing study is an error",
    )
    running.add_argument(
        "--overwrite",
        action="store_true",
        help="delete an existing study of this name (its trials) and start again",
    )
    running.add_argument(
        "--out", metavar="DIR", help="where the results go (default runs/tune/STUDY)"
    )
    running.add_argument(
        "--best", type=int, default=20, metavar="N", help="rows of the Best-N table and figure"
    )
    running.add_argument(
        "--top-k", type=int, default=5, metavar="K", help="trials the narrowing uses (default 5)"
    )
    add_figure_options(parser)
    parser.set_defaults(handler=cmd_tune)
    return parser


def config_from_args(args: argparse.Namespace) -> SearchConfig:
    """The SearchConfig the options describe: ``--space`` entries over the book's space; the options
    given win over ``--quick``'s settings, which win over the book's.
    """
    given = {
        name: getattr(args, name)
        for name in ("trials", "epochs")
        if getattr(args, name) is not None
    }
    if args.train_samples is not None:
        all_samples = str(args.train_samples).lower() == "all"
        given["train_samples"] = (
            None if all_samples else _int("--train-samples", args.train_samples)
        )
    config = SearchConfig(
        dataset=args.dataset,
        data_dir=args.data_dir,
        val_fraction=args.val_fraction,
        space=merge_space(BOOK_SPACE, args.space),
        sampler=args.sampler,
        pruner=args.pruner,
        grid_points=args.grid_points,
        workers=args.workers,
        cluster=cluster_address(args.cluster),
        storage=args.storage,
        study=args.study,
        resume=args.resume,
        overwrite=args.overwrite,
        seed=args.seed,
        out=args.out or default_out(args.study),
    )
    if args.quick:
        config = config.quick()  # --space entries win over the quick network
    return dataclasses.replace(config, **given)


def default_out(study: str) -> str:
    """``runs/tune/STUDY``, for a study whose name is a plain folder name: a name such as
    ``../../x`` would put the results outside runs/tune, so it is refused (with --out, any name may
    be used; an empty one is refused by :meth:`SearchConfig.checked`)."""
    if study.strip() and (
        study in (".", "..") or study != Path(study).name or any(c in study for c in "\\\0")
    ):
        raise ValueError(
            f"--study {study!r}: the results go to runs/tune/STUDY, so the name must be a plain "
            "folder name (no '/', '\\' or '..'); or give --out DIR"
        )
    return str(Path("runs") / "tune" / study)


def cmd_tune(args: argparse.Namespace) -> int:
    if args.list_params:
        print_table(
            [("name", "kind", "goes to", "default", "allowed: meaning"), *describe_parameters()]
        )
        return 0
    check_int("--best", args.best, minimum=1)  # refused now, not after the whole search
    check_int("--top-k", args.top_k, minimum=1)
    figures = FigureOptions.from_args(args)
    config = config_from_args(args)
    try:
        result = run_search(config, log=print)
    except WorkerError as error:
        print(f"trainlab tune: error: {error}", file=sys.stderr)
        return 1
    new = len(result.finished) - result.finished_before
    print(f"{len(result.finished)} trials finished ({new} in this run, {result.seconds:.1f} s)")
    rows = best_table(result, min(args.best, 10))
    if len(rows) > 1:
        print(f"Best-{len(rows) - 1} by final validation accuracy:")
        print_table(rows)
        print(narrow(result, args.top_k))
    write_results(result, config.out, args.best, args.top_k, args.quick, figures)
    return 0


def write_results(
    result: SearchResult,
    out: str,
    best: int,
    top_k: int,
    quick: bool,
    figures: FigureOptions | None = None,
) -> None:
    """Write the result files and say where they are; a full disk says that the trials are kept."""
    try:
        files = write_outputs(result, out, best=best, top_k=top_k, quick=quick, figures=figures)
    except OSError as error:
        raise OSError(
            f"could not write the results to {out} ({error.strerror or error}); the "
            f"{len(result.finished)} finished trials are kept in {storage_label(result.storage)}: once "
            "the cause is fixed (a full disk: free some space), run the same command with --resume "
            "to write them"
        ) from None
    if result.complete:
        print(f"second stage: {stage_two_command(result.config, narrow(result, top_k))}")
    print(f"results: {Path(out)}/ ({', '.join(path.name for path in files.values())})")
    print(
        f"storage: {storage_label(result.storage)} (study {result.study!r}; optuna-dashboard "
        f"{result.storage} opens it)"
    )


def _int(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{option} takes a whole number or 'all', got {text!r}") from None
