"""The ``trainlab`` command: parse arguments, dispatch to the library, print. No logic of its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import trainlab


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


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Print rows of strings as aligned columns, the first row as the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
