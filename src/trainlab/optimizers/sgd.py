"""Gradient descent and its momentum forms: SGD, Momentum, Nesterov, and Lion (the sign of a momentum)."""

from __future__ import annotations

import numpy as np

from trainlab.backend import Array
from trainlab.optimizers.base import OPTIMIZERS, Hyperparameter, Optimizer, check_beta, moving_average
from trainlab.validation import check_non_negative, check_positive


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent: θ ← θ − η·g.

    Default η = 0.01 (the textbook's and Keras's).
    """

    def rule(self, theta: Array, g: Array, *, work: Array) -> None:
        theta -= np.multiply(self.lr, g, out=work)


@OPTIMIZERS.register("momentum")
class Momentum(Optimizer):
    """Momentum SGD in the textbook form: v ← β·v − η·g,  θ ← θ + v  (v starts at 0).

    Defaults η = 0.01, β = ``momentum`` = 0.9 (the textbook's). For a constant η this equals PyTorch's
    ``SGD(momentum=β)`` (whose buffer is b = −v/η) and Keras's ``SGD(momentum=β)``.
    """

    momentum = Hyperparameter(0.9, check_beta, "β, the decay of the velocity v, in [0, 1)")
    slots = ("v",)

    def rule(self, theta: Array, g: Array, v: Array, *, work: Array) -> None:
        β, η = self.momentum, self.lr
        v *= β  # v ← β·v − η·g
        v -= np.multiply(η, g, out=work)
        theta += v  # θ ← θ + v


@OPTIMIZERS.register("nesterov")
class Nesterov(Optimizer):
    """Nesterov accelerated gradient, in the "look-ahead folded in" form of Sutskever et al. (2013):

        v ← β·v − η·g,   θ ← θ + β·v − η·g

    (with the new v). This is the momentum step evaluated at the look-ahead point θ + β·v, rewritten so
    that the gradient is taken at the stored parameters. It is what Keras's ``SGD(momentum=β,
    nesterov=True)`` does and, for a constant η, PyTorch's ``SGD(momentum=β, nesterov=True)``. (The
    textbook's own code adds β²·v − (1+β)·η·g with the *new* v, which differs from this by β³ terms.)

    Defaults η = 0.01, β = ``momentum`` = 0.9 (the textbook's).
    """

    momentum = Hyperparameter(0.9, check_beta, "β, the decay of the velocity v, in [0, 1)")
    slots = ("v",)

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

        c = β1·m + (1−β1)·g                   (the direction: an interpolation of momentum and gradient)
        θ ← θ − η·(sign(c) + λ·θ)             (every coordinate moves by ±η, plus decoupled decay)
        m ← β2·m + (1−β2)·g                   (m starts at 0)

    The step has the same size in every coordinate, so η is 3-10x smaller than Adam's (and λ larger) for
    the same effect. Defaults η = 0.001, β1 = 0.9, β2 = 0.99 (the paper's and Keras's), λ = ``weight_decay``
    = 0. ``momentum`` is None: β1 is not a momentum decay, and 1cycle leaves it alone.
    """

    lr = Hyperparameter(0.001, check_positive, "the learning rate η, the size of every step (> 0)")
    beta_1 = Hyperparameter(0.9, check_beta, "β1, the weight of m in the update direction, in [0, 1)")
    beta_2 = Hyperparameter(0.99, check_beta, "β2, the decay of the momentum m, in [0, 1)")
    weight_decay = Hyperparameter(0.0, check_non_negative, "λ, the decoupled weight decay (>= 0)")
    slots = ("m",)
    scratch = ("work", "c")

    def rule(self, theta: Array, g: Array, m: Array, *, work: Array, c: Array) -> None:
        β1, β2, η, λ = self.beta_1, self.beta_2, self.lr, self.weight_decay
        np.multiply(β1, m, out=c)  # c = β1·m + (1−β1)·g
        c += np.multiply(1.0 - β1, g, out=work)
        if λ:
            theta *= 1.0 - η * λ  # θ ← θ − η·λ·θ − η·sign(c)
        theta -= np.multiply(η, np.sign(c, out=work), out=work)  # (NumPy's sign is ~20x slower in place)
        moving_average(m, g, β2, work)  # m ← β2·m + (1−β2)·g
