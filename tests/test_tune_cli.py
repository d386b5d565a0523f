"""`trainlab tune` as a person uses it: its lines, its files, bad input, running twice, a full disk."""

import re
import sqlite3

import pytest
from optuna.storages import RDBStorage
from tune_helpers import tiny_args

from trainlab.cli import build_parser, main
from trainlab.tune import load_result
from trainlab.tune.command import config_from_args

TRIAL_LINE = re.compile(
    r"^\[(\d+)/(\d+)\] trial +(\d+)  complete  val acc (\S+)  best (\S+) \(trial (\d+)\)"
)


def test_cli_runs_a_search_and_writes_the_results(tmp_path, capsys):
    out = tmp_path / "cli"
    assert (
        main(
            ["tune", *tiny_args("--trials", "4", "--out", str(out), "--best", "3", "--top-k", "2")]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Best-3 by final validation accuracy" in printed
    assert "narrowed from the top 2 trials" in printed and "second stage: trainlab tune" in printed
    assert (out / "best_curves.png").stat().st_size > 5000 and (out / "importances.png").exists()
    # each trial line carries the best value so far, and it is the running maximum
    lines = [TRIAL_LINE.match(line) for line in printed.splitlines() if line.startswith("[")]
    assert len(lines) == 4 and all(lines)
    best = max_so_far = (-1.0, -1)
    for match in lines:
        value, number = float(match[4]), int(match[3])
        max_so_far = max(max_so_far, (value, -number))
        best = (float(match[5]), -int(match[6]))
        assert best == max_so_far
    assert int(lines[-1][1]) == 4
    # the storage is shown as the file it is, not as an SQLAlchemy URL
    study_line = next(line for line in printed.splitlines() if line.startswith("study "))
    assert f"in {out / 'study.db'}:" in study_line and "sqlite://" not in study_line
    assert (
        f"storage: {out / 'study.db'} (study 'hyperparameter-search'; optuna-dashboard sqlite:///"
        in printed
    )


def test_storage_paths_below_the_current_folder_are_shown_relative(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["tune", *tiny_args("--trials", "1", "--epochs", "1", "--out", "here")]) == 0
    assert "study 'hyperparameter-search' in here/study.db: 0 of 1" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--space", "lr=1e-2..1e-4:log"], "the range is inverted"),
        (["--space", "lr=1e-3..1e-3"], "the range is empty"),
        (["--space", "learning_rate=1e-3..1e-2"], "unknown parameter 'learning_rate'"),
        (["--storage", "postgresql://127.0.0.1:1/x"], "cannot open storage"),
        (["--train-samples", "many"], "--train-samples takes a whole number or 'all'"),
        (["--val-fraction", "1.5"], r"val_fraction must be in \[0.0, 1.0\)"),
        (["--val-fraction", "nan"], "val_fraction must be finite"),
        (
            ["--space", "lr=1e-4..inf:log"],
            "lr takes a finite number, got inf",
        ),  # issue 10, finding 12
        (["--space", "weight_decay=nan"], "weight_decay takes a finite number, got nan"),
        (["--best", "0"], "--best must be >= 1, got 0"),  # refused before the search, not after it
        (["--top-k", "0"], "--top-k must be >= 1, got 0"),
        (["--best", "-3"], "--best must be >= 1, got -3"),
        (["--trials", "0"], "trials must be >= 1, got 0"),
        (["--epochs", "0"], "epochs must be >= 1, got 0"),
        (["--workers", "0"], "workers must be >= 1, got 0"),
        (["--resume", "--overwrite"], "resume and overwrite exclude each other"),
    ],
)
def test_cli_bad_input_is_one_clear_line(args, message, tmp_path, capsys):
    assert main(["tune", *tiny_args(*args, "--out", str(tmp_path / "bad"))]) == 2
    captured = capsys.readouterr()
    assert (
        captured.err.startswith("trainlab tune: error: ")
        and len(captured.err.strip().splitlines()) == 1
    )
    assert re.search(message, captured.err) and "Traceback" not in captured.err + captured.out
    assert "trial" not in captured.out  # no trial ran
    assert not (tmp_path / "bad" / "study.db").exists()  # refused before the storage was touched


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ([], (20, 20, 500)),  # --quick's budget
        (
            ["--trials", "3"],
            (3, 20, 500),
        ),  # issue 10, finding 13: explicit options win over --quick's
        (["--epochs", "2", "--train-samples", "300"], (20, 2, 300)),
        (["--train-samples", "all", "--trials", "7", "--epochs", "4"], (7, 4, None)),
    ],
)
def test_explicit_options_win_over_quick(extra, expected):
    args = build_parser().parse_args(["tune", "--quick", *extra])
    config = config_from_args(args)
    assert (config.trials, config.epochs, config.train_samples) == expected
    assert "hidden_layers=2" in config.space  # --quick's network is still used
    book = config_from_args(build_parser().parse_args(["tune", "--trials", "3"]))
    assert (book.trials, book.epochs, book.train_samples) == (
        3,
        50,
        500,
    )  # without --quick: the book's


def test_running_the_same_command_twice_needs_resume_or_overwrite(tmp_path, capsys):
    command = ["tune", *tiny_args("--trials", "2", "--epochs", "1", "--out", str(tmp_path))]
    assert main(command) == 0
    first = [
        t.params for t in load_result(str(tmp_path / "study.db"), "hyperparameter-search").trials
    ]
    capsys.readouterr()
    assert main(command) == 2
    error = capsys.readouterr().err
    assert "already exists" in error and "--resume" in error and "--overwrite" in error
    assert (
        main([*command, "--seed", "1", "--overwrite"]) == 0
    )  # other settings too: the old study is gone
    again = load_result(str(tmp_path / "study.db"), "hyperparameter-search")
    assert len(again.trials) == 2 and [t.number for t in again.trials] == [0, 1]
    assert [t.params for t in again.trials] != first and again.config.seed == 1
    assert (
        main([*command, "--overwrite"]) == 0
    )  # --overwrite without an existing study: runs as usual


class FullDisk:
    """RDBStorage whose writes fail, as SQLite's do on a full disk, once ``allowed`` epochs were reported."""

    WRITES = (
        "set_trial_intermediate_value",
        "set_trial_state_values",
        "set_trial_user_attr",
        "create_new_trial",
        "set_trial_param",
    )

    def __init__(self, monkeypatch, allowed: int) -> None:
        self.reports = allowed
        for name in self.WRITES:
            monkeypatch.setattr(RDBStorage, name, self.failing(getattr(RDBStorage, name), name))

    def failing(self, write, name):
        def method(storage, *args, **kwargs):
            if name == "set_trial_intermediate_value":
                self.reports -= 1
            if self.reports < 0:
                raise sqlite3.OperationalError("database or disk is full")
            return write(storage, *args, **kwargs)

        return method


def test_a_full_disk_is_one_line_and_resume_continues(tmp_path, monkeypatch, capsys):
    """Issue 10, finding 14: no chained tracebacks ending in "Should not reach."; the trials are kept."""
    command = ["tune", *tiny_args("--trials", "4", "--out", str(tmp_path))]
    with monkeypatch.context() as patch:
        FullDisk(
            patch, allowed=7
        )  # 3 epochs a trial: trials 0 and 1 finish, trial 2 fails in its 2nd epoch
        assert main(command) == 2
    captured = capsys.readouterr()
    error = captured.err.strip()
    assert (
        len(error.splitlines()) == 1
        and "Traceback" not in captured.err
        and "Should not reach" not in error
    )
    assert error == (
        f"trainlab tune: error: storage {tmp_path / 'study.db'} could not be written (database or "
        "disk is full); the 2 finished trials are kept there: once there is space (free some disk "
        "space), run the same command with --resume to continue the search"
    )
    kept = load_result(str(tmp_path / "study.db"), "hyperparameter-search")
    assert [t.state for t in kept.trials] == ["complete", "complete", "running"]
    assert main([*command, "--resume"]) == 0  # space again: the cut-short trial's slot runs again
    done = load_result(str(tmp_path / "study.db"), "hyperparameter-search")
    assert len(done.finished) == 4 and sorted(t.slot for t in done.finished) == [0, 1, 2, 3]
    assert done.trials[2].state == "failed" and done.trials[2].params == done.trials[3].params


def test_a_full_disk_while_writing_the_results_says_the_trials_are_kept(
    tmp_path, monkeypatch, capsys
):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("trainlab.tune.report.write_json", full)
    assert main(["tune", *tiny_args("--trials", "2", "--epochs", "1", "--out", str(tmp_path))]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and error.startswith(
        f"trainlab tune: error: could not write the results to {tmp_path} (No space left on device); the 2 "
        f"finished trials are kept in {tmp_path / 'study.db'}"
    )
    assert "--resume to write them" in error


def test_cli_lists_the_parameters(capsys):
    assert main(["tune", "--list-params"]) == 0
    printed = capsys.readouterr().out
    assert "weight_decay" in printed and "decoupled_weight_decay" in printed and "[0, 1)" in printed
