"""Seed-to-seed noise: a measurement repeated over seeds, and whether two of them really differ.

A lesson that compares two settings states its conclusion only when the difference of their means exceeds
twice the standard error of that difference, √(s_a²/n_a + s_b²/n_b) (s: the sample standard deviation over
seeds); otherwise it says that the difference is within the noise. With a single seed there is no estimate
of the noise, and nothing is claimed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MARGIN = 2.0  # standard errors of the difference


@dataclass(frozen=True)
class Spread:
    """The mean and sample standard deviation of one measurement over seeds."""

    mean: float
    sd: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            raise ValueError("values is empty; a spread needs at least one measurement")
        sd = float(np.std(values, ddof=1)) if values.size > 1 else math.nan
        return cls(float(np.mean(values)), sd, int(values.size))

    def text(self, digits: int = 3) -> str:
        if self.n < 2:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f}"


def noise(a: Spread, b: Spread) -> float:
    """MARGIN standard errors of the difference of two means (NaN with fewer than two seeds)."""
    if a.n < 2 or b.n < 2:
        return math.nan
    return MARGIN * math.sqrt(a.sd**2 / a.n + b.sd**2 / b.n)


def differs(a: Spread, b: Spread) -> bool:
    """True when the means differ by more than the noise (never with a single seed)."""
    limit = noise(a, b)
    return math.isfinite(limit) and abs(a.mean - b.mean) > limit


def order(a: Sequence[float], b: Sequence[float]) -> int:
    """+1 when a's mean is above b's by more than the noise, -1 when below, 0 within the noise or one seed."""
    sa, sb = Spread.of(a), Spread.of(b)
    return 0 if not differs(sa, sb) else (1 if sa.mean > sb.mean else -1)


def compare(name_a: str, a: Sequence[float], name_b: str, b: Sequence[float], what: str,
            higher_is_better: bool = True, digits: int = 3, better: str = "better") -> str:
    """A sentence comparing ``what`` between two settings measured over seeds, claiming only what holds."""
    sa, sb = Spread.of(a), Spread.of(b)
    both = f"{name_a} {sa.text(digits)}, {name_b} {sb.text(digits)}"
    limit = noise(sa, sb)
    if not math.isfinite(limit):
        return f"{what}: {both}; with one seed the seed-to-seed noise is unknown, so no difference is claimed."
    difference = abs(sa.mean - sb.mean)
    if difference <= limit:
        return (f"{what}: {both}; the difference {difference:.{digits}f} is within the seed-to-seed noise "
                f"(2 standard errors: {limit:.{digits}f} over {sa.n} and {sb.n} seeds).")
    winner = name_a if (sa.mean > sb.mean) == higher_is_better else name_b
    return (f"{what}: {both}; {winner} is {better} by {difference:.{digits}f}, more than the seed-to-seed noise "
            f"(2 standard errors: {limit:.{digits}f} over {sa.n} and {sb.n} seeds).")


def seeds(first: int, count: int) -> list[int]:
    """The seeds of a repeated measurement: first, first + 1, ..."""
    return [first + i for i in range(count)]
