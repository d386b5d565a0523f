"""The ``trainlab tune`` command: parse the options, call :func:`run_search`, print, write the outputs.

No logic of its own: everything it does is a call into :mod:`trainlab.tune`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trainlab.tune.config import PRUNERS, SAMPLERS, SearchConfig
from trainlab.tune.space import BOOK_SPACE, merge_space

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
  trainlab tune --space lr=1e-4..1e-2:log --study stage2   # a second stage in a narrowed range
  # several machines, one PostgreSQL study: run the same line on each
  trainlab tune --storage postgresql://USER:PASS@HOST/DB --study mnist-lr --resume --workers 2
"""


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``tune`` command to the ``trainlab`` command's subparsers."""
    parser = commands.add_parser(
        "tune", help="hyperparameter search on a validation split (Optuna): parallel, resumable, distributed",
        description="Search hyperparameters: each trial trains a fresh network on a training split and is scored "
                    "by its accuracy on a validation split carved from the training samples (never the test set).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default="mnist", help="mnist (default), fashion-mnist or mnist-mini")
    data.add_argument("--data-dir", metavar="DIR", help="a folder with the dataset's files, searched first")
    data.add_argument("--train-samples", default="500", metavar="N",
                      help="use the first N training samples, or 'all' (default 500, as the book)")
    data.add_argument("--val-fraction", type=float, default=0.2, metavar="F",
                      help="fraction of them held out for validation (default 0.2)")
    search = parser.add_argument_group("search")
    search.add_argument("--space", action="append", default=[], metavar="NAME=SPEC",
                        help=f"search or fix a parameter (repeatable); default: {' '.join(BOOK_SPACE)}, "
                             "on the book's 784-100x6-10 ReLU/He network trained by SGD, batch 100")
    search.add_argument("--list-params", action="store_true", help="list the parameters a space may use and exit")
    search.add_argument("--epochs", type=int, default=50, help="epochs per trial (default 50)")
    search.add_argument("--trials", type=int, default=100, help="trials to finish (default 100)")
    search.add_argument("--sampler", choices=SAMPLERS, default="random", help="default random, as the book")
    search.add_argument("--grid-points", type=int, default=5, metavar="K",
                        help="values per continuous range for --sampler grid (default 5)")
    search.add_argument("--pruner", choices=PRUNERS, default="none", help="stop poor trials early (default none)")
    search.add_argument("--seed", type=int, default=0, help="seed of the split, the trials and the weights")
    search.add_argument("--quick", action="store_true",
                        help="seconds: 20 trials of 20 epochs on a 784-50-50-10 network, batches of 50")
    running = parser.add_argument_group("running")
    running.add_argument("--workers", type=int, default=1, metavar="W", help="parallel worker processes (default 1)")
    running.add_argument("--storage", metavar="URL|FILE",
                         help="an SQLAlchemy URL (postgresql://user:pass@host/db) or an SQLite file "
                              "(default OUT/study.db)")
    running.add_argument("--study", default="hyperparameter-search", help="the study's name in the storage")
    running.add_argument("--resume", action="store_true",
                         help="continue the study if it exists (after an interruption, or to join it from "
                              "another machine); without it an existing study is an error")
    running.add_argument("--out", metavar="DIR", help="where the results go (default runs/tune/STUDY)")
    running.add_argument("--best", type=int, default=20, metavar="N", help="rows of the Best-N table and figure")
    running.add_argument("--top-k", type=int, default=5, metavar="K", help="trials the narrowing uses (default 5)")
    parser.set_defaults(handler=cmd_tune)
    return parser


def config_from_args(args: argparse.Namespace) -> SearchConfig:
    """The SearchConfig the options describe (``--space`` entries over the book's space)."""
    samples = None if str(args.train_samples).lower() == "all" else _int("--train-samples", args.train_samples)
    config = SearchConfig(
        dataset=args.dataset, data_dir=args.data_dir, train_samples=samples, val_fraction=args.val_fraction,
        epochs=args.epochs, trials=args.trials, space=merge_space(BOOK_SPACE, args.space), sampler=args.sampler,
        pruner=args.pruner, grid_points=args.grid_points, workers=args.workers, storage=args.storage,
        study=args.study, resume=args.resume, seed=args.seed,
        out=args.out or str(Path("runs") / "tune" / args.study),
    )
    return config.quick() if args.quick else config  # --space entries win over the quick network


def cmd_tune(args: argparse.Namespace) -> int:
    from trainlab.tune.workers import WorkerError

    if args.list_params:
        return print_parameters()
    config = config_from_args(args)
    from trainlab.tune.narrowing import narrow
    from trainlab.tune.report import stage_two_command, write_outputs
    from trainlab.tune.results import best_table
    from trainlab.tune.search import run_search

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
        print_rows(rows)
        narrowing = narrow(result, args.top_k)
        print(narrowing)
        print(f"second stage: {stage_two_command(result.config, narrowing)}")
    files = write_outputs(result, config.out, best=args.best, top_k=args.top_k)
    print(f"results: {Path(config.out)}/ ({', '.join(path.name for path in files.values())})")
    return 0


def print_parameters() -> int:
    from trainlab.tune.params import describe_parameters

    print_rows([("name", "kind", "goes to", "default", "allowed: meaning"), *describe_parameters()])
    return 0


def print_rows(rows: list) -> None:
    from trainlab.cli import print_table  # the command's table printer (imported late: cli imports this module)

    print_table(rows)


def _int(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{option} takes a whole number or 'all', got {text!r}") from None
