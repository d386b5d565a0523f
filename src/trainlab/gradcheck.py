"""Gradient checking: numerical central differences against the hand-written backward passes.

``numerical_gradient(f, x)`` approximates ∂f/∂xᵢ ≈ (f(x + h·eᵢ) - f(x - h·eᵢ)) / 2h for every entry of
an array of any shape. ``check_gradients(model, x, t)`` compares it with ``model.gradient(x, t)`` for each
parameter, in float64, replaying the dropout masks so that every evaluation sees the same network.

The error reported for a parameter is the relative error of the whole gradient array,
‖g_backprop - g_numeric‖ / (‖g_backprop‖ + ‖g_numeric‖): elementwise ratios are meaningless for entries
that are zero by construction (the bias of a layer followed by batch norm), while this measure is scale
free and near 1e-9 for a correct backward pass in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainlab.activations import ELU, GELU, SELU, LeakyReLU, PReLU, ReLU, RReLU, Sigmoid, Softmax, Tanh
from trainlab.backend import Array
from trainlab.layers import AlphaDropout, BatchNorm, Dense, Dropout, Flatten
from trainlab.model import Sequential
from trainlab.regularizers import L1, L1L2, L2
from trainlab.validation import check_positive

TOLERANCE = 1e-6


def numerical_gradient(f: Callable[[Array], float], x: Array, eps: float = 1e-5) -> Array:
    """Central-difference gradient of the scalar ``f(x)`` with respect to every entry of ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored; it must be a float array (use float64
    for accurate results). The default difference h = 1e-5 balances truncation (∝ h²) and rounding (∝ 1/h).
    """
    check_positive("eps", eps)
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"x must be a float NumPy array (it is perturbed in place), got {type(x).__name__}")
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = f(x)
        x[index] = original - eps
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic: Array, numeric: Array) -> float:
    """‖a - n‖ / (‖a‖ + ‖n‖), and 0 when both are exactly zero."""
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return 0.0 if denominator == 0 else float(np.linalg.norm(analytic - numeric) / denominator)


def check_gradients(model: Sequential, x: Any, t: Any, eps: float = 1e-5) -> dict[str, float]:
    """The relative error of backprop's dL/dθ against numerical differences, per parameter name.

    Runs on a float64 copy of the model (the model itself is untouched), in training mode, with the
    same dropout masks for every evaluation.
    """
    work = model.clone(dtype="float64")
    x = work.check_input(x)
    noise = work.rng_state()

    def loss(_: Array) -> float:
        work.set_rng_state(noise)  # replay the same dropout masks
        return work.loss(x, t, training=True)

    work.set_rng_state(noise)
    analytic = {name: grad.copy() for name, grad in work.gradient(x, t).items()}
    return {
        name: relative_error(analytic[name], numerical_gradient(loss, param, eps))
        for name, param in work.params.items()
    }


def every_layer_model(seed: int = 0, softmax_head: bool = False) -> Sequential:
    """A small model using every layer type, activation and regularizer, for ``trainlab gradcheck``.

    With ``softmax_head`` it ends in a Softmax layer trained with mean squared error; otherwise its scores
    go to softmax cross-entropy. The Dense layer before BatchNorm has no bias: batch norm would cancel it.
    """
    layers = [
        Flatten(),
        Dense(8, init="he_normal", bias=False, regularizer=L2(1e-2)),
        BatchNorm(),
        ReLU(),
        Dense(7, init="he_normal", regularizer=L1(1e-3)),
        LeakyReLU(0.1),
        Dense(7, init="glorot_normal", regularizer=L1L2(1e-3, 1e-3)),
        ELU(),
        Dropout(0.25),
        Dense(6, init="lecun_normal"),
        SELU(),
        AlphaDropout(0.2),
        Dense(6, init="glorot_uniform"),
        GELU(),
        Dense(6, init="xavier"),
        Tanh(),
        Dense(6, init="he_uniform"),
        PReLU(),
        Dense(6, init="he_normal"),
        RReLU(),
        Dense(5, init=0.5),
        Sigmoid(),
        Dense(4, init="lecun_uniform"),
    ]
    return Sequential(
        [*layers, Softmax()] if softmax_head else layers,
        input_shape=(2, 3),
        seed=seed,
        dtype="float64",
        weight_decay=1e-2,
        loss="mse" if softmax_head else "softmax_cross_entropy",
    )


@dataclass
class GradCheckRow:
    model: str
    parameter: str
    shape: tuple[int, ...]
    relative_error: float

    @property
    def passed(self) -> bool:
        return self.relative_error < TOLERANCE


def run_gradcheck(seed: int = 0, batch: int = 16) -> list[GradCheckRow]:
    """Check the every-layer model with softmax cross-entropy, and a Softmax-layer variant with MSE."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 2, 3))
    t = rng.integers(0, 4, size=batch)
    rows = []
    for label, softmax_head in [("cross-entropy", False), ("softmax+mse", True)]:
        model = every_layer_model(seed, softmax_head)
        shapes = {name: p.shape for name, p in model.params.items()}
        for name, error in check_gradients(model, x, t).items():
            rows.append(GradCheckRow(label, name, shapes[name], error))
    return rows
