"""Searches that train: on mnist-mini, in memory, in SQLite files, with workers, killed and resumed."""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import matplotlib.image
import pytest
from optuna.trial import TrialState
from tune_helpers import TINY, tiny

from trainlab.tune import SearchConfig, StorageError, load_result, run_search, write_outputs
from trainlab.tune.storage import open_storage


@pytest.fixture(scope="module")
def small_search(tmp_path_factory):
    out = tmp_path_factory.mktemp("small")
    return run_search(tiny(out=str(out))), out


def test_small_search_records_every_trial(small_search):
    result, _ = small_search
    space = result.space()
    assert len(result.trials) == 6 and len(result.finished) == 6
    assert sorted(t.number for t in result.trials) == list(range(6))
    assert sorted(t.slot for t in result.trials) == list(range(6))
    for trial in result.trials:
        assert trial.state == "complete" and trial.status == "completed"
        assert set(trial.params) == {"lr", "weight_decay"}
        assert all(space[name].contains(value) for name, value in trial.params.items())
        assert len(trial.val_accuracy) == len(trial.train_accuracy) == len(trial.train_loss) == 3
        assert all(0.0 <= value <= 1.0 for value in trial.val_accuracy + trial.train_accuracy)
        assert trial.value == trial.val_accuracy[-1]
    assert result.dataset == "mnist-mini" and (result.n_train, result.n_val) == (240, 60)
    assert (
        max(t.value for t in result.trials) > 0.15
    )  # above chance (0.1): lr up to 0.1 learns in 3 epochs


def test_results_are_kept_in_the_storage_and_written_out(small_search, tmp_path):
    result, out = small_search
    loaded = load_result(str(out / "study.db"), "hyperparameter-search")
    assert [(t.number, t.params, t.val_accuracy) for t in loaded.trials] == [
        (t.number, t.params, t.val_accuracy) for t in result.trials
    ]
    assert loaded.config.search_space() == result.space() and loaded.config.epochs == 3
    files = write_outputs(result, tmp_path, best=4, top_k=3)
    figures = {"best_curves.png", "scatter.png", "importances.png", "optimization_history.png"}
    assert {path.name for path in files.values()} == {
        "config.json",
        "trials.json",
        "trials.csv",
        "summary.md",
        "summary.json",
        "run.json",
        "narrowing.json",
        *figures,
    }
    for name in figures:  # whole PNG files that decode
        assert matplotlib.image.imread(tmp_path / name).shape[2] in (3, 4)
    assert not list(tmp_path.glob(".*.part"))  # atomic writes leave no temporary files
    summary = (tmp_path / "summary.md").read_text()
    assert "## Best-4 by final validation accuracy" in summary and "| Best-4 |" in summary
    assert "trainlab tune" in summary and "--study hyperparameter-search-stage2" in summary
    data = json.loads(
        (tmp_path / "summary.json").read_text()
    )  # the keys of an experiment's summary.json
    assert {
        "title",
        "description",
        "command",
        "headers",
        "rows",
        "conclusions",
        "notes",
        "figures",
    } <= set(data)
    assert (
        data["kind"] == "tune"
        and data["headers"][:3] == ["rank", "trial", "val acc"]
        and len(data["rows"]) == 4
    )
    assert sorted(data["figures"]) == sorted(figures) and data["storage"] == str(out / "study.db")
    best = max(result.complete, key=lambda t: (t.value, -t.number))
    assert (
        data["rows"][0][1] == str(best.number) and f"trial {best.number}," in data["conclusions"][0]
    )
    assert data["command"].startswith("trainlab tune --dataset mnist-mini --train-samples 300")
    assert data["quick"] is False
    facts = json.loads((tmp_path / "run.json").read_text())  # the keys of an experiment's run.json
    assert facts["complete"] is True and "summary.json" in facts["files"]
    assert facts["seconds"] == round(result.seconds, 3)
    trials = json.loads((tmp_path / "trials.json").read_text())["trials"]
    assert len(trials) == 6 and len(trials[0]["val_accuracy"]) == 3
    assert len((tmp_path / "trials.csv").read_text().splitlines()) == 7


def test_the_same_seed_gives_the_same_trials():
    first, second = run_search(tiny(trials=3)), run_search(tiny(trials=3))
    assert [(t.params, t.val_accuracy) for t in first.trials] == [
        (t.params, t.val_accuracy) for t in second.trials
    ]
    other = run_search(tiny(trials=3, seed=1))
    assert [t.params for t in other.trials] != [t.params for t in first.trials]


def test_tpe_grid_and_pruners_finish_the_budget():
    tpe = run_search(tiny(sampler="tpe", pruner="median", trials=7, epochs=4))
    assert len(tpe.finished) == 7
    for trial in tpe.finished:
        assert len(trial.val_accuracy) == (
            4 if trial.state == "complete" else len(trial.val_accuracy)
        )
        assert trial.state == "complete" or (
            trial.status == "pruned" and len(trial.val_accuracy) < 4
        )
    grid = run_search(
        tiny(
            sampler="grid",
            grid_points=3,
            trials=20,
            space=(
                "lr=1e-3..1e-1:log",
                "optimizer=sgd,momentum",
                "hidden_layers=1",
                "hidden_units=8",
            ),
        )
    )
    assert len(grid.finished) == 6  # cut to the grid's 3 x 2 points, each visited once
    assert len({tuple(sorted(t.params.items())) for t in grid.trials}) == 6
    assert sorted({t.params["lr"] for t in grid.trials}) == pytest.approx([1e-3, 1e-2, 1e-1])
    hyperband = run_search(tiny(pruner="hyperband", trials=6, epochs=6))
    assert len(hyperband.finished) == 6


def test_two_worker_processes_on_one_sqlite_study_add_up(tmp_path):
    lines = []
    # trials of ~0.2 s: neither worker can finish them all while the other is still starting
    bigger = (*TINY[:2], "hidden_layers=2", "hidden_units=300")
    result = run_search(
        tiny(trials=8, workers=2, epochs=20, space=bigger, out=str(tmp_path)), log=lines.append
    )
    assert len(result.finished) == 8 and len(result.trials) == len(
        {t.number for t in result.trials}
    )
    assert sorted(t.slot for t in result.finished) == list(range(8))
    workers = {t.worker for t in result.finished}
    assert len(workers) == 2 and str(os.getpid()) not in {w.split(":")[1] for w in workers}
    assert any("(worker 1)" in line for line in lines) and any(
        "(worker 2)" in line for line in lines
    )
    # the same trials as one worker: parameters follow the slot, not the process
    alone = run_search(tiny(trials=8, epochs=1, space=bigger))
    assert {t.slot: t.params for t in result.finished} == {t.slot: t.params for t in alone.trials}


def test_a_killed_search_resumes_to_exactly_the_budget(tmp_path):
    """SIGKILL a `trainlab tune` process while a trial runs; --resume finishes exactly N distinct trials."""
    out, n = tmp_path / "run", 8
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
        "8",
        "--trials",
        str(n),
        "--space",
        "hidden_layers=2",
        "--space",
        "hidden_units=64",
        "--out",
        str(out),
        "--study",
        "killed",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    states = wait_for(
        out / "study.db",
        "killed",
        lambda s: (
            [state for state, _ in s].count(TrialState.COMPLETE) >= 2
            and s[-1] == (TrialState.RUNNING, True)
        ),
        process,
    )  # midway: an epoch reported
    process.send_signal(signal.SIGKILL)
    process.wait()
    storage = open_storage(f"sqlite:///{out / 'study.db'}")
    left = [t for t in storage.get_all_trials(storage.get_study_id_from_name("killed"))]
    done_before = sum(t.state == TrialState.COMPLETE for t in left)
    assert 2 <= done_before < n, states
    running = [t for t in left if t.state == TrialState.RUNNING]  # the trial the signal cut short
    assert len(running) == 1, states

    config = SearchConfig(
        dataset="mnist-mini",
        train_samples=300,
        epochs=8,
        trials=n,
        study="killed",
        out=str(out),
        resume=True,
        space=(
            "lr=1e-6..1e-2:log",
            "weight_decay=1e-8..1e-4:log",
            "hidden_layers=2",
            "hidden_units=64",
        ),
    )
    lines = []
    result = run_search(config, log=lines.append)
    numbers = [t.number for t in result.trials]
    assert len(numbers) == len(set(numbers))
    assert len(result.finished) == n and sorted(t.slot for t in result.finished) == list(range(n))
    assert not [t for t in result.trials if t.state == "running"]
    for trial in running:  # failed as interrupted; its slot ran again with the same parameters
        record = next(t for t in result.trials if t.number == trial.number)
        assert record.state == "failed" and record.status == "interrupted"
        rerun = next(t for t in result.finished if t.slot == record.slot)
        assert rerun.params == record.params and rerun.number > record.number
        assert any(f"trial {trial.number} was left running" in line for line in lines)
    # and the trials are those of an uninterrupted search with the same seed (parameters follow the slots)
    reference = run_search(
        SearchConfig(**{**config.__dict__, "epochs": 1, "out": None, "resume": False})
    )
    assert {t.slot: t.params for t in result.finished} == {
        t.slot: t.params for t in reference.trials
    }


def wait_for(path, study, condition, process, timeout=60.0):
    """Poll the study's trials until ``condition(states)`` holds; fail if the process ends first.

    ``states``: (TrialState, whether it reported an epoch) of each trial, by number.

    Reads the SQLite file directly, read-only: opening it with Optuna would race the search to
    create its tables.
    """
    deadline = time.monotonic() + timeout
    query = (
        "SELECT trials.state, EXISTS (SELECT 1 FROM trial_intermediate_values AS v WHERE v.trial_id = "
        "trials.trial_id) FROM trials JOIN studies ON trials.study_id = studies.study_id "
        "WHERE studies.study_name = ? ORDER BY trials.number"
    )
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as database:
                states = [
                    (TrialState[state], bool(reported))
                    for state, reported in database.execute(query, (study,))
                ]
        except sqlite3.Error:  # no file or no tables yet
            states = []
        if condition(states):
            return states
        time.sleep(0.02)
    raise AssertionError(f"the search did not get there in {timeout} s")


def test_an_existing_study_needs_resume_and_the_same_settings(tmp_path):
    run_search(tiny(trials=1, out=str(tmp_path)))
    with pytest.raises(ValueError, match="already exists .* with 1 trials: pass --resume"):
        run_search(tiny(trials=2, out=str(tmp_path)))
    with pytest.raises(ValueError, match=r"other settings \(epochs: 3 there, 4 here\)"):
        run_search(tiny(trials=2, epochs=4, out=str(tmp_path), resume=True))
    more = run_search(
        tiny(trials=2, out=str(tmp_path), resume=True)
    )  # a larger budget extends the search
    assert (
        len(more.finished) == 2
        and more.trials[0].params
        == load_result(str(tmp_path / "study.db"), "hyperparameter-search").trials[0].params
    )


def test_storage_that_cannot_connect_fails_before_any_trial(tmp_path):
    for url, message in [
        (
            "postgresql://user:secret@127.0.0.1:1/db",
            "cannot open storage postgresql://user:\\*\\*\\*@",
        ),
        ("nosuchdb://x", "cannot open storage nosuchdb://x"),
    ]:
        with pytest.raises(StorageError, match=message) as caught:
            run_search(tiny(storage=url, out=str(tmp_path)))
        assert "secret" not in str(caught.value)
    assert not any(tmp_path.iterdir())  # nothing was written


def test_trials_give_the_numbers_they_gave_before_the_search_used_tl_mlp():
    """Recorded before the search's own network builder was replaced by tl.mlp (issue 11): same
    seed, same parameters, same curves (validation accuracy in 60ths; training loss to 6 digits)."""
    space = (*TINY, "dropout=0..0.5", "batchnorm=true,false")
    result = run_search(tiny(trials=4, space=space))
    assert [t.params for t in result.trials] == [
        {
            "lr": 0.032825192461014605,
            "weight_decay": 1.1837855861397016e-08,
            "dropout": 0.22304823604589263,
            "batchnorm": True,
        },
        {
            "lr": 0.03222520532661312,
            "weight_decay": 2.5056949729472683e-05,
            "dropout": 0.4264661242705982,
            "batchnorm": True,
        },
        {
            "lr": 0.0024410598503102833,
            "weight_decay": 1.2675715641483277e-06,
            "dropout": 0.15093671196191927,
            "batchnorm": True,
        },
        {
            "lr": 0.0023303652455871327,
            "weight_decay": 1.9587144030807538e-05,
            "dropout": 0.09607087577115869,
            "batchnorm": False,
        },
    ]
    assert [[round(v * 60) for v in t.val_accuracy] for t in result.trials] == [
        [9, 12, 20],
        [12, 17, 25],
        [5, 4, 4],
        [5, 5, 5],
    ]
    assert [loss for t in result.trials for loss in t.train_loss] == pytest.approx(
        [
            2.548017,
            2.086471,
            1.909378,
            2.791944,
            2.316056,
            2.093923,
            2.842993,
            2.855397,
            2.613949,
            2.357853,
            2.301165,
            2.330762,
        ],
        rel=1e-5,
    )
