"""The data and the small numeric helpers lessons share: a dataset as flat float32 arrays, a
held-out validation set, standardized inputs, smoothing, and the steps a curve takes to reach a
level.

:func:`load_data` keeps what it loaded for the life of the process (a worker trains many units of
the same lesson on the same data); the arrays it returns are read-only, so no lesson can change
another's data.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trainlab.data import Standardizer, load_dataset

CHANCE_LOSS = math.log(10)  # the cross-entropy of a uniform guess among 10 classes
CHANCE_ACCURACY = 0.1


@dataclass(frozen=True)
class Data:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str


@functools.lru_cache(maxsize=4)
def load_data(
    dataset: str,
    data_dir: str | None = None,
    train_samples: int | None = None,
    test_samples: int | None = None,
) -> Data:
    """Flattened float32 images in [0, 1] and integer labels, cut to the first n samples if asked.

    MNIST ships with trainlab; a dataset that is missing (Fashion-MNIST offline without Debian's
    package) raises DataNotFoundError, which says how to get it.
    """
    data = load_dataset(dataset, data_dir=data_dir)

    def flat(x: np.ndarray, n: int | None) -> np.ndarray:
        x = np.ascontiguousarray(x[:n].reshape(len(x[:n]), -1), dtype=np.float32)
        x.flags.writeable = False
        return x

    def labels(y: np.ndarray, n: int | None) -> np.ndarray:
        y = np.array(y[:n])
        y.flags.writeable = False
        return y

    return Data(
        flat(data.x_train, train_samples),
        labels(data.y_train, train_samples),
        flat(data.x_test, test_samples),
        labels(data.y_test, test_samples),
        data.name,
    )


def data_of(config: object) -> Data:
    """The data a :class:`trainlab.lab.settings.DataConfig` asks for."""
    return load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)  # type: ignore[attr-defined]


def hold_out(
    x: np.ndarray, y: np.ndarray, samples: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_valid, y_valid): the last ``samples`` examples become a validation set.

    Hands-On ML keeps the last 5,000 of Fashion-MNIST's 60,000 training images for validation; on a
    smaller training set at most a sixth is held out.
    """
    samples = max(1, min(samples, len(x) // 6))
    return x[:-samples], y[:-samples], x[-samples:], y[-samples:]


def standardize(x_train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Every array scaled feature by feature with the training set's mean and standard deviation
    (:class:`trainlab.data.Standardizer`; features that never vary, the blank border pixels, are
    only centred). Self-normalizing (SELU) nets need inputs of mean 0 and std 1."""
    scaler = Standardizer().fit(x_train)
    return [scaler.transform(x) for x in (x_train, *others)]


def smooth(values: Sequence[float], window: int = 11) -> np.ndarray:
    """A centred moving average over ``window`` points (shorter at the ends), for noisy loss curves."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 3 or window <= 1:
        return values
    window = min(window, len(values))
    padded = np.pad(values, window // 2, mode="edge")
    return np.convolve(padded, np.ones(window) / window, mode="valid")[: len(values)]


def trailing_mean(values: Sequence[float], window: int) -> np.ndarray:
    """The mean of the last ``window`` values at each point (fewer at the start): what a run has
    reached by then, without looking ahead."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.arange(1, len(values) + 1) - counts]) / counts


def steps_to(
    values: Sequence[float],
    level: float,
    *,
    window: int = 1,
    above: bool = False,
    budget: int | None = None,
) -> float:
    """The number of steps (1-based) after which the trailing mean of ``values`` over ``window``
    first reached ``level`` (at or below it; at or above with ``above``).

    A run that never reached it (or broke off: diverged) counts as ``budget + 1`` when the budget of
    steps is given: it needed more than the budget, so a difference measured with it is if anything
    too small; without a budget such a run cannot be measured (NaN).
    """
    curve = trailing_mean(values, window) if window > 1 else np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        hits = np.flatnonzero(curve >= level if above else curve <= level)
    if len(hits):
        return float(hits[0] + 1)
    return float(budget + 1) if budget is not None else math.nan


def final_mean(values: Sequence[float], window: int) -> float:
    """The mean of the last ``window`` values; NaN for an empty or non-finite curve (a diverged run)."""
    tail = np.asarray(values[-window:], dtype=np.float64)
    return float(tail.mean()) if tail.size and np.all(np.isfinite(tail)) else math.nan
