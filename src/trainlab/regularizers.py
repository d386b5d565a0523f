"""Weight penalties (L1, L2, L1L2) and the MaxNorm constraint.

A penalty R(W) is added to the loss, and its gradient to dL/dW, by the layer that owns W. A
constraint is not part of the loss: it projects W back onto {W : ‖W[:, j]‖ ≤ r} after every
optimizer update.

This is the home of the L2 penalty in its two spellings: ``L2(l2)`` on one layer's weights (Keras's
convention, l2·ΣW²), and :class:`WeightDecay`, the textbook's ½·λ·ΣW² over every weight of a model
(``Sequential(weight_decay=λ)``), which equals ``L2(λ/2)`` on each weight. The *decoupled* weight
decay, θ ← θ − η·λ·θ outside the gradient, is the optimizers' (``AdamW``, ``Lion``): not a penalty
in the loss.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from trainlab.backend import Array
from trainlab.registry import Configurable, Registry
from trainlab.validation import check_int, check_non_negative, check_positive

REGULARIZERS = Registry("regularizer")


class Regularizer(Configurable):
    """A penalty R(W) on a weight array: ``reg(W)`` is its value, ``reg.gradient(W)`` is dR/dW."""

    example_arguments: ClassVar[dict[str, Any]] = {}
    """Constructor arguments of an instance for the gradient checks of every registered
    regularizer."""

    def __call__(self, W: Array) -> float:
        raise NotImplementedError

    def gradient(self, W: Array) -> Array:
        raise NotImplementedError


@REGULARIZERS.register("l1l2", "l1_l2")
class L1L2(Regularizer):
    """R(W) = l1·Σ|W| + l2·ΣW²;  dR/dW = l1·sign(W) + 2·l2·W (Keras's convention: no ½ on l2)."""

    example_arguments: ClassVar[dict[str, Any]] = {"l1": 0.03, "l2": 0.07}

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


@REGULARIZERS.register("l1")
class L1(L1L2):
    """R(W) = l1·Σ|W| (lasso): pushes weights to exactly zero."""

    example_arguments: ClassVar[dict[str, Any]] = {}

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


@REGULARIZERS.register("l2")
class L2(L1L2):
    """R(W) = l2·ΣW² (ridge): keeps weights small; dR/dW = 2·l2·W."""

    example_arguments: ClassVar[dict[str, Any]] = {}

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def weight_decay_penalty(weight_decay: float, weights: Iterable[Array]) -> float:
    """The textbook's weight decay, R = ½·λ·Σ‖W‖² over ``weights`` (a model's weight matrices): the
    same penalty as ``L2(λ/2)`` on each of them (``Sequential(weight_decay=λ)`` adds it to the
    loss)."""
    squares = sum(float(np.vdot(W, W)) for W in weights)
    return 0.5 * weight_decay * squares


def add_weight_decay_gradient(
    weight_decay: float, weights_and_grads: Iterable[tuple[Array, Array]]
) -> None:
    """dR/dW = λ·W of :func:`weight_decay_penalty`, added to each gradient in place."""
    for W, grad in weights_and_grads:
        grad += weight_decay * W


class MaxNorm(Configurable):
    """Rescale so that the norm along ``axis`` is at most ``max_value``: W ← W · min(1, r / ‖W‖).

    For a Dense weight of shape (inputs, units) the default ``axis=0`` bounds each unit's incoming
    weight vector W[:, j], as in Srebro et al. and Keras.
    """

    def __init__(self, max_value: float = 2.0, axis: int = 0) -> None:
        self.max_value = check_positive("max_value", max_value)
        self.axis = check_int("axis", axis)

    def __call__(self, W: Array) -> None:
        """Apply the constraint to W in place."""
        norms = np.sqrt(np.sum(W * W, axis=self.axis, keepdims=True))
        scale = np.minimum(1.0, self.max_value / np.maximum(norms, 1e-12))
        W *= scale.astype(W.dtype, copy=False)


def get_regularizer(
    spec: str | Regularizer | None, argument: str = "regularizer"
) -> Regularizer | None:
    """A Regularizer object, one by name with its default factor (Keras's ``"l2"``: L2(0.01)), or
    None."""
    if spec is None or isinstance(spec, Regularizer):
        return spec
    if isinstance(spec, str):
        return REGULARIZERS.create(spec, argument)
    names = ", ".join(REGULARIZERS.names())
    raise TypeError(
        f"{argument} must be a Regularizer such as L2(1e-4) or a name ({names}), got {spec!r}"
    )


def get_constraint(spec: MaxNorm | None, argument: str = "constraint") -> MaxNorm | None:
    if spec is None or isinstance(spec, MaxNorm):
        return spec
    raise TypeError(f"{argument} must be a constraint such as MaxNorm(1.0), got {spec!r}")
