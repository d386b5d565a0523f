"""Activation functions as layers, each with its derivative written out.

Every activation keeps the smallest thing its backward pass needs (a mask, its output or its input).
Backward passes multiply the incoming gradient in place: it is a fresh array owned by the chain.
"""

from __future__ import annotations

import math

import numpy as np

from trainlab.backend import Array
from trainlab.base import Layer
from trainlab.registry import Registry
from trainlab.validation import check_non_negative, check_number, check_positive

ACTIVATIONS = Registry("activation")

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Activation(Layer):
    """A parameter-free elementwise layer."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name=name, trainable=True)


@ACTIVATIONS.register("sigmoid")
class Sigmoid(Activation):
    """σ(x) = 1 / (1 + e^(-x));  σ'(x) = σ(x)(1 - σ(x)).

    Computed as (1 + tanh(x/2)) / 2, which is the same function but never overflows.
    """

    default_name = "sigmoid"

    def forward(self, x, training=False):
        y = np.multiply(x, 0.5)
        np.tanh(y, out=y)
        y += 1.0
        y *= 0.5
        self.y = y
        return y

    def backward(self, dout, input_grad=True):
        dout *= self.y
        dout *= 1.0 - self.y
        return dout


@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    """tanh(x);  tanh'(x) = 1 - tanh(x)²."""

    default_name = "tanh"

    def forward(self, x, training=False):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout, input_grad=True):
        dout *= 1.0 - self.y * self.y
        return dout


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    """max(0, x);  derivative 1 for x > 0, else 0."""

    default_name = "relu"

    def forward(self, x, training=False):
        # the mask as 0/1 numbers of x's dtype: NumPy multiplies by those faster than by booleans
        # (same values)
        self.mask = (x > 0).astype(x.dtype)
        return x * self.mask

    def backward(self, dout, input_grad=True):
        dout *= self.mask
        return dout


@ACTIVATIONS.register("leaky_relu")
class LeakyReLU(Activation):
    """x for x > 0, αx otherwise (α = ``alpha``, default 0.01);  derivative 1 or α."""

    default_name = "leaky_relu"

    def __init__(self, alpha: float = 0.01, name: str | None = None) -> None:
        super().__init__(name=name)
        self.alpha = check_non_negative("alpha", alpha)

    def forward(self, x, training=False):
        self.slope = np.where(x > 0, 1.0, self.alpha).astype(x.dtype, copy=False)
        return x * self.slope

    def backward(self, dout, input_grad=True):
        dout *= self.slope
        return dout


@ACTIVATIONS.register("prelu")
class PReLU(Activation):
    """Parametric ReLU (He et al. 2015): y = x for x > 0, α·x otherwise, with the slope α learned.

    One α per unit (``shared=True``: one for the whole layer), starting at ``alpha_init`` (the
    paper's 0.25). dL/dx = dL/dy for x > 0 and α·dL/dy otherwise; dL/dα = Σ over the batch of
    dL/dy·x where x ≤ 0. α is not weight-decayed: decay would pull it towards 0, that is towards a
    plain ReLU.
    """

    default_name = "prelu"

    def __init__(
        self, alpha_init: float = 0.25, shared: bool = False, name: str | None = None
    ) -> None:
        super().__init__(name=name)
        self.alpha_init = check_number("alpha_init", alpha_init)
        self.shared = bool(shared)

    def create_state(self, rng):
        shape = (1,) if self.shared else self.input_shape
        self.add_param("alpha", np.full(shape, self.alpha_init, dtype=self.dtype))

    def forward(self, x, training=False):
        self.x = x
        self.negative = x <= 0
        return np.where(self.negative, x * self.params["alpha"], x)

    def backward(self, dout, input_grad=True):
        d_alpha = np.sum(dout * self.x, axis=0, where=self.negative)
        self.grads["alpha"][...] = d_alpha.sum() if self.shared else d_alpha
        dout *= np.where(self.negative, self.params["alpha"], 1.0)
        return dout


@ACTIVATIONS.register("rrelu")
class RReLU(Activation):
    """Randomized leaky ReLU (Xu et al. 2015): y = x for x > 0, a·x otherwise.

    In training every element of every batch draws its own slope a ~ U(lower, upper); in inference
    the slope is the mean (lower + upper)/2. dL/dx = dL/dy for x > 0 and a·dL/dy otherwise, with the
    drawn a. The defaults 1/8 and 1/3 are the paper's (and PyTorch's).
    """

    default_name = "rrelu"

    def __init__(self, lower: float = 1 / 8, upper: float = 1 / 3, name: str | None = None) -> None:
        super().__init__(name=name)
        self.lower = check_non_negative("lower", lower)
        self.upper = check_non_negative("upper", upper)
        if self.upper < self.lower:
            raise ValueError(
                f"upper={upper!r} is below lower={lower!r}; RReLU needs 0 <= lower <= upper"
            )

    @property
    def mean_slope(self) -> float:
        return 0.5 * (self.lower + self.upper)

    def create_state(self, rng):
        self.rng = rng

    def forward(self, x, training=False):
        if training:
            slope = self.rng.uniform(self.lower, self.upper, size=x.shape).astype(
                x.dtype, copy=False
            )
        else:
            slope = self.mean_slope
        self.slope = np.where(x > 0, 1.0, slope).astype(x.dtype, copy=False)
        return x * self.slope

    def backward(self, dout, input_grad=True):
        dout *= self.slope
        return dout


@ACTIVATIONS.register("elu")
class ELU(Activation):
    """x for x > 0, α(eˣ - 1) otherwise (Clevert et al. 2015);  derivative 1 or y + α."""

    default_name = "elu"

    def __init__(self, alpha: float = 1.0, name: str | None = None) -> None:
        super().__init__(name=name)
        self.alpha = check_positive("alpha", alpha)

    def forward(self, x, training=False):
        self.positive = x > 0
        negative = np.expm1(np.minimum(x, 0))  # e^x - 1, never overflowing
        negative *= self.alpha
        self.y = np.where(self.positive, x, negative)
        return self.y

    def backward(self, dout, input_grad=True):
        dout *= np.where(self.positive, 1.0, self.y + self.alpha)
        return dout


@ACTIVATIONS.register("selu")
class SELU(Activation):
    """λ·x for x > 0, λα(eˣ - 1) otherwise, with the self-normalizing constants of Klambauer et al. 2017.

    λ ≈ 1.0507 and α ≈ 1.6733 make N(0, 1) inputs give outputs of mean 0 and variance 1 (with
    LeCun-normal weights). Derivative: λ for x > 0, y + λα otherwise.
    """

    default_name = "selu"

    def forward(self, x, training=False):
        self.positive = x > 0
        negative = np.expm1(np.minimum(x, 0))
        negative *= SELU_SCALE * SELU_ALPHA
        self.y = np.where(self.positive, x * SELU_SCALE, negative)
        return self.y

    def backward(self, dout, input_grad=True):
        dout *= np.where(self.positive, SELU_SCALE, self.y + SELU_SCALE * SELU_ALPHA)
        return dout


@ACTIVATIONS.register("gelu")
class GELU(Activation):
    """Gaussian error linear unit, tanh form (Hendrycks & Gimpel 2016):

    y = ½x(1 + tanh u),  u = √(2/π)(x + 0.044715x³);
    y' = ½(1 + tanh u) + ½x(1 - tanh²u)·√(2/π)(1 + 3·0.044715x²).

    The tanh form is what BERT/GPT-2 use and needs no erf; it differs from x·Φ(x) by less than 1e-3.
    """

    default_name = "gelu"
    C = math.sqrt(2.0 / math.pi)
    K = 0.044715

    def forward(self, x, training=False):
        self.x = x
        self.t = np.tanh(self.C * (x + self.K * x**3))
        return 0.5 * x * (1.0 + self.t)

    def backward(self, dout, input_grad=True):
        x, t = self.x, self.t
        du = self.C * (1.0 + 3.0 * self.K * x * x)
        dout *= 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
        return dout


@ACTIVATIONS.register("softmax")
class Softmax(Activation):
    """yᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) over the last axis;  dL/dx = y ⊙ (dL/dy - Σⱼ yⱼ dL/dyⱼ).

    For classification, prefer the fused SoftmaxCrossEntropy loss on raw scores: it is cheaper and
    numerically safer. This layer is for when probabilities are the output you want.
    """

    default_name = "softmax"

    def forward(self, x, training=False):
        self.y = softmax(x)
        return self.y

    def backward(self, dout, input_grad=True):
        dot = np.sum(dout * self.y, axis=-1, keepdims=True)
        dout -= dot
        dout *= self.y
        return dout


@ACTIVATIONS.register("linear")
class Identity(Activation):
    """y = x (the "linear" activation)."""

    default_name = "identity"

    def forward(self, x, training=False):
        return x

    def backward(self, dout, input_grad=True):
        return dout


def row_max(x: Array) -> Array:
    """``x.max(axis=-1, keepdims=True)``.

    For a (batch, classes) array with few classes the maximum is taken over a transposed copy: NumPy
    reduces a short last axis about ten times slower than a long first one, and this is on every
    step.
    """
    if x.ndim == 2 and x.shape[1] <= 64:
        return np.ascontiguousarray(x.T).max(axis=0)[:, None]
    return x.max(axis=-1, keepdims=True)


def softmax(x: Array) -> Array:
    """Softmax over the last axis, shifted by the row maximum so that exp never overflows."""
    y = x - row_max(x)
    np.exp(y, out=y)
    y /= y.sum(axis=-1, keepdims=True)
    return y


def get_activation(spec: str | Layer | None, argument: str = "activation") -> Layer | None:
    """An activation layer from a name ("relu", "elu", ...) or a layer object; None stays None."""
    if spec is None or isinstance(spec, Layer):
        return spec
    return ACTIVATIONS.create(spec, argument)
