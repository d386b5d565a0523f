"""Do the lessons' verdicts hinge on the CPU? Run every quick lesson under two CPU configurations and compare.

NumPy and OpenBLAS pick their loops and kernels per CPU, so two machines train to slightly different
numbers (see docs/experiments.md, "Verdicts that hold on every machine"). A claim's verdict (agrees,
contradicts, unsettled, untested) must not change with that: a verdict that does hinges on the last
bits of a sum, and its design is flawed. This script runs
``trainlab run all --quick --jobs 1 --fresh`` twice on this machine, once as it is and once with the
loops and kernels it would not pick (scripts/cpu_config.py: Haswell kernels and AVX2 loops on an
AVX-512 CPU), into ``OUT/native`` and ``OUT/second``, and compares the verdict of every claim in the
runs' summary.json files (``"claims": [{"id": ..., "verdict": ...}]``).

    python scripts/check_portable_verdicts.py                  # both runs (a few minutes), then compare
    python scripts/check_portable_verdicts.py --out DIR --seeds 5   # other options go to trainlab run
    python scripts/check_portable_verdicts.py --compare A B    # compare two output folders (two machines)

Exit status: 0 when every claim has the same verdict in both (a run without claims is listed, not
counted as a difference), 1 when a verdict differs, a claim or run is missing from one side, or a
run failed. It is a script rather than a test because the two runs take minutes, not the seconds a
test may.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from cpu_config import describe, second_configuration

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(
    0, str(ROOT / "src")
)  # this checkout's trainlab, here as in the runs (their PYTHONPATH)

VERDICTS = ("agrees", "contradicts", "unsettled", "untested")
CPU_VARIABLES = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")


class Side:
    """What one output folder holds: claim -> verdict, and the runs without claims or with malformed ones."""

    def __init__(self, folder: Path) -> None:
        from trainlab.lab.runs import load_runs

        self.folder = folder
        self.verdicts: dict[tuple[str, str], str] = {}
        self.runs: set[str] = set()
        self.without_claims: list[str] = []
        self.problems: list[str] = []
        with warnings.catch_warnings(record=True) as skipped:
            warnings.simplefilter("always")
            runs = load_runs(folder) if folder.is_dir() else []
        self.problems += [str(warning.message) for warning in skipped]
        latest = {}
        for run in sorted(runs, key=lambda run: run.started):
            latest[run.name] = run  # an experiment run twice: its latest run
        for name, run in sorted(latest.items()):
            self.runs.add(name)
            self.read_claims(name, run.summary.get("claims"))

    def read_claims(self, name: str, claims: object) -> None:
        if claims is None:
            self.without_claims.append(name)
            return
        if not isinstance(claims, list):
            self.problems.append(f"{name}: 'claims' is a {type(claims).__name__}, not a list")
            return
        for claim in claims:
            identifier = claim.get("id") if isinstance(claim, dict) else None
            verdict = claim.get("verdict") if isinstance(claim, dict) else None
            if not isinstance(identifier, str) or verdict not in VERDICTS:
                self.problems.append(
                    f"{name}: a claim without an id or with a verdict not in {VERDICTS}: "
                    f"{str(claim)[:120]}"
                )
                continue
            self.verdicts[(name, identifier)] = verdict


def compare(
    first: Side, second: Side, labels: Sequence[str] = ("native", "second")
) -> tuple[list[str], bool]:
    """The lines that report how the two sides' verdicts compare, and whether they all agree."""
    lines, same = [], True
    for label, side in zip(labels, (first, second), strict=True):
        for problem in side.problems:
            lines.append(f"{label}: {problem}")
            same = False
    for name in sorted(first.runs ^ second.runs):
        lines.append(f"{name}: ran only under {labels[0] if name in first.runs else labels[1]}")
        same = False
    claims = sorted(set(first.verdicts) | set(second.verdicts))
    differ = [claim for claim in claims if first.verdicts.get(claim) != second.verdicts.get(claim)]
    for name, identifier in differ:
        a, b = (side.verdicts.get((name, identifier), "(missing)") for side in (first, second))
        lines.append(f"{name} claim {identifier!r}: {a} ({labels[0]}) but {b} ({labels[1]})")
    same = same and not differ
    without = sorted(set(first.without_claims) | set(second.without_claims))
    if without:
        lines.append(
            f"{len(without)} run(s) hold no claims (summary.json has no 'claims' list): {', '.join(without)}"
        )
    if not claims:
        lines.append(
            f"found no claims in {len(first.runs | second.runs)} run(s): no verdicts to compare"
        )
    else:
        lines.append(
            f"{len(claims) - len(differ)} of {len(claims)} claims have the same verdict under both "
            f"configurations ({len(first.runs | second.runs)} runs)"
        )
    return lines, same


def run_lessons(out: Path, extra: Sequence[str]) -> dict[str, int]:
    """``trainlab run all --quick --jobs 1`` under both configurations, at once when there are two
    cores for them (each run uses one); the exit status of each."""
    second = second_configuration()
    if not second:
        sys.exit(
            f"no second CPU configuration is known for this machine ({describe()}); "
            "run the lessons on two machines and compare their folders with --compare A B"
        )
    native = {key: value for key, value in os.environ.items() if key not in CPU_VARIABLES}
    base = {
        **native,
        "OPENBLAS_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), native.get("PYTHONPATH")])),
    }
    configurations = {"native": base, "second": {**base, **second}}
    print(f"native: {describe()}")
    print("second: " + " ".join(f"{key}={value!r}" for key, value in second.items()))
    from trainlab.backend import usable_cores

    together = usable_cores() >= 2
    processes = {}
    for label, environment in configurations.items():
        command = [
            sys.executable,
            "-m",
            "trainlab",
            "run",
            "all",
            "--quick",
            "--jobs",
            "1",
            "--fresh",
            "--out",
            str(out / label),
            *extra,
        ]  # --fresh: no unit from the cache of an earlier check
        log = open(out / f"{label}.log", "w")  # noqa: SIM115  (closed when the process has ended)
        processes[label] = (
            subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT),
            log,
        )
        if not together:
            processes[label][0].wait()
    codes = {}
    for label, (process, log) in processes.items():
        codes[label] = process.wait()
        log.close()
    return codes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, help="where the two runs go (default: a new temporary folder)"
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("A", "B"),
        help="only compare two folders of runs already made (say, on two machines)",
    )
    args, extra = parser.parse_known_args(argv)
    if args.compare:
        first, second = args.compare
        lines, same = compare(Side(first), Side(second), labels=(str(first), str(second)))
        print("\n".join(lines))
        return 0 if same else 1
    out = args.out or Path(tempfile.mkdtemp(prefix="portable-verdicts-"))
    out.mkdir(parents=True, exist_ok=True)
    codes = run_lessons(out, extra)
    failed = [
        f"trainlab run exited with status {code} under the {label} configuration (see {out / label}.log)"
        for label, code in codes.items()
        if code != 0
    ]
    lines, same = compare(Side(out / "native"), Side(out / "second"))
    print("\n".join([*failed, *lines, f"runs: {out}/native and {out}/second"]))
    return 0 if same and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
