"""The fit loop: epochs of mini-batches, validation, the divergence guard and callbacks.

There is one loop. ``Sequential.fit`` calls :func:`fit`; the textbook-style :class:`Trainer` calls
``Sequential.fit`` too. A run continues the model's counters (epochs, steps, the data-order random stream
and the optimizer's state), so training in two calls, or from a saved checkpoint, gives the same weights
as training in one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from trainlab.callbacks import Callback, LearningRateScheduler, ProgressBar
from trainlab.data.batches import batch_indices
from trainlab.history import History
from trainlab.validation import check_choice, check_in_range, check_int

if TYPE_CHECKING:
    from trainlab.model import Sequential
    from trainlab.optimizers import Optimizer

STATUSES = ("running", "completed", "stopped", "diverged")


@dataclass
class TrainingRun:
    """The state of one ``fit`` call, as callbacks see it."""

    model: Sequential
    optimizer: Optimizer
    history: History
    first_epoch: int
    total_epochs: int
    first_iteration: int
    total_iterations: int
    steps_per_epoch: int
    stop_requested: bool = False

    def stop(self, reason: str) -> None:
        """Ask the loop to stop after the current epoch."""
        self.stop_requested = True
        self.history.status = "stopped"
        self.history.stop_reason = reason

    def epoch_iterations(self, epoch: int) -> int:
        """Steps in ``epoch`` (the last one may be cut short by an ``iterations`` budget)."""
        start = epoch * self.steps_per_epoch
        return max(0, min(self.steps_per_epoch, self.total_iterations - start))


class BatchSampler:
    """Indices of mini-batches: a fresh permutation per epoch, or i.i.d. draws (the textbook's choice).

    ``"epoch"`` visits every sample once per epoch (the last batch may be smaller); ``"iid"`` draws each
    batch independently with replacement, as ``np.random.choice(train_size, batch_size)`` does.
    """

    def __init__(self, n: int, batch_size: int, sampling: str, shuffle: bool, rng: np.random.Generator):
        self.n, self.batch_size, self.sampling, self.shuffle, self.rng = n, batch_size, sampling, shuffle, rng

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def epoch(self) -> list[np.ndarray]:
        if self.sampling == "iid":
            return [self.rng.choice(self.n, self.batch_size) for _ in range(self.steps_per_epoch)]
        return batch_indices(self.n, self.batch_size, shuffle=self.shuffle, rng=self.rng)


def fit(
    model: Sequential,
    x: Any,
    y: Any,
    *,
    epochs: int | None = None,
    iterations: int | None = None,
    batch_size: int = 32,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float | None = None,
    shuffle: bool = True,
    sampling: str = "epoch",
    callbacks: Sequence[Any] = (),
    verbose: int = 1,
    evaluate_train: bool | int = True,
) -> History:
    """Train a compiled model; see :meth:`trainlab.model.Sequential.fit` for the arguments."""
    if model.optimizer is None:
        raise RuntimeError("compile the model first: model.compile(optimizer=..., loss=..., metrics=[...])")
    if epochs is not None and iterations is not None:
        raise ValueError("give epochs or iterations, not both")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    sampling = check_choice("sampling", sampling, ("epoch", "iid"))
    verbose = check_choice("verbose", verbose, (0, 1, 2))
    x = model.check_input(x)
    y = np.asarray(y)
    if len(y) != len(x):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}; they must have the same length")
    if validation_split is not None:
        if validation_data is not None:
            raise ValueError("give validation_data or validation_split, not both")
        check_in_range("validation_split", validation_split, 0.0, 1.0)
        if validation_split == 0.0:
            raise ValueError("validation_split must be in (0, 1), got 0.0")
        x, y, x_val, y_val = split_validation(model, x, y, validation_split)
    elif validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (x_val, y_val)")
        x_val = model.check_input(validation_data[0], "validation_data x")
        y_val = np.asarray(validation_data[1])
        if len(y_val) != len(x_val):
            raise ValueError(f"validation_data has {len(x_val)} inputs but {len(y_val)} targets")
    else:
        x_val = y_val = None

    sampler = BatchSampler(len(x), batch_size, sampling, shuffle, model.data_rng)
    steps_per_epoch = sampler.steps_per_epoch
    if iterations is not None:
        run_iterations = check_int("iterations", iterations, minimum=0)
        run_epochs = math.ceil(run_iterations / steps_per_epoch)
    else:
        run_epochs = check_int("epochs", 1 if epochs is None else epochs, minimum=0)
        run_iterations = run_epochs * steps_per_epoch
    train_eval = train_evaluation_set(model, x, y, evaluate_train)

    first_epoch, first_iteration = model.epochs_done, model.iterations_done
    history = History()
    run = TrainingRun(
        model=model, optimizer=model.optimizer, history=history,
        first_epoch=first_epoch, total_epochs=first_epoch + run_epochs,
        first_iteration=first_iteration, total_iterations=first_iteration + run_iterations,
        steps_per_epoch=steps_per_epoch,
    )
    callbacks = [as_callback(c) for c in callbacks]
    if verbose:
        callbacks.append(ProgressBar(verbose))
    for callback in callbacks:
        callback.set_run(run)
    batch_hooks = [c for c in callbacks if type(c).on_batch_begin is not Callback.on_batch_begin]
    batch_end_hooks = [c for c in callbacks if type(c).on_batch_end is not Callback.on_batch_end]

    started = time.perf_counter()
    params = model.params
    optimizer = model.optimizer
    for callback in callbacks:
        callback.on_train_begin()
    # Overflow on the way to divergence is expected and reported as such, not as NumPy warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        iteration = first_iteration
        for epoch in range(first_epoch, run.total_epochs):
            for callback in callbacks:
                callback.on_epoch_begin(epoch)
            losses = []
            for index in sampler.epoch()[: run.epoch_iterations(epoch)]:
                for callback in batch_hooks:
                    callback.on_batch_begin(iteration)
                grads = model.gradient(np.take(x, index, axis=0), np.take(y, index, axis=0))
                loss = model.last_loss
                failure = None if math.isfinite(loss) else f"the loss became {loss} at step {iteration}"
                if failure is None:
                    try:
                        optimizer.update(params, grads)
                    except FloatingPointError as error:  # a NaN/inf gradient; the weights are untouched
                        failure = f"a gradient became NaN or inf at step {iteration}: {error}"
                if failure is not None:
                    history.status, history.diverged_at, history.stop_reason = "diverged", iteration, failure
                    break
                model.apply_constraints()
                history.step_loss.append(loss)
                history.step_lr.append(optimizer.lr)
                losses.append(loss)
                iteration += 1
                for callback in batch_end_hooks:
                    callback.on_batch_end(iteration - 1, loss)
            model.iterations_done = iteration
            if history.status == "diverged":
                break
            logs = epoch_logs(model, losses, train_eval, x_val, y_val, optimizer.lr)
            model.epochs_done = epoch + 1
            history.record_epoch(epoch, logs)
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs)
            if run.stop_requested:
                break
    if history.status == "running":
        history.status = "completed"
    history.seconds = time.perf_counter() - started
    model.history = history
    for callback in callbacks:
        callback.on_train_end(history.last())
    return history


def as_callback(item: Any) -> Callback:
    """A Callback, or a schedule (any ``schedule(step) -> lr``) wrapped in a per-step LearningRateScheduler."""
    if isinstance(item, Callback):
        return item
    if callable(item):
        return LearningRateScheduler(item, per="step")
    raise TypeError(f"callbacks must hold Callback objects or schedules, got {item!r}")


def split_validation(model: Sequential, x: np.ndarray, y: np.ndarray, fraction: float):
    """A random validation split, the same for every ``fit`` call of this model (seeded by its seed)."""
    n_val = round(len(x) * fraction)
    if n_val == 0 or n_val == len(x):
        raise ValueError(f"validation_split={fraction} leaves {len(x) - n_val} training and {n_val} "
                         f"validation samples of {len(x)}; both need at least one")
    order = model.split_rng().permutation(len(x))
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], x[val], y[val]


def train_evaluation_set(model: Sequential, x, y, evaluate_train: bool | int):
    """The training samples on which metrics are computed in inference mode after each epoch.

    True: all of them; an int n: a fixed random sample of n (the textbook's
    ``evaluate_sample_num_per_epoch``); False: none (only the running training loss is recorded).
    """
    if evaluate_train is False:
        return None
    if evaluate_train is True:
        return x, y
    n = check_int("evaluate_train", evaluate_train, minimum=1)
    if n >= len(x):
        return x, y
    index = model.split_rng().choice(len(x), n, replace=False)
    return x[index], y[index]


def epoch_logs(model: Sequential, losses: list[float], train_eval, x_val, y_val, lr: float) -> dict[str, float]:
    logs = {"loss": float(np.mean(losses)) if losses else math.nan}
    if train_eval is not None:
        scores = model.evaluate(*train_eval)
        logs.update({name: value for name, value in scores.items() if name != "loss"})
    if x_val is not None:
        logs.update({f"val_{name}": value for name, value in model.evaluate(x_val, y_val).items()})
    logs["lr"] = lr
    return logs


class Trainer:
    """The textbook's Trainer, on top of :meth:`Sequential.fit` (one loop, not a second one).

    ``Trainer(network, x_train, t_train, x_test, t_test, epochs=20, mini_batch_size=100, optimizer="SGD",
    optimizer_param={"lr": 0.01}, evaluate_sample_num_per_epoch=None).train()`` draws i.i.d. mini-batches
    for ``epochs · ceil(n / mini_batch_size)`` steps and, after each epoch, measures the training
    accuracy (on ``evaluate_sample_num_per_epoch`` samples if given) and the test accuracy in inference
    mode. The lists ``train_loss_list``, ``train_acc_list`` and ``test_acc_list`` are filled as in the book.
    """

    def __init__(self, network: Sequential, x_train: Any, t_train: Any, x_test: Any, t_test: Any,
                 epochs: int = 20, mini_batch_size: int = 100, optimizer: str = "SGD",
                 optimizer_param: dict[str, Any] | None = None, evaluate_sample_num_per_epoch: int | None = None,
                 verbose: bool = True) -> None:
        self.network = network
        self.x_train, self.t_train, self.x_test, self.t_test = x_train, t_train, x_test, t_test
        self.epochs = check_int("epochs", epochs, minimum=0)
        self.batch_size = check_int("mini_batch_size", mini_batch_size, minimum=1)
        self.evaluate_train = evaluate_sample_num_per_epoch or True
        self.verbose = verbose
        network.compile(optimizer.lower(), metrics=["accuracy"], **(optimizer_param or {"lr": 0.01}))
        self.train_loss_list: list[float] = []
        self.train_acc_list: list[float] = []
        self.test_acc_list: list[float] = []

    def train(self) -> History:
        steps = self.epochs * math.ceil(len(self.x_train) / self.batch_size)
        history = self.network.fit(
            self.x_train, self.t_train, iterations=steps, batch_size=self.batch_size, sampling="iid",
            validation_data=(self.x_test, self.t_test), evaluate_train=self.evaluate_train,
            verbose=2 if self.verbose else 0,
        )
        self.train_loss_list = list(history.step_loss)
        self.train_acc_list = list(history.metrics.get("accuracy", []))
        self.test_acc_list = list(history.metrics.get("val_accuracy", []))
        if self.verbose:
            print(f"test acc: {self.network.accuracy(self.x_test, self.t_test):.4f}")
        return history
