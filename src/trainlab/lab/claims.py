"""Book claims as data, and their verdicts: the one place where a number becomes a sentence a reader sees.

A lesson declares each claim it tests once (:class:`Claim`): what the book states and where, the
quantity that measures it (:class:`Measure`: a named number computed from one training run), and the
direction the book expects, ``a < b``, ``a > b`` (one setting against another, or against each of
several) or ``a in (low, high)`` (a band the book gives). :func:`evaluate` measures every seed of
the settings involved, takes the difference with :mod:`trainlab.lab.stats` (seed by seed where the
runs pair) and gives a verdict from a closed set:

- **agrees**: the 95 % interval of the difference lies on the book's side of zero (or inside its band);
- **contradicts**: it lies on the other side (or outside the band);
- **unsettled**: the interval holds zero (or straddles an edge of the band): within the noise;

(``expect="~"``, "as good as": the interval of a - b lies within ±``margin`` agrees, wholly outside
it contradicts, across an edge is unsettled.) A claim about a trend ("as the net grows, b suffers
more than a") compares changes: with ``relative_to=(ra, rb)`` each seed's a - ra is set against its
b - rb, a difference of differences.

- **untested**: the noise cannot be estimated (one seed), or the run cannot measure the claim (a
  setting missing, or fewer than two seeds measurable).

One seed never gives agrees or contradicts. :meth:`Evaluation.sentence` is the only function that
turns a verdict into words; the report, docs/results.md and the notebooks count
:attr:`Evaluation.verdict`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from trainlab.lab.stats import Difference, Spread, difference

VERDICTS = ("agrees", "contradicts", "unsettled", "untested")
DIRECTIONS = ("<", ">", "in", "~")


@dataclass(frozen=True)
class Measure:
    """A named quantity computed from one training run: ``of(run, config) -> float``.

    ``run`` is the dict a lesson's ``train`` returned for one setting and seed; NaN means the run
    cannot be measured this way (it is left out, and said so). ``percent`` shows fractions as
    percentages.
    """

    name: str
    of: Callable[[Mapping[str, Any], Any], float]
    unit: str = ""
    digits: int = 3
    percent: bool = False
    short: str = ""  # the column header in tables (default: the name)

    def named(self, config: Any) -> str:
        """The name with ``{field}`` replaced by the run's settings ("... reaches 0.3")."""
        return config.described(self.name) if hasattr(config, "described") else self.name

    def header(self, config: Any) -> str:
        """The column header, ``{field}`` replaced likewise."""
        text = self.short or self.name
        return config.described(text) if hasattr(config, "described") else text

    def number(self, value: float, signed: bool = False, digits: int | None = None) -> str:
        """``value`` without its unit: "0.123", "97.8" (a percentage), "+1,240"."""
        if not math.isfinite(value):
            return "n/a"
        number = value * 100.0 if self.percent else value
        sign = "+" if signed else ""
        if abs(number) >= 1000:
            return f"{number:{sign},.0f}"
        return f"{number:{sign}.{digits or self.digits}g}"

    @property
    def suffix(self) -> str:
        return " %" if self.percent else f" {self.unit}" if self.unit else ""

    def text(self, value: float, signed: bool = False) -> str:
        """``value`` as the measure shows it: "0.123", "97.8 %", "+1,240 iterations"."""
        number = self.number(value, signed)
        return number if number == "n/a" else number + self.suffix


@dataclass(frozen=True)
class Claim:
    """One statement of the book that a lesson tests, with the measurement that tests it.

    ``a`` is a setting of the lesson (an arm); ``expect`` is ``"<"`` or ``">"`` (the book says the
    measure of ``a`` is below or above that of ``b``: a setting, or a tuple of settings to beat each
    of, or a number) or ``"in"`` (``b`` is a band ``(low, high)``) or ``"~"`` (``a`` and the setting
    ``b`` are level: their difference lies within ±``margin``). ``relative_to=(ra, rb)`` measures a
    trend: a's change from the setting ``ra`` against b's change from ``rb``, seed by seed (the
    effect of growing the net on dropout against its effect on weight decay; the runs must pair).
    ``paired``: runs of one seed start from the same weights and see the same batches, so the
    difference is taken seed by seed. ``why`` is the evidence a reader needs beside the verdict:
    where the book's conditions differ, what the book's own code gives.
    """

    id: str
    book: str
    source: str
    measure: Measure
    a: str
    expect: str
    b: str | tuple[str, ...] | float | tuple[float, float]
    paired: bool = True
    why: str = ""
    margin: float = 0.0  # for expect="~": how far apart a and b may be and still count as level
    relative_to: tuple[str, str] = ()  # (ra, rb): compare a - ra with b - rb, seed by seed

    def __post_init__(self) -> None:
        if self.expect not in DIRECTIONS:
            raise ValueError(
                f"claim {self.id!r}: expect={self.expect!r} is not allowed; use one of {DIRECTIONS}"
            )
        if self.expect == "in" and not (
            isinstance(self.b, tuple)
            and len(self.b) == 2
            and all(isinstance(v, int | float) for v in self.b)
        ):
            raise ValueError(f"claim {self.id!r}: expect='in' needs b=(low, high), got {self.b!r}")
        if self.expect == "~" and not self.margin > 0:
            raise ValueError(
                f"claim {self.id!r}: expect='~' (level) needs margin > 0, got {self.margin!r}"
            )
        if self.relative_to and not (
            len(self.relative_to) == 2
            and isinstance(self.b, str)
            and self.expect in ("<", ">")
            and self.paired
        ):
            raise ValueError(
                f"claim {self.id!r}: relative_to={self.relative_to!r} needs two settings, b one "
                f"setting, expect '<' or '>' and paired runs (got b={self.b!r}, "
                f"expect={self.expect!r}, paired={self.paired!r})"
            )

    @property
    def others(self) -> tuple[str, ...] | tuple[float, ...]:
        """What ``a`` is compared with: the settings (or the one number) on the other side."""
        if self.expect == "in" or isinstance(self.b, int | float):
            return (self.b,)  # type: ignore[return-value]
        return (self.b,) if isinstance(self.b, str) else tuple(self.b)

    def settings(self) -> tuple[str, ...]:
        """Every setting the claim needs."""
        return (self.a, *(b for b in self.others if isinstance(b, str)), *self.relative_to)


class Measured(Protocol):
    """What :func:`evaluate` reads: the seeds, and one run of a setting and seed (None if it was not run)."""

    seeds: Sequence[int]

    def get(self, setting: str, seed: int) -> Mapping[str, Any] | None: ...


@dataclass
class Comparison:
    """``a`` against one thing on the other side, seed by seed."""

    other: str  # a setting's label, or the number
    a: list[float]
    b: list[float] | float
    difference: Difference
    verdict: str


@dataclass
class Evaluation:
    """A claim's verdict, the numbers behind it and the sentence that says it."""

    claim: Claim
    verdict: str
    reason: str  # why untested; "" otherwise
    seeds: list[int]
    label_a: str
    comparisons: list[Comparison] = field(default_factory=list)
    measure_name: str = ""  # the measure's name with the run's settings in it
    subject: str = (
        "the book"  # whose statement the claim is ("the prediction", in a notebook's try-this cell)
    )

    def sentence(self) -> str:
        """The claim, what was measured and the verdict, in one paragraph (the only place words are made)."""
        claim, measure = self.claim, self.claim.measure
        head = f"{claim.source}: {claim.book}" + (
            "" if claim.book.endswith((".", "!", "?", ")")) else "."
        )
        if self.verdict == "untested" and not self.comparisons:
            return f"{head} Untested: {self.reason}."
        parts = []
        for c in self.comparisons:
            spread_a = spread_text(c.a, measure)
            if isinstance(c.b, list):
                against = f"{c.other} {spread_text(c.b, measure)}"
            elif claim.expect == "in":
                against = f"{self.subject}'s band {c.other}"
            else:
                against = (
                    c.other if c.b == 0 else f"{self.subject}'s {c.other}"
                )  # 0: a difference against none
            d = c.difference
            interval = (
                f"; difference {measure.text(d.estimate, signed=True)}, 95 % interval "
                f"{measure.text(d.low, signed=True)} to {measure.text(d.high, signed=True)}"
                if d.measurable and claim.expect != "in"
                else ""
            )
            if claim.expect == "in" and d.measurable:
                low = float(c.b)  # type: ignore[arg-type]  (the band's low edge: d is measured from it)
                interval = (
                    f"; 95 % interval of the mean {measure.text(low + d.low)} "
                    f"to {measure.text(low + d.high)}"
                )
            parts.append(f"{self.label_a} {spread_a} against {against}{interval}")
        n = len(self.seeds)
        how = f"{n} seed{'s' * (n != 1)}" + (", paired by seed" if claim.paired and n > 1 else "")
        dropped = max((c.difference.dropped for c in self.comparisons), default=0)
        lost = f" ({dropped} not measurable)" if dropped else ""
        verdict = {
            "agrees": f"Agrees with {self.subject}.",
            "contradicts": f"Contradicts {self.subject}.",
            "unsettled": "Unsettled: the difference is within the seed-to-seed noise.",
            "untested": f"Untested: {self.reason}.",
        }[self.verdict]
        why = f" {claim.why}" if claim.why and self.verdict in ("contradicts", "unsettled") else ""
        name = self.measure_name or measure.name
        return f"{head} Measured as {name} ({how}{lost}): {'; '.join(parts)}. {verdict}{why}"

    def to_json(self) -> dict[str, Any]:
        """The claim, its verdict and every number behind it, for summary.json."""
        claim = self.claim
        return {
            "id": claim.id,
            "book": claim.book,
            "source": claim.source,
            "measure": self.measure_name or claim.measure.name,
            "a": claim.a,
            "expect": claim.expect,
            "b": list(claim.b) if isinstance(claim.b, tuple) else claim.b,
            "paired": claim.paired,
            **({"relative_to": list(claim.relative_to)} if claim.relative_to else {}),
            "verdict": self.verdict,
            "reason": self.reason,
            "seeds": list(self.seeds),
            "comparisons": [
                {
                    "other": c.other,
                    "a": c.a,
                    "b": c.b,
                    "estimate": c.difference.estimate,
                    "se": c.difference.se,
                    "low": c.difference.low,
                    "high": c.difference.high,
                    "n": c.difference.n,
                    "verdict": c.verdict,
                }
                for c in self.comparisons
            ],
            "sentence": self.sentence(),
        }


def spread_text(values: Sequence[float], measure: Measure) -> str:
    """ "0.123 ± 0.004" (mean ± sd over the seeds, with the measure's unit), or the single value."""
    spread = Spread.of(values)
    if spread.n == 0:
        return "n/a"
    if spread.n == 1:
        return measure.text(spread.mean)
    sd = measure.number(spread.sd, digits=2)
    return f"{measure.number(spread.mean)} ± {sd}{measure.suffix}"


def verdict_of(d: Difference, expect: str, band: tuple[float, float] | None = None) -> str:
    """agrees, contradicts or unsettled from a difference's interval (untested if it is unknown)."""
    if not d.measurable:
        return "untested"
    if expect == "in":
        assert band is not None
        low, high = band
        # d is the difference to the band's low edge: the interval of the mean is [low + d.low, low + d.high]
        lo, hi = low + d.low, low + d.high
        if lo >= low and hi <= high:
            return "agrees"
        return "contradicts" if hi < low or lo > high else "unsettled"
    if (
        expect == "~"
    ):  # level within ±margin: the whole interval inside agrees, the whole interval outside not
        assert band is not None
        margin = band[1]
        if -margin <= d.low and d.high <= margin:
            return "agrees"
        return "contradicts" if d.low > margin or d.high < -margin else "unsettled"
    wanted = -1 if expect == "<" else 1
    return "unsettled" if d.sign == 0 else "agrees" if d.sign == wanted else "contradicts"


def evaluate(
    claim: Claim, runs: Measured, config: Any, label: Callable[[str], str] = str
) -> Evaluation:
    """Measure ``claim`` on every seed of ``runs`` and give its verdict (see the module's docstring)."""
    seeds = list(runs.seeds)
    missing = [s for s in claim.settings() if all(runs.get(s, seed) is None for seed in seeds)]
    if missing:
        return Evaluation(
            claim,
            "untested",
            f"the run did not include {', '.join(map(label, missing))}",
            seeds,
            label(claim.a),
            measure_name=claim.measure.named(config),
        )

    def measured(setting: str) -> list[float]:
        runs_of = [runs.get(setting, seed) for seed in seeds]
        return [
            float(claim.measure.of(run, config)) if run is not None else math.nan for run in runs_of
        ]

    reference = dict(zip((claim.a, claim.b), claim.relative_to, strict=False))

    def values(setting: str) -> list[float]:
        """The measure, seed by seed; for a trend, its change from the setting's reference."""
        if setting not in reference:
            return measured(setting)
        return [v - r for v, r in zip(measured(setting), measured(reference[setting]), strict=True)]

    def side(setting: str) -> str:
        return (
            f"{label(setting)} minus {label(reference[setting])}"
            if setting in reference
            else label(setting)
        )

    measure_name = claim.measure.named(config) + (
        ", each minus that of its reference" if claim.relative_to else ""
    )
    a = values(claim.a)
    comparisons = []
    for other in claim.others:
        if claim.expect == "in":
            low, high = other  # type: ignore[misc]
            d = difference(a, float(low))
            shown = f"{claim.measure.text(low)} to {claim.measure.text(high)}"
            comparisons.append(
                Comparison(shown, a, float(low), d, verdict_of(d, "in", (low, high)))
            )
        elif isinstance(other, str):
            b = values(other)
            d = difference(a, b, paired=claim.paired)
            band = (-claim.margin, claim.margin) if claim.expect == "~" else None
            comparisons.append(Comparison(side(other), a, b, d, verdict_of(d, claim.expect, band)))
        else:
            d = difference(a, float(other))
            comparisons.append(
                Comparison(
                    claim.measure.text(float(other)),
                    a,
                    float(other),
                    d,
                    verdict_of(d, claim.expect),
                )
            )
    verdicts = [c.verdict for c in comparisons]
    if all(v == "untested" for v in verdicts):
        measurable = min(c.difference.n for c in comparisons)
        reason = (
            "one seed gives no estimate of the seed-to-seed noise"
            if len(seeds) < 2
            else f"only {measurable} of {len(seeds)} seeds could be measured"
        )
        return Evaluation(
            claim,
            "untested",
            reason,
            seeds,
            side(claim.a),
            comparisons,
            measure_name,
        )
    if "contradicts" in verdicts:
        verdict = "contradicts"
    elif all(v == "agrees" for v in verdicts):
        verdict = "agrees"
    else:
        verdict = "unsettled"
    return Evaluation(claim, verdict, "", seeds, side(claim.a), comparisons, measure_name)


def count(verdicts: Sequence[str]) -> dict[str, int]:
    """How many of each verdict, in the order of :data:`VERDICTS`."""
    unknown = set(verdicts) - set(VERDICTS)
    if unknown:
        raise ValueError(
            f"unknown verdicts {sorted(unknown)}; a verdict is one of {', '.join(VERDICTS)}"
        )
    return {v: sum(1 for x in verdicts if x == v) for v in VERDICTS}
