"""random-vs-grid: the shifted log grid, log-uniform draws, the two searches' points, the best of
the trials, the notes on failed trials, Spearman's rank correlation, the main effects of a grid on a
hand-built search, a repeat's two searches, and the scatter of repeats against the diagonal."""

import dataclasses

import numpy as np
import pytest
from matplotlib.figure import Figure

from trainlab.lab import plots
from trainlab.lab.lesson import load_lesson
from trainlab.lab.search import (
    best_trial,
    log_uniform,
    offset_grid,
    search_points,
    spearman,
    trial_notes,
)

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


def test_the_grid_crosses_its_values_and_random_search_draws_every_point_anew():
    ranges = ((-4.0, -2.0), (-8.0, -4.0))
    grid = search_points("grid", np.random.default_rng(0), ranges, 3)
    random = search_points("random", np.random.default_rng(0), ranges, 3)
    assert len(grid) == len(random) == 9  # the same budget
    lrs, decays = (sorted({p[k] for p in grid}) for k in (0, 1))
    assert len(lrs) == len(decays) == 3 and sorted(grid) == sorted(
        (lr, wd) for lr in lrs for wd in decays
    )
    np.testing.assert_allclose(np.diff(np.log10(decays)), 4 / 3)  # an offset grid on each range
    assert grid != sorted(grid)  # tried in a random order
    assert len({p[0] for p in random}) == 9
    for lr, wd in random:
        assert 1e-4 <= lr <= 1e-2 and 1e-8 <= wd <= 1e-4
    assert search_points("grid", np.random.default_rng(0), ranges, 3) == grid  # the rng decides
    with pytest.raises(ValueError, match="'grid' or 'random'"):
        search_points("sobol", np.random.default_rng(0), ranges, 3)


def test_best_trial_keeps_every_trials_score_and_the_best_net():
    config = dataclasses.replace(module.Config().quick(), epochs=2, hidden=(8,))
    data = module.load_data(config.dataset, config.data_dir, None, config.test_samples)
    split = module.Split(
        *(a[:300] for a in (data.x_train, data.y_train)),
        data.x_train[300:600],
        data.y_train[300:600],
        data.x_test,
        data.y_test,
    )
    points = [(1e-6, 1e-8), (0.3, 1e-8), (1e6, 1e-8)]  # too slow, good, diverging
    trials, best = best_trial(split, points, 7, hidden=(8,), epochs=2, batch_size=100)
    assert [(t["lr"], t["weight_decay"]) for t in trials] == points
    assert [t["status"] for t in trials] == ["completed", "completed", "diverged"]
    scores = [t["score"] for t in trials]
    assert scores[1] == max(scores) > 0.2  # above twice the 10 % of guessing
    assert best.accuracy(split.x_valid, split.y_valid) == pytest.approx(scores[1], abs=1e-4)


def test_trial_notes_say_when_no_trial_learned_and_how_many_diverged():
    trials = [{"score": 0.15, "status": "completed"}, {"score": 0.1, "status": "diverged"}]
    assert trial_notes(trials) == [
        "No trial learned (every validation accuracy near the 10 % of guessing): the nets did "
        "not learn.",
        "1 trials diverged (the loss became NaN or inf); each is scored with the weights it was "
        "left with.",
    ]
    assert trial_notes([{"val": [0.9], "status": "completed"}], lambda t: t["val"][-1]) == []
    assert trial_notes([]) == []


def test_against_draws_the_diagonal_over_the_points_span():
    ax = Figure().subplots()
    plots.against(ax, [0.5, 0.7], [0.6, 0.9], margin=0.1)
    (diagonal,) = ax.get_lines()
    np.testing.assert_allclose(diagonal.get_xydata(), [[0.4, 0.4], [1.0, 1.0]])
    np.testing.assert_allclose([ax.get_xlim(), ax.get_ylim()], [[0.4, 1.0], [0.4, 1.0]])
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[0.5, 0.6], [0.7, 0.9]])
    empty = Figure().subplots()
    plots.against(empty, [], [])
    assert not empty.get_lines()


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
