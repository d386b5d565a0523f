"""Metrics computed from a model's outputs: accuracy."""

from __future__ import annotations

import numpy as np

from trainlab.backend import Array
from trainlab.losses import check_targets


def accuracy(y: Array, t) -> float:
    """Fraction of rows whose largest score is the true class (``t``: class indices or one-hot rows)."""
    t = check_targets(y, t)
    labels = t.argmax(axis=1) if t.ndim == 2 else t
    return float(np.mean(y.argmax(axis=1) == labels))
