"""Mini-batches, the two ways the textbooks draw them.

* By epochs (:func:`iterate_minibatches`): each epoch is a fresh random permutation of the samples
  cut into batches, so every sample is seen exactly once per epoch. This is what Keras and PyTorch
  do.
* By i.i.d. sampling (:func:`sample_minibatch`, :func:`iid_minibatches`): each batch is drawn on its
  own, ``batch_size`` indices uniformly at random, with replacement: the textbook's
  ``np.random.choice(train_size, batch_size)``, here with a Generator instead of the global state.
  An "epoch" is then only a count of ``train_size / batch_size`` iterations.

All randomness comes from a Generator made from ``seed`` (an int, a Generator or a SeedSequence), so
the same seed gives the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from trainlab.backend import make_rng
from trainlab.data.splits import Seed
from trainlab.validation import check_int


def batch_indices(
    n: int, batch_size: int, *, shuffle: bool = True, drop_last: bool = False, rng: Seed = None
) -> list[np.ndarray]:
    """One epoch's batches of indices into ``n`` samples: a permutation (or 0..n-1) cut every ``batch_size``.

    The last batch is smaller when ``batch_size`` does not divide ``n``, or left out with ``drop_last``.
    """
    n = check_int("n", n, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if drop_last and batch_size > n:
        raise ValueError(
            f"batch_size={batch_size} > {n} samples with drop_last=True leaves no batch at all"
        )
    order = make_rng(rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    return [order[start : start + batch_size] for start in range(0, stop, batch_size)]


def iterate_minibatches(
    x: Any,
    t: Any,
    batch_size: int,
    *,
    epochs: int = 1,
    shuffle: bool = True,
    drop_last: bool = False,
    seed: Seed = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(x_batch, t_batch) pairs for ``epochs`` epochs, a new permutation each epoch."""
    x, t = _aligned(x, t)
    epochs = check_int("epochs", epochs, minimum=1)
    rng = make_rng(seed)
    for _ in range(epochs):
        for index in batch_indices(
            len(x), batch_size, shuffle=shuffle, drop_last=drop_last, rng=rng
        ):
            yield x[index], t[index]


def sample_minibatch(
    x: Any, t: Any, batch_size: int, *, rng: Seed = None, replace: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """One batch of ``batch_size`` samples drawn uniformly at random (with replacement unless ``replace``)."""
    x, t = _aligned(x, t)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if not replace and batch_size > len(x):
        raise ValueError(
            f"batch_size={batch_size} > {len(x)} samples cannot be drawn without replacement"
        )
    index = make_rng(rng).choice(len(x), batch_size, replace=replace)
    return x[index], t[index]


def iid_minibatches(
    x: Any, t: Any, batch_size: int, *, steps: int, seed: Seed = None, replace: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``steps`` batches, each drawn independently by :func:`sample_minibatch` from one seeded Generator."""
    x, t = _aligned(x, t)
    steps = check_int("steps", steps, minimum=1)
    rng = make_rng(seed)
    for _ in range(steps):
        yield sample_minibatch(x, t, batch_size, rng=rng, replace=replace)


def _aligned(x: Any, t: Any) -> tuple[np.ndarray, np.ndarray]:
    x, t = np.asarray(x), np.asarray(t)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"x must hold at least one sample, got shape {x.shape}")
    if len(x) != len(t):
        raise ValueError(f"x has {len(x)} samples but t has {len(t)}; they must match")
    return x, t
