"""two-layer-net (DLfS 4.5, 5.7.4; 4.2's two losses): pairing, the book's squared error, the
measures, a quick run."""

import math

import numpy as np
import pytest

from trainlab.lab.runner import run_lesson
from trainlab.lessons import two_layer_net as lesson


@pytest.fixture(scope="module")
def quick():
    return run_lesson("two-layer-net", quick=True)


def test_the_book_settings():
    config = lesson.Config()
    assert (config.hidden, config.init_std, config.lr, config.batch_size) == (50, 0.01, 0.1, 100)
    assert (config.iterations, config.dataset) == (10000, "mnist")
    assert (
        config.train_samples is None and config.test_samples is None
    )  # all 60,000 and 10,000 images


def test_the_three_forms_start_from_the_same_weights():
    config = lesson.Config()
    nets = {setting: lesson.build(config, setting, 3) for setting in lesson.settings(config)}
    for name in ("dense1.W", "dense2.W"):
        assert np.array_equal(nets["sigmoid"].params[name], nets["mse"].params[name])
        assert np.array_equal(nets["sigmoid"].params[name], nets["relu"].params[name])


def test_the_squared_error_arm_is_the_books_half_sum_of_squares():
    """trainlab's mse is the mean over the 10 outputs; the arm's rate × 5 makes the
    steps of ½Σ(y - t)² at η."""
    config = lesson.Config()
    net = lesson.build(config, "mse", 0)
    x = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    t = np.array([1, 4, 7, 9])
    y = net.predict(x)
    book = np.mean(0.5 * np.sum((y - np.eye(10)[t]) ** 2, axis=1))
    assert lesson.CLASSES / 2 * net.loss(x, t) == pytest.approx(book, rel=1e-5)


def test_the_measures_on_hand_made_runs():
    config = lesson.Config()
    run = {
        "status": "completed",
        "test_curve": [0.5, 0.85, 0.95],
        "train_accuracy": [0.8, 0.9],
        "test_accuracy": [0.79, 0.87],
        "loss": [2.3] * 50 + [0.2] * 100,
        "final_test": 0.95,
    }
    assert lesson.TO_LEVEL.of(run, config) == 300  # 0.9 first reached at the third check
    assert (
        lesson.TO_LEVEL.of({**run, "test_curve": [0.5, 0.6]}, config)
        == config.iterations + config.eval_every
    )
    assert lesson.GAP.of(run, config) == pytest.approx(0.03)
    assert lesson.FINAL_LOSS.of(run, config) == pytest.approx(0.2)
    assert math.isnan(lesson.GAP.of({**run, "status": "diverged"}, config))


def test_a_quick_run_learns_and_cross_entropy_is_faster(quick):
    config = quick.config
    for setting in ("sigmoid", "relu", "mse"):
        for run in quick.runs.of(setting):
            assert run["status"] == "completed" and len(run["loss"]) == config.iterations
            assert run["loss"][0] == pytest.approx(
                math.log(10) if setting != "mse" else 0.09, abs=0.01
            )
            assert (
                len(run["train_accuracy"]) == config.iterations // 80
            )  # 8,000 images in batches of 100
    verdicts = {e.claim.id: e.verdict for e in quick.evaluations}
    assert verdicts["loss-falls"] == verdicts["cross-entropy-faster"] == "agrees"


def test_the_breaking_setting_fails_every_form():
    broken = run_lesson("two-layer-net", quick=True, **lesson.BREAKS)
    assert all(
        run["status"] == "diverged" for s in ("sigmoid", "relu") for run in broken.runs.of(s)
    )
    assert all(run["final_test"] < 0.2 for run in broken.runs.of("mse"))
    notes = " ".join(broken.notes())
    assert notes.count("diverged") == 2 and "did not learn" in notes
