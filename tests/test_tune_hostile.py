"""`trainlab tune` when things go wrong (issue 22): a storage that fails under Optuna's heartbeat
thread (N9), a study name that leads outside runs/tune, a resume with a smaller budget, a worker
killed mid-search. Each test failed on 43db650."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tune_helpers import tiny, tiny_args

from trainlab.cli import main
from trainlab.tune import load_result, run_search

HEARTBEAT_FAILS = """
import sys, time
import optuna, sqlalchemy
from optuna.storages import RDBStorage
from trainlab.tune.storage import open_storage, sqlite_url
from pathlib import Path

storage = open_storage(sqlite_url(Path(sys.argv[1])))
optuna.logging.set_verbosity(optuna.logging.ERROR)
study = optuna.create_study(storage=storage)


def full_disk(self, trial_id):  # what SQLite answers a write on a full disk
    raise sqlalchemy.exc.OperationalError(
        "UPDATE trial_heartbeats", {}, Exception("database or disk is full")
    )


RDBStorage.record_heartbeat = full_disk
study.optimize(lambda trial: time.sleep(0.3) or 1.0, n_trials=1)  # the heartbeat thread beats while it runs
print(study.trials[0].state.name)
"""


def test_a_failing_heartbeat_prints_no_traceback(tmp_path):
    """N9: on a full disk, a worker's heartbeat thread printed a 45-line traceback before the
    search's one-line error. A heartbeat that cannot be written is now left to the trial's own
    writes to report."""
    done = subprocess.run(
        [sys.executable, "-c", HEARTBEAT_FAILS, str(tmp_path / "study.db")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0 and done.stdout.strip() == "COMPLETE", done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize("study", ["../../x", "a/b", "ABSOLUTE", "..", ".", "a\\b"])
def test_a_study_name_that_leads_outside_runs_tune_is_refused(study, tmp_path, monkeypatch, capsys):
    """`tune --study ../../x` wrote its results two folders above runs/tune."""
    study = str(tmp_path.parent / f"{tmp_path.name}-elsewhere") if study == "ABSOLUTE" else study
    monkeypatch.chdir(tmp_path)
    assert main(["tune", *tiny_args("--trials", "1", "--study", study)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"trainlab tune: error: --study {study!r}: the results go to runs/tune/STUDY, so the name must be "
        "a plain folder name (no '/', '\\' or '..'); or give --out DIR"
    )
    assert list(tmp_path.iterdir()) == []


def test_any_study_name_may_be_used_with_out(tmp_path, capsys):
    assert (
        main(
            [
                "tune",
                *tiny_args(
                    "--trials",
                    "1",
                    "--epochs",
                    "1",
                    "--study",
                    "../x",
                    "--out",
                    str(tmp_path / "out"),
                ),
            ]
        )
        == 0
    )
    assert len(load_result(str(tmp_path / "out" / "study.db"), "../x").finished) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]


def test_resuming_with_a_smaller_budget_says_that_none_are_left(tmp_path, capsys):
    """`--resume --trials 2` on a study of 3 finished trials printed "3 of 2 trials finished"."""
    run_search(tiny(trials=3, epochs=1, out=str(tmp_path)))
    assert (
        main(
            [
                "tune",
                *tiny_args("--trials", "2", "--epochs", "1", "--resume", "--out", str(tmp_path)),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "3 trials finished, more than the 2 asked for: none to run" in out and "3 of 2" not in out
    )
    assert "3 trials finished (0 in this run" in out


def children(pid: int) -> list[tuple[int, list[str]]]:
    """(pid, command line) of the live child processes of ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                command = (entry / "cmdline").read_bytes().decode().rstrip("\0").split("\0")
            except (OSError, IndexError, ValueError):  # ended meanwhile
                continue
            if ppid == pid:
                found.append((int(entry.name), command))
    return found


@pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds the worker processes in /proc"
)
def test_a_killed_worker_does_not_lose_a_search_the_others_finish(tmp_path):
    """A single tune worker killed (SIGKILL, say by the out-of-memory killer) made the command exit
    1 and write no results although the other worker finished every trial. Now that is a note, and
    the results are written."""
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "trainlab.cli",
        "tune",
        "--dataset",
        "mnist-mini",
        "--train-samples",
        "300",
        "--epochs",
        "10",
        "--trials",
        "6",
        "--space",
        "hidden_layers=2",
        "--space",
        "hidden_units=64",
        "--workers",
        "2",
        "--out",
        str(out),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"},
    )
    lines, killed = [], None
    deadline = time.monotonic() + 120
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if (
            killed is None and "(worker 1)" in line
        ):  # worker 1 finished a trial: worker 2 is surely running
            killed = next(
                pid for pid, argv in children(process.pid) if argv[-2:] == ["--index", "2"]
            )
            os.kill(killed, signal.SIGKILL)
        assert time.monotonic() < deadline, lines
    error = process.stderr.read()
    assert process.wait(timeout=60) == 0, (lines, error)
    assert (
        killed is not None
        and "note: worker 2 was killed (SIGKILL); the other workers finished the search" in lines
    )
    assert error == ""
    assert len(load_result(str(out / "study.db"), "hyperparameter-search").finished) == 6
    assert (out / "summary.json").exists() and any(line.startswith("results: ") for line in lines)
