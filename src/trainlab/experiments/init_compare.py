"""Training a deep ReLU net on MNIST from three weight initialisations: std 0.01, Xavier and He."""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from trainlab.experiments.base import ExperimentConfig, Summary, option
from trainlab.experiments.common import load_data, mlp, progress, smooth
from trainlab.experiments.init_histograms import check_init, init_label, parse_init
from trainlab.experiments.optimizers import final_loss, loss_text
from trainlab.experiments.optimizers import label as optimizer_label
from trainlab.optimizers import OPTIMIZERS

NAME = "init-compare"
TITLE = "Weight initialisation: training-loss curves"
DESCRIPTION = (
    "The book's comparison of initial weight scales (chapter 6.2): the network 784-100-100-100-100-10 "
    "with ReLU, trained by SGD (η = 0.01) for 2000 iterations on mini-batches of 128 drawn at random "
    "with replacement, starting from weights of std 0.01, Xavier's std 1/√n and He's √(2/n) (n: inputs per "
    "unit). Every run starts from the same random weights up to their scale and sees the same batches. "
    "With std 0.01 the signal dies out in the deep layers, and the loss stays at ln 10 ≈ 2.30, the loss "
    "of a uniform guess among 10 digits."
)

MARKERS = ("o", "s", "D", "^", "v")


@dataclass
class Config(ExperimentConfig):
    inits: tuple[str, ...] = option(("0.01", "xavier", "he"), check=check_init)  # a std, or an initializer name
    hidden: tuple[int, ...] = option((100, 100, 100, 100), ge=1)
    optimizer: str = option("sgd", choices=OPTIMIZERS.names)
    lr: float = option(0.01, gt=0)
    batch_size: int = option(128, ge=1)
    iterations: int = option(2000, ge=1)
    final_window: int = option(100, ge=1)  # the final loss is the mean of the last `final_window` step losses
    smoothing: int = option(11, ge=1)  # window of the moving average in the figure
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    def quick(self) -> Config:
        return Config(seed=self.seed, dataset=self.dataset, data_dir=self.data_dir, iterations=150, final_window=20)


@dataclass
class Result:
    dataset: str
    note: str
    labels: list[str]  # per initialisation: "std=0.01", "Xavier", "He"
    inits: list[str]
    hidden: list[int]
    optimizer: str
    lr: float
    iterations: int
    batch_size: int
    final_window: int
    smoothing: int
    step_loss: list[list[float]]  # per initialisation, one loss per step
    status: list[str]
    final_loss: list[float]  # mean of the last `final_window` step losses (inf if diverged)
    test_accuracy: list[float]


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    losses, statuses, accuracies = [], [], []
    for init in progress(config.inits, "initialisations"):
        model = mlp(config.hidden, activation="relu", init=parse_init(init), seed=config.seed)
        model.compile(optimizer=config.optimizer, lr=config.lr)
        history = model.fit(data.x_train, data.y_train, iterations=config.iterations, batch_size=config.batch_size,
                            sampling="iid", evaluate_train=False, verbose=0)
        losses.append([float(v) for v in history.step_loss])
        statuses.append(history.status)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged net's huge weights overflow
            accuracies.append(model.accuracy(data.x_test, data.y_test))
    return Result(
        dataset=data.name, note=data.note, labels=[init_label(i) for i in config.inits], inits=list(config.inits),
        hidden=list(config.hidden), optimizer=config.optimizer, lr=config.lr, iterations=config.iterations,
        batch_size=config.batch_size, final_window=config.final_window, smoothing=config.smoothing,
        step_loss=losses, status=statuses,
        final_loss=[final_loss(v, s, config.final_window) for v, s in zip(losses, statuses, strict=True)],
        test_accuracy=accuracies,
    )


def summarize(result: Result) -> Summary:
    chance = math.log(10)  # the loss of a uniform guess among 10 classes
    rows = [[label, losses[0] if losses else math.nan, float(np.min(smooth(losses, result.smoothing))),
             loss_text(final), accuracy, status]
            for label, losses, final, accuracy, status in zip(result.labels, result.step_loss, result.final_loss,
                                                              result.test_accuracy, result.status, strict=True)]
    finals = dict(zip(result.labels, result.final_loss, strict=True))
    accuracies = dict(zip(result.labels, result.test_accuracy, strict=True))
    conclusions = []
    order = sorted(finals, key=finals.get)
    ranking = ", then ".join(f"{name} ({loss_text(finals[name])})" for name in order)
    conclusions.append(f"After {result.iterations} iterations the loss (mean of the last {result.final_window} "
                       f"steps) was lowest with {ranking}.")
    book = [label for label in ("He", "Xavier", "std=0.01") if label in finals]
    if len(book) == 3:
        holds = finals["He"] < finals["Xavier"] < finals["std=0.01"]
        conclusions.append(
            "As in the book, He ended below Xavier and Xavier below std=0.01." if holds else
            f"Unlike the book, the order was not He < Xavier < std=0.01 (it was {' < '.join(order)})."
        )
    for label, final in finals.items():
        losses = result.step_loss[result.labels.index(label)]
        if math.isfinite(final) and abs(final - chance) < 0.05:
            conclusions.append(
                f"With {label} the net did not learn: its loss stayed at {final:.3f}, next to ln 10 = {chance:.3f} "
                f"(a uniform guess among 10 digits), having started at {losses[0]:.3f}, and its test accuracy was "
                f"{accuracies[label]:.1%}."
            )
    best = max(accuracies, key=accuracies.get)
    conclusions.append("Test accuracy after the last step: " + ", ".join(
        f"{label} {accuracy:.1%}" for label, accuracy in accuracies.items()) + f" (best: {best}).")
    diverged = [label for label, status in zip(result.labels, result.status, strict=True) if status == "diverged"]
    if diverged:
        conclusions.append(f"Training diverged with {', '.join(diverged)}.")
    notes = [result.note] if result.note else []
    headers = ["initialisation", "first loss", "lowest smoothed loss", f"loss (mean of last {result.final_window})",
               "test accuracy", "status"]
    return Summary(headers, rows, conclusions, notes)


def plot(result: Result) -> dict[str, plt.Figure]:
    figure, ax = plt.subplots(figsize=(7.5, 4.8))
    for index, (label, losses) in enumerate(zip(result.labels, result.step_loss, strict=True)):
        ax.plot(np.arange(len(losses)), smooth(losses, result.smoothing), marker=MARKERS[index % len(MARKERS)],
                markevery=max(1, len(losses) // 20), markersize=5, linewidth=1.2, label=label)
    ax.axhline(math.log(10), color="0.5", linestyle=":", linewidth=1)
    ax.annotate("ln 10: a uniform guess", (0.5 * result.iterations, math.log(10)), xytext=(0, -12),
                textcoords="offset points", fontsize=8, color="0.4", ha="center")
    ax.set(xlabel="iterations", ylabel="loss", ylim=(0, 2.5))
    ax.legend(loc="upper right")
    layers = "-".join(str(n) for n in [784, *result.hidden, 10])
    ax.set_title(f"Loss (smoothed over {result.smoothing} steps), MLP {layers} ReLU,\n"
                 f"{optimizer_label(result.optimizer)} η = {result.lr:g}, "
                 f"batch {result.batch_size}, on {result.dataset}")
    figure.tight_layout()
    return {"loss_curves": figure}
