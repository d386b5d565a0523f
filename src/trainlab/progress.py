"""What a person watching a run sees: a progress bar where someone watches, one line per epoch elsewhere.

Where the output goes decides the form, as in Keras (``verbose="auto"``):

- a terminal (a TTY): a bar for the epoch in progress, replaced when the epoch ends by one line with
  its metrics, the learning rate and the time, wrapped at the terminal's width (a field is never
  cut);
- a Jupyter notebook: a bar per epoch (an ipywidgets bar when ipywidgets is installed) ending with
  the metrics and the time;
- anything else (a pipe, a file, ``nohup``, a batch scheduler's log): one line per epoch, the same
  line as on a terminal, unwrapped, so that a log has one line per epoch to read or grep.

    epoch 3/10: loss 0.3012  accuracy 0.9123  val_loss 0.3312  val_accuracy 0.9034  lr 0.001  (2.6 s; 0:07
      elapsed, ETA 0:18)
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from typing import Any

from tqdm import tqdm

from trainlab.callbacks import Callback
from trainlab.validation import check_choice

VERBOSE = (0, 1, 2, "auto")
"""``verbose`` of fit, evaluate and predict: 0 silent; "auto" (the default) and 1 a bar where someone watches
(a terminal, a notebook), a line per epoch elsewhere; 2 a line per epoch wherever the output goes."""


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (whose output is a notebook cell, not a terminal).

    Read from the modules already imported (IPython is never imported here): a kernel has loaded
    ``ipykernel``, and its shell has a ``kernel``.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None or "ipykernel" not in sys.modules:
        return False
    shell = ipython.get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def terminal_width(stream: Any) -> int:
    """The width of the terminal ``stream`` writes to: $COLUMNS if set (as
    ``shutil.get_terminal_size`` reads it), else the terminal's own size, else 80."""
    try:
        return max(20, int(os.environ["COLUMNS"]))
    except (KeyError, ValueError):
        pass
    try:
        return max(20, os.get_terminal_size(stream.fileno()).columns)
    except (AttributeError, OSError, ValueError):
        return 80


def wrap_fields(fields: list[str], width: int | None) -> str:
    """The fields joined by two spaces; with a ``width``, wrapped between fields (a field is never
    cut, unless it alone is wider than a line), continuation lines indented by two spaces."""
    line = "  ".join(fields)
    if width is None:
        return line
    # a field's own spaces are non-breaking while wrapping, so "(2.6 s;" stays whole
    protected = "  ".join(field.replace(" ", "\0") for field in fields)
    wrapped = textwrap.wrap(
        protected,
        width=width,
        subsequent_indent="  ",
        break_long_words=True,
        break_on_hyphens=False,
    )
    return "\n".join(part.replace("\0", " ") for part in wrapped)


def epoch_fields(logs: dict[str, float]) -> list[str]:
    """``["loss 0.3012", "accuracy 0.9123", ..., "lr 0.001"]``: every metric of the epoch, 4
    significant digits."""
    return [f"{name} {value:.4g}" for name, value in logs.items() if name != "epoch"]


class ProgressBar(Callback):
    """Progress per epoch: steps, elapsed time, ETA, loss and metrics, in the form that suits the output.

    ``verbose="auto"`` or 1: a bar on a terminal or in a notebook, one line per epoch elsewhere (see
    the module docstring); 2: one line per epoch wherever the output goes. ``stream``: where to
    write (default ``sys.stdout``, as Keras does, so that ``python train.py > log.txt`` and
    ``| tee`` keep the lines). Each finished epoch shows every metric, the learning rate, its time,
    the run's elapsed time and the ETA (mean epoch time × epochs left).
    """

    def __init__(self, verbose: int | str = "auto", stream: Any = None) -> None:
        self.verbose = check_choice("verbose", verbose, VERBOSE[1:])
        self.stream = stream

    def on_train_begin(self):
        self.bar = None
        self.notebook = self.stream is None and in_notebook()
        self.out = self.stream or sys.stdout
        self.terminal = not self.notebook and hasattr(self.out, "isatty") and self.out.isatty()
        self.interactive = self.verbose != 2 and (self.terminal or self.notebook)
        self.started = self.epoch_started = time.perf_counter()

    def on_epoch_begin(self, epoch):
        self.epoch_started = time.perf_counter()
        if not self.interactive:
            return
        run = self.run
        description = f"epoch {epoch + 1}/{run.total_epochs}"
        if self.notebook:
            # tqdm.auto draws an ipywidgets bar (optional, heavy: imported in notebooks only) when
            # ipywidgets is installed, and falls back to text with a warning saying how to get the
            # widget.
            from tqdm.auto import tqdm as notebook_bar

            self.bar = notebook_bar(
                total=run.epoch_iterations(epoch),
                desc=description,
                unit="step",
                file=self.out,
                leave=True,
            )
        else:  # a terminal: the bar is replaced by the epoch's line when the epoch ends
            self.bar = tqdm(
                total=run.epoch_iterations(epoch),
                desc=description,
                unit="step",
                file=self.out,
                leave=False,
                ncols=terminal_width(self.out),
                bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                "[{elapsed}<{remaining}{postfix}]",
            )

    def on_batch_end(self, iteration, loss):
        if self.bar is not None:
            self.bar.update(1)
            if self.bar.n % 20 == 0:
                self.bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)

    def timing(self, epoch: int) -> str:
        """The epoch's time, the run's elapsed time and the expected time left: "(2.6 s; 0:12
        elapsed, ETA 0:30)"."""
        now = time.perf_counter()
        elapsed = now - self.started
        done = epoch + 1 - self.run.first_epoch
        left = elapsed / done * (self.run.total_epochs - epoch - 1)
        return (
            f"({now - self.epoch_started:.1f} s; {tqdm.format_interval(elapsed)} elapsed, "
            f"ETA {tqdm.format_interval(left)})"
        )

    def on_epoch_end(self, epoch, logs):
        fields = epoch_fields(logs)
        if self.notebook and self.bar is not None:
            self.bar.set_postfix_str(
                f"{'  '.join(fields)}  {self.timing(epoch)}", refresh=False
            )  # close() draws it
            self.bar.close()
            self.bar = None
            return
        if self.bar is not None:
            self.bar.close()  # erased: the epoch's line takes its place
            self.bar = None
        fields = [f"epoch {epoch + 1}/{self.run.total_epochs}:", *fields, self.timing(epoch)]
        print(
            wrap_fields(fields, terminal_width(self.out) - 1 if self.terminal else None),
            file=self.out,
            flush=True,
        )

    def on_train_end(self, logs):
        if self.bar is not None:
            self.bar.close()
        if self.run.history.status != "completed":
            print(
                f"training {self.run.history.status}: {self.run.history.stop_reason}",
                file=self.out,
                flush=True,
            )
