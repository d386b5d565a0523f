"""Callbacks: code the training loop calls at the start and end of training, epochs and batches.

A callback sees the run through ``self.run`` (a :class:`trainlab.training.TrainingRun`: the model, the
optimizer, the history, the step counters) and may stop it with ``self.run.stop(reason)``. Schedules are
not callbacks; :class:`LearningRateScheduler` applies one (and ``fit`` wraps a schedule passed directly).
"""

from __future__ import annotations

import csv
import math
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from trainlab.schedules import PlateauReducer
from trainlab.validation import check_choice, check_int, check_non_negative


class Callback:
    """Base class; override the hooks you need. ``logs`` are the epoch's metrics by name."""

    run: Any  # the fit's trainlab.training.TrainingRun (training imports this module: no import back)

    def set_run(self, run: Any) -> None:
        self.run = run

    def on_train_begin(self) -> None: ...

    def on_epoch_begin(self, epoch: int) -> None: ...

    def on_batch_begin(self, iteration: int) -> None: ...

    def on_batch_end(self, iteration: int, loss: float) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None: ...

    def on_train_end(self, logs: dict[str, float]) -> None: ...


class MonitorMixin:
    """Which metric to watch and which direction is better ("auto": max for accuracy, min otherwise)."""

    def set_monitor(self, monitor: str, mode: str, min_delta: float) -> None:
        self.monitor = monitor
        self.mode = check_choice("mode", mode, ("auto", "min", "max"))
        self.min_delta = check_non_negative("min_delta", min_delta)
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.sign = 1.0 if mode == "min" else -1.0

    def improved(self, value: float, best: float) -> bool:
        """Whether ``value`` beats ``best`` by more than ``min_delta`` in the monitored direction."""
        return self.sign * (best - value) > self.min_delta

    def check_monitor(self, names: list[str]) -> None:
        """ValueError, before training starts, if the epochs' logs will not have the monitored metric."""
        if self.monitor not in names:
            raise ValueError(f"monitor={self.monitor!r} is not among the epoch's metrics: {', '.join(names)}")

    def read(self, logs: dict[str, float]) -> float | None:
        self.check_monitor(list(logs))
        value = logs[self.monitor]
        return None if value is None or not math.isfinite(value) else value


class EarlyStopping(Callback, MonitorMixin):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    With ``restore_best`` (default True; Keras's name ``restore_best_weights`` is accepted too) the weights of
    the best epoch are put back at the end, so the model is the one that scored best, not the one that had
    overfitted ``patience`` epochs later.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool | None = None, *,
                 restore_best_weights: bool | None = None) -> None:
        self.set_monitor(monitor, mode, min_delta)
        self.patience = check_int("patience", patience, minimum=0)
        if restore_best is not None and restore_best_weights is not None and restore_best != restore_best_weights:
            raise ValueError(f"restore_best={restore_best!r} and restore_best_weights={restore_best_weights!r} "
                             "disagree; they are the same setting (restore_best_weights is Keras's name): give one")
        chosen = restore_best if restore_best is not None else restore_best_weights
        self.restore_best = True if chosen is None else bool(chosen)

    def on_train_begin(self):
        self.check_monitor(self.run.log_names)
        self.best = math.inf * self.sign
        self.best_epoch: int | None = None
        self.best_state: dict | None = None
        self.wait = 0

    def on_epoch_end(self, epoch, logs):
        value = self.read(logs)
        if value is not None and self.improved(value, self.best):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = self.run.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.run.stop(f"early stopping: {self.monitor} did not improve for {self.patience} epochs "
                          f"(best {self.best:.4g} at epoch {self.best_epoch})")

    def on_train_end(self, logs):
        if self.restore_best and self.best_state is not None:
            self.run.model.load_state_dict(self.best_state)
            self.run.history.restored_epoch = self.best_epoch


class LearningRateScheduler(Callback):
    """Set ``optimizer.lr = schedule(i)`` before every step (``per="step"``) or epoch (``per="epoch"``).

    i counts iterations (or epochs) from the start of training, across ``fit`` calls. If the schedule also
    has ``momentum(i)`` (1cycle), the optimizer's momentum (β1 for the Adam family) follows it. A schedule
    with an unset ``total_steps`` gets the run's total number of steps (or epochs).
    """

    def __init__(self, schedule: Callable[[int], float], per: str = "step") -> None:
        if not callable(schedule):
            raise TypeError(f"schedule must be callable as schedule(iteration) -> lr, got {schedule!r}")
        self.schedule = schedule
        self.per = check_choice("per", per, ("step", "epoch"))

    def on_train_begin(self):
        if getattr(self.schedule, "total_steps", 0) is None:
            run = self.run
            self.schedule.total_steps = run.total_iterations if self.per == "step" else run.total_epochs

    def apply(self, i: int) -> None:
        optimizer = self.run.optimizer
        optimizer.lr = self.schedule(i)
        if hasattr(self.schedule, "momentum") and getattr(optimizer, "momentum", None) is not None:
            optimizer.momentum = self.schedule.momentum(i)

    def on_batch_begin(self, iteration):
        if self.per == "step":
            self.apply(iteration)

    def on_epoch_begin(self, epoch):
        if self.per == "epoch":
            self.apply(epoch)


class ReduceLROnPlateau(Callback, MonitorMixin):
    """Performance scheduling: η ← max(η·factor, min_lr) when ``monitor`` has not improved by more than
    ``min_delta`` for ``patience`` epochs, then ``cooldown`` epochs of grace (see
    :class:`trainlab.schedules.PlateauReducer`, which does the bookkeeping).
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0, mode: str = "auto") -> None:
        self.set_monitor(monitor, mode, min_delta)
        self.settings = {"factor": factor, "patience": patience, "min_delta": min_delta, "cooldown": cooldown,
                         "min_lr": min_lr, "mode": "min" if self.sign > 0 else "max"}
        PlateauReducer(1.0, **self.settings)  # validate the settings now, not at the first epoch

    def on_train_begin(self):
        self.check_monitor(self.run.log_names)
        self.reducer = PlateauReducer(self.run.optimizer.lr, **self.settings)

    def on_epoch_end(self, epoch, logs):
        value = self.read(logs)
        if value is not None:
            self.run.optimizer.lr = self.reducer.update(value)


class ModelCheckpoint(Callback, MonitorMixin):
    """Save the model (weights, optimizer state, training progress) at the end of every epoch.

    ``path`` may name the epoch's logs in ``str.format`` fields: ``{epoch}`` (counted from 0), ``{loss}``,
    the compiled metrics (``{accuracy}``), ``{val_loss}``, ``{val_accuracy}``, ``{lr}``, e.g.
    ``"w-{epoch:02d}-{val_loss:.2f}.npz"``. The fields are checked when ``fit`` starts. With
    ``save_best_only`` a save happens only when ``monitor`` improves. Saves are atomic: a temporary file
    renamed over the old one, never a half-written file.
    """

    def __init__(self, path: str | Path, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto") -> None:
        self.path = str(path)
        self.save_best_only = bool(save_best_only)
        self.set_monitor(monitor, mode, 0.0)

    def on_train_begin(self):
        if self.save_best_only:
            self.check_monitor(self.run.log_names)
        self.check_pattern(self.run.log_names)
        self.best = math.inf * self.sign

    def check_pattern(self, names: list[str]) -> None:
        """ValueError if ``path`` has a field the logs will not have, or a format the values refuse."""
        allowed = ["epoch", *names]
        for _, field, _, _ in string.Formatter().parse(self.path):
            if field == "":
                raise ValueError(f"ModelCheckpoint path {self.path!r}: fields must be named, e.g. {{epoch}}")
            if field is not None and field not in allowed:
                raise ValueError(f"ModelCheckpoint path {self.path!r} has the field {{{field}}}; the epoch's logs "
                                 f"have {', '.join(allowed)}")
        try:
            self.path.format(epoch=0, **dict.fromkeys(names, 0.0))
        except (ValueError, TypeError) as error:
            raise ValueError(f"ModelCheckpoint path {self.path!r}: cannot format it: {error}") from None

    def on_epoch_end(self, epoch, logs):
        if self.save_best_only:
            value = self.read(logs)
            if value is None or not self.improved(value, self.best):
                return
            self.best = value
        self.run.model.save(self.path.format(epoch=epoch, **logs))


class CSVLogger(Callback):
    """Write one row of metrics per epoch to a CSV file (appending when ``append``)."""

    def __init__(self, path: str | Path, append: bool = False) -> None:
        self.path = Path(path)
        self.append = bool(append)

    def on_train_begin(self):
        self.columns: list[str] | None = None
        if not self.append and self.path.exists():
            self.path.unlink()

    def on_epoch_end(self, epoch, logs):
        row = {"epoch": epoch, **logs}
        new_file = not self.path.exists()
        if self.columns is None:
            self.columns = list(row)
        with self.path.open("a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerow(row)


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


class ProgressBar(Callback):
    """Progress per epoch: steps, elapsed time, ETA, loss and metrics, wherever someone is watching.

    ``verbose=1``: in a terminal, a tqdm bar per epoch; in a Jupyter notebook, ``tqdm.auto``'s bar (an
    ipywidgets progress bar when ipywidgets is installed, else text that the notebook redraws); silent when
    the output is neither (pipes, CI logs). ``verbose=2``: one line per epoch wherever the output goes.
    Each finished epoch shows its metrics and the run's elapsed time and ETA (mean epoch time × epochs left).
    """

    def __init__(self, verbose: int = 1, stream: Any = None) -> None:
        self.verbose = check_choice("verbose", verbose, (1, 2))
        self.stream = stream

    def on_train_begin(self):
        self.bar = None
        self.notebook = self.stream is None and in_notebook()
        stream = self.stream or (sys.stdout if self.notebook else sys.stderr)
        self.out = stream
        terminal = hasattr(stream, "isatty") and stream.isatty()
        self.interactive = self.verbose == 1 and (terminal or self.notebook)
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch):
        if self.interactive:
            if self.notebook:
                # tqdm.auto draws an ipywidgets bar (optional, heavy: imported in notebooks only) when
                # ipywidgets is installed, and falls back to text with a warning saying how to get the widget.
                from tqdm.auto import tqdm as bar
            else:
                bar = tqdm
            run = self.run
            self.bar = bar(total=run.epoch_iterations(epoch), desc=f"epoch {epoch + 1}/{run.total_epochs}",
                           unit="step", file=self.out, leave=True, dynamic_ncols=True)

    def on_batch_end(self, iteration, loss):
        if self.bar is not None:
            self.bar.update(1)
            if self.bar.n % 20 == 0:
                self.bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)

    def timing(self, epoch: int) -> str:
        """The run's elapsed time and the expected time left, e.g. "0:12 elapsed, ETA 0:30"."""
        elapsed = time.perf_counter() - self.started
        done = epoch + 1 - self.run.first_epoch
        left = elapsed / done * (self.run.total_epochs - epoch - 1)
        return f"{tqdm.format_interval(elapsed)} elapsed, ETA {tqdm.format_interval(left)}"

    def on_epoch_end(self, epoch, logs):
        summary = "  ".join(f"{key} {value:.4g}" for key, value in logs.items() if key != "epoch")
        if self.bar is not None:
            self.bar.set_postfix_str(f"{summary}  [{self.timing(epoch)}]", refresh=False)  # close() draws it
            self.bar.close()
            self.bar = None
        elif self.verbose == 2:
            print(f"epoch {epoch + 1}/{self.run.total_epochs}  {summary}  [{self.timing(epoch)}]", file=self.out,
                  flush=True)

    def on_train_end(self, logs):
        if self.bar is not None:
            self.bar.close()
        if (self.interactive or self.verbose == 2) and self.run.history.status != "completed":
            print(f"training {self.run.history.status}: {self.run.history.stop_reason}", file=self.out)
