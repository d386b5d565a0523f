"""One training step: what happens to a model on one mini-batch.

:func:`train_step` is the whole of it, and the only place it happens: ``fit``, the textbook's
``Trainer`` (through ``fit``), the learning-rate finder, the lessons and a hand-written loop all
call it.

    for x_batch, t_batch in batches:
        loss = tl.train_step(model, optimizer, x_batch, t_batch)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from trainlab.backend import Array
    from trainlab.optimizers import Optimizer


class Model(Protocol):
    """The model a step trains, as the loop sees it: :class:`trainlab.Sequential` is the one
    trainlab has.

    The loop's modules (step, epochs, training, callbacks, saving) lie below ``trainlab.model`` in
    the import order (``Sequential.fit`` *is* ``training.fit``: the model imports the loop), so they
    name the model by this protocol instead of importing it back, not even for type hints
    (docs/architecture.md). A step needs only these three; the loop's other modules use more of the
    Sequential it is at run time.
    """

    @property
    def params(self) -> Mapping[str, Array]: ...

    def loss_and_gradients(
        self, x: Array, t: Array, sample_weight: Array | None = None
    ) -> tuple[float, Mapping[str, Array]]: ...

    def apply_constraints(self) -> None: ...


class DivergenceError(FloatingPointError):
    """The step found a loss or a gradient that is NaN, inf or above the bound: nothing was
    updated."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail

    def at(self, step: int) -> str:
        """The message with the step it happened at, e.g. "the loss became nan at step 12"."""
        return f"{self.reason} at step {step}" + (f": {self.detail}" if self.detail else "")


def train_step(
    model: Model,
    optimizer: Optimizer,
    x: Array,
    t: Array,
    max_loss: float = math.inf,
    weights: Array | None = None,
) -> float:
    """One step of training on the batch (x, t); returns the loss L it saw (before the update).

    1. L = loss(model(x), t) + penalties (regularizers, ½·λ·Σ‖W‖²), forward in training mode;
    2. ∂L/∂θ by the backward pass, with the penalties' gradients;
    3. a NaN, inf or too large L (|L| > ``max_loss``) raises :class:`DivergenceError`, the weights
       untouched (batch norm's running averages have seen the batch if its statistics were finite);
    4. θ ← the optimizer's rule (which clips the gradients if it is set to, and raises
       :class:`DivergenceError` for a NaN/inf gradient before any parameter changes);
    5. constraints (max-norm) project θ back onto their sets.

    ``weights`` (one per sample) weight the samples' losses: L = (1/N) Σₙ wₙ·lₙ. ``x`` is cast to
    the model's dtype if it has another; NaN or inf in it is named (a ValueError) when the loss is
    not finite, so the inner loop does not pay for a check of every batch.
    """
    # Overflow on the way to divergence is expected: reported as DivergenceError, not as warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        loss, grads = model.loss_and_gradients(x, t, weights)
        if not math.isfinite(loss):
            raise DivergenceError(f"the loss became {loss}")
        if abs(loss) > max_loss:
            raise DivergenceError(f"the loss became {loss:.4g}, above max_loss={max_loss:g},")
        try:
            optimizer.update(model.params, grads)
        except FloatingPointError as error:
            raise DivergenceError("a gradient became NaN or inf", str(error)) from None
        model.apply_constraints()
    return loss
