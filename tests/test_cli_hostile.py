"""The ``trainlab`` command under hostile and broken input (issue 10 and its siblings).

Every refused command must: exit with status 2, say what is wrong in one line on stderr, print no
Python traceback, touch no file outside its output folder (and create no run folder), and leave the
earlier runs readable by ``trainlab report``. Broken run folders and hostile summaries must not
break the report, and the report embeds only image files inside each run's own folder.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trainlab.cli import build_parser, main, option_strings
from trainlab.lessons import gradient_descent

SECRET = "TOP-SECRET-CONTENT-4711"


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """A runs folder holding one good earlier run (gradient-descent --quick, instant)."""
    runs = tmp_path_factory.mktemp("earlier") / "runs"
    assert main(["run", "gradient-descent", "--quick", "--out", str(runs)]) == 0
    return runs


@pytest.fixture
def workspace(earlier, tmp_path, monkeypatch):
    """A working folder (the current directory) with a copy of the earlier runs in ``runs/``."""
    shutil.copytree(earlier, tmp_path / "runs")
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() or p.is_dir()
    }


def report_still_reads_the_earlier_run(workspace: Path, capsys) -> None:
    assert main(["report", "runs", "--out", str(workspace / "runs" / "report.html")]) == 0
    page = (workspace / "runs" / "report.html").read_text()
    assert gradient_descent.LESSON.title in page and page.count("data:image/png;base64,") >= 1
    capsys.readouterr()


REFUSED = [
    (["run", "optimizer"], "did you mean 'optimizers'?"),
    (["run", "all", "optimizers"], "'all' already runs every lesson"),
    (
        ["run", "overfitting", "--quick", "--set", "test_samples=-1"],
        "test_samples=-1 is not allowed: test_samples is a whole number >= 1, or None (the whole test set)",
    ),
    (["run", "two-layer-net", "--quick", "--set", "iterations=0"], "iterations=0 is not allowed"),
    (["run", "init-compare", "--quick", "--set", "iterations=0"], "iterations=0 is not allowed"),
    (["run", "overfitting", "--quick", "--set", "dropout=1"], "dropout=1.0 is not allowed"),
    (
        ["run", "optimizers", "--dataset", "cifar10"],
        "dataset='cifar10' is not allowed: dataset is one of: mnist",
    ),
    (["run", "two-layer-net", "--dataset", "cifar10"], "dataset='cifar10' is not allowed"),
    (["run", "optimizers", "--dataset", "fashion_mnist"], "did you mean 'fashion-mnist'?"),
    (["run", "gradient-descent", "--set", "steps"], "--set 'steps': expected KEY=VALUE"),
    (
        ["run", "gradient-descent", "--set", "stepz=3"],
        "has no setting 'stepz'; did you mean 'steps'?",
    ),
    (
        ["run", "gradient-descent", "--set", "steps=many"],
        "--set steps=many: expected a value of type int",
    ),
    (["run", "gradient-descent", "--set", "suitable_lr=nan"], "expected a finite number"),
    (["run", "gradient-descent", "--set", "suitable_lr=-0.1"], "suitable_lr=-0.1 is not allowed"),
    (
        ["run", "optimizers-2d", "--set", "learning_rates=0.1,0.2"],
        "it has 2 items where 8 are needed",
    ),
    (
        ["run", "gradient-descent", "--seed", "-1"],
        "seed=-1 is not allowed: seed is a whole number >= 0",
    ),
    (["run", "gradient-descent", "--threads", "-1"], "--threads must be >= 0"),
    (["run", "gradient-descent", "--jobs", "-2"], "--jobs must be >= 0"),
    (["run", "all", "--set", "lr=1"], "name a single lesson to use it"),
    (
        ["run", "two-layer-net", "--data-dir", "nowhere"],
        "data_dir='nowhere' is not allowed: 'nowhere': no such",
    ),
    (
        ["run", "gradient-descent", "--out", "a-file"],
        "--out a-file: a-file is a file, not a folder",
    ),
    (["run", "gradient-descent", "--out", "a-file/runs"], "a-file is a file, not a folder"),
    (["report", "nowhere"], "no runs at nowhere"),
    (["report", "a-file"], "no complete experiment runs under a-file"),
]


@pytest.mark.parametrize(("argv", "message"), REFUSED, ids=[" ".join(argv) for argv, _ in REFUSED])
def test_a_refused_command_says_why_in_one_line_and_changes_nothing(
    argv, message, workspace, capsys
):
    before = snapshot(workspace)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert lines[0].startswith(f"trainlab {argv[0]}: error: ")
    assert "Traceback" not in out + err
    assert snapshot(workspace) == before  # no run folder, no file touched anywhere
    report_still_reads_the_earlier_run(workspace, capsys)


ARGPARSE_REFUSED = [
    (["rnu"], "invalid choice: 'rnu'", "did you mean 'run'?"),
    (
        ["run", "gradient-descent", "--quik"],
        "unrecognized arguments: --quik",
        "did you mean '--quick'?",
    ),
    (["data", "info", "mnst"], "invalid choice: 'mnst'", "did you mean 'mnist'?"),
    (["run", "gradient-descent", "--seed", "x"], "invalid int value: 'x'", ""),
]


@pytest.mark.parametrize(
    ("argv", "problem", "hint"),
    ARGPARSE_REFUSED,
    ids=[" ".join(argv) for argv, _, _ in ARGPARSE_REFUSED],
)
def test_mistyped_commands_and_options_get_a_suggestion(argv, problem, hint, workspace, capsys):
    before = snapshot(workspace)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert problem in last and hint in last
    assert snapshot(workspace) == before


def test_option_strings_walks_every_subcommand():
    options = option_strings(build_parser())  # reads argparse's private _actions: pinned here
    assert {"--quick", "--jobs", "--set", "--verify", "--data-dir", "--version"} <= set(options)


def test_bare_trainlab_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: trainlab" in capsys.readouterr().err


def test_python_dash_m_trainlab_runs_the_command(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "trainlab", "run", "nope", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "lesson 'nope' does not exist" in done.stderr and list(tmp_path.iterdir()) == []


def test_a_failing_summary_keeps_the_data_and_the_report_skips_the_run(
    workspace, capsys, monkeypatch
):
    def broken(runs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(gradient_descent, "plot", broken)
    assert main(["run", "gradient-descent", "--quick"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert (
        "the results are kept in runs/gradient-descent/" in err
        and "IndexError: list index out of range" in err
    )
    folder = Path(err.split("kept in ")[1].split(" ")[0])
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "metrics.json"]
    assert json.loads((folder / "metrics.json").read_text())[
        "runs"
    ]  # the training's numbers are kept
    assert main(["report", "runs"]) == 0
    assert (
        capsys.readouterr().err.strip()
        == f"trainlab: warning: skipped {folder}: incomplete: no summary.json "
        "(the run stopped before writing all its files)"
    )
    report_still_reads_the_earlier_run(workspace, capsys)


def test_a_failing_experiment_leaves_no_folder(workspace, capsys, monkeypatch):
    def broken(config, setting, seed):
        raise ValueError("data file t10k-images-idx3-ubyte.gz: checksum mismatch")

    monkeypatch.setattr(gradient_descent, "train", broken)
    before = snapshot(workspace)
    assert (
        main(["run", "gradient-descent", "--quick", "--fresh", "--jobs", "1"]) == 2
    )  # fresh: not from the cache
    assert "checksum mismatch" in capsys.readouterr().err
    assert snapshot(workspace) == before


def break_run(folder: Path, how: str) -> None:
    """Damage a copy of a good run the way a crash, a full disk or a hand edit would."""
    summary = json.loads((folder / "summary.json").read_text())
    if how == "empty summary":
        (folder / "summary.json").write_bytes(b"")
    elif how == "truncated summary":
        (folder / "summary.json").write_text('{"title": "x", "fig')
    elif how == "null summary":
        (folder / "summary.json").write_text("null")
    elif how == "list summary":
        (folder / "summary.json").write_text("[1, 2]")
    elif how == "no title":
        del summary["title"]
        (folder / "summary.json").write_text(json.dumps(summary))
    elif how == "figures not a list":
        summary["figures"] = "paths.png"
        (folder / "summary.json").write_text(json.dumps(summary))
    elif how == "no run.json":
        (folder / "run.json").unlink()
    elif how == "empty run.json":
        (folder / "run.json").write_bytes(b"")
    elif how == "a listed file missing":
        (folder / "metrics.json").unlink()
    elif how == "summary is a symlink":
        (folder / "summary.json").unlink()
        (folder / "summary.json").symlink_to(folder.parent / "elsewhere.json")
        (folder.parent / "elsewhere.json").write_text(json.dumps(summary))


BROKEN = [
    "empty summary",
    "truncated summary",
    "null summary",
    "list summary",
    "no title",
    "figures not a list",
    "no run.json",
    "empty run.json",
    "a listed file missing",
    "summary is a symlink",
]
REASONS = {
    "empty summary": "summary.json: unreadable JSON (empty file)",
    "null summary": "holds NoneType, not a JSON object",
    "no title": "'title' is missing",
    "figures not a list": "'figures' is a str, not a list",
    "no run.json": "incomplete: no run.json",
    "a listed file missing": "incomplete: metrics.json missing",
    "summary is a symlink": "summary.json is a symbolic link",
}


@pytest.mark.parametrize("how", BROKEN)
def test_the_report_skips_a_broken_run_with_one_warning_naming_it(how, workspace, capsys):
    good = next((workspace / "runs" / "gradient-descent").iterdir())
    broken = good.parent / "20990101-000000"
    shutil.copytree(good, broken)
    break_run(broken, how)
    assert main(["report", "runs"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        f"trainlab: warning: skipped {broken.relative_to(workspace)}: "
    ), err
    assert REASONS.get(how, "") in err[0]
    page = (workspace / "runs" / "report.html").read_text()
    assert page.count(gradient_descent.LESSON.title) >= 1 and "20990101-000000" not in page


HOSTILE_FIGURES = [
    "../../../secret.txt",
    "/etc/passwd",
    "../secret.png",
    "link-out.png",
    "notes.txt",
    "fake.png",
    "sub/inside.png",
    "..",
    "",
    7,
    None,
]


def test_the_report_embeds_only_images_inside_the_run_folder(workspace, capsys):
    folder = next((workspace / "runs" / "gradient-descent").iterdir())
    (workspace / "secret.txt").write_text(SECRET)
    (workspace / "runs" / "secret.png").write_bytes(
        (folder / "paths.png").read_bytes()[:8] + SECRET.encode()
    )
    (folder / "link-out.png").symlink_to(workspace / "runs" / "secret.png")
    (folder / "notes.txt").write_text(SECRET)
    (folder / "fake.png").write_text(SECRET)
    (folder / "sub").mkdir()
    os.symlink(workspace / "runs" / "secret.png", folder / "sub" / "inside.png")
    summary = json.loads((folder / "summary.json").read_text())
    summary["figures"] = [*summary["figures"], *HOSTILE_FIGURES]
    (folder / "summary.json").write_text(json.dumps(summary))

    assert main(["report", "runs"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == len(HOSTILE_FIGURES) and all("not embedded" in line for line in err)
    page = (workspace / "runs" / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 1  # the run's own paths.png
    for encoded in (SECRET, __import__("base64").b64encode(SECRET.encode()).decode()[:12], "root:"):
        assert encoded not in page
