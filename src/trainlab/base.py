"""The Layer base class: one stage of a network with a hand-written backward pass, and the registry
of layers.

A new layer is one class, registered by name (``@LAYERS.register("my_layer")``; activations in
:data:`trainlab.activations.ACTIVATIONS`): the gradient checks
(:func:`trainlab.gradcheck.every_layer_model`, ``tests/test_gradients.py``) find it there and check
its backward pass against numerical differences.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from trainlab.backend import Array
from trainlab.registry import Configurable, Registry

LAYERS = Registry("layer")
"""Layers with parameters or noise by name ("dense", "batchnorm", ...); activations have their own
registry."""


class Layer(Configurable):
    """A differentiable stage ``y = f(x; θ)`` of a network.

    ``forward(x, training)`` computes y and keeps what the backward pass needs; ``backward(dy)``
    takes dL/dy, returns dL/dx and writes dL/dθ into ``grads[name]`` (arrays allocated once, updated
    in place). Trainable parameters live in ``params``; non-trained state (BatchNorm's running
    averages) in ``buffers``. ``training`` switches the behaviour of Dropout and BatchNorm; it is
    False by default so that a forgotten flag errs on the side of inference.

    Shapes exclude the batch axis: a Dense layer on 784 features has ``input_shape == (784,)``.
    """

    default_name = "layer"
    stochastic = False  # True for layers that stay random under MC dropout (Dropout, AlphaDropout)
    example_arguments: ClassVar[dict[str, Any]] = {}
    """Constructor arguments of a small instance (those without a default: Dense's ``units``), with
    which the gradient checks build every registered layer."""
    cancels_bias: ClassVar[bool] = False
    """True for a layer whose output does not change when a constant is added to an input feature
    (batch norm subtracts the batch mean): a bias just before it has no effect and an exactly zero
    gradient."""

    def __init__(self, name: str | None = None, trainable: bool = True) -> None:
        if name is not None and (not isinstance(name, str) or not name or "." in name):
            raise ValueError(f"name={name!r} is not allowed; use a non-empty string without '.'")
        self.name = name
        self.trainable = bool(trainable)
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        self.buffers: dict[str, Array] = {}
        self.input_shape: tuple[int, ...] | None = None
        self.output_shape: tuple[int, ...] | None = None
        self.dtype: np.dtype | None = None
        self.rng: np.random.Generator | None = None  # set by layers that draw noise while training

    # -- building ----------------------------------------------------------------------------------
    @property
    def built(self) -> bool:
        return self.output_shape is not None

    def build(
        self, input_shape: tuple[int, ...], dtype: np.dtype, rng: np.random.Generator
    ) -> tuple[int, ...]:
        """Create parameters for inputs of ``input_shape``; return the output shape."""
        self.input_shape = tuple(int(n) for n in input_shape)
        self.dtype = np.dtype(dtype)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.create_state(rng)
        return self.output_shape

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return input_shape

    def create_state(self, rng: np.random.Generator) -> None:
        """Allocate parameters and buffers (layers with state override this)."""

    def add_param(self, name: str, value: Array) -> None:
        """Register a trainable parameter and its gradient buffer."""
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    # -- computing ---------------------------------------------------------------------------------
    def forward(self, x: Array, training: bool = False) -> Array:
        raise NotImplementedError

    def backward(self, dout: Array, input_grad: bool = True) -> Array | None:
        """dL/dx from dL/dy. With ``input_grad=False`` (the first layer) a layer may skip dL/dx."""
        raise NotImplementedError

    def regularization_loss(self) -> float:
        """The penalty this layer adds to the loss (regularizers); 0 by default."""
        return 0.0

    def apply_constraints(self) -> None:
        """Project parameters back onto their constraint set after an update (MaxNorm)."""

    # -- describing --------------------------------------------------------------------------------
    @property
    def decay_params(self) -> tuple[str, ...]:
        """Names of the parameters a model-level weight decay applies to (weights, not biases)."""
        return ()

    def count_params(self) -> int:
        return sum(math.prod(p.shape) for p in self.params.values())
