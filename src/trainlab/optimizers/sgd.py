"""Gradient descent and its momentum forms: SGD, Momentum, Nesterov, and Lion (the sign of a
momentum)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from trainlab.backend import Array
from trainlab.optimizers.base import OPTIMIZERS, Optimizer, moving_average
from trainlab.optimizers.hyperparameters import (
    FLAG,
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    Hyperparameter,
)


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent: θ ← θ − η·g.

    Default η = 0.01 (the textbook's and Keras's). Keras's ``SGD(momentum=β, nesterov=...)`` works
    too: with β > 0 it builds a :class:`Momentum` (β), with ``nesterov=True`` a :class:`Nesterov`,
    the same objects and updates as ``tl.Momentum(lr, β)`` and ``tl.Nesterov(lr, β)``;
    ``momentum=0`` (the default) is plain SGD, whose ``momentum`` is None, so that a 1cycle schedule
    leaves it alone.
    """

    marker = "o"
    keras_options: ClassVar[dict[str, Any]] = {"momentum": 0.0, "nesterov": False}

    def __new__(
        cls, *args: Any, momentum: Any = 0.0, nesterov: Any = False, **kwargs: Any
    ) -> Optimizer:
        if cls is SGD:
            momentum, nesterov = (
                FRACTION.check("momentum", momentum),
                FLAG.check("nesterov", nesterov),
            )
            # Keras's spelling of the momentum rules: build the rule's own class
            if momentum or nesterov:
                return (Nesterov if nesterov else Momentum)(*args, momentum=momentum, **kwargs)
        return super().__new__(cls)

    def rule(self, theta: Array, g: Array, *, work: Array) -> None:
        theta -= np.multiply(self.lr, g, out=work)


@OPTIMIZERS.register("momentum")
class Momentum(Optimizer):
    """Momentum SGD in the textbook form: v ← β·v − η·g,  θ ← θ + v  (v starts at 0).

    Defaults η = 0.01, β = ``momentum`` = 0.9 (the textbook's). For a constant η this equals
    PyTorch's ``SGD(momentum=β)`` (whose buffer is b = −v/η) and Keras's ``SGD(momentum=β)``.
    """

    momentum = Hyperparameter(0.9, FRACTION, "β, the decay of the velocity v")
    slots = ("v",)
    marker = "x"

    def rule(self, theta: Array, g: Array, v: Array, *, work: Array) -> None:
        β, η = self.momentum, self.lr
        v *= β  # v ← β·v − η·g
        v -= np.multiply(η, g, out=work)
        theta += v  # θ ← θ + v


@OPTIMIZERS.register("nesterov")
class Nesterov(Optimizer):
    """Nesterov accelerated gradient, in the "look-ahead folded in" form of Sutskever et al. (2013):

        v ← β·v − η·g,   θ ← θ + β·v − η·g

    (with the new v). This is the momentum step evaluated at the look-ahead point θ + β·v, rewritten
    so that the gradient is taken at the stored parameters. It is what Keras's ``SGD(momentum=β,
    nesterov=True)`` does and, for a constant η, PyTorch's ``SGD(momentum=β, nesterov=True)``. (The
    textbook's own code adds β²·v − (1+β)·η·g with the *new* v, which differs from this by β³
    terms.)

    Defaults η = 0.01, β = ``momentum`` = 0.9 (the textbook's).
    """

    momentum = Hyperparameter(0.9, FRACTION, "β, the decay of the velocity v")
    slots = ("v",)
    marker = "+"

    def rule(self, theta: Array, g: Array, v: Array, *, work: Array) -> None:
        β, η = self.momentum, self.lr
        step = np.multiply(η, g, out=work)  # η·g
        v *= β  # v ← β·v − η·g
        v -= step
        theta -= step  # θ ← θ − η·g + β·v
        theta += np.multiply(β, v, out=step)


@OPTIMIZERS.register("lion")
class Lion(Optimizer):
    """Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2)::

        c = β1·m + (1−β1)·g          (the direction: an interpolation of momentum and gradient)
        θ ← θ − η·(sign(c) + λ·θ)    (every coordinate moves by ±η, plus decoupled decay)
        m ← β2·m + (1−β2)·g          (m starts at 0)

    The step has the same size in every coordinate, so η is 3-10x smaller than Adam's (and λ larger)
    for the same effect. Defaults η = 0.001, β1 = 0.9, β2 = 0.99 (the paper's and Keras's),
    λ = ``weight_decay`` = 0. ``momentum`` is None: β1 is not a momentum decay, and 1cycle leaves it
    alone.
    """

    lr = Hyperparameter(0.001, POSITIVE, "the learning rate η, the size of every step")
    beta_1 = Hyperparameter(0.9, FRACTION, "β1, the weight of m in the update direction")
    beta_2 = Hyperparameter(0.99, FRACTION, "β2, the decay of the momentum m")
    weight_decay = Hyperparameter(0.0, NON_NEGATIVE, "λ, the decoupled weight decay")
    slots = ("m",)
    scratch = ("work", "c")
    marker = "X"

    def rule(self, theta: Array, g: Array, m: Array, *, work: Array, c: Array) -> None:
        β1, β2, η, λ = self.beta_1, self.beta_2, self.lr, self.weight_decay
        np.multiply(β1, m, out=c)  # c = β1·m + (1−β1)·g
        c += np.multiply(1.0 - β1, g, out=work)
        if λ:
            theta *= 1.0 - η * λ  # θ ← θ − η·λ·θ − η·sign(c)
        # the sign into work, not in place: NumPy's sign is ~20x slower in place
        theta -= np.multiply(η, np.sign(c, out=work), out=work)
        moving_average(m, g, β2, work)  # m ← β2·m + (1−β2)·g
