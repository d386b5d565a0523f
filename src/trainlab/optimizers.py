"""Optimizers: state plus an update rule, applied to a model's parameters in place.

``optimizer.update(params, grads)`` moves each ``params[name]`` along ``grads[name]`` (the textbook's
interface, and what the training loop calls). An optimizer never knows about schedules: a schedule or a
callback sets ``optimizer.lr`` between steps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np

from trainlab.backend import Array
from trainlab.registry import Configurable, Registry
from trainlab.validation import check_positive

OPTIMIZERS = Registry("optimizer")


class Optimizer(Configurable):
    """Base class: validation of params/grads, a NaN guard, and per-parameter state.

    Subclasses implement ``step(name, param, grad)``, which updates ``param`` in place; per-parameter
    arrays (velocities, moments) live in ``self.state[name]``. ``iterations`` counts updates (the t of
    bias corrections).
    """

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr
        self.iterations = 0
        self.state: dict[str, dict[str, Array]] = {}

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_positive("lr", value)

    def update(self, params: MutableMapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Apply one update to every parameter, in place."""
        self.check_gradients(params, grads)
        self.iterations += 1
        for name, param in params.items():
            self.step(name, param, grads[name])

    def step(self, name: str, param: Array, grad: Array) -> None:
        raise NotImplementedError

    def check_gradients(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> list[float]:
        """Raise a clear error for mismatched names or shapes or a NaN/inf gradient; return ‖g‖² per entry.

        The squared norm (one BLAS dot product per array) is NaN or inf whenever the gradient holds one,
        which makes the guard nearly free; the exact check runs only to confirm.
        """
        if params.keys() != grads.keys():
            missing, extra = set(params) - set(grads), set(grads) - set(params)
            raise ValueError(f"params and grads have different names: missing in grads {sorted(missing)}, "
                             f"not in params {sorted(extra)}")
        squares = []
        for name, param in params.items():
            grad = grads[name]
            if grad.shape != param.shape:
                raise ValueError(f"grads[{name!r}] has shape {grad.shape} but params[{name!r}] has {param.shape}")
            square = float(np.vdot(grad, grad))
            if not math.isfinite(square) and not np.isfinite(grad).all():
                raise FloatingPointError(
                    f"grads[{name!r}] contains NaN or inf; the update was not applied (lower the learning "
                    "rate, clip gradients, or check the inputs)"
                )
            squares.append(square)
        return squares

    def slot(self, name: str, slot: str, like: Array) -> Array:
        """The state array ``slot`` of parameter ``name`` (zeros of ``like``'s shape on first use)."""
        slots = self.state.setdefault(name, {})
        if slot not in slots:
            slots[slot] = np.zeros_like(like)
        return slots[slot]

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, **super().get_config()}


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent: θ ← θ - η·∇L(θ). Default η = 0.01."""

    def step(self, name, param, grad):
        param -= self.lr * grad


def get_optimizer(spec: str | Optimizer, argument: str = "optimizer", **kwargs: Any) -> Optimizer:
    """An optimizer from a name ("sgd", "adam", ...) with keyword parameters, or an Optimizer object."""
    if isinstance(spec, Optimizer):
        return spec
    return OPTIMIZERS.create(spec, argument, **kwargs)
