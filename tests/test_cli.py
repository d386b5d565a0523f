import os
import subprocess
import sys
import warnings

import pytest

import trainlab as tl
from trainlab.cli import main
from trainlab.gradcheck import every_layer_model


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"trainlab {tl.__version__}"


def test_gradcheck_passes_and_prints_a_table(capsys):
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    assert "batchnorm1.gamma" in out and "dense8.W" in out
    checked = 2 * len(every_layer_model(0).params)  # every parameter of the two variants
    assert f"{checked}/{checked} gradients agree" in out
    assert "FAIL" not in out


def test_gradcheck_exits_1_when_a_backward_pass_is_wrong(capsys, monkeypatch):
    original = tl.ELU.backward
    monkeypatch.setattr(
        tl.ELU, "backward", lambda self, dout, input_grad=True: 0.9 * original(self, dout)
    )
    assert main(["gradcheck"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_the_console_command_is_installed():
    result = subprocess.run(
        [sys.executable, "-m", "trainlab.cli", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "trainlab" in result.stdout


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("trainlab run opt", ["optimizers-2d", "optimizers", "optimizer-table"]),
        ("trainlab run optimizers --qu", ["--quick"]),
        ("trainlab rep", ["report"]),
    ],
)
def test_the_shell_completes_commands_options_and_experiment_names(line, expected, tmp_path):
    pytest.importorskip("argcomplete")
    answer = tmp_path / "completions"
    env = {
        **os.environ,
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_STDOUT_FILENAME": str(answer),
    }
    done = subprocess.run(
        [sys.executable, "-m", "trainlab"], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert [word.strip() for word in answer.read_text().split("\x0b")] == expected


QUICK_PAIR = [
    "optimizers",
    "--quick",
    "--set",
    "optimizers=sgd,adam",
    "--set",
    "learning_rates=0.01,0.001",
]


def test_the_end_of_a_run_shows_the_claims_the_results_the_files_and_the_next_command(
    tmp_path, capsys
):
    assert main(["run", *QUICK_PAIR, "--jobs", "1", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("running 1 lesson (quick) on 1 worker; finished units are kept in")
    assert lines[1].startswith("optimizers (quick): done (")
    assert any(line.startswith("  note: This run changed the full-size settings") for line in lines)
    claims = [line for line in lines if line.startswith("  [")]
    assert len(claims) == 5 and all(
        line.startswith("  [untested]") for line in claims[:2]
    )  # no momentum, adagrad
    assert any(
        line.split()[:2] == ["setting", "iterations"] for line in lines
    )  # the table's header
    folder = next((tmp_path / "optimizers").iterdir())
    written = next(line for line in lines if line.startswith("written: "))
    assert written.startswith(f"written: {folder}/ (")
    assert sorted(written.split(" (", 1)[1].rstrip(")").split(", ")) == sorted(
        p.name for p in folder.iterdir()
    )
    assert lines[-1].startswith(f"next: trainlab report {tmp_path}")


def test_a_warning_is_said_once_per_command(tmp_path, capsys, monkeypatch):
    from trainlab.lessons import optimizers

    original = optimizers.train

    def warned(config, setting, seed):
        warnings.warn("MNIST was not found; using its test images", UserWarning, stacklevel=1)
        warnings.warn("MNIST was not found; using its test images", UserWarning, stacklevel=1)
        return original(config, setting, seed)

    monkeypatch.setattr(optimizers, "train", warned)
    assert main(["run", *QUICK_PAIR, "--jobs", "1", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert err.count("MNIST was not found") == 1
    assert any(
        line.startswith("trainlab: warning: MNIST was not found") for line in err.splitlines()
    )
    assert "written: " in out


def test_list_names_the_book_section_of_every_experiment(capsys):
    """Issue 13: `trainlab list` shows each experiment with the book and section it reproduces."""
    from trainlab.lab.lesson import list_lessons, load_lesson

    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 100
    for name in list_lessons():
        line = next(line for line in lines if line.split()[0] == name)
        assert load_lesson(name).section.split()[0] in line and ("DLfS" in line or "HOML" in line)
