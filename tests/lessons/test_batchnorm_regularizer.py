"""batchnorm-regularizer: steps to the target on hand-built runs (never reached: the budget + 1),
the gap of the few-image nets, and a unit that stops once the target is reached."""

import dataclasses
import math

import pytest

from trainlab.lab.lesson import load_lesson

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
