"""Splitting a dataset into training and validation parts, and shuffling, with seeded Generators.

Hyperparameters must be chosen on data the model is not finally tested on, so the usual move is to
hold out part of the *training* set as a validation set. A stratified split keeps each class's share
the same in both parts, which matters on small subsets (the textbook's 500-sample searches) where a
plain random split can leave a class nearly absent from the validation set.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainlab.backend import make_rng
from trainlab.validation import check_in_range, check_int

Seed = int | np.random.Generator | np.random.SeedSequence | None


def labels_of(y: Any, name: str = "y") -> np.ndarray:
    """Integer class labels from ``y``: 1-D labels as they are, 2-D one-hot rows by their argmax."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.argmax(axis=1)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D labels or 2-D one-hot rows, got shape {y.shape}")
    if y.dtype.kind not in "iub":
        raise TypeError(
            f"{name} must hold integer class labels to stratify on, got dtype {y.dtype}"
        )
    return y


def stratified_quotas(counts: np.ndarray, n_select: int) -> np.ndarray:
    """How many of each class to pick so that the picks total ``n_select`` and follow the class shares.

    Each class gets the floor of its exact share ``count * n_select / N``; the picks still missing
    go to the classes with the largest remainders (ties: the lower class first). Integer arithmetic
    only, so the result is the same on every machine.
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    quotas, remainders = np.divmod(counts * n_select, total)
    missing = n_select - int(quotas.sum())
    quotas[np.argsort(-remainders, kind="stable")[:missing]] += 1
    return quotas


def split_indices(
    labels_or_n: Any, n_val: int, *, stratify: bool = False, shuffle: bool = True, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices) of a split holding out ``n_val`` samples.

    ``labels_or_n`` is the number of samples, or their labels (needed with ``stratify``).

    * ``shuffle`` (default): a random subset, drawn from a Generator made from ``seed``; both index
      arrays come in random order.
    * ``shuffle=False``: no randomness at all. Unstratified, the last ``n_val`` samples are held out
      (as Keras' ``validation_split`` does); stratified, each class's picks are spread evenly over
      its occurrences in file order (the k-th of q picks among n is occurrence
      ``floor((k + 1/2) n / q)``), and both index arrays are sorted.
    """
    labels = None if np.ndim(labels_or_n) == 0 else labels_of(labels_or_n, "labels")
    n = len(labels) if labels is not None else check_int("n", labels_or_n, minimum=1)
    n_val = check_int("n_val", n_val, minimum=1)
    if n_val >= n:
        raise ValueError(f"n_val={n_val} must be smaller than the number of samples ({n})")
    rng = make_rng(seed) if shuffle else None
    if not stratify:
        order = rng.permutation(n) if rng is not None else np.arange(n)
        return order[: n - n_val], order[n - n_val :]
    if labels is None:
        raise ValueError("stratify=True needs the labels, not only the number of samples")
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    held = np.zeros(n, dtype=bool)
    for c, quota in enumerate(stratified_quotas(counts, n_val)):
        members = np.flatnonzero(inverse == c)
        if rng is not None:
            picks = rng.permutation(members)[:quota]
        else:
            picks = members[(2 * np.arange(quota) + 1) * len(members) // (2 * max(quota, 1))]
        held[picks] = True
    train, val = np.flatnonzero(~held), np.flatnonzero(held)
    if rng is not None:
        train, val = rng.permutation(train), rng.permutation(val)
    return train, val


def train_val_split(
    x: Any,
    y: Any,
    val_size: float | int = 0.1,
    *,
    stratify: bool = False,
    shuffle: bool = True,
    seed: Seed = 0,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Hold out part of (x, y) for validation: ``((x_train, y_train), (x_val, y_val))``.

    ``val_size`` is a fraction in (0, 1) (rounded to a whole number of samples) or a number of
    samples. See :func:`split_indices` for ``stratify``, ``shuffle`` and ``seed``; the same seed
    gives the same split.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}; they must match")
    n_val = _n_val(val_size, len(x))
    train, val = split_indices(
        y if stratify else len(x), n_val, stratify=stratify, shuffle=shuffle, seed=seed
    )
    return (x[train], y[train]), (x[val], y[val])


def shuffle_arrays(*arrays: Any, seed: Seed = None) -> tuple[np.ndarray, ...]:
    """The arrays reordered by one random permutation (drawn from ``seed``'s Generator), pairs kept
    aligned."""
    if not arrays:
        raise ValueError("shuffle_arrays needs at least one array")
    arrays = tuple(np.asarray(array) for array in arrays)
    lengths = {len(array) for array in arrays}
    if len(lengths) != 1:
        raise ValueError(
            f"the arrays to shuffle must have the same length, got lengths {sorted(lengths)}"
        )
    order = make_rng(seed).permutation(lengths.pop())
    return tuple(array[order] for array in arrays)


def _n_val(val_size: float | int, n: int) -> int:
    """The number of validation samples ``val_size`` means for ``n`` samples."""
    if isinstance(val_size, (int, np.integer)) and not isinstance(val_size, bool):
        return check_int("val_size", val_size, minimum=1)
    fraction = check_in_range("val_size", val_size, 0.0, 1.0)
    if fraction == 0:
        raise ValueError("val_size must be > 0: a fraction in (0, 1) or a number of samples")
    n_val = round(fraction * n)
    if not 1 <= n_val < n:
        raise ValueError(
            f"val_size={val_size} of {n} samples leaves {n_val} for validation; need 1..{n - 1}"
        )
    return n_val
