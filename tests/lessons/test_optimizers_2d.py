"""optimizers-2d (DLfS 6.1.7, Figure 6-8): the measures of a path, SGD's and Momentum's by hand, the
book's claims."""

import math

import numpy as np
import pytest

from trainlab.lab.runner import run_lesson
from trainlab.lessons import optimizers_2d as lesson


@pytest.fixture(scope="module")
def run():
    return run_lesson("optimizers-2d")


def test_the_book_settings_and_starts():
    config = lesson.Config()
    assert dict(zip(config.optimizers, config.learning_rates, strict=True))["adagrad"] == 1.5
    assert (config.steps, lesson.start(0)) == (30, (-7.0, 2.0))
    for seed in range(1, 8):
        x, y = lesson.start(seed)
        assert -9 <= x <= -5 and 1 <= y <= 3
    assert {tuple(lesson.train(config, s, 4)["path"][0]) for s in config.optimizers} == {
        lesson.start(4)
    }


def test_sgd_sways_by_the_geometric_sum_of_its_overshoots(run):
    """On y, SGD with η = 0.95 multiplies y by 1 - 1.9 = -0.9: it travels
    1.9·Σ 0.9ᵏ = 19·(1 - 0.9³⁰) of |y₀|."""
    for seed in run.runs.seeds:
        assert lesson.SWAY.of(run.runs.get("sgd", seed), run.config) == pytest.approx(
            19 * (1 - 0.9**30)
        )
        assert lesson.CROSSINGS.of(run.runs.get("sgd", seed), run.config) == 30
        assert lesson.SPEED_UP.of(run.runs.get("sgd", seed), run.config) == pytest.approx(1.0)


def test_momentum_speeds_up_along_x_as_the_book_describes(run):
    x, v, steps = -7.0, 0.0, []
    for _ in range(30):  # v ← 0.9·v - η·∂f/∂x, x ← x + v: the book's Momentum with η = 0.1
        v = 0.9 * v - 0.1 * x / 10
        x += v
        steps.append(abs(v))
    assert lesson.SPEED_UP.of(run.runs.get("momentum", 0), run.config) == pytest.approx(
        max(steps) / steps[0]
    )
    assert max(steps) / steps[0] > 5


def test_the_measures_on_hand_made_paths():
    straight = {"path": [[-4.0, 2.0], [-2.0, 1.0], [0.0, 0.0]]}
    assert lesson.DETOUR.of(straight, None) == pytest.approx(1.0)
    assert lesson.SWAY.of(straight, None) == pytest.approx(1.0)
    assert lesson.FINAL.of(straight, None) == -300  # f = 0 counts as 1e-300
    assert math.isnan(lesson.DETOUR.of({"path": [[1.0, 1.0], [math.inf, math.nan]]}, None))


def test_every_claim_of_the_book_agrees(run):
    assert {e.claim.id: e.verdict for e in run.evaluations} == {
        c.id: "agrees" for c in lesson.CLAIMS
    }
    assert run.notes() == []


def test_a_run_off_path_is_said_and_marked():
    off = run_lesson(
        "optimizers-2d", seeds=2, optimizers=("sgd", "adam"), learning_rates=(1.2, 0.3)
    )
    assert off.notes() == [
        "SGD diverged (it ended higher up the bowl than it started, or overflowed) in 2 of 2 "
        "starts."
    ]
    crosses = [
        line for line in off.figures()["paths"].axes[0].get_lines() if line.get_marker() == "x"
    ]
    assert len(crosses) == 2 and np.all(np.isfinite(off.runs.get("sgd", 0)["path"]))
