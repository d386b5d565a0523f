"""Per-coordinate step sizes from the squared gradients: AdaGrad, RMSProp, Adadelta."""

from __future__ import annotations

import numpy as np

from trainlab.backend import Array
from trainlab.optimizers.base import OPTIMIZERS, Optimizer, moving_average
from trainlab.optimizers.hyperparameters import FRACTION, POSITIVE, Hyperparameter


def descend_scaled(theta: Array, g: Array, h: Array, eps: float, lr: float, work: Array) -> None:
    """θ ← θ − η·g / (√h + ε), in place (AdaGrad's and RMSProp's step)."""
    np.sqrt(h, out=work)
    work += eps  # √h + ε
    np.divide(g, work, out=work)
    work *= lr
    theta -= work


@OPTIMIZERS.register("adagrad")
class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al., 2011): h ← h + g⊙g,  θ ← θ − η·g / (√h + ε)  (h starts at 0).

    Defaults η = 0.01 (the textbook's and PyTorch's), ε = 1e-7 (the textbook's and Keras's; PyTorch
    uses 1e-10). ε is added outside the root, as in the textbook and PyTorch.
    """

    eps = Hyperparameter(1e-7, POSITIVE, "ε, added to √h against division by zero")
    slots = ("h",)
    marker = "s"

    def rule(self, theta: Array, g: Array, h: Array, *, work: Array) -> None:
        h += np.square(g, out=work)  # h ← h + g⊙g
        descend_scaled(theta, g, h, self.eps, self.lr, work)  # θ ← θ − η·g / (√h + ε)


@OPTIMIZERS.register("rmsprop")
class RMSProp(Optimizer):
    """RMSProp (Hinton, 2012): h ← ρ·h + (1−ρ)·g⊙g,  θ ← θ − η·g / (√h + ε)  (h starts at 0).

    Defaults η = 0.01, ρ = ``rho`` = 0.99 (the textbook's ``decay_rate`` and PyTorch's ``alpha``), ε
    = 1e-7 (the textbook's; PyTorch 1e-8). ε is added outside the root, as in the textbook and
    PyTorch (Keras adds it inside and defaults to η = 0.001, ρ = 0.9).
    """

    rho = Hyperparameter(0.99, FRACTION, "the decay of the average of g⊙g")
    eps = Hyperparameter(1e-7, POSITIVE, "ε, added to √h against division by zero")
    slots = ("h",)
    marker = "v"

    def rule(self, theta: Array, g: Array, h: Array, *, work: Array) -> None:
        moving_average(h, np.square(g, out=work), self.rho, work)  # h ← ρ·h + (1−ρ)·g⊙g
        descend_scaled(theta, g, h, self.eps, self.lr, work)  # θ ← θ − η·g / (√h + ε)


@OPTIMIZERS.register("adadelta")
class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012, Algorithm 1): the step's units come from the past steps, not from η::

        h ← ρ·h + (1−ρ)·g⊙g                     (average of squared gradients, E[g²])
        Δ = √(d + ε) / √(h + ε) ⊙ g             (the step, in the units of θ)
        d ← ρ·d + (1−ρ)·Δ⊙Δ                     (average of squared steps, E[Δθ²])
        θ ← θ − η·Δ                             (h, d start at 0)

    Zeiler's algorithm has no η (η = 1); PyTorch and Keras scale the step by one. Defaults η = 1.0,
    ρ = ``rho`` = 0.9, ε = 1e-6 (PyTorch's; Keras uses η = 0.001, ρ = 0.95, ε = 1e-7).
    """

    lr = Hyperparameter(1.0, POSITIVE, "the learning rate η, a scale of Zeiler's step")
    rho = Hyperparameter(0.9, FRACTION, "the decay of both averages")
    eps = Hyperparameter(1e-6, POSITIVE, "ε, added inside both roots")
    slots = ("h", "d")
    scratch = ("work", "step")
    marker = "<"

    def rule(self, theta: Array, g: Array, h: Array, d: Array, *, work: Array, step: Array) -> None:
        ρ, ε = self.rho, self.eps
        moving_average(h, np.square(g, out=work), ρ, work)  # h ← ρ·h + (1−ρ)·g⊙g
        np.sqrt(np.add(d, ε, out=step), out=step)  # Δ = √(d + ε) / √(h + ε) ⊙ g
        step /= np.sqrt(np.add(h, ε, out=work), out=work)
        step *= g
        moving_average(d, np.square(step, out=work), ρ, work)  # d ← ρ·d + (1−ρ)·Δ⊙Δ
        step *= self.lr  # θ ← θ − η·Δ
        theta -= step
