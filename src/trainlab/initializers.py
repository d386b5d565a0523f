"""Weight initializers: a distribution whose scale follows the layer's fan-in and fan-out.

For a Dense weight matrix of shape (fan_in, fan_out):

======================== ================== ============================================
name                     distribution       scale
======================== ================== ============================================
``normal`` / a float s   N(0, s²)           s (the textbook's ``weight_init_std``)
``uniform``              U(-a, a)           a
``glorot_normal``        N(0, σ²)           σ = √(2 / (fan_in + fan_out))   Glorot & Bengio 2010
``glorot_uniform``       U(-a, a)           a = √(6 / (fan_in + fan_out))
``he_normal``            N(0, σ²)           σ = √(2 / fan_in)               He et al. 2015
``he_uniform``           U(-a, a)           a = √(6 / fan_in)
``lecun_normal``         N(0, σ²)           σ = √(1 / fan_in)               LeCun et al. 1998
``lecun_uniform``        U(-a, a)           a = √(3 / fan_in)
======================== ================== ============================================

The textbook (Deep Learning from Scratch) names its schemes by the activation they suit: ``"relu"``
(or ``"he"``) is He normal, and ``"sigmoid"`` (or ``"xavier"``) is its simplified Xavier, N(0,
1/fan_in), which is LeCun normal. ``xavier_normal`` / ``xavier_uniform`` are the published Glorot
forms.

Normal initializers are not truncated, so a sample's standard deviation is the formula's. Samples
are drawn in float64 and then cast, so a float32 and a float64 model built from one seed start from
the same weights.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from trainlab.registry import Configurable, Registry
from trainlab.validation import check_choice, check_number, check_positive

INITIALIZERS = Registry("initializer")


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape``: (inputs, outputs) for a matrix, the length for a vector."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer(Configurable):
    """Draws an initial array: ``init(shape, rng, dtype)``."""

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def __call__(
        self, shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float32
    ) -> np.ndarray:
        return np.asarray(self.sample(tuple(shape), rng), dtype=dtype)


@INITIALIZERS.register("constant")
class Constant(Initializer):
    """Every entry equals ``value``."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = check_number("value", value)

    def sample(self, shape, rng):
        return np.full(shape, self.value)


@INITIALIZERS.register("zeros")
class Zeros(Constant):
    """All zeros (the usual bias initializer)."""

    def __init__(self) -> None:
        super().__init__(0.0)


@INITIALIZERS.register("ones")
class Ones(Constant):
    """All ones (BatchNorm's gamma)."""

    def __init__(self) -> None:
        super().__init__(1.0)


@INITIALIZERS.register("normal")
class Normal(Initializer):
    """N(mean, std²) with a fixed ``std`` (the textbook's ``weight_init_std``, default 0.01)."""

    def __init__(self, std: float = 0.01, mean: float = 0.0) -> None:
        self.std = check_positive("std", std)
        self.mean = check_number("mean", mean)

    def sample(self, shape, rng):
        return self.mean + self.std * rng.standard_normal(shape)


@INITIALIZERS.register("uniform")
class Uniform(Initializer):
    """U(-limit, limit)."""

    def __init__(self, limit: float = 0.05) -> None:
        self.limit = check_positive("limit", limit)

    def sample(self, shape, rng):
        return rng.uniform(-self.limit, self.limit, shape)


class VarianceScaling(Initializer):
    """Zero-mean samples with variance ``scale / fan`` where fan is fan_in, fan_out or their average.

    The normal form draws N(0, σ²) with σ = √(scale/fan); the uniform form draws U(-a, a) with
    a = √(3·scale/fan), which has the same variance.
    """

    def __init__(
        self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "normal"
    ) -> None:
        self.scale = check_positive("scale", scale)
        self.mode = check_choice("mode", mode, ("fan_in", "fan_out", "fan_avg"))
        self.distribution = check_choice("distribution", distribution, ("normal", "uniform"))

    def std(self, shape: tuple[int, ...]) -> float:
        fan_in, fan_out = fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        return math.sqrt(self.scale / fan)

    def sample(self, shape, rng):
        std = self.std(shape)
        if self.distribution == "normal":
            return std * rng.standard_normal(shape)
        limit = math.sqrt(3.0) * std
        return rng.uniform(-limit, limit, shape)


class _PublishedScaling(VarianceScaling):
    """A VarianceScaling whose settings are fixed by a paper, so its config is empty."""

    def get_config(self):
        return {}


class GlorotNormal(_PublishedScaling):
    """N(0, σ²) with σ = √(2/(fan_in+fan_out)) (Glorot & Bengio 2010)."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "normal")


class GlorotUniform(_PublishedScaling):
    """U(-a, a) with a = √(6/(fan_in+fan_out)) (Glorot & Bengio 2010)."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "uniform")


class HeNormal(_PublishedScaling):
    """N(0, σ²) with σ = √(2/fan_in) (He et al. 2015), for ReLU layers."""

    def __init__(self) -> None:
        super().__init__(2.0, "fan_in", "normal")


class HeUniform(_PublishedScaling):
    """U(-a, a) with a = √(6/fan_in) (He et al. 2015)."""

    def __init__(self) -> None:
        super().__init__(2.0, "fan_in", "uniform")


class LecunNormal(_PublishedScaling):
    """N(0, σ²) with σ = √(1/fan_in) (LeCun et al. 1998), for SELU layers."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_in", "normal")


class LecunUniform(_PublishedScaling):
    """U(-a, a) with a = √(3/fan_in) (LeCun et al. 1998)."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_in", "uniform")


for _names, _cls in [
    (("glorot_normal", "xavier_normal"), GlorotNormal),
    (("glorot_uniform", "xavier_uniform"), GlorotUniform),
    (("he_normal", "he", "relu"), HeNormal),
    (("he_uniform",), HeUniform),
    (("lecun_normal", "sigmoid", "xavier"), LecunNormal),
    (("lecun_uniform",), LecunUniform),
]:
    for _name in _names:
        INITIALIZERS.add(_name, _cls)


def get_initializer(spec: str | float | Initializer, argument: str = "init") -> Initializer:
    """An Initializer from a name, a float standard deviation (the textbook's shorthand) or an object."""
    if isinstance(spec, Initializer):
        return spec
    if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        return Normal(std=check_positive(argument, spec))
    return INITIALIZERS.create(spec, argument)
