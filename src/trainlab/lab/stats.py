"""The one statistics module of the lab: how far apart two measurements over seeds are, and how sure we are.

Every claim a lesson tests is a difference (setting a against setting b, or a setting against a
number the book gives), measured once per seed. Two runs with the same seed start from the same
weights and see the same data in the same order, so the difference is taken seed by seed (*paired*)
where the runs pair:

    d_i = a_i - b_i,   d̄ = mean(d),   se = sd(d) / √n,   interval = d̄ ± t(0.975, n - 1) · se

and, for runs that do not pair, Welch's form: se = √(s_a²/n_a + s_b²/n_b), with
Welch-Satterthwaite's degrees of freedom. The interval is the usual 95 % confidence interval of the
mean difference (Student's t, which is wide for few seeds: 4.30 standard errors with 3 seeds, 2.78
with 5, 2.26 with 10). A difference is *settled* when its interval excludes zero; with one seed
there is no estimate of the noise and nothing is settled. A seed whose measurement is not a finite
number (the run could not measure it) is left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# t(0.975, df): the two-sided 95 % quantile of Student's t for df = 1..30
T_975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)
Z_975 = 1.959964


def t_quantile(df: float) -> float:
    """t(0.975, df), the factor of a 95 % interval: the table for df <= 30, then the first two terms
    of the Cornish-Fisher expansion z + (z³ + z)/(4 df) (within 0.001 of the exact value from df =
    30 on)."""
    if not df >= 1:
        raise ValueError(f"df={df!r} is not allowed: the degrees of freedom must be >= 1")
    if df <= 30:
        whole = math.floor(df)
        if whole == df or whole == 30:
            return T_975[whole - 1]
        low, high = T_975[whole - 1], T_975[whole]  # Welch's df is fractional: interpolate in 1/df
        weight = (1 / whole - 1 / df) / (1 / whole - 1 / (whole + 1))
        return low + weight * (high - low)
    return Z_975 + (Z_975**3 + Z_975) / (4 * df)


def finite(values: Sequence[float]) -> np.ndarray:
    """``values`` as float64 with the NaNs and infinities left out."""
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]


@dataclass(frozen=True)
class Spread:
    """The mean and sample standard deviation of one measurement over seeds (sd NaN for one seed)."""

    mean: float
    sd: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """The spread of the finite ``values`` (mean NaN when there are none)."""
        kept = finite(values)
        if kept.size == 0:
            return cls(math.nan, math.nan, 0)
        return cls(
            float(kept.mean()),
            float(kept.std(ddof=1)) if kept.size > 1 else math.nan,
            int(kept.size),
        )


@dataclass(frozen=True)
class Difference:
    """mean(a) - mean(b) (or mean(a - b), paired), with its standard error and 95 % interval.

    ``n``: the seeds used (pairs, for a paired difference; the smaller side otherwise); ``dropped``:
    the seeds left out because one of their measurements was not finite. ``low``/``high`` are NaN
    when the noise cannot be estimated (fewer than two seeds on a side).
    """

    estimate: float
    se: float
    low: float
    high: float
    n: int
    dropped: int
    paired: bool

    @property
    def measurable(self) -> bool:
        """Whether the noise could be estimated: at least two seeds (two pairs)."""
        return self.n >= 2 and math.isfinite(self.low)

    @property
    def sign(self) -> int:
        """+1 when the whole interval is above zero, -1 when below, 0 when it holds zero or is unknown."""
        if not self.measurable:
            return 0
        return 1 if self.low > 0 else -1 if self.high < 0 else 0


def paired_difference(a: Sequence[float], b: Sequence[float]) -> Difference:
    """a - b seed by seed (``a[i]`` and ``b[i]`` measured on runs of the same seed)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"paired measurements need one value per seed on each side; got {a.size} and {b.size}"
        )
    both = np.isfinite(a) & np.isfinite(b)
    d = a[both] - b[both]
    dropped = int(a.size - d.size)
    if d.size < 2:
        estimate = float(d.mean()) if d.size else math.nan
        return Difference(estimate, math.nan, math.nan, math.nan, int(d.size), dropped, paired=True)
    se = float(d.std(ddof=1)) / math.sqrt(d.size)
    half = t_quantile(d.size - 1) * se
    return Difference(
        float(d.mean()),
        se,
        float(d.mean()) - half,
        float(d.mean()) + half,
        int(d.size),
        dropped,
        paired=True,
    )


def welch_difference(a: Sequence[float], b: Sequence[float]) -> Difference:
    """mean(a) - mean(b) for runs that do not pair (Welch's standard error and degrees of freedom)."""
    sa, sb = Spread.of(a), Spread.of(b)
    dropped = (len(a) - sa.n) + (len(b) - sb.n)
    estimate = sa.mean - sb.mean
    if sa.n < 2 or sb.n < 2:
        return Difference(
            estimate, math.nan, math.nan, math.nan, min(sa.n, sb.n), dropped, paired=False
        )
    va, vb = sa.sd**2 / sa.n, sb.sd**2 / sb.n
    se = math.sqrt(va + vb)
    if se == 0:
        return Difference(estimate, 0.0, estimate, estimate, min(sa.n, sb.n), dropped, paired=False)
    df = (va + vb) ** 2 / (va**2 / (sa.n - 1) + vb**2 / (sb.n - 1))
    half = t_quantile(df) * se
    return Difference(
        estimate, se, estimate - half, estimate + half, min(sa.n, sb.n), dropped, paired=False
    )


def difference(
    a: Sequence[float], b: Sequence[float] | float, *, paired: bool = True
) -> Difference:
    """a - b: seed by seed when ``paired``, Welch's otherwise; ``b`` a number compares each of a with it."""
    if isinstance(b, int | float):
        return paired_difference(a, [float(b)] * len(a))
    return paired_difference(a, b) if paired else welch_difference(a, b)
