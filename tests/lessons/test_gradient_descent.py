"""gradient-descent (DLfS 4.4.1, Figure 4-10): the book's numbers, the factor (1 - 2η), starts that
pair by seed."""

import math

import numpy as np
import pytest

from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import run_lesson
from trainlab.lessons import gradient_descent as lesson


@pytest.fixture(scope="module")
def run():
    return run_lesson("gradient-descent")


def test_the_book_settings():
    config = lesson.Config()
    assert (config.suitable_lr, config.large_lr, config.small_lr, config.steps) == (
        0.1,
        10.0,
        1e-10,
        100,
    )
    assert lesson.start(config, 0).tolist() == pytest.approx([-3.0, 4.0])


def test_seed_0_gives_the_books_printed_points(run):
    """The book prints (-6.1e-10, 8.1e-10) for η = 0.1 and (-2.99999994, 3.99999992) for η = 1e-10."""
    np.testing.assert_allclose(
        run.runs.get("suitable", 0)["path"][-1], [-6.1111e-10, 8.1481e-10], rtol=1e-3
    )
    np.testing.assert_allclose(
        run.runs.get("too-small", 0)["path"][-1], [-2.99999994, 3.99999992], atol=1e-8
    )
    assert (
        lesson.distance(run.runs.get("too-large", 0)["path"][-1]) > 1e10
    )  # the book: about 2.6e13


def test_each_step_multiplies_the_point_by_one_minus_two_eta_from_any_start(run):
    for seed in run.runs.seeds:
        path = np.array(run.runs.get("suitable", seed)["path"])
        np.testing.assert_allclose(path[1:20], 0.8 * path[:19], rtol=1e-9)
        assert lesson.DISTANCE.of(run.runs.get("suitable", seed), run.config) == pytest.approx(
            100 * math.log10(0.8)
        )
        np.testing.assert_allclose(
            run.runs.get("too-large", seed)["path"][1], -19 * path[0], rtol=1e-6
        )


def test_the_starts_pair_by_seed_and_lie_on_the_books_circle():
    config = lesson.Config()
    starts = [lesson.start(config, seed) for seed in range(6)]
    assert all(np.linalg.norm(point) == pytest.approx(5.0) for point in starts)
    assert len({tuple(np.round(point, 9)) for point in starts}) == 6
    for setting in lesson.settings(config):  # every rate starts where the others do
        assert lesson.train(config, setting, 3)["path"][0] == pytest.approx(starts[3].tolist())


def test_the_measures_on_hand_made_paths():
    at_minimum = {"path": [[3.0, 4.0], [0.0, 0.0]]}
    assert lesson.DISTANCE.of(at_minimum, None) == pytest.approx(
        -300 - math.log10(5)
    )  # 0 counts as 1e-300
    overflowed = {"path": [[3.0, 4.0], [math.inf, math.nan]]}
    assert lesson.DISTANCE.of(overflowed, None) == pytest.approx(300 - math.log10(5))
    assert lesson.MOVED.of({"path": [[3.0, 4.0], [3.0, 4.000005]]}, None) == pytest.approx(-6.0)


def test_every_claim_agrees_and_the_diverging_walk_is_drawn(run):
    assert [e.verdict for e in run.evaluations] == ["agrees"] * 3
    assert any("stopped growing" in note for note in run.notes())
    figure = run.figures()["paths"]
    crosses = [line for line in figure.axes[1].get_lines() if line.get_marker() == "x"]
    assert len(crosses) == len(run.runs.seeds)  # each diverging walk: its last point inside, marked
    assert figure.axes[3].get_yscale() == "log" and figure.axes[3].get_ylim()[1] > 1e10


def test_one_seed_measures_but_never_concludes():
    one = run_lesson("gradient-descent", seeds=1)
    assert {e.verdict for e in one.evaluations} == {"untested"}
    assert load_lesson("gradient-descent").about.figure == "Figure 4-10"
