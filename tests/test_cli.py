import os
import subprocess
import sys

import pytest

import trainlab as tl
from trainlab.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"trainlab {tl.__version__}"


def test_gradcheck_passes_and_prints_a_table(capsys):
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    assert "batchnorm1.gamma" in out and "dense8.W" in out
    assert "44/44 gradients agree" in out  # 22 parameters, two variants
    assert "FAIL" not in out


def test_gradcheck_exits_1_when_a_backward_pass_is_wrong(capsys, monkeypatch):
    original = tl.ELU.backward
    monkeypatch.setattr(tl.ELU, "backward", lambda self, dout, input_grad=True: 0.9 * original(self, dout))
    assert main(["gradcheck"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_the_console_command_is_installed():
    result = subprocess.run([sys.executable, "-m", "trainlab.cli", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "trainlab" in result.stdout


@pytest.mark.parametrize(("line", "expected"), [
    ("trainlab run opt", ["optimizers-2d", "optimizers", "optimizer-table"]),
    ("trainlab run optimizers --qu", ["--quick"]),
    ("trainlab rep", ["report"]),
])
def test_the_shell_completes_commands_options_and_experiment_names(line, expected, tmp_path):
    pytest.importorskip("argcomplete")
    answer = tmp_path / "completions"
    env = {**os.environ, "COMP_LINE": line, "COMP_POINT": str(len(line)), "_ARGCOMPLETE": "1",
           "_ARGCOMPLETE_STDOUT_FILENAME": str(answer)}
    done = subprocess.run([sys.executable, "-m", "trainlab"], env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [word.strip() for word in answer.read_text().split("\x0b")] == expected
