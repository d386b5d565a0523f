"""Reusing pretrained layers (Hands-On ML 11.2.2): model A's layers for a task with few samples.

A unit is one seed (``unit="seed"``): model A is trained, then B from scratch and B on A's layers,
all from that seed. The book reports one run that it chose, by its own account, from many it tried;
here every seed counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import trainlab as tl
from trainlab.figures import accuracy_axis
from trainlab.lab import plots, training
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import data_of
from trainlab.lab.lesson import HOML, Lesson
from trainlab.lab.settings import DataConfig, option
from trainlab.lab.stats import finite

LESSON = Lesson(
    name="pretrained-layers", title="Reusing pretrained layers on a task with few samples",
    book=HOML,
    section="11.2.2 Transfer learning with Keras", figure="", unit="seed",
    description=(
        "The book's setup on {dataset}: model A (784-{hidden}-10 hidden layers, SELU, LeCun init, "
        "SGD η = {lr}, batches of {batch_size}, {epochs_a} epochs) learns the 8 classes other than "
        "sandal (5) and shirt (6). Task B: tell shirts from sandals from only {samples_b} training "
        "images, drawn afresh for each seed. Model B, the same architecture with a new output "
        "layer, learns B from scratch for {epochs_b} epochs; B on A reuses all of A's hidden "
        "layers (a copy) with a new output layer, trained for {frozen_epochs} epochs with the "
        "reused layers frozen, then for the rest of the {epochs_b} with them unfrozen (η = "
        "{fine_tune_lr}, as in the book's code). Test accuracy on every sandal and shirt of the "
        "test set. A 2-way softmax stands in for the book's single sigmoid unit (the same model). "
        "Every seed trains its own model A, draws its own 200 images and starts its own heads "
        "({seeds} seeds)."),
)

# the book's run (its notebook prints these test accuracies)
BOOK_SCRATCH, BOOK_REUSED = 0.9705, 0.9925


@dataclass
class Config(DataConfig):
    dataset: str = "fashion-mnist"
    hidden: tuple[int, ...] = option((300, 100, 50, 50, 50), ge=1)
    classes_b: tuple[int, ...] = option((5, 6), length=2, ge=0, le=9)  # sandal, shirt: task B
    samples_b: int = option(200, ge=2)
    lr: float = option(1e-3, gt=0)
    fine_tune_lr: float = option(1e-3, gt=0)
    batch_size: int = option(32, ge=1)
    epochs_a: int = option(20, ge=1)
    epochs_b: int = option(20, ge=2)
    frozen_epochs: int = option(4, ge=1)
    samples_a: int | None = option(None, ge=1, meaning="every training image of the other 8 classes")
    # The gain in accuracy is ~0.6 points with a paired sd of ~0.8 (5 seeds of the full run): 10
    # seeds resolve it (a unit takes ~30 CPU-seconds). The error ratio's sd is ~0.8, which puts the
    # book's 4 far outside.
    seeds: int = option(10, ge=1)

    QUICK: ClassVar[dict] = {"hidden": (32, 16), "samples_a": 2000, "samples_b": 50, "epochs_a": 3,
                             "epochs_b": 4, "frozen_epochs": 2, "seeds": 2, "lr": 1e-2,
                             "train_samples": 20000, "test_samples": 4000}
    NOTEBOOK: ClassVar[dict] = {"samples_a": 12000, "epochs_a": 5, "lr": 0.01, "seeds": 4}


BREAKS = {"lr": 1e5, "fine_tune_lr": 1e5}  # model A, B and the fine-tuning all diverge


def settings(config: Config) -> tuple[str, ...]:
    return ("scratch", "frozen", "reused")


def label(setting: str) -> str:
    return {"scratch": "B from scratch", "frozen": "B on A, frozen phase",
            "reused": "B on A, fine-tuned"}[setting]


def network(hidden: tuple[int, ...], classes: int, seed: int) -> tl.Sequential:
    layers: list[tl.Layer] = []
    for units in hidden:
        layers += [tl.Dense(units, init="lecun_normal"), tl.SELU()]
    return tl.Sequential([*layers, tl.Dense(classes, init="glorot_uniform")], input_dim=784, seed=seed)


def split(x: np.ndarray, y: np.ndarray, classes_b: tuple[int, ...]):
    """Task A: the other 8 classes (relabelled 0-7); task B: 1 for the second class of B, 0 for the
    first."""
    in_b = np.isin(y, classes_b)
    others = np.array([c for c in range(10) if c not in classes_b])
    relabel = np.zeros(10, dtype=np.int64)
    relabel[others] = np.arange(len(others))
    return (x[~in_b], relabel[y[~in_b]]), (x[in_b], (y[in_b] == classes_b[1]).astype(np.int64))


def train(config: Config, setting: None, seed: int) -> dict:
    """One seed: model A, then B from scratch and B on A (frozen, then fine-tuned)."""
    data = data_of(config)
    (xa, ya), (xb_all, yb_all) = split(data.x_train, data.y_train, config.classes_b)
    (xa_test, ya_test), (xb_test, yb_test) = split(data.x_test, data.y_test, config.classes_b)
    pick = np.random.default_rng(seed).choice(len(xb_all), config.samples_b, replace=False)
    xb, yb = xb_all[pick], yb_all[pick]

    def fit(model: tl.Sequential, x, y, epochs: int, lr: float) -> str:
        model.compile("sgd", lr=lr)
        return model.fit(x, y, epochs=epochs, batch_size=config.batch_size, evaluate_train=False,
                         verbose=0).status

    def tested(model: tl.Sequential, status: str) -> dict:
        return {"status": status,
                "test_accuracy": model.accuracy(xb_test, yb_test) if status != "diverged" else math.nan}

    model_a = network(config.hidden, 8, seed)
    status_a = fit(model_a, xa[: config.samples_a], ya[: config.samples_a], config.epochs_a, config.lr)
    model_b = network(config.hidden, 2, seed + 1000)
    scratch = tested(model_b, fit(model_b, xb, yb, config.epochs_b, config.lr))
    reused = model_a.clone().layers[:-1]  # A itself stays intact
    b_on_a = tl.Sequential([*reused, tl.Dense(2, init="glorot_uniform", name="head_b")],
                           input_dim=784, seed=seed + 2000)
    for layer in reused:
        layer.trainable = False
    frozen = tested(b_on_a, fit(b_on_a, xb, yb, config.frozen_epochs, config.lr))
    for layer in reused:
        layer.trainable = True
    status = fit(b_on_a, xb, yb, config.epochs_b - config.frozen_epochs, config.fine_tune_lr)
    tuned = tested(b_on_a, "diverged" if "diverged" in (status, frozen["status"]) else status)
    accuracy_a = model_a.accuracy(xa_test, ya_test) if status_a != "diverged" else math.nan
    ratio = error_ratio(scratch["test_accuracy"], tuned["test_accuracy"], len(yb_test))
    return {"scratch": scratch, "frozen": frozen,
            "reused": {**tuned, "model_a": status_a, "accuracy_a": accuracy_a, "error_ratio": ratio}}


def error_ratio(scratch: float, reused: float, tests: int) -> float:
    """The error rate from scratch over the error rate after reuse (an error of 0 counts as half an
    image)."""
    return (1 - scratch) / max(1 - reused, 0.5 / tests) if math.isfinite(scratch + reused) else math.nan


ACCURACY = Measure("test accuracy on task B", lambda run, c: run["test_accuracy"], percent=True)
RATIO = Measure("the error rate from scratch over the error rate of B on A (per seed)",
                lambda run, c: run.get("error_ratio", math.nan), digits=3,
                short="error from scratch / error of B on A")
TABLE = (ACCURACY, RATIO)

ADMITTED = ("The book itself adds that it tried many configurations until one showed a strong gain "
            "('torturing the data until it confesses'), that with another seed or other classes "
            "the gain generally shrinks, vanishes or reverses, and that reuse does little for "
            "small dense nets.")
CLAIMS = (
    Claim("reuse-helps",
          f"Reusing model A's hidden layers raises the test accuracy on task B ({BOOK_SCRATCH:.2%} "
          f"from scratch, {BOOK_REUSED:.2%} after reuse).", "HOML 11.2.2", ACCURACY, a="reused",
          expect=">", b="scratch",
          why="Over fresh seeds the gain is about half a point, near the seed-to-seed noise of 200 "
          "training images. " + ADMITTED),
    Claim("error-divided-by-4", "Reuse divides the error rate by about 4 (from 2.95 % to 0.75 %).",
          "HOML 11.2.2", RATIO, a="reused", expect="in", b=(3.0, 5.0),
          why="In the full-size run the book's 97.05 % from scratch lies below every seed's (97.4 "
          "to 99.2 %) while its 99.25 % after reuse is typical: its factor 4 owes most to a weak "
          "run from scratch. " + ADMITTED),
)


def notes(runs) -> list[str]:
    lines = training.failure_notes(runs, label)  # "... diverged in k of n seeds."
    frozen = finite(runs.values("frozen", "test_accuracy"))
    if frozen.size and abs(frozen.mean() - 0.5) < 0.15:
        lines.append(f"After the frozen phase B on A scored {frozen.mean():.1%} on average (two "
                     "balanced classes: chance is 50 %): the new output layer had barely moved at η = "
                     f"{runs.config.lr:g}, so the fine-tuning started from a head that did not "
                     "learn yet.")
    accuracy_a = finite(runs.values("reused", "accuracy_a"))
    if accuracy_a.size:
        lines.append(f"Model A scored {accuracy_a.mean():.1%} on its 8 classes (mean over seeds).")
    return lines


def plot(runs) -> dict:
    """Left: B from scratch and B on A, seed by seed, with the book's chosen run; right: the error
    ratio per seed against the book's 4 (the frozen phase, near chance at the book's rate, is in the
    table)."""
    figure, axes = plots.figure(2, width=5.6, height=4.6)
    left, right = axes.flat
    pair = ("scratch", "reused")
    values = np.array([runs.values(s, "test_accuracy") for s in pair])
    for seed, column in enumerate(values.T):
        left.plot([0, 1], column, marker="o", color="0.6", linewidth=0.8,
                  label="one seed" if seed == 0 else None)
    left.plot([0, 1], [finite(row).mean() if finite(row).size else np.nan for row in values],
              marker="s", color="C0", linewidth=2, label="mean")
    left.plot([0, 1], [BOOK_SCRATCH, BOOK_REUSED], marker="*", markersize=14, linestyle="none",
              color="C3", label="the book's chosen run")
    left.set_xticks([0, 1], [label(s) for s in pair])
    left.set_xlim(-0.4, 1.4)
    accuracy_axis(left, [values, BOOK_SCRATCH, BOOK_REUSED], classes=2, label="test accuracy on task B")
    ratios = runs.values("reused", "error_ratio")
    right.axhspan(3, 5, color="C3", alpha=0.12, label="the book: about 4")
    right.plot(np.arange(len(ratios)), ratios, marker="o", linestyle="none", color="C0", label="one seed")
    right.axhline(1, color="0.5", linestyle=":", linewidth=1)
    plots.finish(left)
    plots.finish(right, xlabel="seed", ylabel="error from scratch / error of B on A",
                 title="How much reuse divides the error", ylim=(0, max([5.5, *(finite(ratios) + 0.5)])))
    figure.suptitle(f"Shirt or sandal from {runs.config.samples_b} images ({runs.config.dataset}), "
                    f"{len(runs.seeds)} seeds")
    return {"pretrained_layers": figure}
