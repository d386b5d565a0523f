"""The book's first trained network: a 784-50-10 perceptron by plain SGD, with sigmoid (ch. 4) and ReLU (ch. 5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from trainlab.activations import ACTIVATIONS
from trainlab.figures import accuracy_axis
from trainlab.lab.common import (
    ExperimentData,
    compare,
    departures,
    learned_accuracy,
    load_data,
    mlp,
    pm,
    progress,
    seed_list,
    settings_note,
    smooth,
)
from trainlab.lab.legacy import ExperimentConfig, Summary, option

NAME = "two-layer-net"
TITLE = "A two-layer net learns MNIST"
BOOK = "Deep Learning from Scratch"
SECTION = "4.5 Implementing a learning algorithm (and 5.7.4 with backprop)"
FIGURE = "Figures 4-11 and 4-12"
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "the loss falls steadily and the training and test accuracy rise together, with no gap between them, "
    "so the net does not overfit (figures 4-11 and 4-12)."
)
DESCRIPTION = (
    "The book's first trained networks: 784 inputs, 50 hidden units, 10 outputs with softmax cross-entropy, "
    "weights drawn from N(0, 0.01²), trained by SGD (η = 0.1) for 10,000 iterations on mini-batches of 100 "
    "drawn at random with replacement from MNIST's 60,000 training images; in chapter 4 (4.5, figures 4-11 "
    "and 4-12) the hidden units are sigmoids and the gradients numerical-then-backprop, in chapter 5 (5.7.4) "
    "they are ReLUs with backprop. Both forms run here, from three seeds each. The loss is recorded at every "
    "step (before the update); after each epoch (600 steps, one pass worth of batches) the accuracy is "
    "measured on all 60,000 training and all 10,000 test images. The two accuracies rising together shows "
    "that the net learns the digits rather than memorising its training images."
)
LABELS = {"sigmoid": "sigmoid (chapter 4)", "relu": "ReLU (chapter 5)"}


@dataclass
class Config(ExperimentConfig):
    activations: tuple[str, ...] = option(("sigmoid", "relu"), choices=ACTIVATIONS.names)  # chapter 4's, chapter 5's
    hidden: int = option(50, ge=1)
    init_std: float = option(0.01, gt=0)
    lr: float = option(0.1, gt=0)
    batch_size: int = option(100, ge=1)
    iterations: int = option(10000, ge=1)
    seeds: int = option(3, ge=1)  # the book runs one; three measure the seed-to-seed noise
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "iterations": 400, "seeds": 1}


@dataclass
class Run:
    """One net of one form trained from one seed."""

    activation: str
    seed: int
    status: str  # "completed" or "diverged"
    step_loss: list[float]  # one per step: the loss of that step's mini-batch
    epochs: list[int]  # 1, 2, ...: when the accuracies were measured
    train_accuracy: list[float]
    test_accuracy: list[float]

    @property
    def final_test(self) -> float:
        return self.test_accuracy[-1] if self.test_accuracy else float("nan")


@dataclass
class Result:
    dataset: str
    hidden: int
    lr: float
    train_samples: int
    test_samples: int
    iterations: int
    batch_size: int
    iterations_per_epoch: int
    activations: list[str]
    changed: list[str]  # settings that differ from the full-size ones
    runs: list[Run]  # per seed, per form

    def of(self, activation: str) -> list[Run]:
        return [r for r in self.runs if r.activation == activation]


def train(config: Config, data: ExperimentData, activation: str, seed: int) -> Run:
    model = mlp([config.hidden], activation=activation, init=config.init_std, seed=seed)
    model.compile(optimizer="sgd", lr=config.lr, metrics=["accuracy"])
    history = model.fit(data.x_train, data.y_train, iterations=config.iterations, batch_size=config.batch_size,
                        sampling="iid", validation_data=(data.x_test, data.y_test), verbose=0)
    return Run(activation, seed, history.status, [float(v) for v in history.step_loss],
               [epoch + 1 for epoch in history.epochs], [float(v) for v in history.metrics.get("accuracy", [])],
               [float(v) for v in history.metrics.get("val_accuracy", [])])


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    jobs = [(a, seed) for seed in seed_list(config.seed, config.seeds) for a in config.activations]
    runs = [train(config, data, a, seed) for a, seed in progress(jobs, "two-layer nets")]
    return Result(dataset=data.name, hidden=config.hidden, lr=config.lr,
                  train_samples=len(data.x_train), test_samples=len(data.x_test), iterations=config.iterations,
                  batch_size=config.batch_size, iterations_per_epoch=-(-len(data.x_train) // config.batch_size),
                  activations=list(config.activations), changed=departures(config), runs=runs)


def table(result: Result) -> tuple[list[str], list[list]]:
    """Per form, the accuracies after a few evenly spaced epochs (mean ± sd over the seeds)."""
    rows = []
    for activation in result.activations:
        runs = [r for r in result.of(activation) if r.status == "completed"]
        if not runs:
            rows.append([LABELS.get(activation, activation), "diverged", "", "", ""])
            continue
        n = len(runs[0].epochs)
        for i in sorted({round(i) for i in np.linspace(0, n - 1, min(n, 6))}):
            train, test = [r.train_accuracy[i] for r in runs], [r.test_accuracy[i] for r in runs]
            rows.append([LABELS.get(activation, activation), runs[0].epochs[i], pm(train, 4), pm(test, 4),
                         pm(np.subtract(train, test), 2)])
    return ["form", "epoch", "train accuracy", "test accuracy", "train - test"], rows


def lesson(result: Result, activation: str) -> list[str]:
    """Did this form learn, and did train and test accuracy track each other?"""
    runs, name = result.of(activation), LABELS.get(activation, activation)
    diverged = [r for r in runs if r.status == "diverged"]
    if diverged:
        return [f"The {name} net diverged (the loss became NaN or inf) after {len(diverged[0].step_loss)} of "
                f"{result.iterations} steps with seed {diverged[0].seed}."]
    finals = [r.final_test for r in runs]
    if not all(learned_accuracy(a) for a in finals):
        return [f"The {name} net did not learn: its test accuracy ended at {pm(finals, 4, percent=True)}, near the "
                "10 % of guessing."]
    gaps = [max(abs(a - b) for a, b in zip(r.train_accuracy, r.test_accuracy, strict=True)) for r in runs]
    losses = [float(np.mean(r.step_loss[-100:])) for r in runs]
    train = pm([r.train_accuracy[-1] for r in runs], 4, percent=True)
    text = (f"The {name} net learned: in {result.iterations} steps ({len(runs[0].epochs)} epochs of "
            f"{result.train_samples:,} images) its loss fell from {pm([r.step_loss[0] for r in runs])} to "
            f"{pm(losses)} (mean of the last 100 steps) and its accuracy reached {train} (train) and "
            f"{pm(finals, 4, percent=True)} (test)")
    if max(gaps) <= 0.05:
        return [text + f"; in no epoch did train and test accuracy differ by more than {max(gaps) * 100:.1f} points, "
                "so, as in the book, the net generalises to digits it never saw instead of memorising its "
                "training set."]
    return [text + f"; train and test accuracy drifted apart by up to {max(gaps) * 100:.1f} points, a sign that the "
            "net began to memorise its training set (the book's figure shows no such gap)."]


def forms(result: Result) -> list[str]:
    """Chapter 5's ReLU net against chapter 4's sigmoid net at the same settings."""
    if not {"sigmoid", "relu"} <= set(result.activations):
        return []
    sigmoid, relu = ([r.final_test for r in result.of(a)] for a in ("sigmoid", "relu"))
    if not all(learned_accuracy(a) for a in sigmoid + relu):
        return []
    c = compare(relu, sigmoid)
    verdict = c.relation("higher than", "lower than", "level with")
    return [f"With the same settings the ReLU net's final test accuracy was {verdict} the sigmoid net's: "
            f"{pm(relu, 4, percent=True)} against {pm(sigmoid, 4, percent=True)} ({c.words(' points', 100)})."]


def summarize(result: Result) -> Summary:
    headers, rows = table(result)
    conclusions = [line for a in result.activations for line in lesson(result, a)] + forms(result)
    return Summary(headers, rows, conclusions, settings_note(result.changed))


def plot(result: Result) -> dict[str, Figure]:
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2)
    for index, activation in enumerate(result.activations):
        color, name = f"C{index}", LABELS.get(activation, activation)
        first = result.of(activation)[0]  # the book plots one run: the first seed's
        steps = np.arange(1, len(first.step_loss) + 1)
        left.plot(steps, first.step_loss, color=color, alpha=0.2, linewidth=0.5)
        left.plot(steps, smooth(first.step_loss, 101), color=color, label=f"{name}, smoothed over 101 steps")
        if first.epochs:
            right.plot(first.epochs, first.train_accuracy, color=color, marker="o", label=f"{name}: train")
            right.plot(first.epochs, first.test_accuracy, color=color, marker="s", linestyle="--",
                       label=f"{name}: test")
    left.set(title="Mini-batch loss (first seed)", xlabel="iteration", ylabel="loss", ylim=(0, 2.5))
    left.legend(loc="upper right")
    right.set(title="Accuracy after each epoch (first seed)", xlabel="epochs")
    accuracy_axis(right, [(r.train_accuracy, r.test_accuracy) for r in (result.of(a)[0] for a in result.activations)],
                  label="accuracy")
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.legend(loc="lower right")
    figure.suptitle(f"Two-layer net 784-{result.hidden}-10, SGD η = {result.lr:g}, batch {result.batch_size}, "
                    f"on {result.dataset}")
    return {"training": figure}
