"""Helpers the experiments share: data, the book's MLPs, smoothing, progress, and the words for results:
whether a run learned, means and spreads over seeds, and whether a difference stands out from the noise."""

from __future__ import annotations

import dataclasses
import math
import sys
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from tqdm import tqdm

from trainlab.data import Standardizer, load_dataset
from trainlab.mlp import mlp as mlp  # the book's MLPs: the library's builder, re-exported for the experiments

T = TypeVar("T")


@dataclass
class ExperimentData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str


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
    return ExperimentData(flat(x_train), y_train, flat(x_test), y_test, data.name)


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


# -- the words for results --------------------------------------------------------------------------------------
CHANCE_LOSS = math.log(10)  # the cross-entropy of a uniform guess among 10 classes
CHANCE_ACCURACY = 0.1


def learned_loss(loss: float) -> bool:
    """Whether a final cross-entropy shows learning: finite and clearly below a uniform guess's ln 10.

    A finite but absurd loss (1e30: weights blown up without overflowing) is no more a success than NaN.
    """
    return math.isfinite(loss) and loss < 0.9 * CHANCE_LOSS


def learned_accuracy(accuracy: float) -> bool:
    """Whether an accuracy on 10 classes shows learning: at least twice the 10 % of guessing."""
    return math.isfinite(accuracy) and accuracy >= 2 * CHANCE_ACCURACY


def learned(loss: float, accuracy: float) -> bool:
    """Whether a run learned something: a sane finite loss, and either a loss or an accuracy that beats guessing
    (a net early in training can be well above chance while its loss is still near ln 10)."""
    return math.isfinite(loss) and loss < 10 * CHANCE_LOSS and (learned_loss(loss) or learned_accuracy(accuracy))


def loss_text(value: float) -> str:
    """A final loss for tables and sentences: 3 significant digits, "diverged" (NaN/inf), or "... (blown up)"."""
    if not math.isfinite(value):
        return "diverged"
    return f"{value:.3g}" if value < 10 * CHANCE_LOSS else f"{value:.2g} (blown up)"


def seed_list(seed: int, seeds: int) -> list[int]:
    """The seeds of a repeated measurement: ``seed``, ``seed + 1``, ..."""
    return [seed + i for i in range(seeds)]


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value); NaN/inf pass through to the mean."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return math.nan, math.nan
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def pm(values: Sequence[float], digits: int = 3, percent: bool = False) -> str:
    """"0.123 ± 0.004" (mean ± sd over seeds), or the single value for one seed."""
    mean, sd = mean_sd(values)
    if not math.isfinite(mean):
        return "diverged"
    scale, unit = (100.0, " %") if percent else (1.0, "")
    if len(values) == 1:
        return f"{mean * scale:.{digits}g}{unit}" if not percent else f"{mean * scale:.{digits - 2}f}{unit}"
    if percent:
        return f"{mean * scale:.{digits - 2}f} ± {sd * scale:.{digits - 2}f}{unit}"
    return f"{mean:.{digits}g} ± {sd:.2g}"


@dataclasses.dataclass
class Comparison:
    """The difference of two means over seeds, and the noise it must beat.

    The noise is twice the standard error of the difference, 2·√(sd_a²/n_a + sd_b²/n_b) (about a 95 %
    interval). With one seed on either side the noise is unknown and no difference counts as real.
    """

    difference: float
    noise: float

    @property
    def real(self) -> bool:
        return math.isfinite(self.noise) and abs(self.difference) > self.noise

    @property
    def sign(self) -> int:
        """+1 or -1 by the difference's sign, 0 when it is within the noise. With the noise unknown (one seed)
        the sign is taken at face value: :meth:`words` then says that the noise is unknown."""
        if self.real or not math.isfinite(self.noise):
            return int(np.sign(self.difference))
        return 0

    def relation(self, above: str, below: str, level: str) -> str:
        """``above``, ``below`` or ``level`` by :attr:`sign`."""
        return {1: above, -1: below}.get(self.sign, level)

    def words(self, unit: str = "", scale: float = 1.0, digits: int = 3) -> str:
        """"+0.012, beyond the seed-to-seed noise of ±0.004" and its variants."""
        d = f"{self.difference * scale:+.{digits}g}{unit}"
        if not math.isfinite(self.noise):
            return f"{d}; one seed, so the noise is unknown"
        n = f"±{self.noise * scale:.2g}{unit}"
        return f"{d}, {'beyond' if self.real else 'within'} the seed-to-seed noise of {n}"


def compare(a: Sequence[float], b: Sequence[float]) -> Comparison:
    """How mean(a) - mean(b) compares with the seed-to-seed noise (see :class:`Comparison`)."""
    (mean_a, sd_a), (mean_b, sd_b) = mean_sd(a), mean_sd(b)
    if min(len(a), len(b)) < 2:
        return Comparison(mean_a - mean_b, math.inf)
    return Comparison(mean_a - mean_b, 2 * math.sqrt(sd_a**2 / len(a) + sd_b**2 / len(b)))


def paired(a: Sequence[float], b: Sequence[float]) -> Comparison:
    """mean(a - b) for measurements paired by seed (the same net measured two ways), against twice the standard
    error of the paired differences."""
    differences = np.subtract(a, b)
    mean, sd = mean_sd(differences)
    return Comparison(mean, 2 * sd / math.sqrt(len(differences)) if len(differences) > 1 else math.inf)


def join_words(words: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    words = list(words)
    if not words:
        return "none"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def departures(config: Any) -> list[str]:
    """The settings of ``config`` that differ from its class's defaults (the book's): "iterations 150
    (full size: 2000)". A quick run's summary says with these which settings it changed."""
    default = type(config)()
    changed = []
    for f in dataclasses.fields(config):
        if f.name in ("seed", "data_dir"):
            continue
        value, book = getattr(config, f.name), getattr(default, f.name)
        if value != book:
            changed.append(f"{f.name} {value_text(value)} (full size: {value_text(book)})")
    return changed


def value_text(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ", ".join(value_text(v) for v in value)
    if value is None:
        return "all"
    return f"{value:g}" if isinstance(value, float) else str(value)


def settings_note(changed: Sequence[str]) -> list[str]:
    """The summary note of a run whose settings differ from the full-size ones (none if they do not)."""
    if not changed:
        return []
    return [f"This run changed the full-size settings, so its numbers are not the book's: {'; '.join(changed)}."]


def result_from_plain(result_type: type[T], data: dict[str, Any]) -> T:
    """An experiment's Result rebuilt from its plain-data form (metrics.json): nested dataclasses, lists and
    dicts of them, and optional ones. Lets a run's numbers be summarized and plotted again by newer code."""
    hints = typing.get_type_hints(result_type)
    return result_type(**{f.name: from_plain(hints[f.name], data[f.name]) for f in dataclasses.fields(result_type)
                          if f.init and f.name in data})  # a field added since the run keeps its default


def from_plain(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if dataclasses.is_dataclass(hint):
        return result_from_plain(hint, value)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        return from_plain(kinds[0], value) if len(kinds) == 1 else value
    if origin is list and args:
        return [from_plain(args[0], v) for v in value]
    if origin is dict and len(args) == 2:
        return {k: from_plain(args[1], v) for k, v in value.items()}
    return value
