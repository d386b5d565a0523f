"""The one statistics engine: differences over seeds (paired and Welch's), their 95 % intervals, the
verdicts they give, and the one sentence each verdict is said in."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainlab.lab.claims import VERDICTS, Claim, Measure, count, evaluate, verdict_of
from trainlab.lab.lesson import Runs
from trainlab.lab.stats import Spread, difference, paired_difference, t_quantile, welch_difference

VALUE = Measure("the value", lambda run, config: run["v"], unit="steps")


def runs_of(**settings: list[float]) -> Runs:
    seeds = list(range(max(len(v) for v in settings.values())))
    runs = {(s, i): {"v": v[i]} for s, v in settings.items() for i in range(len(v))}
    return Runs(None, list(settings), seeds, runs)


def test_t_quantiles_are_students():
    # scipy.stats.t.ppf(0.975, df) for df = 1, 2, 4, 9, 29, 60, 1000
    for df, exact in (
        (1, 12.7062),
        (2, 4.3027),
        (4, 2.7764),
        (9, 2.2622),
        (29, 2.0452),
        (60, 2.0003),
        (1000, 1.9623),
    ):
        assert t_quantile(df) == pytest.approx(exact, abs=2e-3)
    assert (
        t_quantile(4) > t_quantile(4.5) > t_quantile(5)
    )  # Welch's fractional df, between the neighbours
    with pytest.raises(ValueError, match="degrees of freedom must be >= 1"):
        t_quantile(0.5)


def test_a_paired_difference_is_taken_seed_by_seed():
    a, b = [10.0, 12.0, 14.0, 16.0], [9.0, 11.2, 12.8, 15.0]  # d = 1, 0.8, 1.2, 1
    d = paired_difference(a, b)
    assert d.estimate == pytest.approx(1.0) and d.n == 4 and d.paired
    sd = np.std([1, 0.8, 1.2, 1.0], ddof=1)
    assert d.se == pytest.approx(sd / 2) and d.low == pytest.approx(1.0 - 3.1824 * sd / 2, abs=1e-3)
    assert d.sign == 1  # the interval [0.74, 1.26] excludes zero
    # unpaired, the seeds' spread (sd 2.6) swamps the same difference
    assert welch_difference(a, b).sign == 0


def test_welch_matches_its_formula():
    a, b = [1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 4.0, 6.0]
    d = welch_difference(a, b)
    va, vb = np.var(a, ddof=1) / 5, np.var(b, ddof=1) / 3
    df = (va + vb) ** 2 / (va**2 / 4 + vb**2 / 2)
    assert d.estimate == -1.0 and d.se == pytest.approx(math.sqrt(va + vb))
    assert d.high - d.estimate == pytest.approx(t_quantile(df) * d.se)


def test_seeds_that_cannot_be_measured_are_dropped_and_one_seed_measures_no_noise():
    d = paired_difference([1.0, math.nan, 3.0, 5.0], [0.0, 1.0, math.inf, 4.0])
    assert d.n == 2 and d.dropped == 2 and d.estimate == 1.0
    one = paired_difference([1.0], [0.0])
    assert not one.measurable and one.sign == 0 and math.isnan(one.low)
    assert Spread.of([2.0]).n == 1 and math.isnan(Spread.of([2.0]).sd)


@given(st.lists(st.floats(-100, 100), min_size=2, max_size=12), st.floats(-5, 5))
def test_shifting_one_side_shifts_the_paired_interval_by_the_same_amount(values, shift):
    base = paired_difference(values, values)
    moved = difference([v + shift for v in values], values)
    assert base.estimate == pytest.approx(0.0, abs=1e-9)
    assert moved.estimate == pytest.approx(shift, abs=1e-9) and moved.se == pytest.approx(
        0.0, abs=1e-7
    )


def test_verdicts_by_direction():
    faster = Claim("x", "A takes fewer steps than B.", "DLfS 1", VALUE, a="a", expect="<", b="b")
    assert evaluate(faster, runs_of(a=[10, 11, 12], b=[20, 22, 21]), None).verdict == "agrees"
    assert evaluate(faster, runs_of(a=[20, 22, 21], b=[10, 11, 12]), None).verdict == "contradicts"
    assert evaluate(faster, runs_of(a=[10, 30, 20], b=[20, 10, 25]), None).verdict == "unsettled"
    assert evaluate(faster, runs_of(a=[10], b=[20]), None).verdict == "untested"


def test_against_several_settings_every_comparison_must_agree_and_one_contradiction_is_enough():
    slowest = Claim("x", "A is the slowest.", "DLfS 1", VALUE, a="a", expect=">", b=("b", "c"))
    assert (
        evaluate(slowest, runs_of(a=[30, 31, 32], b=[10, 11, 12], c=[20, 21, 22]), None).verdict
        == "agrees"
    )
    assert (
        evaluate(slowest, runs_of(a=[30, 31, 32], b=[10, 11, 12], c=[25, 40, 30]), None).verdict
        == "unsettled"
    )
    assert (
        evaluate(slowest, runs_of(a=[30, 31, 32], b=[10, 11, 12], c=[50, 51, 52]), None).verdict
        == "contradicts"
    )
    missing = evaluate(slowest, runs_of(a=[30, 31, 32], b=[10, 11, 12]), None, label=str.upper)
    assert missing.verdict == "untested" and missing.reason == "the run did not include C"


def test_a_number_a_band_and_a_level():
    below = Claim("x", "The error is below 1e-7.", "DLfS 5.7.3", VALUE, a="a", expect="<", b=1e-7)
    assert evaluate(below, runs_of(a=[1e-9, 2e-9, 3e-9]), None).verdict == "agrees"
    band = Claim("y", "Accuracy about 97 %.", "DLfS 4.5", VALUE, a="a", expect="in", b=(0.96, 0.98))
    assert evaluate(band, runs_of(a=[0.970, 0.971, 0.969]), None).verdict == "agrees"
    assert evaluate(band, runs_of(a=[0.90, 0.91, 0.905]), None).verdict == "contradicts"
    assert evaluate(band, runs_of(a=[0.95, 0.99, 0.97]), None).verdict == "unsettled"
    level = Claim("z", "A as good as B.", "HOML 11.3", VALUE, a="a", expect="~", b="b", margin=0.5)
    assert (
        evaluate(level, runs_of(a=[10.0, 10.1, 9.9, 10.0], b=[10.1, 10.0, 10.0, 9.9]), None).verdict
        == "agrees"
    )
    assert (
        evaluate(level, runs_of(a=[12.0, 12.1, 11.9], b=[10.0, 10.1, 9.9]), None).verdict
        == "contradicts"
    )
    with pytest.raises(ValueError, match="needs margin > 0"):
        Claim("z", "level", "s", VALUE, a="a", expect="~", b="b")
    with pytest.raises(ValueError, match="expect='x' is not allowed"):
        Claim("z", "?", "s", VALUE, a="a", expect="x", b="b")


def test_a_trend_compares_each_settings_change_from_its_reference_seed_by_seed():
    # as the net grows, B's value rises by 5 and A's by 1: A suffers less, whatever the levels
    grows = Claim(
        "t",
        "A suffers less from growing.",
        "DLfS 6.4.3",
        VALUE,
        a="big a",
        expect="<",
        b="big b",
        relative_to=("a", "b"),
    )
    assert grows.settings() == ("big a", "big b", "a", "b")
    levels = {"a": [10.0, 12.0, 11.0], "b": [2.0, 4.0, 3.0]}
    agrees = evaluate(
        grows, runs_of(**{"big a": [11.1, 13.0, 11.9], "big b": [7.0, 9.1, 8.0]}, **levels), None
    )
    assert agrees.verdict == "agrees"
    assert agrees.comparisons[0].a == pytest.approx([1.1, 1.0, 0.9])
    assert agrees.comparisons[0].b == pytest.approx([5.0, 5.1, 5.0])
    assert agrees.comparisons[0].difference.estimate == pytest.approx(-4.0333, abs=1e-4)
    # the same big-net values with A's reference far lower: A's change is now the larger
    lower = {**levels, "a": [5.0, 7.0, 6.0]}
    flipped = evaluate(
        grows,
        runs_of(**{"big a": [11.1, 13.0, 11.9], "big b": [7.0, 9.1, 8.0]}, **lower),
        None,
        str.upper,
    )
    assert flipped.verdict == "contradicts"
    assert "BIG A minus A" in flipped.sentence() and "BIG B minus B" in flipped.sentence()
    assert "each minus that of its reference" in flipped.sentence()
    assert flipped.to_json()["relative_to"] == ["a", "b"]
    with pytest.raises(ValueError, match="relative_to=.* needs two settings"):
        Claim("t", "?", "s", VALUE, a="a", expect="<", b=("b", "c"), relative_to=("x", "y"))
    with pytest.raises(ValueError, match="paired=False"):
        Claim("t", "?", "s", VALUE, a="a", expect="<", b="b", relative_to=("x", "y"), paired=False)


def test_the_sentence_says_the_claim_the_numbers_and_the_verdict():
    claim = Claim(
        "sgd-slowest",
        "SGD learns slowest.",
        "DLfS 6.1.8, Figure 6-9",
        VALUE,
        a="sgd",
        expect=">",
        b="adam",
        why="(the evidence)",
    )
    sentence = evaluate(
        claim, runs_of(sgd=[900, 950, 1000], adam=[300, 320, 310]), None, str.upper
    ).sentence()
    assert sentence.startswith(
        "DLfS 6.1.8, Figure 6-9: SGD learns slowest. Measured as the value (3 seeds, paired"
    )
    assert (
        "SGD 950 ± 50 steps against ADAM 310 ± 10 steps; difference +640 steps, 95 % interval"
        in sentence
    )
    assert (
        sentence.endswith("Agrees with the book.") and "(the evidence)" not in sentence
    )  # why: only if not agreed
    unsettled = evaluate(claim, runs_of(sgd=[900, 100, 500], adam=[300, 320, 310]), None).sentence()
    assert unsettled.endswith(
        "Unsettled: the difference is within the seed-to-seed noise. (the evidence)"
    )
    one = evaluate(claim, runs_of(sgd=[900], adam=[300]), None).sentence()
    assert (
        one.endswith("Untested: one seed gives no estimate of the seed-to-seed noise.")
        and "interval" not in one
    )


def test_verdicts_are_counted_from_the_closed_set_only():
    assert count(["agrees", "agrees", "untested"]) == {
        "agrees": 2,
        "contradicts": 0,
        "unsettled": 0,
        "untested": 1,
    }
    with pytest.raises(ValueError, match="unknown verdicts"):
        count(["agrees", "As in the book"])
    assert VERDICTS == ("agrees", "contradicts", "unsettled", "untested")
    assert verdict_of(difference([1.0, 1.0], [0.0, 0.0]), "<") == "contradicts"
