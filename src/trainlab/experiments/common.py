"""Helpers the experiments share: data with an announced fallback, the book's MLPs (tl.mlp), smoothing, progress."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from trainlab.data import DATASETS, Standardizer, load_dataset
from trainlab.mlp import mlp as mlp  # the book's MLPs: the library's builder, re-exported for the experiments

T = TypeVar("T")


@dataclass
class ExperimentData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    note: str  # "" when the requested dataset was used as asked; otherwise what happened instead


def load_data(dataset: str, data_dir: str | None = None, train_samples: int | None = None,
              test_samples: int | None = None) -> ExperimentData:
    """Flattened float32 images in [0, 1] and integer labels, optionally cut to the first n samples.

    MNIST ships with trainlab; a dataset that is missing (Fashion-MNIST offline without Debian's package)
    raises DataNotFoundError, which says how to get it.
    """
    data = load_dataset(dataset, data_dir=data_dir)
    x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
    if train_samples is not None:
        x_train, y_train = x_train[:train_samples], y_train[:train_samples]
    if test_samples is not None:
        x_test, y_test = x_test[:test_samples], y_test[:test_samples]
    flat = lambda x: x.reshape(len(x), -1).astype(np.float32, copy=False)  # noqa: E731
    return ExperimentData(flat(x_train), y_train, flat(x_test), y_test, data.name, "")


def fallback_note(requested: str, used: str, samples: str = "") -> str:
    """An empty string when the requested dataset was used; otherwise a sentence naming the replacement.

    The sentence is the same on every machine: a run's metrics.json (which holds it) must depend on the
    seed alone, while the data package's own note names the folders searched and the download error. That
    full story is still told, by the DatasetFallbackWarning printed when the data is loaded.
    """
    if used == requested:
        return ""
    wanted = DATASETS[requested].title if requested in DATASETS else requested
    return (f"{wanted} was not available here, so this run used {used}{f': {samples}' if samples else ''}, "
            f"shipped with trainlab. To use {wanted}, provide its files with --data-dir or $TRAINLAB_DATA.")


def smooth(values: Sequence[float], window: int = 11) -> np.ndarray:
    """A centred moving average over ``window`` points (shorter at the ends), for noisy loss curves."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 3:
        return values
    window = max(1, min(window, len(values)))
    kernel = np.ones(window)
    padded = np.pad(values, window // 2, mode="edge")
    return np.convolve(padded, kernel / window, mode="valid")[: len(values)]


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterable[T]:
    """A tqdm bar over ``items`` on a terminal; the plain iterable elsewhere (CI logs stay clean)."""
    if not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, desc=description, total=total, leave=False)


def first_reaching(values: Sequence[float], threshold: float) -> int | None:
    """The first index at which ``values`` is <= ``threshold`` (None if never)."""
    hits = np.flatnonzero(np.asarray(values) <= threshold)
    return int(hits[0]) if len(hits) else None


def hold_out(x: np.ndarray, y: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_valid, y_valid): the last ``samples`` examples become a validation set.

    Hands-On ML keeps the last 5,000 of Fashion-MNIST's 60,000 training images for validation; on a
    smaller training set (mnist-mini) at most a sixth is held out.
    """
    samples = max(1, min(samples, len(x) // 6))
    return x[:-samples], y[:-samples], x[-samples:], y[-samples:]


def standardize(x_train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Every array scaled feature by feature with the training set's mean and standard deviation
    (:class:`trainlab.data.Standardizer`; features that never vary, the blank border pixels, are only centred).

    Self-normalizing (SELU) nets need inputs of mean 0 and std 1.
    """
    scaler = Standardizer().fit(x_train)
    return [scaler.transform(x) for x in (x_train, *others)]


def standard_error(accuracy: float, samples: int) -> float:
    """The standard error √(p(1 - p)/n) of an accuracy p measured on n samples: differences of less than
    about three of them between two runs are within the noise of the measurement."""
    return math.sqrt(max(accuracy * (1 - accuracy), 0.0) / max(samples, 1))
