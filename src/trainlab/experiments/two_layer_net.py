"""The book's first trained network: a 784-50-10 perceptron with a sigmoid hidden layer, by plain SGD."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from trainlab.activations import ACTIVATIONS
from trainlab.experiments.base import ExperimentConfig, Summary, option
from trainlab.experiments.common import load_data, mlp, smooth

NAME = "two-layer-net"
TITLE = "A two-layer net learns MNIST"
DESCRIPTION = (
    "The book's chapter 4 network: 784 inputs, 50 sigmoid units, 10 outputs with softmax cross-entropy, "
    "weights drawn from N(0, 0.01²), trained by SGD (η = 0.1) on mini-batches of 100 drawn at random with "
    "replacement. The loss is recorded at every step; after each epoch (one pass worth of batches) the "
    "accuracy is measured on the whole training set and on the test set. The two accuracies rising "
    "together shows that the net learns the digits rather than memorising its training images."
)


@dataclass
class Config(ExperimentConfig):
    hidden: int = option(50, ge=1)
    activation: str = option("sigmoid", choices=ACTIVATIONS.names)
    init_std: float = option(0.01, gt=0)
    lr: float = option(0.1, gt=0)
    batch_size: int = option(100, ge=1)
    iterations: int = option(10000, ge=1)
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")  # None: the whole training set
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    def quick(self) -> Config:
        return Config(seed=self.seed, dataset=self.dataset, data_dir=self.data_dir, iterations=400)


@dataclass
class Result:
    dataset: str
    note: str
    hidden: int
    activation: str
    lr: float
    train_samples: int
    test_samples: int
    iterations: int
    batch_size: int
    iterations_per_epoch: int
    status: str  # "completed" or "diverged"
    step_loss: list[float]  # one per step: the loss of that step's mini-batch
    epochs: list[int]  # 1, 2, ...: when the accuracies were measured
    train_accuracy: list[float]
    test_accuracy: list[float]


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    model = mlp([config.hidden], activation=config.activation, init=config.init_std, seed=config.seed)
    model.compile(optimizer="sgd", lr=config.lr, metrics=["accuracy"])
    history = model.fit(data.x_train, data.y_train, iterations=config.iterations, batch_size=config.batch_size,
                        sampling="iid", validation_data=(data.x_test, data.y_test), verbose=0)
    return Result(
        dataset=data.name, note=data.note, hidden=config.hidden, activation=config.activation, lr=config.lr,
        train_samples=len(data.x_train), test_samples=len(data.x_test),
        iterations=config.iterations, batch_size=config.batch_size,
        iterations_per_epoch=-(-len(data.x_train) // config.batch_size), status=history.status,
        step_loss=[float(v) for v in history.step_loss],
        epochs=[epoch + 1 for epoch in history.epochs],
        train_accuracy=[float(v) for v in history["accuracy"]],
        test_accuracy=[float(v) for v in history["val_accuracy"]],
    )


def summarize(result: Result) -> Summary:
    train, test = np.array(result.train_accuracy), np.array(result.test_accuracy)
    gaps = train - test
    n = len(result.epochs)
    headers = ["epoch", "steps", "train accuracy", "test accuracy", "train - test"]
    notes = [result.note] if result.note else []
    conclusions = []
    if result.status == "diverged":
        conclusions.append(f"Training diverged after {len(result.step_loss)} of {result.iterations} steps (the loss "
                           f"became NaN or inf).")
    if n == 0:  # diverged within the first epoch: nothing was measured
        return Summary(headers, [[0, len(result.step_loss), "-", "-", "-"]], conclusions, notes)
    shown = sorted({round(i) for i in np.linspace(0, n - 1, min(n, 9))})  # at most 9 evenly spaced epochs
    rows = [[result.epochs[i], result.epochs[i] * result.iterations_per_epoch, train[i], test[i], gaps[i]]
            for i in shown]
    rows[-1][1] = len(result.step_loss)  # the last epoch may be cut short by the step budget
    loss = smooth(result.step_loss, 101)
    conclusions.append(
        f"In {len(result.step_loss)} steps ({n} epochs of {result.train_samples} samples) the smoothed loss "
        f"{'fell' if loss[-1] < loss[0] else 'rose'} from {loss[0]:.2f} to {loss[-1]:.2f}, and the accuracy went "
        f"from {train[0]:.1%} (train) and {test[0]:.1%} (test) after the first epoch to {train[-1]:.1%} and "
        f"{test[-1]:.1%}."
    )
    chance = 1 / 10
    if test[-1] < 2 * chance:
        conclusions.append(f"The net did not learn: its test accuracy ended at {test[-1]:.1%}, near the "
                           f"{chance:.0%} of guessing.")
        return Summary(headers, rows, conclusions, notes)
    worst = int(np.argmax(np.abs(gaps)))
    if abs(gaps[worst]) <= 0.05:
        conclusions.append(
            f"Train and test accuracy tracked each other: in no epoch did they differ by more than "
            f"{abs(gaps[worst]) * 100:.1f} points (epoch {result.epochs[worst]}; {gaps[-1] * 100:+.1f} at the "
            f"end), so the net generalises to digits it never saw instead of memorising its training set."
        )
    else:
        conclusions.append(
            f"Train and test accuracy drifted apart: at epoch {result.epochs[worst]} they differed by "
            f"{abs(gaps[worst]) * 100:.1f} points, a sign that the net began to memorise its training set."
        )
    return Summary(headers, rows, conclusions, notes)


def plot(result: Result) -> dict[str, plt.Figure]:
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    steps = np.arange(1, len(result.step_loss) + 1)
    left.plot(steps, result.step_loss, color="tab:blue", alpha=0.25, linewidth=0.6, label="mini-batch loss")
    smoothed = smooth(result.step_loss, 101)
    left.plot(steps, smoothed, color="tab:blue", label="smoothed (101 steps)")
    top = max(2.5, 1.1 * float(np.max(smoothed))) if len(smoothed) else 2.5
    left.set(title="Training loss", xlabel="iteration", ylabel="loss", ylim=(0, top))
    left.legend(loc="upper right")

    every = max(1, len(result.epochs) // 12)
    right.plot(result.epochs, result.train_accuracy, marker="o", markevery=every, label="train acc")
    right.plot(result.epochs, result.test_accuracy, marker="s", markevery=every, linestyle="--", label="test acc")
    right.set(title="Accuracy after each epoch", xlabel="epochs", ylabel="accuracy", ylim=(0, 1.0))
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.legend(loc="lower right")
    figure.suptitle(f"Two-layer net 784-{result.hidden}-10 ({result.activation}), SGD η = {result.lr:g}, "
                    f"batch {result.batch_size}, on {result.dataset}")
    figure.tight_layout()
    return {"training": figure}
