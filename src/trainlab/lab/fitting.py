"""What the lessons that train with ``model.fit`` share (Hands-On ML ch. 11): the book's split of a
dataset (a validation set held out of the training images), a fit's per-epoch curves as plain
numbers, the notes on runs that failed, and the bottom of a learning-rate sweep's loss curve
(1cycle's peak).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainlab.lab import training
from trainlab.lab.data import CHANCE_ACCURACY, hold_out, load_data, standardize


@dataclass(frozen=True)
class Split:
    """Training, validation and test arrays (read-only float32 images, integer labels)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def split_of(config: Any, *, standardized: bool = False) -> Split:
    """Hands-On ML's split of ``config.dataset``: the last ``config.validation_samples`` training
    images held out for validation (5,000 of Fashion-MNIST's 60,000), then the first
    ``config.train_samples`` of the rest (all if None) for training; the test set cut to
    ``config.test_samples``. ``standardized``: every pixel scaled with the training images' mean and
    standard deviation (what a SELU net needs)."""
    return _split(
        config.dataset,
        config.data_dir,
        config.train_samples,
        config.validation_samples,
        config.test_samples,
        standardized,
    )


@functools.lru_cache(maxsize=4)  # a worker trains many units of one lesson on the same split
def _split(
    dataset: str,
    data_dir: str | None,
    train_samples: int | None,
    validation_samples: int,
    test_samples: int | None,
    standardized: bool,
) -> Split:
    data = load_data(dataset, data_dir, None, test_samples)
    x_train, y_train, x_valid, y_valid = hold_out(data.x_train, data.y_train, validation_samples)
    x_train, y_train = x_train[:train_samples], y_train[:train_samples]
    x_test = data.x_test
    if standardized:
        x_train, x_valid, x_test = standardize(x_train, x_valid, x_test)
        for x in (x_train, x_valid, x_test):
            x.flags.writeable = False
    return Split(x_train, y_train, x_valid, y_valid, x_test, data.y_test)


def epoch_curves(
    history: Any, names: Sequence[str] = ("loss", "val_loss", "val_accuracy", "lr")
) -> dict[str, list]:
    """The per-epoch metrics ``names`` of a :class:`trainlab.History` as plain lists (empty if not
    recorded)."""
    return {name: [float(v) for v in history.metrics.get(name, [])] for name in names}


def learned(accuracy: float) -> bool:
    """Whether a 10-class accuracy shows learning: at least twice the 10 % of guessing."""
    return math.isfinite(accuracy) and accuracy >= 2 * CHANCE_ACCURACY


def failure_notes(runs: Any, label: Callable[[str], str] = str) -> list[str]:
    """:func:`trainlab.lab.training.failure_notes` for runs that record their ``status`` and
    ``test_accuracy``: "1cycle diverged (the loss became NaN or inf) in 2 of 4 seeds." and "... did
    not learn (...) in k of n seeds." for a test accuracy below twice guessing's."""
    return training.failure_notes(
        runs,
        label,
        lambda run, config: not learned(float(run.get("test_accuracy", math.nan))),
        "its test accuracy stayed near the 10 % of guessing",
    )


def sweep_bottom(lrs: Sequence[float], losses: Sequence[float], beta: float) -> float:
    """The rate at the bottom of a learning-rate sweep's loss curve (:func:`trainlab.find_lr`'s
    rates and batch losses), where Hands-On ML's chapter 11 notebook reads 1cycle's peak rate off
    its plot of the batch losses (about 0.1 in its Fashion-MNIST sweep).

    The sweep's own smoothing, a moving average with factor β, lags about β/(1 - β) steps (49 for β
    = 0.98) behind the losses, so its minimum (``turn_lr``) lies past the bottom, at a rate several
    times higher. Here the losses are averaged over a window of 2·⌊β/(2(1 - β))⌉ + 1 steps centred
    on each step, as wide as the sweep's average but without its lag; each loss is first capped at
    the first one (the untrained net's: above it the sweep has exploded), so that the explosion at
    the end, thousands of times the bottom, cannot drag the average. The bottom is the step whose
    average is lowest (on a valley steeper on its right, a few steps early: a lower, safer rate).
    NaN for a sweep whose loss exploded at its first rate."""
    if not len(losses):
        return math.nan
    values = np.minimum(np.asarray(losses, dtype=np.float64), losses[0])
    window = np.ones(2 * max(1, round(beta / (1.0 - beta) / 2)) + 1)
    means = np.convolve(values, window, mode="same") / np.convolve(
        np.ones_like(values), window, mode="same"
    )
    return float(lrs[int(np.argmin(means))])
