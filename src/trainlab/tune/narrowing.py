"""Narrowing: a tighter search space from the best trials, for a second stage of the search.

The book's recipe: look at the ranges of the best trials' parameters (its Best-5) and search again
within them. For each searched parameter, :func:`narrow` takes the values of the ``top_k`` trials
with the highest validation accuracy:

* a range becomes [min, max] of those values, widened outwards to two significant digits (on the log
  scale for a log range, so 0.00313 becomes 0.0031), never beyond the old range; a single value (all
  top-k trials agree) is widened by a factor 2 either side (log) or a tenth of the old range
  (linear);
* a list keeps the values the top-k trials used (a fixed value if only one remains);
* fixed values stay fixed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from trainlab.tune.results import SearchResult, TrialRecord, best_trials
from trainlab.tune.space import Choice, Dimension, Fixed, FloatRange, IntRange, SearchSpace
from trainlab.validation import check_int


@dataclass
class Narrowing:
    """A proposed second-stage space.

    ``space``: all its entries (``--space`` strings); ``changes``: (old entry, new entry) of each
    searched parameter; ``trials``: the numbers of the top-k trials it was made from.
    """

    top_k: int
    trials: list[int]
    space: tuple[str, ...]
    changes: list[tuple[str, str]] = field(default_factory=list)

    def space_args(self) -> list[str]:
        """The ``--space`` options that search the narrowed space."""
        return [f"--space={entry}" for entry in self.space]

    def __str__(self) -> str:
        lines = [f"narrowed from the top {self.top_k} trials ({', '.join(map(str, self.trials))}):"]
        lines += [f"  {old}  ->  {new}" for old, new in self.changes]
        return "\n".join(lines)


def narrow(result: SearchResult, top_k: int = 5) -> Narrowing:
    """The space of ``result`` narrowed to its ``top_k`` best complete trials (see the module docstring)."""
    check_int("top_k", top_k, minimum=1)
    best = best_trials(result, top_k)
    if not best:
        raise ValueError("narrow: the search has no complete trial to narrow from")
    space = narrow_space(result.space(), best)
    changes = [(str(old), str(space[old.name])) for old in result.space().searched]
    return Narrowing(
        top_k=len(best),
        trials=[trial.number for trial in best],
        space=space.entries(),
        changes=changes,
    )


def narrow_space(space: SearchSpace, trials: list[TrialRecord]) -> SearchSpace:
    """``space`` with each searched dimension cut to the values ``trials`` used."""
    return SearchSpace(
        [
            narrow_dimension(dim, [t.params[dim.name] for t in trials if dim.name in t.params])
            for dim in space
        ]
    )


def narrow_dimension(dim: Dimension, values: list) -> Dimension:
    """``dim`` cut to ``values`` (unchanged when there are none: no top trial used this parameter)."""
    if not values or isinstance(dim, Fixed):
        return dim
    if isinstance(dim, Choice):
        kept = tuple(value for value in dim.values if value in values)
        return Fixed(dim.name, kept[0]) if len(kept) == 1 else Choice(dim.name, kept)
    if isinstance(dim, IntRange):
        low, high = min(values), max(values)
        if low == high:
            low, high = low - dim.step, high + dim.step
        return IntRange(
            dim.name, max(low, dim.low), min(high, dim.high), log=dim.log, step=dim.step
        )
    return _narrow_float(dim, float(min(values)), float(max(values)))


def _narrow_float(dim: FloatRange, low: float, high: float) -> FloatRange:
    if dim.log:
        if low == high:
            low, high = low / 2, high * 2
        low, high = round_significant(low, "down"), round_significant(high, "up")
    elif dim.step is not None:  # stay on the old range's grid, at least one step wide
        low = dim.low + math.floor((low - dim.low) / dim.step + 1e-9) * dim.step
        high = dim.low + math.ceil((high - dim.low) / dim.step - 1e-9) * dim.step
        if low == high:
            low, high = (
                (low - dim.step, high) if high + dim.step > dim.high else (low, high + dim.step)
            )
        low, high = float(f"{low:.12g}"), float(f"{high:.12g}")
    else:
        if low == high:
            margin = (dim.high - dim.low) / 10
            low, high = low - margin, high + margin
        unit = 10 ** (math.floor(math.log10(high - low)) - 1)  # two digits of the new range's width
        low, high = math.floor(low / unit) * unit, math.ceil(high / unit) * unit
        low, high = float(f"{low:.12g}"), float(f"{high:.12g}")
    return FloatRange(dim.name, max(low, dim.low), min(high, dim.high), log=dim.log, step=dim.step)


def round_significant(value: float, direction: str, digits: int = 2) -> float:
    """``value`` (> 0) rounded down or up to ``digits`` significant digits: 0.003137 → 0.0031 / 0.0032."""
    unit = 10 ** (math.floor(math.log10(value)) - digits + 1)
    scaled = value / unit
    rounded = math.floor(scaled + 1e-9) if direction == "down" else math.ceil(scaled - 1e-9)
    return float(f"{rounded * unit:.{digits + 2}g}")
