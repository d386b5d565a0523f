"""Layers with parameters or noise: Dense, BatchNorm, Dropout, AlphaDropout, Flatten."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from trainlab.activations import SELU_ALPHA, SELU_SCALE, get_activation
from trainlab.backend import keep_mask
from trainlab.base import LAYERS, Layer
from trainlab.initializers import Initializer, get_initializer
from trainlab.regularizers import MaxNorm, Regularizer, get_constraint, get_regularizer
from trainlab.validation import check_in_range, check_int, check_positive


@LAYERS.register("dense")
class Dense(Layer):
    """Fully connected layer: y = x·W + b, with W of shape (inputs, units).

    Backward: dL/dW = xᵀ·dL/dy, dL/db = Σ_batch dL/dy, dL/dx = dL/dy·Wᵀ, plus dR/dW when a
    ``regularizer`` is set. An optional ``activation`` (a name or layer) is applied to the output,
    so ``Dense(100, activation="relu")`` is shorthand for ``Dense(100), ReLU()``. The default
    initializer is Glorot-uniform, Keras's default; the textbook's experiments pass theirs
    explicitly.
    """

    default_name = "dense"
    example_arguments: ClassVar[dict[str, Any]] = {"units": 3}

    def __init__(
        self,
        units: int,
        activation: str | Layer | None = None,
        init: str | float | Initializer = "glorot_uniform",
        bias: bool = True,
        bias_init: str | float | Initializer = "zeros",
        regularizer: Regularizer | None = None,
        constraint: MaxNorm | None = None,
        name: str | None = None,
        trainable: bool = True,
    ) -> None:
        super().__init__(name=name, trainable=trainable)
        self.units = check_int("units", units, minimum=1)
        self.activation = get_activation(activation)
        self.init = get_initializer(init, "init")
        self.bias = bool(bias)
        self.bias_init = get_initializer(bias_init, "bias_init")
        self.regularizer = get_regularizer(regularizer)
        self.constraint = get_constraint(constraint)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(
                f"Dense expects inputs of shape (batch, features), got per-sample shape {input_shape}; "
                "put a Flatten() layer before it"
            )
        return (self.units,)

    def create_state(self, rng):
        self.add_param("W", self.init((self.input_shape[0], self.units), rng, self.dtype))
        if self.bias:
            self.add_param("b", self.bias_init((self.units,), rng, self.dtype))
        if self.activation is not None:
            self.activation.build(self.output_shape, self.dtype, rng)

    @property
    def decay_params(self):
        return ("W",)

    def forward(self, x, training=False):
        self.x = x
        y = x @ self.params["W"]
        if self.bias:
            y += self.params["b"]
        return y if self.activation is None else self.activation.forward(y, training)

    def backward(self, dout, input_grad=True):
        if self.activation is not None:
            dout = self.activation.backward(dout)
        W = self.params["W"]
        if self.trainable:
            np.matmul(self.x.T, dout, out=self.grads["W"])
            if (
                self.bias
            ):  # Σ_batch dL/dy; the ufunc's own reduce skips np.sum's Python wrapper (same sum)
                np.add.reduce(dout, axis=0, out=self.grads["b"])
            if self.regularizer is not None:
                self.grads["W"] += self.regularizer.gradient(W)
        return dout @ W.T if input_grad else None

    def regularization_loss(self):
        return 0.0 if self.regularizer is None else self.regularizer(self.params["W"])

    def apply_constraints(self):
        if self.constraint is not None:
            self.constraint(self.params["W"])


@LAYERS.register("batchnorm", "batch_normalization")
class BatchNorm(Layer):
    """Batch normalization (Ioffe & Szegedy 2015) over the last (feature) axis.

    Training: x̂ = (x - μ_B) / √(σ²_B + ε) with the batch mean and (biased) variance, y = γ·x̂ + β,
    and running ← m·running + (1 - m)·batch for mean and variance. Inference: the running averages
    replace the batch statistics. Backward (training), with N samples: dL/dx = γ/(N·√(σ²_B + ε)) ·
    (N·dL/dy - Σ dL/dy - x̂·Σ(dL/dy ⊙ x̂)), dL/dγ = Σ dL/dy ⊙ x̂, dL/dβ = Σ dL/dy. ``momentum``
    defaults to the textbook's 0.9 (Keras uses 0.99). A frozen layer (``trainable=False``)
    normalizes with its running statistics even in training, as Keras does, so fine-tuning a network
    on top of it does not shift the statistics the frozen layers were trained with.
    """

    default_name = "batchnorm"
    cancels_bias = True

    def __init__(
        self,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
        name: str | None = None,
        trainable: bool = True,
    ) -> None:
        super().__init__(name=name, trainable=trainable)
        self.momentum = check_in_range("momentum", momentum, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon)

    def create_state(self, rng):
        features = self.input_shape[-1]
        self.add_param("gamma", np.ones(features, self.dtype))
        self.add_param("beta", np.zeros(features, self.dtype))
        self.buffers["running_mean"] = np.zeros(features, self.dtype)
        self.buffers["running_var"] = np.ones(features, self.dtype)

    def forward(self, x, training=False):
        axes = tuple(range(x.ndim - 1))
        self.batch_statistics = (
            training and self.trainable
        )  # a frozen layer normalizes as in inference
        # ``y`` is scratch for (x - μ)² first, then holds the output: one batch-sized array fewer per step
        if self.batch_statistics:
            n = math.prod(x.shape[:-1])
            mean = np.add.reduce(
                x, axis=axes
            )  # x.mean(axes) without its wrapper: the same sum and division
            mean /= n
            xc = x - mean
            y = np.multiply(xc, xc)
            var = np.add.reduce(y, axis=axes)
            var /= n
            if np.isfinite(var.sum()):  # a diverging batch must not poison the running averages
                m = self.momentum
                self.buffers["running_mean"] *= m
                self.buffers["running_mean"] += (1 - m) * mean
                self.buffers["running_var"] *= m
                self.buffers["running_var"] += (1 - m) * var
        else:
            xc = x - self.buffers["running_mean"]
            var = self.buffers["running_var"]
            y = np.empty_like(xc)
        self.inv_std = 1.0 / np.sqrt(var + self.epsilon)
        self.xhat = xc
        self.xhat *= self.inv_std
        np.multiply(self.xhat, self.params["gamma"], out=y)  # γ·x̂ + β
        y += self.params["beta"]
        return y

    def backward(self, dout, input_grad=True):
        # dout is the chain's own array (see activations.py): dL/dx is computed in it, in place
        axes = tuple(range(dout.ndim - 1))
        dbeta = np.add.reduce(dout, axis=axes)
        product = dout * self.xhat
        dgamma = np.add.reduce(product, axis=axes)
        if self.trainable:
            self.grads["beta"][...] = dbeta
            self.grads["gamma"][...] = dgamma
        if not input_grad:
            return None
        scale = self.params["gamma"] * self.inv_std
        if not self.batch_statistics:  # running statistics are constants: an affine map
            dout *= scale
            return dout
        n = math.prod(dout.shape[:-1])
        dx = dout
        dx *= n
        dx -= dbeta
        dx -= np.multiply(self.xhat, dgamma, out=product)
        dx *= scale / n
        return dx


@LAYERS.register("dropout")
class Dropout(Layer):
    """Dropout with m ~ Bernoulli(1 - p) drawn anew for every batch; p = ``rate``.

    Inverted (the default, as Keras and PyTorch): y = x ⊙ m / (1 - p) in training, y = x in
    inference, so E[y] = x and inference needs no change; dL/dx = dL/dy ⊙ m / (1 - p). The
    textbook's form (``inverted=False``): y = x ⊙ m in training, y = (1 - p)·x in inference; dL/dx =
    dL/dy ⊙ m. Both have the same expected output, but the textbook's damps the signal, and with it
    the gradients, by 1 - p per layer during training, so that with plain SGD its nets learn more
    slowly (and overfit less in a fixed number of epochs).
    """

    default_name = "dropout"
    stochastic = True

    def __init__(self, rate: float = 0.5, inverted: bool = True, name: str | None = None) -> None:
        super().__init__(name=name)
        self.rate = check_in_range("rate", rate, 0.0, 1.0)
        self.inverted = bool(inverted)

    def create_state(self, rng):
        self.rng = rng

    def forward(self, x, training=False):
        self.mask = None
        if self.rate == 0.0:
            return x
        if not training:
            return x if self.inverted else x * (1.0 - self.rate)
        keep, keep_probability = keep_mask(self.rng, x.shape, self.rate)
        scale = 1.0 / keep_probability if self.inverted else 1.0
        self.mask = np.multiply(
            keep, scale, dtype=x.dtype
        )  # m / (1 - p) in one pass over the batch
        return x * self.mask

    def backward(self, dout, input_grad=True):
        if self.mask is not None:
            dout *= self.mask
        return dout


@LAYERS.register("alpha_dropout")
class AlphaDropout(Dropout):
    """Dropout that keeps SELU's self-normalization (Klambauer et al. 2017).

    Dropped units are set to SELU's negative saturation α' = -λα instead of 0, then an affine
    correction y = a·(x⊙m + α'(1 - m)) + b with a = ((1 - p)(1 + p·α'²))^(-½), b = -a·α'·p restores
    mean 0 and variance 1. Backward: dL/dx = a·m ⊙ dL/dy. Identity in inference.
    """

    default_name = "alpha_dropout"
    SATURATION = -SELU_SCALE * SELU_ALPHA

    def __init__(self, rate: float = 0.5, name: str | None = None) -> None:
        super().__init__(rate, name=name)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        keep, keep_probability = keep_mask(self.rng, x.shape, self.rate)
        p, alpha = 1.0 - keep_probability, self.SATURATION
        a = ((1 - p) * (1 + p * alpha**2)) ** -0.5
        b = -a * alpha * p
        self.mask = keep.astype(x.dtype)
        self.mask *= a
        # a·(x·m + α'(1 - m)) + b = (a·m)·x + (a·α' + b) - a·α'·m
        y = x * self.mask
        y += np.where(keep, b, a * alpha + b).astype(x.dtype, copy=False)
        return y


@LAYERS.register("flatten")
class Flatten(Layer):
    """Reshape each sample to a vector: (N, d1, d2, ...) -> (N, d1·d2·...)."""

    default_name = "flatten"

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name)

    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x, training=False):
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout, input_grad=True):
        return dout.reshape(self.shape)
