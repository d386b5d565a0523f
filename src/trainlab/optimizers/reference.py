"""The readable form of every update rule: the published formula, line for line, in plain NumPy.

Each function returns θ after update number t (t = 1, 2, ...) as a new array and keeps its state
(the velocities and moments, zeros at first) in the dict ``state``. No scratch arrays, no
rearrangement to save passes, no blocks: what the paper or the textbook writes. The fast rules of
:mod:`.sgd`, :mod:`.adaptive` and :mod:`.adam` are checked against these
(``tests/test_optimizers.py``, in float64, to 1e-9), so a rule rewritten for speed is only right if
it still computes this.

:func:`reference_step` applies the one of an optimizer's class with its current hyperparameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from trainlab.backend import Array
from trainlab.optimizers.adam import Adam, AdaMax, AdamW, Nadam, RAdam
from trainlab.optimizers.adaptive import Adadelta, AdaGrad, RMSProp
from trainlab.optimizers.base import Optimizer
from trainlab.optimizers.hyperparameters import SHARED_OPTIONS
from trainlab.optimizers.sgd import SGD, Lion, Momentum, Nesterov

Reference = Callable[..., Array]
REFERENCES: dict[type[Optimizer], Reference] = {}
"""The readable rule of each optimizer class."""


def reference(cls: type[Optimizer]) -> Callable[[Reference], Reference]:
    """Decorator: the function is the readable rule of ``cls`` (a new optimizer registers its
    own)."""

    def register(function: Reference) -> Reference:
        REFERENCES[cls] = function
        return function

    return register


def reference_step(
    optimizer: Optimizer, theta: Array, g: Array, state: dict[str, Array], t: int
) -> Array:
    """θ after update ``t`` by the readable rule of ``optimizer``'s class, with its hyperparameters
    now."""
    if type(optimizer) not in REFERENCES:
        raise KeyError(f"{type(optimizer).__name__} has no reference rule; add one with @reference")
    hyperparameters = {k: v for k, v in optimizer.get_config().items() if k not in SHARED_OPTIONS}
    return REFERENCES[type(optimizer)](theta, g, state, t, **hyperparameters)


def zeros(state: dict[str, Array], name: str, like: Array) -> Array:
    return state.get(name, np.zeros_like(like))


@reference(SGD)
def sgd(theta: Array, g: Array, state: dict[str, Array], t: int, *, lr: float) -> Array:
    return theta - lr * g


@reference(Momentum)
def momentum(
    theta: Array, g: Array, state: dict[str, Array], t: int, *, lr: float, momentum: float
) -> Array:
    state["v"] = momentum * zeros(state, "v", theta) - lr * g  # the textbook's v ← βv − ηg
    return theta + state["v"]


@reference(Nesterov)
def nesterov(
    theta: Array, g: Array, state: dict[str, Array], t: int, *, lr: float, momentum: float
) -> Array:
    # Sutskever et al. (2013), Keras's form
    state["v"] = momentum * zeros(state, "v", theta) - lr * g
    return theta + momentum * state["v"] - lr * g


@reference(AdaGrad)
def adagrad(
    theta: Array, g: Array, state: dict[str, Array], t: int, *, lr: float, eps: float
) -> Array:
    state["h"] = zeros(state, "h", theta) + g * g
    return theta - lr * g / (np.sqrt(state["h"]) + eps)


@reference(RMSProp)
def rmsprop(
    theta: Array, g: Array, state: dict[str, Array], t: int, *, lr: float, rho: float, eps: float
) -> Array:
    state["h"] = rho * zeros(state, "h", theta) + (1 - rho) * g * g
    return theta - lr * g / (np.sqrt(state["h"]) + eps)


@reference(Adadelta)
def adadelta(
    theta: Array, g: Array, state: dict[str, Array], t: int, *, lr: float, rho: float, eps: float
) -> Array:
    """Zeiler (2012), Algorithm 1, the step scaled by η."""
    state["h"] = rho * zeros(state, "h", theta) + (1 - rho) * g * g
    delta = np.sqrt(zeros(state, "d", theta) + eps) / np.sqrt(state["h"] + eps) * g
    state["d"] = rho * zeros(state, "d", theta) + (1 - rho) * delta * delta
    return theta - lr * delta


@reference(Lion)
def lion(
    theta: Array,
    g: Array,
    state: dict[str, Array],
    t: int,
    *,
    lr: float,
    beta_1: float,
    beta_2: float,
    weight_decay: float,
) -> Array:
    """Chen et al. (2023), Algorithm 2."""
    m = zeros(state, "m", theta)
    c = beta_1 * m + (1 - beta_1) * g
    state["m"] = beta_2 * m + (1 - beta_2) * g
    return theta - lr * (np.sign(c) + weight_decay * theta)


@reference(Adam)
def adam(
    theta: Array,
    g: Array,
    state: dict[str, Array],
    t: int,
    *,
    lr: float,
    beta_1: float,
    beta_2: float,
    eps: float,
    amsgrad: bool = False,
) -> Array:
    """Kingma & Ba (2015), Algorithm 1; AMSGrad (Reddi et al., 2018) with Adam's bias corrections,
    the form of PyTorch and Keras."""
    state["m"] = beta_1 * zeros(state, "m", theta) + (1 - beta_1) * g
    state["v"] = beta_2 * zeros(state, "v", theta) + (1 - beta_2) * g * g
    v = state["v"]
    if amsgrad:
        v = state["v_max"] = np.maximum(zeros(state, "v_max", theta), state["v"])
    m_hat, v_hat = state["m"] / (1 - beta_1**t), v / (1 - beta_2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


@reference(AdamW)
def adamw(
    theta: Array,
    g: Array,
    state: dict[str, Array],
    t: int,
    *,
    lr: float,
    weight_decay: float,
    **hyperparameters: Any,
) -> Array:
    """Loshchilov & Hutter (2019): θ − η·λ·θ, then the Adam step (its gradient and moments without
    λ)."""
    return adam(theta, g, state, t, lr=lr, **hyperparameters) - lr * weight_decay * theta


@reference(AdaMax)
def adamax(
    theta: Array,
    g: Array,
    state: dict[str, Array],
    t: int,
    *,
    lr: float,
    beta_1: float,
    beta_2: float,
    eps: float,
) -> Array:
    """Kingma & Ba (2015), section 7.1, ε added to u."""
    state["m"] = beta_1 * zeros(state, "m", theta) + (1 - beta_1) * g
    state["u"] = np.maximum(beta_2 * zeros(state, "u", theta), np.abs(g))
    return theta - lr / (1 - beta_1**t) * state["m"] / (state["u"] + eps)


@reference(Nadam)
def nadam(
    theta: Array,
    g: Array,
    state: dict[str, Array],
    t: int,
    *,
    lr: float,
    beta_1: float,
    beta_2: float,
    eps: float,
) -> Array:
    """Dozat (2016), Algorithm 2 with a constant μ = β1."""
    state["m"] = beta_1 * zeros(state, "m", theta) + (1 - beta_1) * g
    state["v"] = beta_2 * zeros(state, "v", theta) + (1 - beta_2) * g * g
    m_bar = beta_1 * state["m"] / (1 - beta_1 ** (t + 1)) + (1 - beta_1) * g / (1 - beta_1**t)
    return theta - lr * m_bar / (np.sqrt(state["v"] / (1 - beta_2**t)) + eps)


@reference(RAdam)
def radam(
    theta: Array,
    g: Array,
    state: dict[str, Array],
    t: int,
    *,
    lr: float,
    beta_1: float,
    beta_2: float,
    eps: float,
) -> Array:
    """Liu et al. (2020), Algorithm 2, with PyTorch's threshold 5 and ε added to √v."""
    state["m"] = beta_1 * zeros(state, "m", theta) + (1 - beta_1) * g
    state["v"] = beta_2 * zeros(state, "v", theta) + (1 - beta_2) * g * g
    m_hat = state["m"] / (1 - beta_1**t)
    rho_inf = 2 / (1 - beta_2) - 1
    rho_t = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
    if rho_t <= 5:
        return theta - lr * m_hat
    r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return theta - lr * r * m_hat * math.sqrt(1 - beta_2**t) / (np.sqrt(state["v"]) + eps)
