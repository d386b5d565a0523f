"""Batch norm as a regularizer and as a speed-up (DLfS 6.3.1, Hands-On ML 11.1.3). On the book's own
overfitting setup the batch-norm net overfits more, not less (see the claim's ``why``); speed is the
training steps until the validation accuracy first reaches a level fixed before the run."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from trainlab.figures import accuracy_axis
from trainlab.lab import plots, training
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import data_of, hold_out, load_data, steps_to
from trainlab.lab.lesson import DLFS, Lesson, finite_or_nan
from trainlab.lab.nets import paired_mlp, train_until, watch
from trainlab.lab.settings import DataConfig, option

LESSON = Lesson(
    name="batchnorm-regularizer", title="Batch norm as a regularizer and as a speed-up", book=DLFS,
    section="6.3.1 Batch normalization (and Hands-On ML 11.1.3)", figure="",
    description=(
        "Two claims about batch normalization, each with and without a BatchNorm layer before "
        "every activation. As a regularizer: the book's overfitting setup (its 6.4), a "
        "784-{small_hidden}-10 ReLU net (He init) trained on {small_samples} {dataset} images by "
        "SGD (η = {lr}, batches of {small_batch} drawn at random) for {small_epochs} epochs and "
        "tested on the test images; the gap is train - test accuracy. As a speed-up: a "
        "784-{hidden}-10 ReLU net on the whole training set less {validation_samples} images held "
        "out (SGD, η = {lr}, batches of {batch_size}), measured on the held-out images every "
        "{every} steps: the steps until the validation accuracy first reaches {target} (a run that "
        "never does within {epochs} epochs counts as that budget + 1). For one seed both nets "
        "start from the same weights and see the same batches ({seeds} seeds)."),
)

@dataclass
class Config(DataConfig):
    small_samples: int = option(300, ge=1)
    small_hidden: tuple[int, ...] = option((100,) * 6, ge=1)
    small_epochs: int = option(201, ge=1)
    small_batch: int = option(100, ge=1)
    small_every: int = option(10, ge=1)  # measure the small nets every this many epochs
    hidden: tuple[int, ...] = option((100,) * 4, ge=1)
    lr: float = option(0.01, gt=0)
    batch_size: int = option(128, ge=1)
    epochs: int = option(10, ge=1)  # the speed runs' budget
    every: int = option(100, ge=1)  # steps between measurements of the speed runs
    target: float = option(0.95, gt=0, lt=1)
    validation_samples: int = option(5000, ge=1)
    # Gaps differ by ~0.16 (seed sd ~0.02), speeds by ~40 % of the steps: 5 paired seeds settle both.
    seeds: int = option(5, ge=1)

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "small_samples": 100, "small_epochs": 40,
                             "small_hidden": (32,) * 3, "hidden": (32, 32), "epochs": 3, "every": 20,
                             "validation_samples": 300, "test_samples": 500, "target": 0.6, "seeds": 2}
    NOTEBOOK: ClassVar[dict] = {"small_epochs": 150, "train_samples": 12000, "validation_samples": 2000,
                                "target": 0.85, "epochs": 5, "test_samples": 2000, "seeds": 3}


BREAKS = {"lr": 1e4, "small_epochs": 2, "small_every": 1, "epochs": 1}


def settings(config: Config) -> tuple[str, ...]:
    return ("plain, few images", "batch norm, few images", "plain, all images", "batch norm, all images")


def train(config: Config, setting: str, seed: int) -> dict:
    batchnorm = setting.startswith("batch norm")
    if setting.endswith("few images"):
        data = load_data(config.dataset, config.data_dir, config.small_samples, config.test_samples)
        model = paired_mlp(config.small_hidden, seed=seed, batchnorm=batchnorm).compile("sgd", lr=config.lr)
        return watch(model, data.x_train, data.y_train, data.x_test, data.y_test,
                     epochs=config.small_epochs, every=config.small_every, batch_size=config.small_batch)
    data = data_of(config)
    x, y, x_valid, y_valid = hold_out(data.x_train, data.y_train, config.validation_samples)
    model = paired_mlp(config.hidden, seed=seed, batchnorm=batchnorm).compile("sgd", lr=config.lr)
    return train_until(model, x, y, x_valid, y_valid, target=config.target, epochs=config.epochs,
                       every=config.every, batch_size=config.batch_size)


def small(run, c, key: str) -> float:
    """``key`` at the end of a net trained on few images (NaN for a run that diverged)."""
    if "train" not in run or run["status"] != "completed":
        return math.nan
    return finite_or_nan(run["train"][-1] - run["test"][-1] if key == "gap" else run[key][-1])


def steps_to_target(run, c) -> float:
    """Steps until the validation accuracy first reaches the target (budget + 1 if it never does)."""
    if "validation" not in run:
        return math.nan
    reached = steps_to(run["validation"], c.target, above=True)
    return float(run["steps"][int(reached) - 1]) if math.isfinite(reached) else float(run["budget"] + 1)


GAP = Measure("the train-test accuracy gap after {small_epochs} epochs on {small_samples} images",
              partial(small, key="gap"), percent=True, short="gap (train - test)")
TEST = Measure("the test accuracy after {small_epochs} epochs on {small_samples} images",
               partial(small, key="test"), percent=True, short="test accuracy")
TRAIN = Measure("the training accuracy after {small_epochs} epochs", partial(small, key="train"),
                percent=True, short="train accuracy")
SPEED = Measure("the training steps until the validation accuracy first reaches {target} (measured "
                "every {every} steps)", steps_to_target, unit="steps", digits=4, short="steps to {target}")
TABLE = (TRAIN, TEST, GAP, SPEED)

CLAIMS = (
    Claim("regularizer", "Batch normalization also suppresses overfitting (a regularizing effect "
          "that lessens the need for dropout): the gap between training and test accuracy shrinks.",
          "DLfS 6.3.1; HOML 11.1.3", GAP, a="batch norm, few images", expect="<", b="plain, few images",
          why="An honest difference. On the book's own overfitting setup (300 images, 201 "
          "epochs) both nets learn their images by heart (100 % training accuracy), the "
          "batch-norm net sooner, but it tests far lower (57 % against 76 % at full size, 5 "
          "seeds), so its gap grows. Batch norm's regularizing noise comes from batch statistics "
          "that vary from batch to batch; with batches of 100 drawn from only 300 images they "
          "vary little, and the running averages used at test time describe those 300 images, "
          "not the test set. The books state the effect without an experiment (Hands-On ML: 'it "
          "also acts like a regularizer'); it was reported on large data sets (Ioffe & Szegedy "
          "2015, ImageNet), not for a net memorizing a few hundred images."),
    Claim("faster", "Batch normalization speeds learning up: the net reaches a given accuracy in "
          "fewer steps.", "DLfS 6.3.1; HOML 11.1.3", SPEED, a="batch norm, all images", expect="<",
          b="plain, all images"),
)


notes = partial(training.failure_notes, label=str)  # a diverged run is not measured


def plot(runs) -> dict:
    config = runs.config
    figure, axes = plots.figure(2, width=6.0, height=4.2)
    left, right = axes.flat
    shown, speed = [], []
    for i, setting in enumerate(s for s in runs.settings[:2] if runs.of(s)):
        for part, dashes in (("train", "--"), ("test", "-")):
            shown.append(plots.watched_curve(left, runs, setting, part, linestyle=dashes,
                                             label=f"{part}, {setting.split(',')[0]}", **plots.style(i)))
    accuracy_axis(left, shown, label="accuracy (mean of the seeds, their range)")
    plots.finish(left, xlabel="epochs", title=f"Regularizer? {config.small_samples} training images")
    for i, setting in enumerate(s for s in runs.settings[2:] if runs.of(s)):
        speed += plots.seed_lines(right, runs, setting, "steps", "validation", alpha=0.8,
                                  label=setting.split(",")[0], markersize=3, **plots.style(i))
    right.axhline(config.target, color="0.5", linestyle=":", linewidth=1)
    accuracy_axis(right, [*speed, [config.target]], label="validation accuracy")
    plots.finish(right, xlabel="training steps",
                 title="Speed-up? Every seed until it reaches the target (dotted)")
    figure.suptitle(f"Batch normalization on {config.dataset} ({len(runs.seeds)} seeds)")
    return {"batchnorm_regularizer": figure}
