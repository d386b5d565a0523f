"""SGD, Momentum, AdaGrad and Adam (and the other optimizers) training the same MNIST network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from trainlab.experiments.base import ExperimentConfig, Summary, option
from trainlab.experiments.common import ExperimentData, load_data, mlp, progress, smooth
from trainlab.optimizers import OPTIMIZERS

NAME = "optimizers"
TITLE = "Optimizers on MNIST: training-loss curves"
DESCRIPTION = (
    "The book's comparison of update rules (chapter 6.1): one network, 784-100-100-100-100-10 with ReLU and "
    "He initialisation, trained for 2000 iterations on mini-batches of 128 drawn at random with "
    "replacement, once per optimizer. Every optimizer starts from the same weights and sees the same "
    "batches, so the curves differ only by the update rule. Learning rates are the book's for its four "
    "(SGD 0.01, Momentum 0.01, AdaGrad 0.01, Adam 0.001); for the others of Hands-On ML's chapter 11 the "
    "usual defaults: Nesterov 0.01 (as Momentum), RMSProp 0.001 (Keras's), AdaMax and Nadam 0.002 (their "
    "papers'); for the later ones: Adadelta 1.0 (PyTorch's scale of Zeiler's step), AMSGrad and RAdam 0.001 "
    "(Adam's), Lion 0.0003 (a third of Adam's, as its paper advises). The figure shows the loss smoothed "
    "over 11 steps, as the book does."
)

BOOK_FOUR = ("sgd", "momentum", "adagrad", "adam")
LABELS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad", "rmsprop": "RMSProp",
          "adam": "Adam", "adamax": "AdaMax", "nadam": "Nadam", "adamw": "AdamW", "adadelta": "Adadelta",
          "amsgrad": "AMSGrad", "radam": "RAdam", "lion": "Lion"}
MARKERS = {"sgd": "o", "momentum": "x", "adagrad": "s", "adam": "D", "nesterov": "+", "rmsprop": "v",
           "adamax": "^", "nadam": "P", "adamw": "*", "adadelta": "<", "amsgrad": ">", "radam": "h", "lion": "X"}


def label(name: str) -> str:
    return LABELS.get(name, name)


@dataclass
class Config(ExperimentConfig):
    optimizers: tuple[str, ...] = option(
        ("sgd", "momentum", "adagrad", "adam", "nesterov", "rmsprop", "adamax", "nadam", "adadelta", "amsgrad",
         "radam", "lion"), choices=OPTIMIZERS.names)
    learning_rates: tuple[float, ...] = option((0.01, 0.01, 0.01, 0.001, 0.01, 0.001, 0.002, 0.002, 1.0, 0.001,
                                                 0.001, 0.0003), gt=0, length_of="optimizers")
    hidden: tuple[int, ...] = option((100, 100, 100, 100), ge=1)
    batch_size: int = option(128, ge=1)
    iterations: int = option(2000, ge=1)
    final_window: int = option(100, ge=1)  # the final loss is the mean of the last `final_window` step losses
    smoothing: int = option(11, ge=1)  # window of the moving average in the figure (the book's smooth_curve uses 11)
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    def quick(self) -> Config:
        return Config(seed=self.seed, dataset=self.dataset, data_dir=self.data_dir, iterations=150,
                      final_window=20)


@dataclass
class OptimizerRun:
    """One network trained with one optimizer."""

    name: str
    lr: float
    step_loss: list[float]
    status: str
    test_accuracy: float


def train_optimizers(data: ExperimentData, optimizers: Sequence[str], learning_rates: Sequence[float], *,
                     hidden: Sequence[int], iterations: int, batch_size: int, seed: int) -> list[OptimizerRun]:
    """Train one ReLU/He network per optimizer, each from the same initial weights on the same batches.

    The model's seed fixes both its initial weights and the random stream of its i.i.d. batches, so
    networks built from one seed start alike and see the same mini-batches in the same order.
    """
    if len(optimizers) != len(learning_rates):
        raise ValueError(f"optimizers ({len(optimizers)}) and learning_rates ({len(learning_rates)}) must have "
                         "the same length")
    runs = []
    for name, lr in progress(list(zip(optimizers, learning_rates, strict=True)), "optimizers"):
        model = mlp(hidden, activation="relu", init="he_normal", seed=seed)
        model.compile(optimizer=name, lr=lr)
        history = model.fit(data.x_train, data.y_train, iterations=iterations, batch_size=batch_size,
                            sampling="iid", evaluate_train=False, verbose=0)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged net's huge weights overflow
            accuracy = model.accuracy(data.x_test, data.y_test)
        runs.append(OptimizerRun(name, float(lr), [float(v) for v in history.step_loss], history.status, accuracy))
    return runs


def loss_text(value: float) -> str:
    """A final loss for tables and sentences: 3 significant digits, or "diverged"."""
    return f"{value:.3g}" if math.isfinite(value) else "diverged"


def final_loss(step_loss: Sequence[float], status: str, window: int) -> float:
    """The mean of the last ``window`` step losses; inf for a run that diverged."""
    if status == "diverged" or not step_loss:
        return math.inf
    return float(np.mean(step_loss[-window:]))


@dataclass
class Result:
    dataset: str
    note: str
    optimizers: list[str]
    learning_rates: list[float]
    hidden: list[int]
    iterations: int
    batch_size: int
    final_window: int
    smoothing: int
    step_loss: list[list[float]]  # per optimizer, one loss per step
    status: list[str]  # per optimizer: "completed" or "diverged"
    final_loss: list[float]  # per optimizer: mean of the last `final_window` step losses
    test_accuracy: list[float]  # per optimizer, after the last step


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    runs = train_optimizers(data, config.optimizers, config.learning_rates, hidden=config.hidden,
                            iterations=config.iterations, batch_size=config.batch_size, seed=config.seed)
    return Result(
        dataset=data.name, note=data.note, optimizers=[r.name for r in runs], learning_rates=[r.lr for r in runs],
        hidden=list(config.hidden), iterations=config.iterations, batch_size=config.batch_size,
        final_window=config.final_window, smoothing=config.smoothing, step_loss=[r.step_loss for r in runs],
        status=[r.status for r in runs],
        final_loss=[final_loss(r.step_loss, r.status, config.final_window) for r in runs],
        test_accuracy=[r.test_accuracy for r in runs],
    )


def summarize(result: Result) -> Summary:
    window = result.final_window
    rows = []
    for name, lr, losses, status, final, accuracy in zip(result.optimizers, result.learning_rates, result.step_loss,
                                                         result.status, result.final_loss, result.test_accuracy,
                                                         strict=True):
        rows.append([label(name), lr, losses[0] if losses else math.nan, loss_text(final), accuracy, status])
    finals = dict(zip(result.optimizers, result.final_loss, strict=True))
    conclusions = []
    firsts = {round(losses[0], 6) for losses in result.step_loss if losses}
    if len(firsts) == 1:
        conclusions.append(f"Every optimizer started from the same weights on the same first batch: the first "
                           f"loss was {firsts.pop():.3f} for all {len(result.optimizers)}.")
    four = [name for name in BOOK_FOUR if name in finals]
    others = [name for name in four if name != "sgd" and math.isfinite(finals[name])]
    if "sgd" in finals and not math.isfinite(finals["sgd"]):
        conclusions.append(f"SGD diverged (η = {result.learning_rates[result.optimizers.index('sgd')]:g}), so its "
                           "speed cannot be compared with the others'.")
    elif "sgd" in finals and others:
        low, high = min(finals[n] for n in others), max(finals[n] for n in others)
        names = ", ".join(label(n) for n in others)
        if finals["sgd"] > high:
            conclusions.append(
                f"After {result.iterations} iterations SGD was the slowest of the book's four: its loss (mean of "
                f"the last {window} steps) was {finals['sgd']:.3g}, against {low:.3g} to {high:.3g} for {names}, "
                f"{finals['sgd'] / high:.3g} to {finals['sgd'] / low:.3g} times as high."
            )
        else:
            slower = [label(n) for n in others if finals[n] >= finals["sgd"]]
            conclusions.append(
                f"After {result.iterations} iterations SGD was not the slowest of the book's four: its loss (mean "
                f"of the last {window} steps) was {finals['sgd']:.3g}, while {', '.join(slower)} ended at or "
                f"above it ({low:.3g} to {high:.3g} for {names})."
            )
    order = sorted(finals, key=finals.get)
    best, worst = order[0], order[-1]
    conclusions.append(
        f"Of all {len(order)} optimizers {label(best)} ended lowest ({loss_text(finals[best])}) and {label(worst)} "
        f"highest ({loss_text(finals[worst])}); the order from best to worst was "
        f"{', '.join(label(n) for n in order)}."
    )
    accuracies = dict(zip(result.optimizers, result.test_accuracy, strict=True))
    top = max(accuracies, key=accuracies.get)
    conclusions.append(
        f"Test accuracy after the last step ranged from {min(accuracies.values()):.1%} "
        f"({label(min(accuracies, key=accuracies.get))}) to {accuracies[top]:.1%} ({label(top)})."
    )
    diverged = [label(n) for n, s in zip(result.optimizers, result.status, strict=True) if s == "diverged"]
    if diverged:
        conclusions.append(f"Training diverged with {', '.join(diverged)} (the loss became NaN or inf).")
    notes = [result.note] if result.note else []
    return Summary(["optimizer", "learning rate", "first loss", f"loss (mean of last {window})",
                    "test accuracy", "status"], rows, conclusions, notes)


def plot_curves(ax: plt.Axes, result: Result, names: Sequence[str], log: bool = False) -> None:
    """Smoothed loss curves of ``names`` with the book's markers; the y axis from 0 to 1 as in the book
    (higher if a curve ends above 1), or a log scale that separates losses near 0."""
    ends = [smooth(result.step_loss[result.optimizers.index(n)], result.smoothing)[-1] for n in names
            if result.step_loss[result.optimizers.index(n)]]
    top = float(np.clip(1.15 * max(ends, default=0.0), 1.0, 2.5))
    for name in names:
        index = result.optimizers.index(name)
        losses = result.step_loss[index]
        every = max(1, len(losses) // 20)
        ax.plot(np.arange(len(losses)), smooth(losses, result.smoothing), marker=MARKERS.get(name, "."),
                markevery=every, markersize=5, linewidth=1.2,
                label=f"{label(name)} (η = {result.learning_rates[index]:g})")
    if log:
        ax.set(xlabel="iterations", ylabel="loss (log scale)", yscale="log")
        ax.legend(loc="lower left", fontsize=8)
    else:
        ax.set(xlabel="iterations", ylabel="loss", ylim=(0, top))
        ax.legend(loc="upper right")


def plot(result: Result) -> dict[str, plt.Figure]:
    four = [name for name in BOOK_FOUR if name in result.optimizers]
    panels = [("The book's four", four, False)] if four else []
    panels.append(("All optimizers, log scale", result.optimizers, True))
    figure, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False)
    for ax, (title, names, log) in zip(axes.flat, panels, strict=True):
        plot_curves(ax, result, names, log)
        ax.set_title(title)
    layers = "-".join(str(n) for n in [784, *result.hidden, 10])
    figure.suptitle(f"Training loss (smoothed over {result.smoothing} steps), MLP {layers} ReLU, batch "
                    f"{result.batch_size}, on {result.dataset}")
    figure.tight_layout()
    return {"loss_curves": figure}
