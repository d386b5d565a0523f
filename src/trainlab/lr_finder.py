"""The learning-rate finder (Smith 2017; Hands-On ML 11.3): one epoch with an exponentially growing
rate.

Starting at η_min, the rate is multiplied by the same factor q = (η_max/η_min)^(1/(n-1)) after each
of the n steps, so step k trains at η_k = η_min·q^k. While η is small the loss barely moves; then it
falls fast; past some rate the steps overshoot and the loss turns up and explodes. The loss is
smoothed by a bias-corrected exponential moving average, s_k = (β·a_{k-1} + (1 - β)·L_k) / (1 -
β^(k+1)), and the sweep stops once s_k > ``stop_factor``·min s. The turn-up is the rate of the
lowest smoothed loss; a good rate, for a constant schedule or as 1cycle's peak, lies about 10 times
below it (fastai's ``lr_find`` suggests the same "minimum / 10"). The average lags about β/(1 - β)
steps behind the batch losses, so on a fast sweep the turn-up it finds lies a few times above the
lowest raw loss: the factor 10 then leaves less room than it says, but stays below the rates where
the loss explodes.

The sweep trains a copy of the model with a fresh copy of its optimizer: the model, its optimizer
and their counters are left exactly as they were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainlab.backend import rng_for
from trainlab.model import Sequential
from trainlab.optimizers import Optimizer
from trainlab.registry import deserialize, serialize
from trainlab.step import DivergenceError, train_step
from trainlab.validation import check_in_range, check_int, check_positive


@dataclass
class LRFinderResult:
    """The rates tried, the loss of each step (before its update) and its smoothed value."""

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    stopped_early: bool  # the loss exploded before η_max was reached

    @property
    def turn_lr(self) -> float:
        """The rate at which the smoothed loss is lowest: beyond it, the loss turns up."""
        return self.lrs[int(np.argmin(self.smoothed))]

    @property
    def suggested_lr(self) -> float:
        """About 10 times below the turn-up (Hands-On ML's rule of thumb)."""
        return self.turn_lr / 10

    @property
    def turned_up(self) -> bool:
        """Whether the smoothed loss exploded or ended above twice its minimum (if not, η_max was
        too small to find the turn, and the suggestion is only a lower bound)."""
        return self.stopped_early or self.smoothed[-1] > 2 * min(self.smoothed)


def find_lr(
    model: Sequential,
    x: Any,
    y: Any,
    *,
    min_lr: float = 1e-5,
    max_lr: float = 10.0,
    batch_size: int = 32,
    steps: int | None = None,
    stop_factor: float = 4.0,
    beta: float = 0.98,
) -> LRFinderResult:
    """Sweep η from ``min_lr`` to ``max_lr`` over ``steps`` batches (default: one epoch) on a copy
    of the compiled ``model``; return the losses and the suggested rate
    (``result.suggested_lr``)."""
    if model.optimizer is None:
        raise RuntimeError(
            "compile the model first: find_lr sweeps the learning rate of its optimizer"
        )
    min_lr, max_lr = check_positive("min_lr", min_lr), check_positive("max_lr", max_lr)
    if max_lr <= min_lr:
        raise ValueError(f"max_lr={max_lr!r} must be above min_lr={min_lr!r}")
    stop_factor = check_positive("stop_factor", stop_factor)
    if stop_factor <= 1:
        raise ValueError(
            f"stop_factor must be > 1 (the loss must grow to stop), got {stop_factor!r}"
        )
    beta = check_in_range("beta", beta, 0.0, 1.0)
    x = model.check_input(x)
    y = np.asarray(y)
    if len(y) != len(x):
        raise ValueError(
            f"x has {len(x)} samples but y has {len(y)}; they must have the same length"
        )
    batch_size = check_int("batch_size", batch_size, minimum=1)
    steps = (
        math.ceil(len(x) / batch_size) if steps is None else check_int("steps", steps, minimum=2)
    )
    steps = max(steps, 2)
    work, optimizer = model.clone(), deserialize(serialize(model.optimizer))
    return sweep(
        work, optimizer, x, y, batch_size, np.geomspace(min_lr, max_lr, steps), stop_factor, beta
    )


def sweep(
    model: Sequential,
    optimizer: Optimizer,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    rates: np.ndarray,
    stop_factor: float,
    beta: float,
) -> LRFinderResult:
    """Train ``model`` one batch per rate (each a :func:`~trainlab.step.train_step`); stop when the
    loss diverges or its smoothed value exceeds ``stop_factor`` times its minimum."""
    rng = rng_for(model.seed, "lr-finder")
    order = np.concatenate(
        [rng.permutation(len(x)) for _ in range(math.ceil(len(rates) * batch_size / len(x)))]
    )
    lrs, losses, smoothed, average = [], [], [], 0.0
    for step, lr in enumerate(rates):
        index = order[step * batch_size : (step + 1) * batch_size]
        optimizer.lr = float(lr)
        try:
            # the loss before this step's update
            loss = train_step(model, optimizer, x[index], y[index])
        except DivergenceError:  # a NaN/inf loss or gradient: the loss has exploded
            return LRFinderResult(lrs, losses, smoothed, stopped_early=True)
        average = beta * average + (1 - beta) * loss
        lrs.append(float(lr))
        losses.append(float(loss))
        smoothed.append(average / (1 - beta ** (step + 1)))
        if smoothed[-1] > stop_factor * min(smoothed):
            return LRFinderResult(lrs, losses, smoothed, stopped_early=True)
    return LRFinderResult(lrs, losses, smoothed, stopped_early=False)
