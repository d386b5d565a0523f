"""lr-finder: the bottom of a sweep's loss curve undoes the moving average's lag; 1cycle peaks there, the
constant rate sits 10 times below the turn-up, and every setting of a seed shares one sweep."""

import dataclasses
import math

import numpy as np
import pytest

from trainlab.lab.fitting import sweep_bottom
from trainlab.lab.lesson import load_lesson

lesson = load_lesson("lr-finder")
module = lesson.module


def smoothed(losses, beta):
    """tl.find_lr's bias-corrected exponential moving average."""
    out, average = [], 0.0
    for k, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta ** (k + 1)))
    return out


@pytest.mark.parametrize("beta", [0.9, 0.98])
def test_the_bottom_of_the_curve_is_found_where_the_lagging_average_is_not(beta):
    """A loss curve (430 steps over 6 decades of the rate) with its bottom at step 300 that explodes at the
    end: the sweep's average finds its minimum steps later, at a higher rate; the running median finds step
    300, through the noise of single batches and whatever the explosion."""
    lrs = np.geomspace(1e-5, 10, 430)
    steps = np.arange(430)
    losses = 0.3 + 2.0 * np.minimum(1.0, ((steps - 300) / 120.0) ** 2)  # a valley, flat far out
    losses[-5:] = [50.0, 300.0, 2e3, 1e4, 1e5]
    late = int(np.argmin(smoothed(losses, beta)))
    assert late >= 300 + (3 if beta == 0.9 else 15)  # the lag of the sweep's own average

    def bottom(values):
        return int(np.flatnonzero(lrs == sweep_bottom(lrs, values, beta))[0])

    assert abs(bottom(losses) - 300) <= 3  # the medians of a few windows around the bottom tie
    noisy = losses * np.random.default_rng(0).lognormal(0, 0.2, 430)  # batch losses are noisy
    assert abs(bottom(noisy) - 300) <= (30 if beta == 0.9 else 15)
    steeper = np.where(
        steps > 300, 0.3 + 2.0 * np.minimum(1.0, ((steps - 300) / 40.0) ** 2), losses
    )
    assert (
        300 - 20 <= bottom(steeper) <= 300
    )  # steeper on the right: a little early, a lower and safer rate


def test_a_sweep_with_no_losses_has_no_bottom():
    assert math.isnan(sweep_bottom([], [], 0.98))
    assert sweep_bottom([0.1], [2.0], 0.98) == 0.1
    lrs = np.geomspace(1e-4, 1, 9)
    assert (
        sweep_bottom(lrs, [2, 2, 2, 1.5, 1, 1.5, 2, 3, 9], 0.5) == lrs[4]
    )  # a window of 3, losses capped at 2


def tiny():
    """The quick size (a sweep of 63 steps), one epoch of training."""
    return dataclasses.replace(module.Config().quick(), test_samples=300, epochs=1)


def test_the_settings_of_a_seed_share_one_sweep_and_take_their_rates_from_it():
    config = tiny()
    runs = {setting: module.train(config, setting, 0) for setting in module.settings(config)}
    cycle, found, hand = runs["1cycle"], runs["found"], runs["hand"]
    assert (
        cycle["sweep"] == found["sweep"] == hand["sweep"] and cycle["turn_lr"] == found["turn_lr"]
    )
    assert found["lr"] == pytest.approx(found["turn_lr"] / 10) and hand["lr"] == config.hand_lr
    assert (
        cycle["lr"]
        == cycle["bottom_lr"]
        == pytest.approx(
            sweep_bottom(cycle["sweep"]["lrs"], cycle["sweep"]["losses"], config.finder_beta),
            rel=1e-3,
        )
    )
    assert found["sweep"]["lrs"][0] == pytest.approx(config.min_lr) and found["turned_up"]
    assert (
        cycle["bottom_lr"] < cycle["turn_lr"]
    )  # the bottom lies before the lagging average's minimum
    assert all(
        len(run["val_accuracy"]) == config.epochs and run["status"] == "completed"
        for run in runs.values()
    )
    assert module.train(config, "found", 0) == found  # a pure function of its arguments


def test_the_claims_and_measures():
    claims = {c.id: c for c in lesson.claims}
    assert (claims["found-rate-beats-guess"].a, claims["found-rate-beats-guess"].b) == (
        "found",
        "hand",
    )
    assert (claims["1cycle-beats-constant"].a, claims["1cycle-beats-constant"].b) == (
        "1cycle",
        "found",
    )
    assert math.isnan(module.ACCURACY.of({"status": "diverged", "test_accuracy": 0.1}, None))
    assert module.ACCURACY.of({"status": "completed", "test_accuracy": 0.97}, None) == 0.97
