"""Adam and its family: Adam (with AMSGrad), AdamW, AdaMax, Nadam, RAdam.

All keep a moving average m of the gradients (the first moment) and all but AdaMax one of their
squares v (the second moment), both starting at zero and so biased towards zero early on; the bias
corrections 1 − β1ᵗ and 1 − β2ᵗ undo that: m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ).
"""

from __future__ import annotations

import math

import numpy as np

from trainlab.backend import Array
from trainlab.optimizers.base import OPTIMIZERS, Optimizer, Preset, moving_average
from trainlab.optimizers.hyperparameters import (
    FLAG,
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    Hyperparameter,
)


class AdamFamily(Optimizer):
    """What the Adam family shares: η, β1, β2, ε, ``momentum`` as an alias of β1, and Adam's
    step."""

    lr = Hyperparameter(0.001, POSITIVE, "the learning rate η")
    beta_1 = Hyperparameter(0.9, FRACTION, "β1, the decay of the first moment m")
    beta_2 = Hyperparameter(0.999, FRACTION, "β2, the decay of the second moment")
    eps = Hyperparameter(1e-8, POSITIVE, "ε, added to the root of the second moment")

    @property
    def momentum(self) -> float:
        """β1, the decay of the first moment (what 1cycle cycles)."""
        return self.beta_1

    @momentum.setter
    def momentum(self, value: float) -> None:
        self.beta_1 = value

    def descend(
        self, theta: Array, m: Array, v: Array, work: Array, bias_1: float, lr: float | None = None
    ) -> None:
        """Adam's step θ ← θ − η·m̂ / (√v̂ + ε), m̂ = m / bias_1, v̂ = v / (1 − β2ᵗ), in place.

        Computed as θ ← θ − (η·c / bias_1)·m / (√v + ε·c) with c = √(1 − β2ᵗ): the same quantity
        (√v̂ + ε = (√v + ε·c) / c; Kingma & Ba's "ε̂", section 2) in two passes over the arrays
        fewer.
        """
        c = math.sqrt(1.0 - self.beta_2**self.iterations)
        np.sqrt(v, out=work)
        work += self.eps * c
        np.divide(m, work, out=work)
        work *= (self.lr if lr is None else lr) * c / bias_1
        theta -= work


@OPTIMIZERS.register("adam")
class Adam(AdamFamily):
    """Adam (Kingma & Ba, 2015, Algorithm 1), and AMSGrad (Reddi et al., 2018) with
    ``amsgrad=True``::

        m ← β1·m + (1−β1)·g,        v ← β2·v + (1−β2)·g⊙g          (m, v start at 0)
        m̂ = m / (1−β1ᵗ),            v̂ = v / (1−β2ᵗ)                (bias corrections)
        θ ← θ − η·m̂ / (√v̂ + ε)

    AMSGrad keeps the largest v so far, v_max ← max(v_max, v), and uses it in place of v in v̂, so
    that a coordinate's step size never grows (PyTorch's and Keras's ``amsgrad=True``; state
    ``v_max``).

    Defaults η = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8 (the paper's and PyTorch's; Keras uses
    ε = 1e-7, added to √v rather than √v̂). ``momentum`` is an alias of ``beta_1``, so a 1cycle
    schedule can cycle it.
    """

    amsgrad = Hyperparameter(
        False, FLAG, "use the largest second moment so far (AMSGrad)", keyword_only=True
    )
    marker = "D"

    @property
    def slots(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("m", "v", "v_max") if self.amsgrad else ("m", "v")

    def rule(
        self, theta: Array, g: Array, m: Array, v: Array, v_max: Array | None = None, *, work: Array
    ) -> None:
        β1, β2, t = self.beta_1, self.beta_2, self.iterations
        moving_average(m, g, β1, work)  # m ← β1·m + (1−β1)·g
        moving_average(v, np.square(g, out=work), β2, work)  # v ← β2·v + (1−β2)·g⊙g
        if v_max is not None:  # AMSGrad: v_max ← max(v_max, v), used for v
            v = np.maximum(v_max, v, out=v_max)
        self.descend(theta, m, v, work, bias_1=1.0 - β1**t)  # θ ← θ − η·m̂ / (√v̂ + ε)


# "amsgrad", a name for lists of optimizers: Adam(amsgrad=True)
OPTIMIZERS.add("amsgrad", Preset(Adam, {"amsgrad": True}, label="AMSGrad", marker=">"))


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay λ::

        θ ← θ − η·λ·θ                      (decay, not part of the gradient or the moments)
        θ ← θ − η·m̂ / (√v̂ + ε)             (the Adam step, m̂ and v̂ as in :class:`Adam`)

    The decay is applied to every parameter the optimizer is given (biases included), scaled by the
    current η, as in PyTorch. Defaults η = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8,
    λ = ``weight_decay`` = 0.01 (PyTorch's; Keras uses λ = 0.004 and ε = 1e-7). ``amsgrad=True`` as
    in :class:`Adam`.
    """

    weight_decay = Hyperparameter(0.01, NON_NEGATIVE, "λ, the decoupled weight decay")
    marker = "*"

    def rule(
        self, theta: Array, g: Array, m: Array, v: Array, v_max: Array | None = None, *, work: Array
    ) -> None:
        if self.weight_decay:
            theta *= 1.0 - self.lr * self.weight_decay  # θ ← θ − η·λ·θ
        super().rule(theta, g, m, v, v_max, work=work)


@OPTIMIZERS.register("adamax")
class AdaMax(AdamFamily):
    """AdaMax (Kingma & Ba, 2015, section 7.1), Adam with the infinity norm::

        m ← β1·m + (1−β1)·g,    u ← max(β2·u, |g|)      (m, u start at 0)
        θ ← θ − η/(1−β1ᵗ) · m / (u + ε)

    Defaults η = 0.002, β1 = 0.9, β2 = 0.999 (the paper's, Keras's and PyTorch's), ε = 1e-8. The ε
    guard against u = 0 is added to u as in Keras; PyTorch puts it inside the max,
    u ← max(β2·u, |g| + ε), which differs by at most ε.
    """

    lr = Hyperparameter(0.002, POSITIVE, "the learning rate η")
    beta_2 = Hyperparameter(0.999, FRACTION, "β2, the decay of the infinity norm u")
    eps = Hyperparameter(1e-8, POSITIVE, "ε, added to u")
    slots = ("m", "u")
    marker = "^"

    def rule(self, theta: Array, g: Array, m: Array, u: Array, *, work: Array) -> None:
        β1, β2, t = self.beta_1, self.beta_2, self.iterations
        moving_average(m, g, β1, work)  # m ← β1·m + (1−β1)·g
        u *= β2  # u ← max(β2·u, |g|)
        np.maximum(u, np.abs(g, out=work), out=u)
        np.add(u, self.eps, out=work)  # θ ← θ − η/(1−β1ᵗ) · m / (u + ε)
        np.divide(m, work, out=work)
        work *= self.lr / (1.0 - β1**t)
        theta -= work


@OPTIMIZERS.register("nadam")
class Nadam(AdamFamily):
    """Nadam (Dozat, 2016): Adam with a Nesterov look-ahead of the first moment, constant β1::

        m ← β1·m + (1−β1)·g,    v ← β2·v + (1−β2)·g⊙g
        m̄ = β1·m / (1−β1ᵗ⁺¹) + (1−β1)·g / (1−β1ᵗ),    v̂ = v / (1−β2ᵗ)
        θ ← θ − η·m̄ / (√v̂ + ε)

    This is Dozat's Algorithm 2 with a constant momentum μₜ = β1; Keras and PyTorch instead warm β1
    up with the schedule μₜ = β1·(1 − ½·0.96^(0.004·t)), which a 1cycle schedule (cycling
    ``momentum`` = β1) would fight. Defaults η = 0.002 (Dozat's and PyTorch's), β1 = 0.9,
    β2 = 0.999, ε = 1e-8.
    """

    lr = Hyperparameter(0.002, POSITIVE, "the learning rate η")
    slots = ("m", "v")
    scratch = ("work", "m_bar")
    marker = "P"

    def rule(
        self, theta: Array, g: Array, m: Array, v: Array, *, work: Array, m_bar: Array
    ) -> None:
        β1, β2, t = self.beta_1, self.beta_2, self.iterations
        moving_average(m, g, β1, work)  # m ← β1·m + (1−β1)·g
        moving_average(v, np.square(g, out=work), β2, work)  # v ← β2·v + (1−β2)·g⊙g
        momentum_weight = β1 / (1.0 - β1 ** (t + 1))  # m̄ = momentum_weight·m + gradient_weight·g
        gradient_weight = (1.0 - β1) / (1.0 - β1**t)
        np.multiply(m, momentum_weight / gradient_weight, out=m_bar)  # m̄ / gradient_weight
        m_bar += g
        # θ ← θ − η·m̄ / (√v̂ + ε)
        self.descend(theta, m_bar, v, work, bias_1=1.0, lr=self.lr * gradient_weight)


@OPTIMIZERS.register("radam")
class RAdam(AdamFamily):
    """RAdam (Liu et al., 2020), Adam with its adaptive step rectified while v̂ is still a poor
    estimate::

        m ← β1·m + (1−β1)·g,    v ← β2·v + (1−β2)·g⊙g,    m̂ = m / (1−β1ᵗ)
        ρ∞ = 2/(1−β2) − 1,      ρₜ = ρ∞ − 2t·β2ᵗ / (1−β2ᵗ)      (length of the approximated average)
        if ρₜ > 5:  r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ)),   θ ← θ − η·r·m̂·√(1−β2ᵗ) / (√v + ε)
        else:       θ ← θ − η·m̂                                  (momentum SGD for the first steps)

    This is PyTorch's ``RAdam`` (its threshold 5, ε added to √v); defaults η = 0.001, β1 = 0.9,
    β2 = 0.999, ε = 1e-8.
    """

    slots = ("m", "v")
    marker = "h"

    def rule(self, theta: Array, g: Array, m: Array, v: Array, *, work: Array) -> None:
        β1, β2, t = self.beta_1, self.beta_2, self.iterations
        moving_average(m, g, β1, work)  # m ← β1·m + (1−β1)·g
        moving_average(v, np.square(g, out=work), β2, work)  # v ← β2·v + (1−β2)·g⊙g
        bias_1, bias_2 = 1.0 - β1**t, 1.0 - β2**t
        ρ_inf = 2.0 / (1.0 - β2) - 1.0
        ρ_t = ρ_inf - 2.0 * t * β2**t / bias_2
        if ρ_t > 5.0:
            r = math.sqrt((ρ_t - 4.0) * (ρ_t - 2.0) * ρ_inf / ((ρ_inf - 4.0) * (ρ_inf - 2.0) * ρ_t))
            np.sqrt(v, out=work)  # θ ← θ − η·r·m̂·√(1−β2ᵗ) / (√v + ε)
            work += self.eps
            np.divide(m, work, out=work)
            work *= self.lr * r * math.sqrt(bias_2) / bias_1
        else:
            np.multiply(m, self.lr / bias_1, out=work)  # θ ← θ − η·m̂
        theta -= work
