"""Training loops the lessons share: the textbook's steps on batches drawn at random, and epochs of
shuffled batches. Every step is one :func:`trainlab.train_step`; a step whose loss or gradient is
not finite ends the loop with the status "diverged" (the weights are those before that step).

Runs of one seed pair: :func:`random_batches` and :func:`epoch_batches` depend on the seed only, so
every setting of a lesson sees the same batches in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import trainlab as tl


def random_batches(samples: int, iterations: int, batch_size: int, seed: int) -> np.ndarray:
    """The textbook's batches (Deep Learning from Scratch's
    ``np.random.choice(train_size, batch_size)``): at each of ``iterations`` steps, ``batch_size``
    indices drawn at random, with replacement, from ``samples``. Shape (iterations, batch_size)."""
    return np.random.default_rng(seed).integers(0, samples, size=(iterations, batch_size))


def epoch_batches(samples: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's batches: a fresh random order of the ``samples`` cut into batches of
    ``batch_size`` (the last one smaller when they do not divide)."""
    order = rng.permutation(samples)
    return [order[start : start + batch_size] for start in range(0, samples, batch_size)]


@dataclass
class Steps:
    """What a loop of training steps gave: the loss each step saw (before its update) and how it ended."""

    losses: list[float] = field(default_factory=list)
    status: str = "completed"  # or "diverged"

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


def train_steps(
    model: tl.Sequential,
    optimizer: tl.Optimizer,
    x: np.ndarray,
    y: np.ndarray,
    batches: Sequence[np.ndarray] | np.ndarray,
    *,
    into: Steps | None = None,
    after: Callable[[int], None] | None = None,
) -> Steps:
    """One training step on ``(x[i], y[i])`` for each batch of indices ``i``; the losses are
    appended to ``into`` (a new :class:`Steps` if None), which is returned. ``after(step)`` runs
    after each update (step counted from 1 over ``into``'s losses). A diverging step ends the loop
    with ``status = "diverged"``."""
    steps = into if into is not None else Steps()
    for index in batches:
        try:
            steps.losses.append(tl.train_step(model, optimizer, x[index], y[index]))
        except tl.DivergenceError:
            steps.status = "diverged"
            break
        if after is not None:
            after(len(steps.losses))
    return steps


def rounded(values: Sequence[float], digits: int = 5) -> list[float]:
    """Per-step numbers to ``digits`` significant digits: what the measures need, a quarter of the
    bytes in metrics.json."""
    return [float(f"{v:.{digits}g}") for v in values]


def failure_notes(
    runs: Any,
    label: Callable[[str], str],
    did_not_learn: Callable[[Mapping[str, Any], Any], bool] | None = None,
    meaning: str = "",
) -> list[str]:
    """ "SGD diverged (the loss became NaN or inf) in 2 of 5 seeds." for each setting with such runs
    (a run's ``status``), and "... did not learn (``meaning``) in k of n seeds." for completed runs
    for which ``did_not_learn(run, config)`` holds."""
    notes = []
    for setting in runs.settings:
        of = runs.of(setting)
        diverged = sum(run.get("status") == "diverged" for run in of)
        if diverged:
            notes.append(
                f"{label(setting)} diverged (the loss became NaN or inf) in {diverged} of {len(of)} seeds."
            )
        if did_not_learn is not None:
            stuck = sum(
                run.get("status") != "diverged" and did_not_learn(run, runs.config) for run in of
            )
            if stuck:
                why = f" ({meaning})" if meaning else ""
                notes.append(f"{label(setting)} did not learn{why} in {stuck} of {len(of)} seeds.")
    return notes
