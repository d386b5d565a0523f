"""Gradient clipping, as functions on a dict (or list) of gradient arrays, in place.

An optimizer's ``clip_norm`` / ``clip_value`` options do the same to a private copy (see
:class:`trainlab.optimizers.base.Optimizer`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from trainlab.backend import Array
from trainlab.validation import check_positive


def _arrays(grads: Mapping[str, Array] | Iterable[Array]) -> list[Array]:
    return list(grads.values()) if isinstance(grads, Mapping) else list(grads)


def global_norm(grads: Mapping[str, Array] | Iterable[Array]) -> float:
    """‖g‖ = √(Σᵢ ‖gᵢ‖²) over all gradient arrays (a dict by name or a list)."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in _arrays(grads)))


def clip_factor(norm: float, max_norm: float) -> float:
    """The scale min(1, max_norm / ‖g‖) that brings a global norm ‖g‖ down to at most
    ``max_norm``."""
    return 1.0 if norm <= max_norm else max_norm / norm


def clip_by_global_norm(grads: Mapping[str, Array] | Iterable[Array], max_norm: float) -> float:
    """Scale all gradients in place by min(1, max_norm / ‖g‖), ‖g‖ their global norm; return ‖g‖.

    The direction of the whole gradient is kept; only its length is capped at ``max_norm``. The
    returned norm is the one before clipping (worth logging: spikes announce divergence).
    """
    max_norm = check_positive("max_norm", max_norm)
    arrays = _arrays(grads)
    norm = global_norm(arrays)
    if not math.isfinite(norm):
        raise FloatingPointError(f"the gradients' global norm is {norm}; they contain NaN or inf")
    scale = clip_factor(norm, max_norm)
    if scale < 1.0:
        for g in arrays:
            g *= scale
    return norm


def clip_by_value(grads: Mapping[str, Array] | Iterable[Array], limit: float) -> None:
    """Clip every gradient entry in place to [-limit, limit] (this may change the gradient's
    direction)."""
    limit = check_positive("limit", limit)
    for g in _arrays(grads):
        np.clip(g, -limit, limit, out=g)
