"""What fit prints: a bar on a terminal (real or fake, of a given width), one line per epoch in a
pipe or a file.

Reproduces issue 25 (3): at 100 columns the bar was cut before val_accuracy, the learning rate and
the ETA; piped to a file, ``fit(verbose=1)`` printed nothing.
"""

import fcntl
import io
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import textwrap

import numpy as np
import pytest

import trainlab as tl
from trainlab.progress import ProgressBar, wrap_fields

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def blobs(n=300, d=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = 3.0 * rng.standard_normal((classes, d))
    y = rng.integers(0, classes, n)
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y


def trained(epochs=3, **fit):
    x, y = blobs()
    model = tl.Sequential([tl.Dense(16), tl.ReLU(), tl.Dense(3)], input_dim=8, seed=0)
    model.compile("adam", lr=1e-2, metrics=["accuracy"])
    return model.fit(x, y, epochs=epochs, batch_size=10, validation_split=0.2, **fit)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen_pieces(text: str) -> list[str]:
    """Every piece of text a terminal draws on one row: lines split at carriage returns, escapes removed."""
    return [piece for line in ANSI.sub("", text).split("\n") for piece in line.split("\r")]


def epoch_fields(history, epoch: int) -> list[str]:
    return [f"{name} {values[epoch]:.4g}" for name, values in history.history.items()]


@pytest.mark.parametrize("columns", [80, 40])
def test_on_a_terminal_nothing_is_wider_than_it_and_every_metric_is_shown_whole(
    monkeypatch, columns
):
    monkeypatch.setenv("COLUMNS", str(columns))
    stream = FakeTerminal()
    history = trained(callbacks=[ProgressBar(stream=stream)], verbose=0)
    shown = stream.getvalue()
    pieces = screen_pieces(shown)
    assert max(len(piece) for piece in pieces) <= columns, [p for p in pieces if len(p) > columns]
    assert "%|" in shown and "/24 [" in shown  # the bar of an epoch in progress
    for epoch in range(3):
        rows = [p for p in pieces if p.startswith(f"epoch {epoch + 1}/3:")]
        assert len(rows) == 1, pieces
        for field in [*epoch_fields(history, epoch), "elapsed", "ETA"]:
            assert any(field in piece for piece in pieces), (field, pieces)
    assert "lr 0.01" in shown and "ETA 00:00)" in shown


def test_wrapping_breaks_between_fields_and_indents_the_continuation():
    fields = [
        "epoch 12/30:",
        "loss 0.3012",
        "accuracy 0.9123",
        "val_loss 0.3312",
        "val_accuracy 0.9034",
        "lr 0.001",
        "(2.6 s; 00:12 elapsed, ETA 00:30)",
    ]
    text = wrap_fields(fields, 40)
    lines = text.splitlines()
    assert all(len(line) <= 40 for line in lines) and len(lines) > 2
    assert all(line.startswith("  ") for line in lines[1:])
    assert "  ".join(line.strip() for line in lines) == "  ".join(
        fields
    )  # nothing cut, nothing lost
    assert wrap_fields(fields, None) == "  ".join(fields)


def test_verbose_2_prints_lines_on_a_terminal_too_and_0_nothing(capsys):
    stream = FakeTerminal()
    history = trained(epochs=2, callbacks=[ProgressBar(2, stream=stream)], verbose=0)
    lines = [
        line for line in stream.getvalue().splitlines() if not line.startswith("  ")
    ]  # wrapped at 80
    assert len(lines) == 2 and "%|" not in stream.getvalue() and "\r" not in stream.getvalue()
    assert lines[1].startswith(f"epoch 2/2:  loss {history['loss'][1]:.4g}")
    assert stream.getvalue().endswith("ETA 00:00)\n")
    trained(epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    with pytest.raises(
        ValueError, match=r"verbose=3 is not allowed; choose one of 0, 1, 2, 'auto'"
    ):
        trained(epochs=1, verbose=3)
    with pytest.raises(ValueError, match="verbose=0 is not allowed"):
        ProgressBar(0)


SCRIPT = textwrap.dedent("""
    import numpy as np
    import trainlab as tl
    rng = np.random.default_rng(0)
    centers = 3.0 * rng.standard_normal((3, 8))
    y = rng.integers(0, 3, 300)
    x = (centers[y] + rng.standard_normal((300, 8))).astype(np.float32)
    model = tl.Sequential([tl.Dense(16), tl.ReLU(), tl.Dense(3)], input_dim=8, seed=0)
    model.compile("adam", lr=1e-2, metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=10, validation_split=0.2{verbose})
    print("LAST", repr(history.history))
""")


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return {**env, "PYTHONPATH": os.path.join(ROOT, "src"), "MPLBACKEND": "Agg"}


def last_history(text: str) -> dict[str, list[float]]:
    return eval(text.split("LAST ", 1)[1].strip())


@pytest.mark.parametrize("verbose", ["", ", verbose=1"])
def test_piped_to_a_file_the_default_and_verbose_1_print_one_line_per_epoch(verbose):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(verbose=verbose)],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    history = last_history(done.stdout)
    assert "\r" not in done.stdout and done.stderr == ""
    assert [line.split(":")[0] for line in lines[:3]] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    for epoch, line in enumerate(lines[:3]):
        fields = [f"{name} {values[epoch]:.4g}" for name, values in history.items()]
        assert line.startswith(f"epoch {epoch + 1}/3:  " + "  ".join(fields) + "  ("), line
        assert re.search(r"\(\d+\.\d s; \d\d:\d\d elapsed, ETA \d\d:\d\d\)$", line), line


def test_in_a_real_terminal_of_80_columns_every_row_fits():
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(verbose="")],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=environment(),
        close_fds=True,
    )
    os.close(follower)
    output = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            process.kill()
            pytest.fail("no output for 120 s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process has ended
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    text = output.decode().replace("\r\n", "\n")  # the terminal's own line ends
    history = last_history(text)
    pieces = screen_pieces(text.split("LAST ", 1)[0])
    assert max(len(piece) for piece in pieces) <= 80, [p for p in pieces if len(p) > 80]
    assert any("%|" in piece for piece in pieces)  # a bar was drawn while an epoch ran
    for epoch in range(3):
        assert sum(piece.startswith(f"epoch {epoch + 1}/3:") for piece in pieces) == 1
        for name, values in history.items():
            assert any(f"{name} {values[epoch]:.4g}" in piece for piece in pieces), (name, pieces)
