"""Callbacks: code the training loop calls at the start and end of training, epochs and batches.

A callback sees the run through ``self.run`` (a :class:`trainlab.training.TrainingRun`: the model,
the optimizer, the history, the step counters) and may stop it with ``self.run.stop(reason)``.
Schedules are not callbacks; :class:`LearningRateScheduler` applies one (and ``fit`` wraps a
schedule passed directly).
"""

from __future__ import annotations

import csv
import inspect
import math
import numbers
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trainlab.schedules import PlateauReducer
from trainlab.validation import (
    check_choice,
    check_int,
    check_non_negative,
    check_not_a_class,
    explain_keywords,
)


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
            raise ValueError(
                f"monitor={self.monitor!r} is not among the epoch's metrics: {', '.join(names)}"
            )

    def read(self, logs: dict[str, float]) -> float | None:
        self.check_monitor(list(logs))
        value = logs[self.monitor]
        return None if value is None or not math.isfinite(value) else value


class EarlyStopping(Callback, MonitorMixin):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    With ``restore_best`` (default True; Keras's name ``restore_best_weights`` is accepted too) the
    weights of the best epoch are put back at the end, so the model is the one that scored best, not
    the one that had overfitted ``patience`` epochs later.
    """

    @explain_keywords
    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool | None = None,
        *,
        restore_best_weights: bool | None = None,
        verbose: int = 0,
    ) -> None:
        self.set_monitor(monitor, mode, min_delta)
        self.verbose = check_choice("verbose", verbose, (0, 1))
        self.patience = check_int("patience", patience, minimum=0)
        if (
            restore_best is not None
            and restore_best_weights is not None
            and restore_best != restore_best_weights
        ):
            raise ValueError(
                f"restore_best={restore_best!r} and restore_best_weights={restore_best_weights!r} "
                "disagree; they are the same setting (restore_best_weights is Keras's name): give one"
            )
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
            self.run.stop(
                f"early stopping: {self.monitor} did not improve for {self.patience} epochs "
                f"(best {self.best:.4g} at epoch {self.best_epoch})"
            )

    def on_train_end(self, logs):
        if self.restore_best and self.best_state is not None:
            self.run.model.load_state_dict(self.best_state)
            self.run.history.restored_epoch = self.best_epoch
            if self.verbose:
                print(
                    f"EarlyStopping: the weights of epoch {self.best_epoch + 1} ({self.monitor} "
                    f"{self.best:.4g}) are restored"
                )


class LearningRateScheduler(Callback):
    """Set the learning rate from ``schedule`` at the start of every epoch, as Keras does, or of every step.

    ``schedule`` is called as ``schedule(epoch)``, or as ``schedule(epoch, lr)`` with the current
    learning rate when it takes two arguments (the two forms of Hands-On ML's
    ``exponential_decay_fn``), and returns the learning rate for that epoch. ``per="step"`` calls it
    before every step with the step number instead (a Schedule object in ``callbacks`` is applied
    that way: its ``decay_steps`` and ``total_steps`` count steps). The count starts at 0 and goes
    on across ``fit`` calls. If the schedule also has ``momentum(i)`` (1cycle), the optimizer's
    momentum (β1 for the Adam family) follows it. A schedule with an unset ``total_steps`` gets the
    run's total number of steps (or epochs). ``verbose=1`` prints each new learning rate.
    """

    @explain_keywords
    def __init__(
        self, schedule: Callable[..., float], per: str = "epoch", verbose: int = 0
    ) -> None:
        check_not_a_class("schedule", schedule)
        if not callable(schedule):
            raise TypeError(
                f"schedule must be callable as schedule(epoch) or schedule(epoch, lr), got {schedule!r}"
            )
        self.schedule = schedule
        self.per = check_choice("per", per, ("epoch", "step"))
        self.verbose = check_choice("verbose", verbose, (0, 1))
        self.takes_lr = positional_count(schedule) >= 2

    def on_train_begin(self):
        if getattr(self.schedule, "total_steps", 0) is None:
            run = self.run
            self.schedule.total_steps = (
                run.total_iterations if self.per == "step" else run.total_epochs
            )

    def apply(self, i: int) -> None:
        optimizer = self.run.optimizer
        value = self.schedule(i, float(optimizer.lr)) if self.takes_lr else self.schedule(i)
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not 0 < value < math.inf
        ):
            name = getattr(self.schedule, "__name__", type(self.schedule).__name__)
            raise ValueError(
                f"LearningRateScheduler: {name}({i}{', lr' if self.takes_lr else ''}) returned "
                f"{value!r}; a schedule must return a positive, finite learning rate"
            )
        if self.verbose:
            print(
                f"{self.per} {i + 1}: LearningRateScheduler sets the learning rate to {value:.4g}"
            )
        optimizer.lr = float(value)
        if hasattr(self.schedule, "momentum") and getattr(optimizer, "momentum", None) is not None:
            optimizer.momentum = self.schedule.momentum(i)

    def on_batch_begin(self, iteration):
        if self.per == "step":
            self.apply(iteration)

    def on_epoch_begin(self, epoch):
        if self.per == "epoch":
            self.apply(epoch)


def positional_count(function: Callable[..., Any]) -> int:
    """How many positional arguments ``function`` accepts (1 when its signature cannot be read)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in kinds)


class ReduceLROnPlateau(Callback, MonitorMixin):
    """Performance scheduling: η ← max(η·factor, min_lr) when ``monitor`` has not improved by more
    than ``min_delta`` for ``patience`` epochs, then ``cooldown`` epochs of grace (see
    :class:`trainlab.schedules.PlateauReducer`, which does the bookkeeping).
    """

    @explain_keywords
    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        mode: str = "auto",
        verbose: int = 0,
    ) -> None:
        self.set_monitor(monitor, mode, min_delta)
        self.verbose = check_choice("verbose", verbose, (0, 1))
        self.settings = {
            "factor": factor,
            "patience": patience,
            "min_delta": min_delta,
            "cooldown": cooldown,
            "min_lr": min_lr,
            "mode": "min" if self.sign > 0 else "max",
        }
        PlateauReducer(1.0, **self.settings)  # validate the settings now, not at the first epoch

    def on_train_begin(self):
        self.check_monitor(self.run.log_names)
        self.reducer = PlateauReducer(self.run.optimizer.lr, **self.settings)

    def on_epoch_end(self, epoch, logs):
        value = self.read(logs)
        if value is not None:
            lr = self.reducer.update(value)
            if self.verbose and lr != self.run.optimizer.lr:
                print(f"epoch {epoch + 1}: ReduceLROnPlateau reduces the learning rate to {lr:.4g}")
            self.run.optimizer.lr = lr


class ModelCheckpoint(Callback, MonitorMixin):
    """Save the model (weights, optimizer state, training progress) at the end of every epoch.

    ``filepath`` (Keras's name; ``path=`` works too) may name the epoch's logs in ``str.format``
    fields: ``{epoch}`` (counted from 0), ``{loss}``, the compiled metrics (``{accuracy}``),
    ``{val_loss}``, ``{val_accuracy}``, ``{lr}``, e.g. ``"w-{epoch:02d}-{val_loss:.2f}.npz"``. The
    fields are checked when ``fit`` starts. With ``save_best_only`` a save happens only when
    ``monitor`` improves; ``save_weights_only`` leaves the optimizer's state out of the file;
    ``verbose=1`` says each save. Saves are atomic: a temporary file renamed over the old one, never
    a half-written file.
    """

    @explain_keywords
    def __init__(
        self,
        filepath: str | Path | None = None,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        *,
        path: str | Path | None = None,
    ) -> None:
        if (filepath is None) == (path is None):
            raise TypeError(
                "ModelCheckpoint needs the file to write: give filepath (Keras's name) or path, once"
            )
        self.path = str(filepath if path is None else path)
        self.verbose = check_choice("verbose", verbose, (0, 1))
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
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
                raise ValueError(
                    f"ModelCheckpoint path {self.path!r}: fields must be named, e.g. {{epoch}}"
                )
            if field is not None and field not in allowed:
                raise ValueError(
                    f"ModelCheckpoint path {self.path!r} has the field {{{field}}}; the epoch's logs "
                    f"have {', '.join(allowed)}"
                )
        try:
            self.path.format(epoch=0, **dict.fromkeys(names, 0.0))
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"ModelCheckpoint path {self.path!r}: cannot format it: {error}"
            ) from None

    def on_epoch_end(self, epoch, logs):
        if self.save_best_only:
            value = self.read(logs)
            if value is None or not self.improved(value, self.best):
                return
            self.best = value
        path = self.path.format(epoch=epoch, **logs)
        self.run.model.save(path, include_optimizer=not self.save_weights_only)
        if self.verbose:
            print(f"epoch {epoch + 1}: ModelCheckpoint saved the model to {path}")


class CSVLogger(Callback):
    """Write one row of metrics per epoch to a CSV file (appending when ``append``)."""

    @explain_keywords
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


class TensorBoard(Callback):
    """Write the run's curves as TensorBoard event files, as Keras's callback does:
    ``tensorboard --logdir DIR``.

    After each epoch, every metric of the epoch's logs at step = the epoch (from 0), with Keras's
    names and folders, so that TensorBoard draws training and validation on one chart:
    ``log_dir/train`` has ``epoch_loss``, ``epoch_accuracy``, ... and ``epoch_learning_rate``,
    ``log_dir/validation`` has ``epoch_loss``, ``epoch_accuracy``, ... (from ``val_loss``,
    ``val_accuracy``). ``update_freq="batch"`` (or a number n: every n steps) adds each step's loss
    as ``batch_loss`` at step = the iteration; ``histogram_freq=n`` adds a histogram of every
    parameter every n epochs (``layer.W`` ...).

    The files are written by tensorboardX, an optional dependency: ``pip install "trainlab[tensorboard]"``.
    """

    @explain_keywords
    def __init__(
        self,
        log_dir: str | Path = "logs",
        histogram_freq: int = 0,
        update_freq: str | int = "epoch",
    ) -> None:
        self.log_dir = Path(log_dir)
        self.histogram_freq = check_int("histogram_freq", histogram_freq, minimum=0)
        if update_freq == "epoch":
            self.every = 0
        elif update_freq == "batch":
            self.every = 1
        else:
            self.every = check_int("update_freq", update_freq, minimum=1)

    def on_train_begin(self):
        try:
            from tensorboardX import SummaryWriter  # optional: only this callback needs it
        except ImportError:
            raise ImportError(
                "the TensorBoard callback writes with tensorboardX: pip install tensorboardX "
                '(or pip install "trainlab[tensorboard]")'
            ) from None
        self.make_writer = SummaryWriter
        self.writers: dict[str, Any] = {}

    def writer(self, part: str) -> Any:
        """The writer of ``log_dir/part`` ("train" or "validation"), created when first written to."""
        if part not in self.writers:
            self.writers[part] = self.make_writer(str(self.log_dir / part))
        return self.writers[part]

    def on_batch_end(self, iteration, loss):
        if self.every and (iteration + 1) % self.every == 0:
            self.writer("train").add_scalar("batch_loss", loss, iteration)

    def on_epoch_end(self, epoch, logs):
        for name, value in logs.items():
            part = "validation" if name.startswith("val_") else "train"
            tag = "learning_rate" if name == "lr" else name.removeprefix("val_")
            self.writer(part).add_scalar(f"epoch_{tag}", value, epoch)
        if self.histogram_freq and (epoch + 1) % self.histogram_freq == 0:
            for name, array in self.run.model.params.items():
                self.writer("train").add_histogram(name, array, epoch)
        for writer in self.writers.values():
            writer.flush()

    def on_train_end(self, logs):
        for writer in self.writers.values():
            writer.close()
