"""Overfitting 300 training images, and how weight decay and dropout shrink the train-test gap."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from trainlab.experiments.base import ExperimentConfig, Summary, option
from trainlab.experiments.common import ExperimentData, load_data, mlp, progress

NAME = "overfitting"
TITLE = "Overfitting, weight decay and dropout"
DESCRIPTION = (
    "A 784-100x6-10 ReLU net (He initialization) is trained on only 300 training images with SGD "
    "(η = 0.01, batches of 100 drawn i.i.d.), as in the book: once plainly for 201 epochs, once with "
    "weight decay λ = 0.1 (the loss gains ½·λ·ΣW²) for 201 epochs, and once with dropout 0.2 after every "
    "hidden layer for 301 epochs, in the book's form (masks without rescaling in training, outputs scaled "
    "by 1 - p in inference; set inverted_dropout=true for the inverted form of Keras and PyTorch, which "
    "damps nothing and overfits almost as much in 301 epochs). Training and test accuracy are measured "
    "after every epoch in inference mode, so that the two are comparable; epoch 0 is before training. The "
    "plain net learns its 300 images by heart while test accuracy stalls far below; both regularizers "
    "shrink the gap."
)


@dataclass
class Config(ExperimentConfig):
    train_samples: int = option(300, ge=1)
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")  # None: the whole test set
    hidden: tuple[int, ...] = option((100, 100, 100, 100, 100, 100), ge=1)
    lr: float = option(0.01, gt=0)
    batch_size: int = option(100, ge=1)
    epochs: int = option(201, ge=1)
    weight_decay: float = option(0.1, ge=0)
    dropout: float = option(0.2, ge=0, lt=1)
    inverted_dropout: bool = False  # the book's dropout scales at test time
    dropout_epochs: int = option(301, ge=1)

    def quick(self) -> Config:
        return dataclasses.replace(self, epochs=80, dropout_epochs=100, test_samples=500)


@dataclass
class Setting:
    """One training run: train and test accuracy per epoch (epoch 0 = before training)."""

    name: str
    label: str
    epochs: int
    train_accuracy: list[float]
    test_accuracy: list[float]
    status: str

    @property
    def gap(self) -> float:
        return self.train_accuracy[-1] - self.test_accuracy[-1]


@dataclass
class Result:
    dataset: str
    note: str
    train_samples: int
    test_samples: int
    settings: list[Setting]


def train(config: Config, data: ExperimentData, name: str) -> Setting:
    """Train the book's net plainly (``"plain"``), with ``"weight decay"`` or with ``"dropout"``."""
    weight_decay = config.weight_decay if name == "weight decay" else 0.0
    dropout = config.dropout if name == "dropout" else 0.0
    epochs = config.dropout_epochs if name == "dropout" else config.epochs
    label = {"plain": "no regularization", "weight decay": f"weight decay λ = {config.weight_decay:g}",
             "dropout": f"dropout {config.dropout:g}"}[name]
    model = mlp(config.hidden, init="he_normal", weight_decay=weight_decay, dropout=dropout,
                inverted_dropout=config.inverted_dropout, seed=config.seed)
    model.compile("sgd", lr=config.lr, metrics=["accuracy"])
    before_train = model.evaluate(data.x_train, data.y_train)["accuracy"]
    before_test = model.evaluate(data.x_test, data.y_test)["accuracy"]
    history = model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=config.batch_size, sampling="iid",
                        validation_data=(data.x_test, data.y_test), verbose=0)
    return Setting(name, label, epochs, [before_train, *history["accuracy"]],
                   [before_test, *history["val_accuracy"]], history.status)


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, train_samples=config.train_samples,
                     test_samples=config.test_samples)
    settings = [train(config, data, name) for name in progress(["plain", "weight decay", "dropout"], "settings")]
    return Result(data.name, data.note, len(data.x_train), len(data.x_test), settings)


def summarize(result: Result) -> Summary:
    rows = []
    for setting in result.settings:
        best = int(np.argmax(setting.test_accuracy))
        rows.append([setting.label, setting.epochs, setting.train_accuracy[-1], setting.test_accuracy[-1],
                     setting.gap, setting.test_accuracy[best], best, setting.status])
    by_name = {s.name: s for s in result.settings}
    plain = by_name["plain"]
    conclusions = []
    verdict = "overfits" if plain.train_accuracy[-1] >= 0.95 and plain.gap >= 0.1 else "does not clearly overfit"
    epoch_perfect = next((i for i, a in enumerate(plain.train_accuracy) if a >= 1.0), None)
    conclusions.append(
        f"Without regularization the net {verdict} its {result.train_samples} training images: after "
        f"{plain.epochs} epochs training accuracy is {plain.train_accuracy[-1]:.3f}"
        + (f" (1.0 from epoch {epoch_perfect} on)" if epoch_perfect is not None
           and min(plain.train_accuracy[epoch_perfect:]) >= 1.0 else "")
        + f" but test accuracy only {plain.test_accuracy[-1]:.3f}, a gap of {plain.gap:.3f}."
    )
    for name in ("weight decay", "dropout"):
        if name not in by_name:
            continue
        setting = by_name[name]
        change = plain.gap - setting.gap
        if change > 0:
            effect = f"shrank the train-test gap from {plain.gap:.3f} to {setting.gap:.3f} (by {change:.3f})"
        else:
            effect = f"did not shrink the train-test gap ({setting.gap:.3f} against {plain.gap:.3f})"
        test_change = setting.test_accuracy[-1] - plain.test_accuracy[-1]
        label = setting.label[0].upper() + setting.label[1:]
        text = (f"{label} {effect}: training accuracy {setting.train_accuracy[-1]:.3f}, test accuracy"
                f" {setting.test_accuracy[-1]:.3f} ({test_change:+.3f} against no regularization) after"
                f" {setting.epochs} epochs")
        if setting.epochs > plain.epochs:  # the book trains the dropout net longer: compare at the same epoch too
            same = setting.train_accuracy[plain.epochs] - setting.test_accuracy[plain.epochs]
            text += f" (at epoch {plain.epochs}, where the plain run ended, its gap was {same:.3f})"
        conclusions.append(text + ".")
    notes = [result.note] if result.note else []
    return Summary(["setting", "epochs", "train accuracy", "test accuracy", "gap (train - test)",
                    "best test accuracy", "at epoch", "status"], rows, conclusions, notes)


def plot(result: Result) -> dict[str, plt.Figure]:
    n = len(result.settings)
    figure, axes = plt.subplots(1, n, figsize=(4.6 * n, 4), squeeze=False)
    for ax, setting in zip(axes[0], result.settings, strict=True):
        x = np.arange(len(setting.train_accuracy))
        every = max(1, len(x) // 20)
        ax.plot(x, setting.train_accuracy, marker="o", markevery=every, markersize=4, label="train")
        ax.plot(x, setting.test_accuracy, marker="s", markevery=every, markersize=4, label="test")
        ax.set(title=f"{setting.label}: gap {setting.gap:.2f}", xlabel="epochs", ylabel="accuracy", ylim=(0, 1.0))
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    figure.suptitle(f"Train and test accuracy of a deep net trained on {result.train_samples} images "
                    f"({result.dataset}, {result.test_samples} test images)")
    figure.tight_layout()

    gap_figure, ax = plt.subplots(figsize=(6.5, 4))
    for setting in result.settings:
        gap = np.array(setting.train_accuracy) - np.array(setting.test_accuracy)
        ax.plot(np.arange(len(gap)), gap, label=setting.label)
    ax.axhline(0, color="0.6", linewidth=0.8)
    ax.set(title="Train-test accuracy gap", xlabel="epochs", ylabel="train accuracy - test accuracy")
    ax.grid(alpha=0.3)
    ax.legend()
    gap_figure.tight_layout()
    return {"accuracy": figure, "gap": gap_figure}
