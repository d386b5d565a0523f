"""batchnorm-regularizer: steps to the target on hand-built runs (never reached: the budget + 1),
the gap of the few-image nets, a unit that stops once the target is reached (trainlab.lab.nets's
train_until, also on its budget and on divergence), and the figure's curves (plots.watched_curve,
plots.seed_lines)."""

import dataclasses
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

import trainlab as tl
from trainlab.lab import plots
from trainlab.lab.lesson import Runs, load_lesson
from trainlab.lab.nets import train_until

lesson = load_lesson("batchnorm-regularizer")
module = lesson.module
CONFIG = module.Config()


def test_the_settings_restate_the_books_overfitting_setup():
    assert (CONFIG.small_samples, CONFIG.small_hidden, CONFIG.small_epochs, CONFIG.small_batch) == (
        300,
        (100,) * 6,
        201,
        100,
    )
    assert (CONFIG.hidden, CONFIG.lr, CONFIG.batch_size, CONFIG.target) == (
        (100,) * 4,
        0.01,
        128,
        0.95,
    )


def test_steps_to_the_target():
    run = {
        "status": "completed",
        "steps": [0, 100, 200, 300],
        "validation": [0.1, 0.9, 0.96, 0.97],
        "budget": 4300,
    }
    assert module.SPEED.of(run, CONFIG) == 200
    never = {**run, "validation": [0.1, 0.5, 0.8, 0.9]}
    assert module.SPEED.of(never, CONFIG) == 4301
    assert math.isnan(module.GAP.of(run, CONFIG))  # a speed run has no gap


def test_the_gap_of_a_few_image_net():
    run = {"status": "completed", "train": [0.1, 1.0], "test": [0.1, 0.6]}
    assert module.GAP.of(run, CONFIG) == pytest.approx(0.4)
    assert math.isnan(module.GAP.of({**run, "status": "diverged"}, CONFIG))
    assert math.isnan(module.SPEED.of(run, CONFIG))


def test_a_speed_unit_stops_once_it_reaches_the_target():
    config = dataclasses.replace(CONFIG.quick(), target=0.3, epochs=4)
    run = module.train(config, "batch norm, all images", 0)
    assert run["validation"][-1] >= 0.3 and all(v < 0.3 for v in run["validation"][:-1])
    assert run["steps"][-1] < run["budget"] and run["steps"] == sorted(set(run["steps"]))
    assert module.SPEED.of(run, config) == run["steps"][-1]


def test_train_until_stops_at_its_budget_and_on_divergence():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 784)).astype(np.float32), rng.integers(0, 10, 50)
    model = tl.mlp((8,), seed=0).compile("sgd", lr=0.01)
    run = train_until(model, x, y, x, y, target=1.1, epochs=3, every=4, batch_size=20)
    assert run["budget"] == 9 and run["steps"] == [
        0,
        4,
        8,
        9,
    ]  # 3 batches an epoch; a last stretch of 1
    assert run["status"] == "completed" and len(run["validation"]) == 4
    assert run["validation"][-1] == model.accuracy(x, y)
    exploding = tl.mlp((8,), seed=0).compile("sgd", lr=1e12)
    run = train_until(exploding, x * 1e6, y, x, y, target=1.1, epochs=3, every=4, batch_size=20)
    assert run["status"] == "diverged" and run["steps"] == [0]


def test_the_figures_curves_follow_the_runs():
    first = {
        "status": "completed",
        "epochs": [0, 10, 20],
        "train": [0.1, 0.8, 1.0],
        "steps": [0, 100],
        "validation": [0.1, 0.5],
    }
    broke = {
        "status": "diverged",
        "epochs": [0, 10],
        "train": [0.1, 0.9],
        "steps": [0],
        "validation": [0.1],
    }
    runs = Runs(CONFIG, ["a"], [0, 1], {("a", 0): first, ("a", 1): broke})
    ax = Figure().subplots()
    curves = plots.watched_curve(ax, runs, "a", "train", label="train")
    np.testing.assert_array_equal(curves, [[0.1, 0.8, 1.0], [0.1, 0.9, np.nan]])
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0, 10, 20])  # the longest run
    ax = Figure().subplots()
    assert plots.seed_lines(ax, runs, "a", "steps", "validation", label="a") == [[0.1, 0.5], [0.1]]
    assert len(ax.get_lines()) == 2  # a line per seed
    assert ax.get_legend_handles_labels()[1] == ["a"]  # one entry for all the seeds
