"""scripts/check_portable_verdicts.py compares the claims' verdicts of two folders of runs (its slow
part, the two `trainlab run all --quick` runs, is the script's own; here its comparison, on
hand-made run folders)."""

import importlib
import json
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@pytest.fixture(scope="module")
def script():
    sys.path.insert(0, str(SCRIPTS))
    try:
        yield importlib.import_module("check_portable_verdicts")
    finally:
        sys.path.remove(str(SCRIPTS))


def make_run(root: Path, name: str, claims=None, stamp: str = "20260101-000000") -> Path:
    folder = root / name / stamp
    folder.mkdir(parents=True)
    summary = {
        "name": name,
        "title": name,
        "description": "",
        "command": f"trainlab run {name} --quick",
        "headers": [],
        "rows": [],
        "conclusions": [],
        "figures": [],
    }
    if claims is not None:
        summary["claims"] = [
            {"id": identifier, "verdict": verdict, "statement": "..."}
            for identifier, verdict in claims.items()
        ]
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "run.json").write_text(json.dumps({"started": stamp, "files": ["summary.json"]}))
    return folder


def test_the_same_verdicts_pass_and_a_changed_one_is_named(script, tmp_path, capsys):
    for side in ("a", "b"):
        make_run(
            tmp_path / side, "optimizers", {"adam-fastest": "agrees", "sgd-slowest": "unsettled"}
        )
        make_run(tmp_path / side, "batchnorm", {"faster": "agrees"})
    assert script.main(["--compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert (
        "3 of 3 claims have the same verdict under both configurations (2 runs)"
        in capsys.readouterr().out
    )

    make_run(
        tmp_path / "b",
        "optimizers",
        {"adam-fastest": "agrees", "sgd-slowest": "contradicts"},
        stamp="20260102-000000",
    )  # the latest run of an experiment counts
    assert script.main(["--compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert (
        f"optimizers claim 'sgd-slowest': unsettled ({tmp_path / 'a'}) but contradicts ({tmp_path / 'b'})"
        in out
    )
    assert "2 of 3 claims have the same verdict" in out


def test_missing_claims_runs_and_malformed_verdicts_are_differences(script, tmp_path):
    make_run(tmp_path / "a", "optimizers", {"adam-fastest": "agrees", "only-here": "untested"})
    make_run(tmp_path / "a", "overfitting", {"gap": "agrees"})
    make_run(tmp_path / "b", "optimizers", {"adam-fastest": "probably"})
    lines, same = script.compare(script.Side(tmp_path / "a"), script.Side(tmp_path / "b"))
    assert not same
    assert "overfitting: ran only under native" in lines
    assert "optimizers claim 'only-here': untested (native) but (missing) (second)" in lines
    assert any(
        line.startswith("second: optimizers: a claim without an id or with a verdict not in")
        for line in lines
    )


def test_runs_without_claims_are_said_and_not_a_difference(script, tmp_path):
    for side in ("a", "b"):
        make_run(tmp_path / side, "optimizers")
        make_run(tmp_path / side, "batchnorm")
    (tmp_path / "b" / "broken" / "x").mkdir(parents=True)
    (tmp_path / "b" / "broken" / "x" / "summary.json").write_text("{")
    lines, same = script.compare(script.Side(tmp_path / "a"), script.Side(tmp_path / "b"))
    assert (
        "2 run(s) hold no claims (summary.json has no 'claims' list): batchnorm, optimizers"
        in lines
    )
    assert "found no claims in 2 run(s): no verdicts to compare" in lines
    assert not same and any(
        "skipped" in line and "broken" in line for line in lines
    )  # a broken folder is said
