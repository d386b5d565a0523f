"""Preprocessing: standardisation fitted on training data, and one-hot labels.

:class:`Standardizer` computes ``x' = (x - mean) / std``. It is *fitted* on the training set only
and then applied unchanged to validation and test data: using statistics of the test set would leak
it into the model. One-hot encoding is :func:`trainlab.losses.one_hot`, re-exported here so that
data code finds it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainlab.losses import one_hot
from trainlab.validation import as_float_array, check_positive

__all__ = ["Standardizer", "one_hot"]


class Standardizer:
    """Per-feature (or global) standardisation: ``x' = (x - mean) / std``, statistics from ``fit``.

    ``per_feature=True`` (default) keeps one mean and std per feature (per pixel); ``False`` one for
    all. A feature whose std is below ``eps`` (MNIST's always-black border pixels) is only centred,
    not divided: dividing by ~0 would turn rounding noise into huge values.
    """

    def __init__(self, per_feature: bool = True, eps: float = 1e-7) -> None:
        self.per_feature = bool(per_feature)
        self.eps = check_positive("eps", eps)
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    def fit(self, x: Any) -> Standardizer:
        """Learn the mean and std of ``x`` (samples along axis 0); returns self."""
        x = as_float_array("x", x, np.result_type(np.asarray(x).dtype, np.float32))
        axis = 0 if self.per_feature else None
        # float64 sums: the float32 mean of 60,000 x 784 values would lose digits.
        mean = x.mean(axis=axis, dtype=np.float64)
        std = x.std(axis=axis, dtype=np.float64)
        self.mean = np.asarray(mean, dtype=x.dtype)
        self.scale = np.asarray(np.where(std < self.eps, 1.0, std), dtype=x.dtype)
        return self

    def transform(self, x: Any) -> np.ndarray:
        """``(x - mean) / std`` with the fitted statistics, in x's float dtype (float32 for integer x)."""
        if self.mean is None or self.scale is None:
            raise RuntimeError(
                "Standardizer.transform called before fit; fit it on the training data first"
            )
        x = as_float_array("x", x, np.result_type(np.asarray(x).dtype, np.float32))
        if self.per_feature and x.shape[1:] != self.mean.shape:
            raise ValueError(
                f"x has samples of shape {x.shape[1:]}, but the Standardizer was fitted on {self.mean.shape}"
            )
        return ((x - self.mean.astype(x.dtype)) / self.scale.astype(x.dtype)).astype(
            x.dtype, copy=False
        )

    def fit_transform(self, x: Any) -> np.ndarray:
        """``fit(x)`` then ``transform(x)``."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> np.ndarray:
        """Undo :meth:`transform`: ``x * std + mean``."""
        if self.mean is None or self.scale is None:
            raise RuntimeError("Standardizer.inverse_transform called before fit")
        x = np.asarray(x)
        return (x * self.scale.astype(x.dtype) + self.mean.astype(x.dtype)).astype(
            x.dtype, copy=False
        )

    def __repr__(self) -> str:
        fitted = "fitted" if self.mean is not None else "not fitted"
        return f"Standardizer(per_feature={self.per_feature}, eps={self.eps}) [{fitted}]"
