"""random-vs-grid: the shifted log grid, log-uniform draws, Spearman's rank correlation, the main effects of a
grid on a hand-built search, and a repeat's two searches."""

import dataclasses

import numpy as np
import pytest

from trainlab.lab.lesson import load_lesson
from trainlab.lab.search import log_uniform, offset_grid, spearman

lesson = load_lesson("random-vs-grid")
module = lesson.module


def test_the_offset_grid_is_even_on_the_log_scale_and_shifted_at_random():
    grids = [
        np.log10(offset_grid(np.random.default_rng(seed), 1e-6, 1e-2, 4)) for seed in range(50)
    ]
    for points in grids:
        np.testing.assert_allclose(np.diff(points), 1.0)  # one point per decade
        assert -6 <= points[0] < -5 and -3 <= points[-1] < -2
    firsts = [points[0] for points in grids]
    assert max(firsts) - min(firsts) > 0.8  # the shift spans the cell


def test_log_uniform_draws_spread_over_the_decades():
    draws = np.log10(log_uniform(np.random.default_rng(0), 1e-6, 1e-2, 4000))
    assert draws.min() >= -6 and draws.max() <= -2
    assert np.histogram(draws, bins=4, range=(-6, -2))[0] == pytest.approx([1000] * 4, rel=0.1)


def test_spearman():
    assert spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)  # 1 - 6·4/(5·24)
    assert spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)
    assert spearman([1, 2, 2, 3], [1, 2, 2, 3]) == pytest.approx(1.0)  # ties share their mean rank
    assert np.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_the_grids_main_effects():
    trials = [
        {"lr": lr, "weight_decay": wd, "score": score}
        for (lr, wd), score in zip(
            [(1, 1), (1, 2), (2, 1), (2, 2)], [0.2, 0.3, 0.8, 0.7], strict=True
        )
    ]
    run = {"trials": trials, "test": 0.0}
    assert (
        module.main_effect(run, "lr") == pytest.approx(0.5)
        and module.main_effect(run, "weight_decay") == 0
    )
    assert module.LR_MATTERS.of(run, module.Config()) == pytest.approx(0.5)
    assert module.chosen(run)["score"] == 0.8


def test_a_repeat_pairs_the_two_searches():
    config = dataclasses.replace(module.Config().quick(), epochs=2, grid_points=2, hidden=(8,))
    grid, random = (module.train(config, s, 0) for s in ("grid", "random"))
    assert len(grid["trials"]) == len(random["trials"]) == 4
    assert (
        len({t["lr"] for t in grid["trials"]}) == 2
        and len({t["lr"] for t in random["trials"]}) == 4
    )
    assert module.train(config, "grid", 0) == grid and module.train(config, "grid", 1) != grid
