"""The fit loop: epochs of mini-batches, validation, the divergence guard and callbacks.

There is one loop, :func:`fit` (which is also ``Sequential.fit``); the textbook-style
:class:`Trainer` runs it too. Each step of it is :func:`trainlab.step.train_step`. A run continues
the model's counters (epochs, steps, the data order and the optimizer's state), so training in
pieces, or from a saved checkpoint, gives the same weights as training in one go (see
:mod:`trainlab.epochs`).

    fit = check the data -> plan the run -> for each epoch: its steps, its logs, the callbacks -> finish
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from trainlab.callbacks import Callback, LearningRateScheduler
from trainlab.epochs import BatchSampler, OpenEpoch, Segments, plan_segments
from trainlab.history import History
from trainlab.progress import VERBOSE, ProgressBar
from trainlab.schedules import Schedule
from trainlab.step import DivergenceError, train_step
from trainlab.validation import (
    check_choice,
    check_finite,
    check_in_range,
    check_int,
    check_keywords,
    check_not_a_class,
    check_positive,
)

if TYPE_CHECKING:
    from trainlab.optimizers import Optimizer
    from trainlab.step import (
        Model as Sequential,
    )  # trainlab.model imports this module: no import back

__all__ = ["FitOptions", "History", "OpenEpoch", "Trainer", "TrainingRun", "fit"]


@dataclass
class FitOptions:
    """The options of ``fit``, declared once: ``fit``'s signature, defaults and checks come from here.

    - ``epochs`` (default 1) or ``iterations``: how many more epochs, or steps, to train.
    - ``batch_size``: samples per step.
    - ``validation_data=(x_val, y_val)`` (or ``(x_val, y_val, val_sample_weight)``), or
      ``validation_split``: a random fraction of (x, y) held out, the same one at every call.
    - ``shuffle``, ``sampling``: "epoch" visits the samples in a new random order each epoch (in
      file order without ``shuffle``); "iid" draws every batch independently, as the textbook does.
    - ``callbacks``: Callback objects, and Schedule objects (``tl.ExponentialDecay(...)``, applied
      per step: a function of the epoch goes in ``LearningRateScheduler(fn)``).
    - ``verbose``: "auto" (default) or 1: a bar on a terminal or in a notebook, a line per epoch
      elsewhere (a pipe, a file); 2 a line per epoch; 0 silent (see :mod:`trainlab.progress`).
    - ``evaluate_train``: after each epoch the compiled metrics are computed in inference mode on
      the training data: all of it (True), a fixed random sample of n (an int), or none (False).
    - ``max_loss``: a loss that is NaN, inf or above it stops the run as "diverged".
    - ``sample_weight`` (one weight >= 0 per sample) and ``class_weight`` ({class: weight}, 1 for a
      class not named): the loss of a batch is (1/N) Σₙ wₙ·lₙ, as in Keras; given both, wₙ is their
      product. The epoch's ``loss`` is that weighted loss; the metrics are not weighted.
    - ``initial_epoch``: Keras's resumption: ``epochs`` is then the epoch to stop at (epochs
      initial_epoch to epochs - 1 are trained) and the model's epoch counter starts at
      ``initial_epoch``. Without it, ``epochs`` counts the epochs of this call, continuing the
      model's counter.
    """

    epochs: int | None = None
    iterations: int | None = None
    batch_size: int = 32
    validation_data: tuple[Any, Any] | None = None
    validation_split: float | None = None
    shuffle: bool = True
    sampling: str = "epoch"
    callbacks: Sequence[Any] = ()
    verbose: int | str = "auto"
    evaluate_train: bool | int = True
    max_loss: float = 1e10
    sample_weight: Any = None
    class_weight: dict[int, float] | None = None
    initial_epoch: int | None = None

    def __post_init__(self) -> None:
        if self.epochs is not None and self.iterations is not None:
            raise ValueError("give epochs or iterations, not both")
        self.batch_size = check_int("batch_size", self.batch_size, minimum=1)
        check_choice("sampling", self.sampling, ("epoch", "iid"))
        check_choice("verbose", self.verbose, VERBOSE)
        if self.initial_epoch is not None:
            self.check_initial_epoch()
        self.max_loss = check_positive("max_loss", self.max_loss, finite=False)
        if self.iterations is not None:
            check_int("iterations", self.iterations, minimum=0)
        else:
            self.epochs = check_int("epochs", 1 if self.epochs is None else self.epochs, minimum=0)
        if self.validation_split is not None:
            if self.validation_data is not None:
                raise ValueError("give validation_data or validation_split, not both")
            check_in_range("validation_split", self.validation_split, 0.0, 1.0)
            if self.validation_split == 0.0:
                raise ValueError("validation_split must be in (0, 1), got 0.0")
        if self.validation_data is not None and (
            not isinstance(self.validation_data, (tuple, list))
            or len(self.validation_data) not in (2, 3)
        ):
            raise TypeError(
                "validation_data must be a pair (x_val, y_val) or (x_val, y_val, val_sample_weight)"
            )
        if self.class_weight is not None and not isinstance(self.class_weight, dict):
            raise TypeError(
                f"class_weight must be a dict {{class: weight}}, got {self.class_weight!r}"
            )
        self.callbacks = [as_callback(c, f"callbacks[{i}]") for i, c in enumerate(self.callbacks)]

    def check_initial_epoch(self) -> None:
        self.initial_epoch = check_int("initial_epoch", self.initial_epoch, minimum=0)
        if self.iterations is not None:
            raise ValueError(
                "initial_epoch goes with epochs (Keras's epochs: the epoch to stop at), not iterations"
            )
        if self.epochs is None or self.epochs < self.initial_epoch:
            raise ValueError(
                f"with initial_epoch={self.initial_epoch}, epochs is the epoch to stop at (as in "
                f"Keras) and must be >= {self.initial_epoch}, got epochs={self.epochs}"
            )


@dataclass
class TrainingData:
    """The checked arrays of a run: training set, validation set, and the training samples evaluated."""

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    train_eval: tuple[np.ndarray, np.ndarray] | None = None
    weights: np.ndarray | None = (
        None  # per training sample (sample_weight × class_weight), None: all 1
    )
    val_weights: np.ndarray | None = None


@dataclass
class TrainingRun:
    """The state of one ``fit`` call, as callbacks see it.

    ``segments`` are the (epoch, first step, end step) pieces of epochs this call trains: the first
    may continue an epoch an earlier fit stopped inside, the last may stop inside one. ``log_names``
    are the names each epoch's logs will have.
    """

    model: Sequential
    optimizer: Optimizer
    history: History
    first_epoch: int
    total_epochs: int
    first_iteration: int
    total_iterations: int
    steps_per_epoch: int
    segments: Segments = field(default_factory=lambda: plan_segments(0, 0, 1, 0))
    log_names: list[str] = field(default_factory=list)
    stop_requested: bool = False

    def stop(self, reason: str) -> None:
        """Ask the loop to stop after the current epoch."""
        self.stop_requested = True
        self.history.status = "stopped"
        self.history.stop_reason = reason

    def epoch_iterations(self, epoch: int) -> int:
        """Steps this run trains in ``epoch`` (fewer than a whole epoch where a run starts or ends
        inside it)."""
        return self.segments.steps_in(epoch)


class Hooks:
    """The run's callbacks, by the moment they are called (only those that do something at each batch)."""

    def __init__(self, callbacks: list[Callback], run: TrainingRun) -> None:
        self.all = callbacks
        for callback in callbacks:
            callback.set_run(run)
        self.batch_begin = [
            c for c in callbacks if type(c).on_batch_begin is not Callback.on_batch_begin
        ]
        self.batch_end = [c for c in callbacks if type(c).on_batch_end is not Callback.on_batch_end]


def fit(model: Sequential, x: Any, y: Any, *args: Any, **kwargs: Any) -> History:
    """Train the compiled ``model`` on (x, y) with the :class:`FitOptions` given; return the History.

    Training continues from where the last ``fit`` (or the loaded checkpoint) ended: epoch and step
    counters, the optimizer's state and the random order of the data. A fit that stopped inside an
    epoch is continued in that epoch's order (with the same data, batch size and sampling), so k
    then j iterations give bitwise the weights of k + j; ``epochs=n`` first finishes such an epoch
    and counts it as one of the n. A loss that is NaN, inf or above ``max_loss`` stops the run as
    "diverged" (the weights are those before that step).
    """
    if model.optimizer is None:
        raise RuntimeError(
            "compile the model first: model.compile(optimizer=..., loss=..., metrics=[...])"
        )
    check_keywords("fit", kwargs, [f.name for f in dataclasses.fields(FitOptions)])
    options = FitOptions(*args, **kwargs)
    data = prepare_data(model, x, y, options)
    sampler = BatchSampler(
        len(data.x), options.batch_size, options.sampling, options.shuffle, model.data_rng
    )
    run = plan_run(model, data, sampler, options)
    hooks = Hooks(
        [*options.callbacks, *([ProgressBar(options.verbose)] if options.verbose else [])], run
    )
    started = time.perf_counter()
    for callback in hooks.all:
        callback.on_train_begin()
    for epoch, first_step, end_step in run.segments:
        batches = sampler.open(model)[first_step:end_step]
        losses = train_epoch(run, hooks, data, epoch, batches, options.max_loss)
        if run.history.status == "diverged":
            break
        end_epoch(run, hooks, data, epoch, losses, finished=end_step == run.steps_per_epoch)
        if run.stop_requested:
            break
    return finish(run, hooks, started)


# fit's signature, for help() and editors: (model, x, y, epochs=None, iterations=None, batch_size=32, ...)
fit.__signature__ = inspect.signature(fit).replace(
    parameters=[
        *list(inspect.signature(fit).parameters.values())[:3],
        *(
            inspect.Parameter(
                f.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=f.default,
                annotation=f.type,
            )
            for f in dataclasses.fields(FitOptions)
        ),
    ]
)


def prepare_data(model: Sequential, x: Any, y: Any, options: FitOptions) -> TrainingData:
    """The checked training and validation arrays, and the training samples to evaluate each epoch."""
    x = model.check_input(x)
    y = model.check_targets(y, len(x))
    warn_if_raw_pixels(x)
    weights = sample_weights(model, y, options.sample_weight, options.class_weight)
    if options.validation_split is not None:
        data = TrainingData(*split_validation(model, x, y, weights, options.validation_split))
    elif options.validation_data is not None:
        x_val = model.check_input(options.validation_data[0], "validation_data x")
        y_val = model.check_targets(options.validation_data[1], len(x_val), "validation_data y")
        val_weights = (
            sample_weights(
                model, y_val, options.validation_data[2], None, "validation_data sample_weight"
            )
            if len(options.validation_data) == 3
            else None
        )
        data = TrainingData(x, y, x_val, y_val, weights=weights, val_weights=val_weights)
    else:
        data = TrainingData(x, y, weights=weights)
    data.train_eval = train_evaluation_set(model, data.x, data.y, options.evaluate_train)
    return data


def warn_if_raw_pixels(x: np.ndarray) -> None:
    """A UserWarning when the inputs look like raw 0-255 pixel values rather than values scaled to [0, 1]."""
    high = float(np.max(x))
    if 32 < high <= 255 and float(np.min(x)) >= 0:
        warnings.warn(
            f"x holds values from 0 to {high:g}: raw pixel values? Divide them by 255 (x / 255.0) so that "
            "the inputs are in [0, 1]: inputs this large give the first layer huge outputs, and training "
            "goes badly (MNIST's raw pixels reach a loss of 26)",
            UserWarning,
            stacklevel=4,
        )


def sample_weights(
    model: Sequential,
    y: np.ndarray,
    sample_weight: Any,
    class_weight: dict | None,
    argument: str = "sample_weight",
) -> np.ndarray | None:
    """One weight per sample: ``sample_weight`` × ``class_weight[label]`` (either may be absent);
    None if both are."""
    if sample_weight is None and class_weight is None:
        return None
    weights = np.ones(len(y), dtype=model.dtype)
    if sample_weight is not None:
        given = np.asarray(sample_weight, dtype=model.dtype)
        if given.shape != (len(y),):
            raise ValueError(
                f"{argument} must have one weight per sample, shape ({len(y)},), got {given.shape}"
            )
        check_finite(argument, given)
        if np.any(given < 0):
            raise ValueError(f"{argument} must be >= 0, got {float(given.min())!r}")
        weights *= given
    if class_weight is not None:
        classes = model.output_shape[-1]
        table = np.ones(classes, dtype=model.dtype)
        for label, weight in class_weight.items():
            label = check_int("class_weight's class", label, minimum=0)
            if label >= classes:
                raise ValueError(
                    f"class_weight names class {label}; the model has classes 0..{classes - 1}"
                )
            table[label] = check_positive(f"class_weight[{label}]", weight)
        weights *= table[y.argmax(axis=1) if y.ndim == 2 else y]
    return weights


def plan_run(
    model: Sequential, data: TrainingData, sampler: BatchSampler, options: FitOptions
) -> TrainingRun:
    """The run's steps, as pieces of epochs, from where the model's last fit ended."""
    steps_per_epoch = sampler.steps_per_epoch
    start = sampler.resume(model)
    epochs = options.epochs or 0
    if options.initial_epoch is not None:
        start_at_epoch(model, options.initial_epoch, start)
        epochs -= options.initial_epoch
    # with epochs=n, the open epoch (if any) is the first of the n
    epoch_steps = max(0, epochs * steps_per_epoch - start)
    steps = epoch_steps if options.iterations is None else options.iterations
    segments = plan_segments(model.epochs_done, start, steps_per_epoch, steps)
    return TrainingRun(
        model=model,
        optimizer=model.optimizer,
        history=History(),
        first_epoch=model.epochs_done,
        total_epochs=segments[-1][0] + 1 if segments else model.epochs_done,
        first_iteration=model.iterations_done,
        total_iterations=model.iterations_done + steps,
        steps_per_epoch=steps_per_epoch,
        segments=segments,
        log_names=log_names(model, data.train_eval is not None, data.x_val is not None),
    )


def start_at_epoch(model: Sequential, initial_epoch: int, steps_done: int) -> None:
    """Start the epoch counter of a model that has trained no epoch at ``initial_epoch`` (Keras's
    resumption)."""
    if model.epochs_done == initial_epoch:
        return
    if model.epochs_done or steps_done:
        raise ValueError(
            f"initial_epoch={initial_epoch}, but this model has trained {model.epochs_done} epochs "
            f"(and {steps_done} steps of the next); trainlab counts a model's epochs itself: leave "
            "initial_epoch out and give epochs=how many more"
        )
    model.epochs_done = initial_epoch


def train_epoch(
    run: TrainingRun,
    hooks: Hooks,
    data: TrainingData,
    epoch: int,
    batches: list[np.ndarray],
    max_loss: float,
) -> list[float]:
    """The steps of one epoch (or of the piece of it this run trains); returns their losses.

    The counters move with the weights, step by step, so an exception at any point (a callback's,
    Ctrl-C) leaves counters that agree with the weights.
    """
    model, history = run.model, run.history
    for callback in hooks.all:
        callback.on_epoch_begin(epoch)
    losses = []
    for index in batches:
        iteration = model.iterations_done
        for callback in hooks.batch_begin:
            callback.on_batch_begin(iteration)
        weights = None if data.weights is None else np.take(data.weights, index)
        try:
            loss = train_step(
                model,
                run.optimizer,
                np.take(data.x, index, axis=0),
                np.take(data.y, index, axis=0),
                max_loss,
                weights,
            )
        except DivergenceError as error:
            history.status, history.diverged_at, history.stop_reason = (
                "diverged",
                iteration,
                error.at(iteration),
            )
            break
        model.iterations_done += 1
        model.open_epoch.steps_done += 1
        history.step_loss.append(loss)
        history.step_lr.append(run.optimizer.lr)
        losses.append(loss)
        for callback in hooks.batch_end:
            callback.on_batch_end(iteration, loss)
    return losses


def end_epoch(
    run: TrainingRun,
    hooks: Hooks,
    data: TrainingData,
    epoch: int,
    losses: list[float],
    finished: bool,
) -> None:
    """Count a finished epoch, record the epoch's logs and hand them to the callbacks."""
    if finished:
        run.model.epochs_done, run.model.open_epoch = epoch + 1, None
    logs = epoch_logs(run.model, losses, data, run.optimizer.lr)
    run.history.record_epoch(epoch, logs)
    for callback in hooks.all:
        callback.on_epoch_end(epoch, logs)


def finish(run: TrainingRun, hooks: Hooks, started: float) -> History:
    history = run.history
    if history.status == "running":
        history.status = "completed"
    history.seconds = time.perf_counter() - started
    run.model.history = history
    for callback in hooks.all:
        callback.on_train_end(history.last())
    return history


def as_callback(item: Any, argument: str = "callbacks") -> Callback:
    """A Callback, or a Schedule object (its steps count steps) wrapped in a per-step LearningRateScheduler.

    A plain function is refused: is it a function of the epoch (Keras, Hands-On ML) or of the step?
    Applied per step, an epoch schedule decays hundreds of times too fast and trains nothing,
    silently.
    """
    check_not_a_class(argument, item)
    if isinstance(item, Callback):
        return item
    if isinstance(item, Schedule):
        return LearningRateScheduler(item, per="step")
    if callable(item):
        name = getattr(item, "__name__", "schedule")
        raise TypeError(
            f"{argument} is the function {name}, not a Callback: wrap it, "
            f"LearningRateScheduler({name}) calls it at every epoch (as Keras does), "
            f"LearningRateScheduler({name}, per='step') at every step"
        )
    raise TypeError(f"{argument} must be a Callback object or a Schedule, got {item!r}")


def log_names(model: Sequential, train_metrics: bool, validation: bool) -> list[str]:
    """The names of an epoch's logs (see :func:`epoch_logs`)."""
    metrics = model.metric_names if train_metrics else []
    val = [f"val_{name}" for name in ["loss", *model.metric_names]] if validation else []
    return ["loss", *metrics, *val, "lr"]


def split_validation(
    model: Sequential, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None, fraction: float
):
    """A random validation split, the same for every ``fit`` call of this model (seeded by its seed).

    Returns the fields of :class:`TrainingData`: x, y, x_val, y_val, then (no evaluation set yet) the weights.
    """
    n_val = round(len(x) * fraction)
    if n_val == 0 or n_val == len(x):
        raise ValueError(
            f"validation_split={fraction} leaves {len(x) - n_val} training and {n_val} "
            f"validation samples of {len(x)}; both need at least one"
        )
    order = model.split_rng().permutation(len(x))
    val, train = order[:n_val], order[n_val:]
    if weights is None:
        return x[train], y[train], x[val], y[val]
    return x[train], y[train], x[val], y[val], None, weights[train], weights[val]


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


def epoch_logs(
    model: Sequential, losses: list[float], data: TrainingData, lr: float
) -> dict[str, float]:
    """The epoch's metrics (see :class:`trainlab.history.History`), in the order of :func:`log_names`."""
    logs = {"loss": float(np.mean(losses)) if losses else math.nan}
    if data.train_eval is not None:
        scores = model.evaluate(*data.train_eval)
        logs.update({name: value for name, value in scores.items() if name != "loss"})
    if data.x_val is not None:
        scores = model.evaluate(data.x_val, data.y_val, sample_weight=data.val_weights)
        logs.update({f"val_{name}": value for name, value in scores.items()})
    logs["lr"] = lr
    return logs


class Trainer:
    """The textbook's Trainer, on top of :meth:`Sequential.fit` (one loop, not a second one).

    ``Trainer(network, x_train, t_train, x_test, t_test, epochs=20, mini_batch_size=100,
    optimizer="SGD", optimizer_param={"lr": 0.01}, evaluate_sample_num_per_epoch=None).train()``
    draws i.i.d. mini-batches for ``epochs · ceil(n / mini_batch_size)`` steps and, after each
    epoch, measures the training accuracy (on ``evaluate_sample_num_per_epoch`` samples if given)
    and the test accuracy in inference mode. The lists ``train_loss_list``, ``train_acc_list`` and
    ``test_acc_list`` are filled as in the book.
    """

    def __init__(
        self,
        network: Sequential,
        x_train: Any,
        t_train: Any,
        x_test: Any,
        t_test: Any,
        epochs: int = 20,
        mini_batch_size: int = 100,
        optimizer: str = "SGD",
        optimizer_param: dict[str, Any] | None = None,
        evaluate_sample_num_per_epoch: int | None = None,
        verbose: bool = True,
    ) -> None:
        self.network = network
        self.x_train, self.t_train, self.x_test, self.t_test = x_train, t_train, x_test, t_test
        self.epochs = check_int("epochs", epochs, minimum=0)
        self.batch_size = check_int("mini_batch_size", mini_batch_size, minimum=1)
        self.evaluate_train = evaluate_sample_num_per_epoch or True
        self.verbose = verbose
        network.compile(
            optimizer.lower(), metrics=["accuracy"], **(optimizer_param or {"lr": 0.01})
        )
        self.train_loss_list: list[float] = []
        self.train_acc_list: list[float] = []
        self.test_acc_list: list[float] = []

    def train(self) -> History:
        steps = self.epochs * math.ceil(len(self.x_train) / self.batch_size)
        history = self.network.fit(
            self.x_train,
            self.t_train,
            iterations=steps,
            batch_size=self.batch_size,
            sampling="iid",
            validation_data=(self.x_test, self.t_test),
            evaluate_train=self.evaluate_train,
            verbose=2 if self.verbose else 0,
        )
        self.train_loss_list = list(history.step_loss)
        self.train_acc_list = list(history.metrics.get("accuracy", []))
        self.test_acc_list = list(history.metrics.get("val_accuracy", []))
        if self.verbose:
            print(f"test acc: {self.network.accuracy(self.x_test, self.t_test):.4f}")
        return history
