"""Symmetric initial weights fail (Deep Learning from Scratch 6.2.1): equal units stay equal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import trainlab as tl
from trainlab.activations import ACTIVATIONS
from trainlab.figures import accuracy_axis
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import CHANCE_ACCURACY, data_of
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.settings import DataConfig, option
from trainlab.lab.training import epoch_batches, failure_notes, train_steps

LESSON = Lesson(
    name="symmetric-weights", title="Symmetric initial weights: every hidden unit stays the same",
                                    book=DLFS,
    section="6.2.1 Initial weights of zero", figure="",
    description=(
        "If every weight starts at the same value, every unit of a layer computes the same output, "
        "receives the same gradient and makes the same update: the units stay copies of each "
        "other, and a layer of many units works like one. A {activation} network with hidden "
        "layers of {hidden} units is trained by SGD (η = {lr}, batches of {batch_size}, {epochs} "
        "epochs of the {dataset} training images in a random order) from all weights 0, from all "
        "weights {constant}, and from Xavier's random weights (biases 0 in every case), {seeds} "
        "seeds (the same batches for every start). After each epoch the lesson counts the distinct "
        "units of each hidden layer (incoming weight vectors more than 1e-6 apart) and measures "
        "the test accuracy."),
)

INITS = {"zeros": "all weights 0", "constant": "all weights equal", "xavier": "Xavier (random)"}
TOLERANCE = 1e-6  # units whose weights differ by no more than this are copies (rounding is ~1e-9)


@dataclass
class Config(DataConfig):
    inits: tuple[str, ...] = option(tuple(INITS), choices=INITS.keys)
    constant: float = option(0.05, gt=0)
    hidden: tuple[int, ...] = option((100, 100), ge=1)
    activation: str = option("sigmoid", choices=ACTIVATIONS.names)
    lr: float = option(0.1, gt=0)
    batch_size: int = option(100, ge=1)
    epochs: int = option(5, ge=1)
    # Copies are exact (1 distinct unit in every seed) and the accuracies are far apart (about 10 %
    # against 90 %): 3 seeds show the seed-to-seed noise is tiny beside either.
    seeds: int = option(3, ge=1)

    QUICK: ClassVar[dict] = {"hidden": (16, 16), "lr": 1.0, "epochs": 3, "train_samples": 2000,
                             "test_samples": 500}
    NOTEBOOK: ClassVar[dict] = {"dataset": "mnist-mini", "epochs": 3}


# training fails: at η = 10,000 the sigmoid units saturate at once (or the loss overflows)
BREAKS = {"lr": 10000.0}


def settings(config: Config) -> tuple[str, ...]:
    return config.inits


def label(setting: str) -> str:
    return INITS.get(setting, setting)


def distinct_units(W: np.ndarray) -> int:
    """The units (columns of W) whose incoming weights differ by more than TOLERANCE from each
    earlier one."""
    apart = np.abs(W[:, :, None] - W[:, None, :]).max(axis=0)  # units i and j's largest difference
    return int(sum(not (apart[i, :i] <= TOLERANCE).any() for i in range(W.shape[1])))


def train(config: Config, setting: str, seed: int) -> dict:
    data = data_of(config)
    init = tl.Constant(config.constant) if setting == "constant" else setting
    model = tl.mlp(config.hidden, activation=config.activation, init=init, seed=seed)
    optimizer, rng, status = tl.SGD(lr=config.lr), np.random.default_rng(seed), "completed"
    hidden = [layer for layer in model.layers if isinstance(layer, tl.Dense)][:-1]
    distinct, accuracy = [], []
    for epoch in range(config.epochs + 1):
        if epoch:
            batches = epoch_batches(len(data.x_train), config.batch_size, rng)
            status = train_steps(model, optimizer, data.x_train, data.y_train, batches).status
        distinct.append([distinct_units(layer.params["W"]) for layer in hidden])
        accuracy.append(model.accuracy(data.x_test, data.y_test))
        if status == "diverged":
            break
    return {"status": status, "distinct": distinct, "test_accuracy": accuracy}


DISTINCT = Measure("the most distinct units in a hidden layer after the last epoch",
                   lambda run, c: max(run["distinct"][-1]), unit="units",
                   short="distinct units (most, of a layer)")
ACCURACY = Measure("test accuracy after the last epoch", lambda run, c: run["test_accuracy"][-1],
                   percent=True, short="test accuracy")
TABLE = (DISTINCT, ACCURACY)

CLAIMS = (
    Claim("zeros-stay-copies", "With every weight 0 the units of a layer stay identical through "
          "training: a layer of 100 units is worth one (here: fewer than 2 distinct units).",
          "DLfS 6.2.1", DISTINCT,
          a="zeros", expect="<", b=2.0),
    Claim("constant-stays-copies", "The same holds for any equal starting value: every unit gets "
          "the same update, so the weights stay equal.",
          "DLfS 6.2.1", DISTINCT, a="constant", expect="<", b=2.0),
    Claim("zeros-learn-less", "A net started from all-zero weights cannot learn as a net started "
          "from random weights does: the weights must start random to break the symmetry.",
          "DLfS 6.2.1", ACCURACY,
          a="zeros", expect="<", b="xavier"),
    Claim("constant-learn-less", "A net started from equal weights learns less than one started "
          "from random weights.", "DLfS 6.2.1", ACCURACY, a="constant", expect="<", b="xavier"),
)


def notes(runs) -> list[str]:
    return failure_notes(runs, label, lambda run, c: run["test_accuracy"][-1] < 2 * CHANCE_ACCURACY,
                         "test accuracy below 20 %, near the 10 % of a guess")


def plot(runs) -> dict:
    config = runs.config
    figure, axes = plots.figure(2, width=6.0, height=4.4)
    left, right = axes.flat
    epochs = np.arange(config.epochs + 1)
    colours = plots.styles(runs.settings)
    accuracies = []
    for setting in runs.settings:
        distinct = np.array([[np.mean(d) for d in run["distinct"]] for run in runs.of(setting)])
        plots.mean_curve(left, distinct, x=epochs[: distinct.shape[1]], label=label(setting),
                         markevery=1, **colours[setting])
        accuracy = runs.curves(setting, "test_accuracy")
        accuracies.append(accuracy)
        plots.mean_curve(right, accuracy, x=epochs[: accuracy.shape[1]], label=label(setting),
                         markevery=1, **colours[setting])
    left.set(xlabel="epoch", ylabel="distinct units per hidden layer (log scale)", yscale="log",
             title=f"Distinct hidden units (of {max(config.hidden)})", xticks=epochs)
    right.set(xlabel="epoch", title="Test accuracy", xticks=epochs)
    accuracy_axis(right, accuracies, label="test accuracy", chance=True)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        plots.legend_outside(ax, fontsize="small")
    figure.suptitle(f"{config.activation} net 784-{'-'.join(map(str, config.hidden))}-10 on "
                    f"{config.dataset}: mean of {config.seeds} seeds and their range")
    return {"symmetric_weights": figure}
