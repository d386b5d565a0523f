"""Lessons as units of work: the cache, the executors, and stopping a run (issue 24; issue 22's N2 and N3).

Byte-identical metrics.json whatever the executor and the order; a killed run goes on where it
stopped; a worker killed mid-unit has its unit run again; Ctrl-C, SIGTERM and SIGKILL of
`trainlab run --jobs N` leave no worker behind. The processes are real: `python -m trainlab` in a
subprocess, real signals.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from dask_helpers import dask_scheduler_and_workers

from trainlab.lab.cache import CacheWarning, UnitCache, unit_key
from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import make_config, run_lessons
from trainlab.lab.units import Unit

SMALL = [
    "--set",
    "optimizers=sgd,momentum,adagrad,adam",
    "--set",
    "learning_rates=0.01,0.01,0.01,0.001",
]
SLOW = [*SMALL, "--set", "iterations=400", "--seeds", "3"]  # 12 units of about a second each


def trainlab(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "trainlab", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        **options,
    )


def metrics(out: Path, name: str = "optimizers") -> str:
    return next((out / name).glob("*/metrics.json")).read_text()


def cache_entries(out: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime_ns for p in (out / ".cache").rglob("*.json")}


def wait_for(condition, timeout: float = 120.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def workers_of(pid: int) -> list[int]:
    """The pool's worker processes of process ``pid`` (its children started by multiprocessing's spawn)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_units_key_follows_its_setting_seed_and_training_settings_not_the_seed_count_or_the_figure():
    lesson = load_lesson("optimizers")
    config = make_config(lesson, quick=True)
    key = unit_key(Unit("optimizers", "sgd", 0), config)
    assert (
        key
        != unit_key(Unit("optimizers", "sgd", 1), config)
        != unit_key(Unit("optimizers", "adam", 0), config)
    )
    assert key != unit_key(
        Unit("optimizers", "sgd", 0), dataclasses.replace(config, iterations=151)
    )
    assert key == unit_key(
        Unit("optimizers", "sgd", 0), dataclasses.replace(config, seeds=7, smoothing=3)
    )


def test_jobs_1_jobs_2_and_a_rerun_from_the_cache_give_the_same_bytes(tmp_path):
    one = next(
        run_lessons(["optimizers"], quick=True, out=tmp_path / "one", jobs=1, overrides=SMALL[1::2])
    )
    two = next(
        run_lessons(["optimizers"], quick=True, out=tmp_path / "two", jobs=2, overrides=SMALL[1::2])
    )
    again = next(
        run_lessons(["optimizers"], quick=True, out=tmp_path / "one", jobs=2, overrides=SMALL[1::2])
    )
    texts = {(o.record.folder / "metrics.json").read_text() for o in (one, two, again)}
    assert len(texts) == 1 and len(json.loads(texts.pop())["runs"]) == 8
    assert again.record.seconds == pytest.approx(
        one.record.seconds, abs=0.01
    )  # from the cache: the recorded time


def test_a_corrupt_cache_entry_is_refused_by_name_and_its_unit_trained_again(tmp_path):
    first = next(run_lessons(["optimizers"], quick=True, out=tmp_path, overrides=SMALL[1::2]))
    entry = sorted((tmp_path / ".cache" / "optimizers").glob("*.json"))[0]
    entry.write_text('{"key": "not this one", "run": {}}')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        second = next(run_lessons(["optimizers"], quick=True, out=tmp_path, overrides=SMALL[1::2]))
    refused = [w for w in caught if issubclass(w.category, CacheWarning)]
    assert len(refused) == 1 and str(entry) in str(refused[0].message)
    assert (second.record.folder / "metrics.json").read_text() == (
        first.record.folder / "metrics.json"
    ).read_text()
    assert json.loads(entry.read_text())["key"] != "not this one"  # written again, whole


def test_fresh_trains_every_unit_again(tmp_path):
    next(run_lessons(["optimizers"], quick=True, out=tmp_path, overrides=SMALL[1::2]))
    before = cache_entries(tmp_path)
    next(run_lessons(["optimizers"], quick=True, out=tmp_path, overrides=SMALL[1::2], fresh=True))
    after = cache_entries(tmp_path)
    assert before.keys() == after.keys() and all(after[k] != before[k] for k in before)
    assert UnitCache(tmp_path / ".cache").folder.is_dir()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run the interrupted ones must reproduce byte for byte."""
    out = tmp_path_factory.mktemp("reference")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trainlab",
            "run",
            "optimizers",
            "--quick",
            *SLOW,
            "--jobs",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return metrics(out)


def test_kill_9_then_the_same_command_trains_only_the_missing_units_and_gives_the_same_bytes(
    tmp_path, reference
):
    command = ["run", "optimizers", "--quick", *SLOW, "--jobs", "1", "--out", str(tmp_path)]
    process = trainlab(*command)
    wait_for(lambda: len(cache_entries(tmp_path)) >= 4, what="four finished units")
    process.kill()
    process.wait()
    kept = cache_entries(tmp_path)
    assert 4 <= len(kept) < 12 and not (tmp_path / "optimizers").exists()
    done = subprocess.run(
        [sys.executable, "-m", "trainlab", *command], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    after = cache_entries(tmp_path)
    assert len(after) == 12 and all(
        after[path] == mtime for path, mtime in kept.items()
    )  # not trained again
    assert metrics(tmp_path) == reference


def test_a_worker_killed_mid_unit_has_its_unit_run_again_and_the_bytes_are_the_same(
    tmp_path, reference
):
    process = trainlab("run", "optimizers", "--quick", *SLOW, "--jobs", "2", "--out", str(tmp_path))
    wait_for(
        lambda: len(workers_of(process.pid)) == 2 and len(cache_entries(tmp_path)) >= 1,
        what="busy workers",
    )
    os.kill(workers_of(process.pid)[0], signal.SIGKILL)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert metrics(tmp_path) == reference


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_ctrl_c_and_sigterm_stop_run_jobs_promptly_and_leave_no_worker(tmp_path, how):
    process = trainlab(
        "run",
        "optimizers",
        "--quick",
        *SLOW,
        "--jobs",
        "2",
        "--out",
        str(tmp_path),
        start_new_session=True,
    )
    wait_for(
        lambda: len(workers_of(process.pid)) == 2 and len(cache_entries(tmp_path)) >= 1,
        what="busy workers",
    )
    workers = workers_of(process.pid)
    if (
        how == "ctrl-c"
    ):  # the terminal sends SIGINT to the whole foreground group: the command and its workers
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    _, err = process.communicate(timeout=30)
    assert time.monotonic() - started < 10 and process.returncode == 130, err
    assert (
        "interrupted; finished: no lesson" in err and "the same command goes on from there" in err
    )
    wait_for(lambda: not any(alive(pid) for pid in workers), timeout=10, what="the workers to end")
    assert len(cache_entries(tmp_path)) < 12  # the queued units were cancelled, not run silently


def test_sigkill_of_the_command_ends_its_workers(tmp_path):
    process = trainlab("run", "optimizers", "--quick", *SLOW, "--jobs", "2", "--out", str(tmp_path))
    wait_for(lambda: len(workers_of(process.pid)) == 2, what="the workers")
    workers = workers_of(process.pid)
    process.kill()
    process.wait()
    wait_for(
        lambda: not any(alive(pid) for pid in workers),
        timeout=10,
        what="the orphaned workers to end",
    )
    count = len(cache_entries(tmp_path))
    time.sleep(2)
    assert len(cache_entries(tmp_path)) == count and not (tmp_path / "optimizers").exists()


@pytest.fixture
def dask_cluster(tmp_path):
    pytest.importorskip("distributed")
    with dask_scheduler_and_workers(tmp_path, workers=2) as address:
        yield address


def test_run_all_quick_gives_the_same_bytes_with_jobs_1_jobs_2_and_a_dask_cluster(
    tmp_path, dask_cluster
):
    outs = {}
    for how, options in (
        ("one", ["--jobs", "1"]),
        ("two", ["--jobs", "2"]),
        ("dask", ["--cluster", dask_cluster]),
    ):
        outs[how] = tmp_path / how
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "trainlab",
                "run",
                "all",
                "--quick",
                *options,
                "--out",
                str(outs[how]),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    names = sorted(p.parent.parent.name for p in outs["one"].glob("*/*/metrics.json"))
    assert len(names) >= 20
    for name in names:
        texts = {metrics(out, name) for out in outs.values()}
        assert len(texts) == 1, (
            f"{name}: metrics.json differs between --jobs 1, --jobs 2 and --cluster"
        )
