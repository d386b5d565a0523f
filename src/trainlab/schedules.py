"""Learning-rate schedules: η as a function of the iteration (or epoch) number i = 0, 1, 2, ...

A schedule is a plain callable, ``schedule(i) -> lr``; it knows nothing about optimizers, and an
optimizer knows nothing about schedules. A hand-written loop (or a LearningRateScheduler callback)
connects them::

    schedule = tl.OneCycle(max_lr=0.05, total_steps=len(batches) * epochs)
    for i, (x_batch, t_batch) in enumerate(batches_of_all_epochs):
        optimizer.lr = schedule(i)
        optimizer.momentum = schedule.momentum(i)   # 1cycle only, and only if optimizer.momentum is not None
        tl.train_step(model, optimizer, x_batch, t_batch)

(``i`` counts iterations; ``t`` is, as in the textbook, always a target.) The one exception is
:class:`PlateauReducer`, which reacts to a monitored metric (``reducer.update(val_loss)``) rather
than to the iteration number.

All schedules are :class:`~trainlab.registry.Configurable` (``get_config()`` gives their constructor
arguments as JSON data), so a run can save and rebuild them; ``schedule.curve(n)`` returns
[η(0), ..., η(n-1)] for plotting.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from trainlab.registry import Configurable, Registry
from trainlab.validation import (
    check_choice,
    check_in_range,
    check_int,
    check_non_negative,
    check_number,
    check_positive,
)

SCHEDULES = Registry("schedule")


class Schedule(Configurable):
    """Base class: ``schedule(i)`` is the learning rate for iteration (or epoch) ``i >= 0``."""

    def __call__(self, iteration: float) -> float:
        return self.lr_at(check_iteration(iteration))

    def lr_at(self, i: float) -> float:
        raise NotImplementedError

    def curve(self, n: int) -> np.ndarray:
        """[η(0), η(1), ..., η(n - 1)] as a float64 array (e.g. for a plot)."""
        n = check_int("n", n, minimum=0)
        return np.array([self.lr_at(float(i)) for i in range(n)], dtype=np.float64)


def check_iteration(iteration: Any) -> float:
    """An iteration (or epoch) number: a number >= 0."""
    iteration = check_number("iteration", iteration)
    if iteration < 0:
        raise ValueError(f"iteration must be >= 0, got {iteration!r}")
    return iteration


class LengthSchedule(Schedule):
    """A schedule shaped over a run of ``total_steps`` steps (cosine, 1cycle).

    ``total_steps`` may be left as None when the schedule is created and set later, e.g. by a
    callback that knows the run's length (``schedule.total_steps = epochs * steps_per_epoch``);
    every assignment is validated, and using the schedule before it is set raises a clear error.
    """

    min_total_steps = 1

    @property
    def total_steps(self) -> int | None:
        return self._total_steps

    @total_steps.setter
    def total_steps(self, value: int | None) -> None:
        if value is not None:
            value = check_int("total_steps", value, minimum=self.min_total_steps)
            self.check_total_steps(value)
        self._total_steps = value

    def check_total_steps(self, total_steps: int) -> None:
        """Consistency checks between ``total_steps`` and the other arguments (subclasses extend)."""

    def require_total_steps(self) -> int:
        if self._total_steps is None:
            raise RuntimeError(
                f"{type(self).__name__}.total_steps is not set: pass total_steps=... or set it "
                "before use (a LearningRateScheduler callback sets it to the run's length)"
            )
        return self._total_steps


@SCHEDULES.register("power")
class PowerDecay(Schedule):
    """Power scheduling: η(i) = η0 / (1 + i/s)^c.

    η0 = ``initial_lr``, s = ``decay_steps`` (η has fallen to η0/2^c after s steps), c = ``power``
    (default 1, which gives Keras's ``InverseTimeDecay`` with decay rate 1).
    """

    def __init__(self, initial_lr: float, decay_steps: float, power: float = 1.0) -> None:
        self.initial_lr = check_positive("initial_lr", initial_lr)
        self.decay_steps = check_positive("decay_steps", decay_steps)
        self.power = check_positive("power", power)

    def lr_at(self, i):
        return self.initial_lr / (1.0 + i / self.decay_steps) ** self.power


@SCHEDULES.register("exponential")
class ExponentialDecay(Schedule):
    """Exponential scheduling: η(i) = η0 · r^(i/s), by default r = 0.1 (η falls tenfold every s steps).

    η0 = ``initial_lr``, s = ``decay_steps``, r = ``rate`` in (0, 1].
    """

    def __init__(self, initial_lr: float, decay_steps: float, rate: float = 0.1) -> None:
        self.initial_lr = check_positive("initial_lr", initial_lr)
        self.decay_steps = check_positive("decay_steps", decay_steps)
        self.rate = check_in_range("rate", rate, 0.0, 1.0, closed_high=True)
        if self.rate == 0.0:
            raise ValueError("rate must be > 0, got 0.0")

    def lr_at(self, i):
        return self.initial_lr * self.rate ** (i / self.decay_steps)


@SCHEDULES.register("piecewise_constant", "piecewise")
class PiecewiseConstant(Schedule):
    """Piecewise-constant scheduling: η(i) = values[k] for boundaries[k-1] <= i < boundaries[k].

    With boundaries b₀ < b₁ < ... and one more value than boundaries: values[0] before b₀, values[k]
    from bₖ₋₁ on, and the last value from the last boundary on.
    ``PiecewiseConstant([5, 15], [0.01, 0.005, 0.001])`` is the textbook's (Géron's) epoch schedule:
    0.01 for epochs 0-4, 0.005 for 5-14, then 0.001.
    """

    def __init__(self, boundaries: Sequence[float], values: Sequence[float]) -> None:
        boundaries = [check_non_negative(f"boundaries[{i}]", b) for i, b in enumerate(boundaries)]
        values = [check_positive(f"values[{i}]", v) for i, v in enumerate(values)]
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"values must have one entry more than boundaries, got {len(values)} values for "
                f"{len(boundaries)} boundaries"
            )
        if any(b >= c for b, c in itertools.pairwise(boundaries)):
            raise ValueError(f"boundaries must be strictly increasing, got {boundaries}")
        self.boundaries = boundaries
        self.values = values

    def lr_at(self, i):
        index = sum(1 for b in self.boundaries if i >= b)
        return self.values[index]


@SCHEDULES.register("cosine")
class CosineDecay(LengthSchedule):
    """Cosine decay with linear warm-up (Loshchilov & Hutter's SGDR without restarts; Goyal et al.'s warm-up).

    With w = ``warmup_steps``, T = ``total_steps``, η_max = ``max_lr``, η_min = ``min_lr``:

        η(i) = η_max · (i + 1) / w                                        for i < w     (warm-up)
        η(i) = η_min + ½·(η_max - η_min)·(1 + cos(π·(i - w) / (T - w)))   for w <= i <= T
        η(i) = η_min                                                      for i > T

    The warm-up reaches η_max at its last step w - 1 and never gives 0 (an optimizer refuses lr =
    0); the cosine starts at η_max at i = w and reaches η_min at i = T, so steps 0 … T-1 all have η
    > η_min. Past its end the schedule holds its final value (as Keras's do), so a longer or a
    second run goes on; with η_min = 0, which no optimizer accepts, it holds its last positive value
    η(T - 1) from i = T on.
    """

    def __init__(
        self,
        max_lr: float,
        total_steps: int | None = None,
        warmup_steps: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        self.max_lr = check_positive("max_lr", max_lr)
        self.warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
        self.min_lr = check_non_negative("min_lr", min_lr)
        if self.min_lr > self.max_lr:
            raise ValueError(f"min_lr must be <= max_lr={self.max_lr}, got {self.min_lr}")
        self.total_steps = total_steps

    def check_total_steps(self, total_steps):
        if self.warmup_steps >= total_steps:
            raise ValueError(
                f"warmup_steps must be < total_steps={total_steps}, got {self.warmup_steps}"
            )

    def lr_at(self, i):
        w, T = self.warmup_steps, self.require_total_steps()
        if i >= T and self.min_lr == 0.0:
            i = T - 1  # hold the last positive value, not the lr = 0 an optimizer refuses
        if i < w:
            return self.max_lr * (i + 1) / w
        if i > T:
            return self.min_lr
        return self.min_lr + 0.5 * (self.max_lr - self.min_lr) * (
            1.0 + math.cos(math.pi * (i - w) / (T - w))
        )


@SCHEDULES.register("one_cycle", "1cycle")
class OneCycle(LengthSchedule):
    """1cycle (Smith, 2018): the learning rate goes up, down, then is annihilated; momentum does the opposite.

    With T = ``total_steps``, a = ``annihilation`` (the fraction of T spent in the last phase) and p
    = (1 - a)·T / 2, η₀ = ``start_lr`` (default η_max / 10), η_max = ``max_lr``, η_end =
    ``final_lr`` (default η₀ / 1000):

        η(i) = η₀ + (η_max - η₀) · i / p                 for 0 <= i <= p        (linear up)
        η(i) = η_max - (η_max - η₀) · (i - p) / p        for p <= i <= 2p       (linear down)
        η(i) = η₀ - (η₀ - η_end) · (i - 2p) / (T - 2p)   for 2p <= i <= T       (annihilation)
        η(i) = η_end                                     for i > T              (held past the end)

    :meth:`momentum` cycles the other way between μ_max = ``max_momentum`` (0.95) and μ_min =
    ``min_momentum`` (0.85): μ_max → μ_min while η rises, μ_min → μ_max while it falls, then μ_max.
    Assign it to ``optimizer.momentum`` (β of Momentum/Nesterov, β1 of the Adam family). The
    defaults follow Smith's paper and Géron's ``OneCycleScheduler`` (start η_max/10, last 10 % of
    the steps for the annihilation down to η₀/1000).
    """

    min_total_steps = 2

    def __init__(
        self,
        max_lr: float,
        total_steps: int | None = None,
        start_lr: float | None = None,
        final_lr: float | None = None,
        annihilation: float = 0.1,
        max_momentum: float = 0.95,
        min_momentum: float = 0.85,
    ) -> None:
        self.max_lr = check_positive("max_lr", max_lr)
        self.total_steps = total_steps
        self.start_lr = (
            self.max_lr / 10 if start_lr is None else check_positive("start_lr", start_lr)
        )
        self.final_lr = (
            self.start_lr / 1000 if final_lr is None else check_positive("final_lr", final_lr)
        )
        self.annihilation = check_in_range("annihilation", annihilation, 0.0, 1.0)
        self.max_momentum = check_in_range("max_momentum", max_momentum, 0.0, 1.0)
        self.min_momentum = check_in_range("min_momentum", min_momentum, 0.0, 1.0)
        if self.start_lr > self.max_lr:
            raise ValueError(f"start_lr must be <= max_lr={self.max_lr}, got {self.start_lr}")
        if self.final_lr > self.start_lr:
            raise ValueError(f"final_lr must be <= start_lr={self.start_lr}, got {self.final_lr}")
        if self.min_momentum > self.max_momentum:
            raise ValueError(
                f"min_momentum must be <= max_momentum={self.max_momentum}, got {self.min_momentum}"
            )

    @property
    def phase_steps(self) -> float:
        """p = (1 - annihilation)·T / 2, the length of the rising (and of the falling) phase."""
        return (1.0 - self.annihilation) * self.require_total_steps() / 2

    def lr_at(self, i):
        p, T = self.phase_steps, self.require_total_steps()
        if i <= p:
            return self.start_lr + (self.max_lr - self.start_lr) * i / p
        if i <= 2 * p:
            return self.max_lr - (self.max_lr - self.start_lr) * (i - p) / p
        if i <= T:
            return self.start_lr - (self.start_lr - self.final_lr) * (i - 2 * p) / (T - 2 * p)
        return self.final_lr

    def momentum(self, iteration: float) -> float:
        """μ(i): max_momentum → min_momentum (rising η), back to max_momentum (falling η), then constant."""
        i = check_iteration(iteration)
        p, high, low = self.phase_steps, self.max_momentum, self.min_momentum
        if i <= p:
            return high - (high - low) * i / p
        if i <= 2 * p:
            return low + (high - low) * (i - p) / p
        return high


class PlateauReducer(Configurable):
    """Performance scheduling: multiply η by ``factor`` when a monitored metric stops improving.

    ``reducer.update(metric)`` is called once per evaluation (usually per epoch) and returns the
    learning rate to use next. With mode "min" (a loss) a value improves if metric < best -
    min_delta (mode "max", an accuracy: metric > best + min_delta). After ``patience`` evaluations
    in a row without improvement,

        η ← max(η · factor, min_lr),

    and the next ``cooldown`` evaluations are not counted as bad (the metric gets time to respond).
    The defaults (factor 0.1, patience 10, min_delta 1e-4 absolute, cooldown 0, min_lr 0) are
    Keras's ``ReduceLROnPlateau``'s; unlike Keras, cooldown counts exactly ``cooldown`` evaluations.

    ``state_dict()`` / ``load_state_dict()`` save and restore the running state (η, best, counters) as JSON.
    """

    def __init__(
        self,
        lr: float,
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        mode: str = "min",
    ) -> None:
        self.initial_lr = check_positive("lr", lr)
        self.factor = check_in_range("factor", factor, 0.0, 1.0)
        if self.factor == 0.0:
            raise ValueError("factor must be in (0, 1), got 0.0")
        self.patience = check_int("patience", patience, minimum=0)
        self.min_delta = check_non_negative("min_delta", min_delta)
        self.cooldown = check_int("cooldown", cooldown, minimum=0)
        self.min_lr = check_non_negative("min_lr", min_lr)
        self.mode = check_choice("mode", mode, ["min", "max"])
        self.lr = self.initial_lr
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad = 0
        self.cooldown_counter = 0

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["lr"] = self.initial_lr
        return config

    def is_improvement(self, metric: float) -> bool:
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric: float) -> float:
        """Deprecated name of :meth:`update` (``step`` means one training step in trainlab)."""
        warnings.warn(
            "PlateauReducer.step(metric) is now PlateauReducer.update(metric)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.update(metric)

    def update(self, metric: float) -> float:
        """Record one evaluation of the monitored metric; return the (possibly reduced) learning rate."""
        metric = check_number("metric", metric)
        in_cooldown = self.cooldown_counter > 0
        if in_cooldown:
            self.cooldown_counter -= 1
        if self.is_improvement(metric):
            self.best = metric
            self.num_bad = 0
        elif not in_cooldown:
            self.num_bad += 1
            if self.num_bad >= self.patience:
                self.lr = max(self.lr * self.factor, self.min_lr)
                self.cooldown_counter = self.cooldown
                self.num_bad = 0
        return self.lr

    def state_dict(self) -> dict[str, Any]:
        """The running state as JSON data (``best`` may be ±inf before the first step: JSON as a string)."""
        return {
            "lr": self.lr,
            "best": repr(self.best) if math.isinf(self.best) else self.best,
            "num_bad": self.num_bad,
            "cooldown_counter": self.cooldown_counter,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.lr = check_positive("lr", state["lr"])
        self.best = float(state["best"])
        self.num_bad = check_int("num_bad", state["num_bad"], minimum=0)
        self.cooldown_counter = check_int("cooldown_counter", state["cooldown_counter"], minimum=0)


def get_schedule(spec: str | Schedule, argument: str = "schedule", **kwargs: Any) -> Schedule:
    """A schedule from a name ("power", "exponential", "piecewise_constant", "cosine", "one_cycle")
    with keyword parameters, or a Schedule object."""
    if isinstance(spec, Schedule):
        return spec
    return SCHEDULES.create(spec, argument, **kwargs)
