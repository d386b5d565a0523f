"""gradient-arrows (DLfS 4.4, Figure 4-9): the book's gradients; arrows at the minimum on the bowl,
not the valley."""

import math

import numpy as np
import pytest

from trainlab.lab.runner import run_lesson
from trainlab.lessons import gradient_arrows as lesson


@pytest.fixture(scope="module")
def run():
    return run_lesson("gradient-arrows")


def test_the_books_three_gradients_with_their_rounding(run):
    bowl = run.runs.get("bowl", 0)
    assert bowl["points"] == [[3.0, 4.0], [0.0, 2.0], [3.0, 0.0]]
    np.testing.assert_allclose(bowl["numeric"], [[6, 8], [0, 4], [6, 0]], atol=1e-9)
    assert (
        bowl["numeric"][0][0] != 6.0
    )  # the step h = 1e-4 leaves its trace, as in the book's printout
    assert len(bowl["grid"]) == 18 * 18 - 1  # the book's grid, without the minimum itself


def test_on_the_bowl_every_arrow_points_at_the_minimum_and_is_twice_the_distance(run):
    for seed in run.runs.seeds:
        bowl = run.runs.get("bowl", seed)
        assert max(bowl["angles"]) < 1e-4
        np.testing.assert_allclose(
            np.linalg.norm(bowl["arrows"], axis=1),
            2 * np.linalg.norm(bowl["grid"], axis=1),
            rtol=1e-8,
        )
        np.testing.assert_allclose(bowl["fall_ratio"], 1.0, atol=1e-6)


def test_on_the_valley_the_largest_angle_is_the_theoretical_one_and_f_falls_faster_along_the_gradient(
    run,
):
    worst = math.degrees(
        math.atan(19 / (2 * math.sqrt(20)))
    )  # ∇f = (x/10, 2y) against (x, y): 64.79°
    for seed in run.runs.seeds:
        valley = run.runs.get("elongated", seed)
        assert worst - 1.0 < max(valley["angles"]) <= worst + 1e-6
        assert (
            min(valley["fall_ratio"]) >= 1.0 - 1e-6
        )  # Cauchy-Schwarz: never slower than the straight way


def test_the_grid_pairs_by_seed_and_moves_with_it():
    config = lesson.Config()
    assert lesson.train(config, "bowl", 2)["grid"] == lesson.train(config, "elongated", 2)["grid"]
    assert lesson.train(config, "bowl", 2)["grid"] != lesson.train(config, "bowl", 3)["grid"]


def test_every_claim_agrees(run):
    assert [e.verdict for e in run.evaluations] == ["agrees"] * len(lesson.CLAIMS)
    assert set(run.figures()) == {"gradient_arrows"}
