"""Samplers (which parameters a trial gets) and pruners (which trials stop early).

* ``random`` (the default, as in the book): :class:`SlotRandomSampler`, independent draws from the
  ranges. Unlike Optuna's RandomSampler, whose draws depend on how many trials this process has run,
  it draws each trial's values from (seed, slot, parameter name), so the same seed gives the same
  trials in any process, after any interruption (see :mod:`trainlab.tune.budget`).
* ``tpe``: Optuna's Tree-structured Parzen Estimator, which proposes values where the good trials
  were (drawn as by ``random`` for the first 10 trials). It uses the "constant liar" heuristic, so
  that concurrent workers do not all get the same proposal.
* ``grid``: the combinations of the listed values (``grid_points`` values per continuous range,
  spaced geometrically on log ranges) in a seeded random order, one per slot; a search asking for
  more trials than the grid has points is cut to the grid's size.

Pruners stop a trial whose validation accuracy at an epoch is poor compared with the other trials at
the same epoch: ``median`` (below the median of earlier trials, after 5 complete trials and a fifth
of the epochs) or ``hyperband`` (successive halving over budgets of epochs, reduction factor 3).
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from trainlab.tune.space import SearchSpace


class IndependentSampler(optuna.samplers.BaseSampler):
    """A sampler that draws every parameter on its own (``sample_independent``): Optuna's relative
    sampling, which draws parameters jointly, is left unused."""

    def infer_relative_search_space(
        self, study: optuna.Study, trial: Any
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: optuna.Study, trial: Any, search_space: dict[str, BaseDistribution]
    ) -> dict:
        return {}


class SlotRandomSampler(IndependentSampler):
    """Independent uniform / log-uniform draws, reproducible per trial slot.

    The value of parameter ``name`` in the trial holding slot ``s`` comes from a Generator seeded
    with (seed, s, crc32(name)): it depends neither on the order in which trials run nor on the
    other parameters. A trial without a slot (not started by trainlab's objective) uses its number
    instead.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)

    def sample_independent(
        self, study: optuna.Study, trial: Any, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        slot = trial.user_attrs.get("slot", trial.number)
        rng = np.random.default_rng([self.seed, slot, zlib.crc32(param_name.encode())])
        return draw(rng, param_distribution)


def draw(rng: np.random.Generator, distribution: BaseDistribution) -> Any:
    """One value from ``distribution``: uniform over its range, or over log values when it is log."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[int(rng.integers(len(distribution.choices)))]
    if isinstance(distribution, IntDistribution):
        if distribution.log:  # log-uniform over the integers' cells [k - 1/2, k + 1/2)
            value = math.exp(
                rng.uniform(math.log(distribution.low - 0.5), math.log(distribution.high + 0.5))
            )
            return int(min(max(round(value), distribution.low), distribution.high))
        steps = (distribution.high - distribution.low) // distribution.step
        return int(distribution.low + distribution.step * rng.integers(steps + 1))
    if isinstance(distribution, FloatDistribution):
        if distribution.log:
            return float(
                math.exp(rng.uniform(math.log(distribution.low), math.log(distribution.high)))
            )
        if distribution.step is not None:
            steps = math.floor((distribution.high - distribution.low) / distribution.step + 1e-9)
            return float(distribution.low + distribution.step * rng.integers(steps + 1))
        return float(rng.uniform(distribution.low, distribution.high))
    raise TypeError(f"cannot sample from {distribution!r}")


class SlotGridSampler(IndependentSampler):
    """A grid search that gives the trial in slot ``s`` the ``s``-th point of a seeded shuffle of the grid.

    ``grid`` maps each searched parameter to its values. Every slot below the grid's size gets a
    different point, so N trials visit N distinct points; a killed trial's point is run again by the
    trial that takes its slot over (Optuna's GridSampler would count it as visited and skip it).
    """

    def __init__(self, grid: dict[str, list[Any]], seed: int = 0) -> None:
        self.grid = {name: list(values) for name, values in sorted(grid.items())}
        self.size = math.prod(len(values) for values in self.grid.values())
        self.order = np.random.default_rng([int(seed), zlib.crc32(b"grid")]).permutation(self.size)

    def point(self, slot: int) -> dict[str, Any]:
        """The grid point of ``slot`` (slots beyond the grid's size wrap around)."""
        index, values = int(self.order[slot % self.size]), {}
        for name in reversed(self.grid):
            index, position = divmod(index, len(self.grid[name]))
            values[name] = self.grid[name][position]
        return values

    def sample_independent(
        self, study: optuna.Study, trial: Any, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        if param_name not in self.grid:
            raise ValueError(
                f"parameter {param_name!r} is not on the grid ({', '.join(self.grid)})"
            )
        return self.point(trial.user_attrs.get("slot", trial.number))[param_name]


class SlotTPESampler(optuna.samplers.TPESampler):
    """Optuna's TPE, whose start-up trials (and parameters it cannot model) are drawn by slot as in
    :class:`SlotRandomSampler`, so that workers and machines started with one seed never duplicate
    them.
    """

    def __init__(self, seed: int = 0, stream: int = 0) -> None:
        # The model-based proposals use TPE's own generator: one stream per worker (0 in-process).
        tpe_seed = (
            int(np.random.SeedSequence([int(seed), int(stream)]).generate_state(1)[0])
            if stream
            else seed
        )
        super().__init__(seed=tpe_seed, constant_liar=True)
        self._random_sampler = SlotRandomSampler(
            seed
        )  # the attribute TPESampler draws independent values from


def make_sampler(
    name: str, space: SearchSpace, seed: int, grid_points: int = 5, stream: int = 0
) -> optuna.samplers.BaseSampler:
    """The sampler called ``name`` ("random", "tpe" or "grid") for ``space``.

    ``stream`` (nonzero in worker processes) separates TPE's model-based proposals of concurrent workers.
    """
    if name == "random":
        return SlotRandomSampler(seed)
    if name == "tpe":
        return SlotTPESampler(seed, stream)
    if name == "grid":
        return SlotGridSampler(space.grid(grid_points), seed)
    raise ValueError(f"sampler={name!r} is not allowed; choose one of 'random', 'tpe', 'grid'")


def make_pruner(name: str, epochs: int) -> optuna.pruners.BasePruner:
    """The pruner called ``name`` ("none", "median" or "hyperband") for trials of ``epochs`` epochs."""
    if name == "none":
        return optuna.pruners.NopPruner()  # not None: Optuna would take None for its median pruner
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=epochs // 5)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=epochs, reduction_factor=3
        )
    raise ValueError(f"pruner={name!r} is not allowed; choose one of 'none', 'median', 'hyperband'")
