"""The fit loop: epochs of mini-batches, validation, the divergence guard and callbacks.

There is one loop. ``Sequential.fit`` calls :func:`fit`; the textbook-style :class:`Trainer` calls
``Sequential.fit`` too. A run continues the model's counters (epochs, steps, the data-order random stream
and the optimizer's state), so training in two calls, or from a saved checkpoint, gives the same weights
as training in one.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from trainlab.callbacks import Callback, LearningRateScheduler, ProgressBar
from trainlab.data.batches import batch_indices
from trainlab.history import History
from trainlab.validation import check_choice, check_in_range, check_int, check_not_a_class, check_positive

if TYPE_CHECKING:
    from trainlab.model import Sequential
    from trainlab.optimizers import Optimizer

STATUSES = ("running", "completed", "stopped", "diverged")


@dataclass
class TrainingRun:
    """The state of one ``fit`` call, as callbacks see it.

    ``segments`` are the (epoch, first step, end step) pieces of epochs this call trains: the first may
    continue an epoch an earlier fit stopped inside, the last may stop inside one. ``log_names`` are the
    names each epoch's logs will have.
    """

    model: Sequential
    optimizer: Optimizer
    history: History
    first_epoch: int
    total_epochs: int
    first_iteration: int
    total_iterations: int
    steps_per_epoch: int
    segments: list[tuple[int, int, int]] = field(default_factory=list)
    log_names: list[str] = field(default_factory=list)
    stop_requested: bool = False

    def stop(self, reason: str) -> None:
        """Ask the loop to stop after the current epoch."""
        self.stop_requested = True
        self.history.status = "stopped"
        self.history.stop_reason = reason

    def epoch_iterations(self, epoch: int) -> int:
        """Steps this run trains in ``epoch`` (fewer than a whole epoch where a run starts or ends inside it)."""
        return sum(stop - start for index, start, stop in self.segments if index == epoch)


@dataclass
class OpenEpoch:
    """An epoch that a fit stopped inside: the data-order state at its start and the steps done in it.

    ``layout`` (samples, batch size, sampling, shuffle) says which batches the state draws; a later fit
    with the same layout draws them again and continues after ``steps_done``.
    """

    rng_state: dict[str, Any]
    steps_done: int
    layout: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {"rng_state": self.rng_state, "steps_done": self.steps_done, "layout": self.layout}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OpenEpoch:
        return cls(data["rng_state"], check_int("steps_done", data["steps_done"], minimum=0), list(data["layout"]))


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

    @property
    def layout(self) -> list[Any]:
        return [self.n, self.batch_size, self.sampling, self.shuffle]

    def epoch(self) -> list[np.ndarray]:
        if self.sampling == "iid":
            return [self.rng.choice(self.n, self.batch_size) for _ in range(self.steps_per_epoch)]
        return batch_indices(self.n, self.batch_size, shuffle=self.shuffle, rng=self.rng)

    def resume(self, model: Sequential) -> int:
        """Steps already done in the model's open epoch, its order restored; 0 (and a warning) if there is
        none or this fit's layout differs."""
        open_epoch = model.open_epoch
        if open_epoch is None:
            return 0
        self.rng.bit_generator.state = open_epoch.rng_state  # undo the epoch's draw: it is drawn again
        if open_epoch.layout == self.layout:
            return open_epoch.steps_done
        if open_epoch.steps_done:
            n, size, sampling, _ = open_epoch.layout
            warnings.warn(f"the last fit stopped after {open_epoch.steps_done} of {math.ceil(n / size)} steps of "
                          f"epoch {model.epochs_done} ({n} samples, batches of {size}, {sampling} sampling); "
                          "this fit's data differs, so the epoch starts afresh", UserWarning, stacklevel=4)
        model.open_epoch = None
        return 0

    def open(self, model: Sequential) -> list[np.ndarray]:
        """The batches of the model's current epoch, continuing an open one; the epoch is marked open."""
        if model.open_epoch is None:
            model.open_epoch = OpenEpoch(self.rng.bit_generator.state, 0, self.layout)
        else:
            self.rng.bit_generator.state = model.open_epoch.rng_state
        return self.epoch()


def plan_segments(first_epoch: int, start: int, steps_per_epoch: int, steps: int) -> list[tuple[int, int, int]]:
    """The (epoch, first step, end step) pieces of ``steps`` steps from step ``start`` of ``first_epoch``."""
    segments = []
    epoch = first_epoch
    while steps > 0:
        stop = min(steps_per_epoch, start + steps)
        segments.append((epoch, start, stop))
        steps -= stop - start
        epoch, start = epoch + 1, 0
    return segments


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
    max_loss: float = 1e10,
) -> History:
    """Train a compiled model; see :meth:`trainlab.model.Sequential.fit` for the arguments."""
    if model.optimizer is None:
        raise RuntimeError("compile the model first: model.compile(optimizer=..., loss=..., metrics=[...])")
    if epochs is not None and iterations is not None:
        raise ValueError("give epochs or iterations, not both")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    sampling = check_choice("sampling", sampling, ("epoch", "iid"))
    verbose = check_choice("verbose", verbose, (0, 1, 2))
    max_loss = check_positive("max_loss", max_loss, finite=False)
    x = model.check_input(x)
    y = model.check_targets(y, len(x))
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
        y_val = model.check_targets(validation_data[1], len(x_val), "validation_data y")
    else:
        x_val = y_val = None
    callbacks = [as_callback(c, f"callbacks[{i}]") for i, c in enumerate(callbacks)]

    sampler = BatchSampler(len(x), batch_size, sampling, shuffle, model.data_rng)
    steps_per_epoch = sampler.steps_per_epoch
    if iterations is not None:
        run_iterations = check_int("iterations", iterations, minimum=0)
    else:
        run_epochs = check_int("epochs", 1 if epochs is None else epochs, minimum=0)
        run_iterations = run_epochs * steps_per_epoch
    train_eval = train_evaluation_set(model, x, y, evaluate_train)
    start = sampler.resume(model)
    if iterations is None and run_iterations:
        run_iterations -= start  # the open epoch is the first of the epochs asked for

    first_epoch, first_iteration = model.epochs_done, model.iterations_done
    segments = plan_segments(first_epoch, start, steps_per_epoch, run_iterations)
    history = History()
    run = TrainingRun(
        model=model, optimizer=model.optimizer, history=history,
        first_epoch=first_epoch, total_epochs=segments[-1][0] + 1 if segments else first_epoch,
        first_iteration=first_iteration, total_iterations=first_iteration + run_iterations,
        steps_per_epoch=steps_per_epoch, segments=segments,
        log_names=log_names(model, train_eval is not None, x_val is not None),
    )
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
        for epoch, first_step, end_step in segments:
            batches = sampler.open(model)
            for callback in callbacks:
                callback.on_epoch_begin(epoch)
            losses = []
            for index in batches[first_step:end_step]:
                iteration = model.iterations_done
                for callback in batch_hooks:
                    callback.on_batch_begin(iteration)
                grads = model.gradient(np.take(x, index, axis=0), np.take(y, index, axis=0))
                loss = model.last_loss
                failure = None
                if not math.isfinite(loss):
                    failure = f"the loss became {loss} at step {iteration}"
                elif abs(loss) > max_loss:
                    failure = f"the loss {loss:.4g} at step {iteration} is above max_loss={max_loss:g}"
                else:
                    try:
                        optimizer.update(params, grads)
                    except FloatingPointError as error:  # a NaN/inf gradient; the weights are untouched
                        failure = f"a gradient became NaN or inf at step {iteration}: {error}"
                if failure is not None:
                    history.status, history.diverged_at, history.stop_reason = "diverged", iteration, failure
                    break
                model.apply_constraints()
                # the counters move with the weights, so an exception at any point leaves them in agreement
                model.iterations_done += 1
                model.open_epoch.steps_done += 1
                history.step_loss.append(loss)
                history.step_lr.append(optimizer.lr)
                losses.append(loss)
                for callback in batch_end_hooks:
                    callback.on_batch_end(iteration, loss)
            if history.status == "diverged":
                break
            if end_step == steps_per_epoch:
                model.epochs_done, model.open_epoch = epoch + 1, None
            logs = epoch_logs(model, losses, train_eval, x_val, y_val, optimizer.lr)
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


def as_callback(item: Any, argument: str = "callbacks") -> Callback:
    """A Callback, or a schedule (any ``schedule(step) -> lr``) wrapped in a per-step LearningRateScheduler."""
    check_not_a_class(argument, item)
    if isinstance(item, Callback):
        return item
    if callable(item):
        return LearningRateScheduler(item, per="step")
    raise TypeError(f"{argument} must be a Callback object or a schedule, got {item!r}")


def log_names(model: Sequential, train_metrics: bool, validation: bool) -> list[str]:
    """The names of an epoch's logs (see :func:`epoch_logs`)."""
    metrics = model.metric_names if train_metrics else []
    val = [f"val_{name}" for name in ["loss", *model.metric_names]] if validation else []
    return ["loss", *metrics, *val, "lr"]


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
