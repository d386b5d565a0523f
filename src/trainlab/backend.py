"""The numeric basics: the array type, the float dtypes, random generators and the BLAS thread limit.

Randomness only ever comes from :class:`numpy.random.Generator` objects derived from one seed, so
the same seed gives the same numbers.
"""

from __future__ import annotations

import hashlib
import math
import os
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

Array = np.ndarray

DEFAULT_DTYPE = np.dtype(np.float32)
FLOAT_DTYPES = ("float32", "float64")


def resolve_dtype(dtype: Any) -> np.dtype:
    """Return the NumPy float dtype named by ``dtype`` ("float32", "float64", np.float32, ...)."""
    if dtype is None:
        return DEFAULT_DTYPE
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise ValueError(
            f"dtype={dtype!r} is not a dtype; use one of {', '.join(FLOAT_DTYPES)}"
        ) from None
    if resolved.name not in FLOAT_DTYPES:
        raise ValueError(f"dtype={dtype!r} is not supported; use one of {', '.join(FLOAT_DTYPES)}")
    return resolved


def seed_sequence(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    """The root of all randomness of a model or a run: a SeedSequence made from ``seed``.

    ``seed=None`` draws fresh entropy; the sequence's ``entropy`` then records it, so the run can be
    repeated.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValueError(f"seed={seed!r} is not allowed; use a non-negative integer or None")
    return np.random.SeedSequence(None if seed is None else int(seed))


def make_rng(
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
) -> np.random.Generator:
    """A Generator from a seed (or the Generator itself, passed through)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed_sequence(seed))


def spawn_rngs(seed: int | np.random.SeedSequence | None, n: int) -> list[np.random.Generator]:
    """``n`` statistically independent Generators derived from one seed."""
    return [np.random.default_rng(child) for child in seed_sequence(seed).spawn(n)]


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """A Generator for one ``purpose`` ("data-order", "validation-split", ...) of a model seeded ``seed``.

    The purpose is mixed into the entropy, so these streams never coincide with the per-layer
    streams that :func:`spawn_rngs` derives from the same seed, nor with each other.
    """
    tag = int.from_bytes(hashlib.sha256(purpose.encode()).digest()[:16], "little")
    return np.random.default_rng(np.random.SeedSequence([seed, tag]))


def blas_threads(threads: int | None):
    """A context manager limiting the BLAS library (OpenBLAS, MKL) to ``threads`` threads; None: no limit.

    One thread gives the same numbers on every machine (more threads sum in another order), and for
    small networks it is as fast on a free machine and much faster on a busy one, where a second
    thread waits for a core.
    """
    return threadpool_limits(limits=threads, user_api="blas")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. under ``taskset``), else all of them."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def keep_mask(
    rng: np.random.Generator, shape: tuple[int, ...], rate: float
) -> tuple[np.ndarray, float]:
    """A boolean mask of ``shape`` whose entries are False with probability ``rate``, and the exact
    probability that an entry is True.

    Each entry takes 16 random bits, four from every 64-bit output of the generator: three times
    faster than drawing a float per entry, which matters for dropout on every step. The rate is
    resolved to 1/65536, and the returned keep probability is the resolved one, so that scaling by
    it stays unbiased.
    """
    n = math.prod(shape)
    threshold = round(rate * 65536)
    bits = rng.bit_generator.random_raw((n + 3) // 4).view(np.uint16)[:n]
    return (bits >= threshold).reshape(shape), 1.0 - threshold / 65536
