"""Weight penalties (L1, L2, L1L2) and the MaxNorm constraint.

A penalty R(W) is added to the loss, and its gradient to dL/dW, by the layer that owns W. A constraint is
not part of the loss: it projects W back onto {W : ‖W[:, j]‖ ≤ r} after every optimizer update.
"""

from __future__ import annotations

import numpy as np

from trainlab.backend import Array
from trainlab.registry import Configurable
from trainlab.validation import check_int, check_non_negative, check_positive


class Regularizer(Configurable):
    """A penalty R(W) on a weight array: ``reg(W)`` is its value, ``reg.gradient(W)`` is dR/dW."""

    def __call__(self, W: Array) -> float:
        raise NotImplementedError

    def gradient(self, W: Array) -> Array:
        raise NotImplementedError


class L1L2(Regularizer):
    """R(W) = l1·Σ|W| + l2·ΣW²;  dR/dW = l1·sign(W) + 2·l2·W (Keras's convention: no ½ on l2)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = check_non_negative("l1", l1)
        self.l2 = check_non_negative("l2", l2)

    def __call__(self, W):
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.abs(W).sum())
        if self.l2:
            penalty += self.l2 * float(np.vdot(W, W))
        return penalty

    def gradient(self, W):
        grad = np.zeros_like(W)
        if self.l1:
            grad += self.l1 * np.sign(W)
        if self.l2:
            grad += (2.0 * self.l2) * W
        return grad


class L1(L1L2):
    """R(W) = l1·Σ|W| (lasso): pushes weights to exactly zero."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """R(W) = l2·ΣW² (ridge): keeps weights small; dR/dW = 2·l2·W."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class MaxNorm(Configurable):
    """Rescale so that the norm along ``axis`` is at most ``max_value``: W ← W · min(1, r / ‖W‖).

    For a Dense weight of shape (inputs, units) the default ``axis=0`` bounds each unit's incoming weight
    vector W[:, j], as in Srebro et al. and Keras.
    """

    def __init__(self, max_value: float = 2.0, axis: int = 0) -> None:
        self.max_value = check_positive("max_value", max_value)
        self.axis = check_int("axis", axis)

    def __call__(self, W: Array) -> None:
        """Apply the constraint to W in place."""
        norms = np.sqrt(np.sum(W * W, axis=self.axis, keepdims=True))
        scale = np.minimum(1.0, self.max_value / np.maximum(norms, 1e-12))
        W *= scale.astype(W.dtype, copy=False)


def get_regularizer(spec: Regularizer | None, argument: str = "regularizer") -> Regularizer | None:
    if spec is None or isinstance(spec, Regularizer):
        return spec
    raise TypeError(f"{argument} must be a Regularizer such as L2(1e-4), got {spec!r}")


def get_constraint(spec: MaxNorm | None, argument: str = "constraint") -> MaxNorm | None:
    if spec is None or isinstance(spec, MaxNorm):
        return spec
    raise TypeError(f"{argument} must be a constraint such as MaxNorm(1.0), got {spec!r}")
