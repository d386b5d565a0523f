"""Gradient checking: numerical central differences against the hand-written backward passes.

``numerical_gradient(f, x)`` approximates ∂f/∂xᵢ ≈ (f(x + h·eᵢ) - f(x - h·eᵢ)) / 2h for every entry
of an array of any shape. ``check_gradients(model, x, t)`` compares it with ``model.gradient(x, t)``
for each parameter, in float64, replaying the dropout masks so that every evaluation sees the same
network; ``layer_gradients(layer, x)`` does the same for one layer (dL/dx and dL/dθ), which is how a
new layer is checked. ``every_layer_model`` holds one of every registered layer and activation
(found in :data:`trainlab.base.LAYERS` and :data:`trainlab.activations.ACTIVATIONS`: a new one is
checked without being added here).

The error reported for a parameter is the relative error of the whole gradient array, ‖g_backprop -
g_numeric‖ / (‖g_backprop‖ + ‖g_numeric‖): elementwise ratios are meaningless for entries that are
zero by construction (the bias of a layer followed by batch norm), while this measure is scale free
and near 1e-9 for a correct backward pass in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainlab.activations import ACTIVATIONS, Softmax
from trainlab.backend import Array
from trainlab.base import LAYERS, Layer
from trainlab.layers import Dense, Flatten
from trainlab.model import Sequential
from trainlab.registry import Registry
from trainlab.regularizers import REGULARIZERS
from trainlab.validation import check_positive

TOLERANCE = 1e-6


def numerical_gradient(f: Callable[[Array], float], x: Array, eps: float = 1e-5) -> Array:
    """Central-difference gradient of the scalar ``f(x)`` with respect to every entry of ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored; it must be a float array (use
    float64 for accurate results). The default difference h = 1e-5 balances truncation (∝ h²) and
    rounding (∝ 1/h).
    """
    check_positive("eps", eps)
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(
            f"x must be a float NumPy array (it is perturbed in place), got {type(x).__name__}"
        )
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


def layer_gradients(
    layer: Layer, x: Array, training: bool = True
) -> dict[str, tuple[Array, Array]]:
    """Backprop's and the numerical dL/dx and dL/dθ of one built layer, by name ("x" and its
    parameters' names).

    L = Σ y ⊙ R with R a fixed random array, so that every output counts with its own weight. The
    layer's noise (dropout masks, RReLU's slopes) is replayed at every evaluation. Use float64
    (``layer.build(shape, np.float64, rng)``); the pairs agree to about 1e-9 relative for a correct
    backward pass.
    """
    noise = None if layer.rng is None else layer.rng.bit_generator.state

    def forward() -> Array:
        if noise is not None:
            layer.rng.bit_generator.state = noise  # the same dropout mask at every evaluation
        return layer.forward(x, training)

    # A seed no integer seed gives: R never equals an x or a weight drawn from an integer seed,
    # which would make L = Σ y ⊙ x and its gradient degenerate.
    weights = np.random.default_rng([7, 7]).standard_normal(forward().shape)
    dx = layer.backward(weights.copy())
    analytic = {"x": dx, **{name: grad.copy() for name, grad in layer.grads.items()}}
    arrays = {"x": x, **layer.params}

    def loss(_: Array) -> float:
        return float(np.sum(forward() * weights))

    return {
        name: (analytic[name], numerical_gradient(loss, array)) for name, array in arrays.items()
    }


def registered(registry: Registry) -> list[type]:
    """The classes of a registry, once each (a class registered under several names counts once)."""
    classes: list[type] = []
    for name in registry.names():
        entry = registry.lookup(name, "name")
        if isinstance(entry, type) and entry not in classes:
            classes.append(entry)
    return classes


def every_layer_model(seed: int = 0, softmax_head: bool = False) -> Sequential:
    """A small float64 model with one of every registered layer and activation, for ``trainlab
    gradcheck``.

    Flatten, then each of them (built from its ``example_arguments``) after a Dense layer of 6
    units, the Dense layers taking turns without a regularizer and with each registered one; a Dense
    layer before a layer that ``cancels_bias`` (batch norm) has no bias, whose gradient would be
    exactly zero. The biases start at random (N(0, 0.1²)), not at 0: a sample whose inputs dropout
    zeroed would otherwise feed exactly 0 to the next activation, on the kink of a ReLU, where the
    numerical derivative is the mean of the two slopes and no backward pass can agree with it. Last
    a Dense(4) whose scores go to softmax cross-entropy, or with ``softmax_head`` a Softmax trained
    with mean squared error. λ = 1e-2 weight decay on top.
    """
    regularizers = [None, *(cls(**cls.example_arguments) for cls in registered(REGULARIZERS))]
    others = [
        cls for cls in registered(LAYERS) + registered(ACTIVATIONS) if cls not in (Dense, Flatten)
    ]
    layers: list[Layer] = [Flatten()]
    for index, cls in enumerate(others):
        dense = Dense(
            6,
            init="he_normal",
            bias=not cls.cancels_bias,
            bias_init=0.1,
            regularizer=regularizers[index % len(regularizers)],
        )
        layers += [dense, cls(**cls.example_arguments)]
    layers.append(Dense(4, init="glorot_uniform"))
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
    """Check the every-layer model with softmax cross-entropy, and a Softmax-layer variant with
    MSE."""
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
