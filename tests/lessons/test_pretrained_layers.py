"""pretrained-layers: the tasks' split, the book's numbers, one unit per seed, and the numbers of
the old lesson."""

import dataclasses
import math

import numpy as np
import pytest
from notebook_calls import notebook_settings

from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import make_config

lesson = load_lesson("pretrained-layers")
module = lesson.module


def test_task_a_is_the_other_eight_classes_and_task_b_is_shirt_against_sandal():
    x = np.arange(10, dtype=np.float32)[:, None]
    (xa, ya), (xb, yb) = module.split(x, np.arange(10), (5, 6))
    assert ya.tolist() == list(range(8)) and xa[:, 0].tolist() == [0, 1, 2, 3, 4, 7, 8, 9]
    assert yb.tolist() == [0, 1] and xb[:, 0].tolist() == [5, 6]  # shirt (6) is the positive class


def test_the_error_ratio_and_the_books_numbers():
    assert module.error_ratio(module.BOOK_SCRATCH, module.BOOK_REUSED, 2000) == pytest.approx(
        2.95 / 0.75
    )
    assert module.error_ratio(0.98, 1.0, 2000) == pytest.approx(
        0.02 / 0.00025
    )  # no error: half an image
    assert math.isnan(module.error_ratio(math.nan, 0.9, 2000))
    claim = next(c for c in lesson.claims if c.id == "error-divided-by-4")
    assert (
        claim.b[0] < module.error_ratio(module.BOOK_SCRATCH, module.BOOK_REUSED, 2000) < claim.b[1]
    )


def test_one_unit_runs_every_setting_of_a_seed_with_the_old_lessons_numbers():
    """The design did not change: seed 0 of the old lesson's quick settings (all of Fashion-MNIST) gives
    what the old lesson gave (0.931 from scratch, 0.635 reused, 0.55 after the frozen phase), up to a
    test image or two of BLAS rounding."""
    assert lesson.about.unit == "seed"
    config = dataclasses.replace(
        make_config(lesson, quick=True), train_samples=None, test_samples=None
    )
    run = module.train(config, None, 0)
    assert set(run) == set(module.settings(config))
    assert run["scratch"]["test_accuracy"] == pytest.approx(0.931, abs=0.002)
    assert run["reused"]["test_accuracy"] == pytest.approx(0.635, abs=0.002)
    assert run["frozen"]["test_accuracy"] == pytest.approx(0.55, abs=0.002)
    assert run["reused"]["error_ratio"] == pytest.approx((1 - 0.931) / (1 - 0.635), rel=0.02)


def test_the_notebook_runs_the_lesson_at_its_declared_notebook_settings():
    assert notebook_settings("09_reusing_layers", "pretrained-layers") == [module.Config.NOTEBOOK]
