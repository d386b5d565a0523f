"""Metrics computed from a model's outputs (scores or probabilities) and the targets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trainlab.backend import Array
from trainlab.losses import check_targets
from trainlab.registry import Registry

METRICS = Registry("metric")


def accuracy(y: Array, t) -> float:
    """Fraction of rows whose largest score is the true class (``t``: class indices or one-hot rows)."""
    t = check_targets(y, t)
    labels = t.argmax(axis=1) if t.ndim == 2 else t
    return float(np.mean(y.argmax(axis=1) == labels))


METRICS.add("accuracy", lambda: accuracy)
METRICS.add("acc", lambda: accuracy)


def get_metric(name: str, argument: str = "metrics") -> Callable[[Array, Array], float]:
    """The metric function registered as ``name`` ("accuracy")."""
    return METRICS.create(name, argument)
