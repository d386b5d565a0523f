"""regularization: the nets as the book builds them, MC dropout measured per image on the same test set (with
batch norm kept in inference mode, or forced into training mode), and the quick run's large effects."""

import dataclasses
import math

import numpy as np
import pytest

import trainlab as tl
from trainlab.lab.lesson import load_lesson
from trainlab.lab.notebook import run_lesson

lesson = load_lesson("regularization")
module = lesson.module


def kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def test_the_nets_are_built_as_the_book_builds_them():
    config = module.Config()
    assert kinds(module.build("baseline", config, 0)) == ["Dense", "ELU", "Dense", "ELU", "Dense"]
    assert kinds(module.build("dropout", config, 0)) == [
        "Dropout",
        "Dense",
        "ELU",
        "Dropout",
        "Dense",
        "ELU",
        "Dropout",
        "Dense",
    ]
    assert kinds(module.build("alpha dropout", config, 0)) == [
        "AlphaDropout",
        "Dense",
        "SELU",
        "AlphaDropout",
        "Dense",
        "SELU",
        "AlphaDropout",
        "Dense",
    ]
    assert kinds(module.build("dropout + batch norm", config, 0)).count("BatchNorm") == 2
    l2 = module.build("l2", config, 0)
    assert all(layer.regularizer is not None for layer in l2.layers if isinstance(layer, tl.Dense))
    model = module.build("max-norm", config, 0).compile("nadam", lr=0.1)
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(64, 784)) * 5, rng.integers(0, 10, 64), epochs=2, verbose=0)
    hidden = [layer for layer in model.layers if isinstance(layer, tl.Dense)][:-1]
    assert all(
        np.linalg.norm(layer.params["W"], axis=0).max() <= config.max_norm + 1e-5
        for layer in hidden
    )


def test_log_loss_by_hand():
    probabilities = np.array([[0.5, 0.5], [0.9, 0.1], [1.0, 0.0]])
    assert module.log_loss(probabilities, np.array([0, 1, 1])) == pytest.approx(
        -(math.log(0.5) + math.log(0.1) + math.log(1e-7)) / 3
    )


def test_monte_carlo_without_dropout_is_the_plain_prediction():
    x = np.random.default_rng(1).normal(size=(300, 784)).astype(np.float32)
    y = np.random.default_rng(2).integers(0, 10, 300)
    model = tl.Sequential([tl.Dense(20), tl.ELU(), tl.Dense(10)], input_dim=784, seed=0).compile(
        "sgd"
    )
    mc = module.monte_carlo(
        model, x, y, dataclasses.replace(module.Config(), mc_samples=3), batch_norm=False
    )
    assert mc["mc_accuracy"] == mc["plain_accuracy"] and mc["mc_log_loss"] == pytest.approx(
        mc["plain_log_loss"]
    )
    assert mc["std_right"] == pytest.approx(0, abs=1e-6) and len(mc["shown"]["index"]) == 6


def test_batch_norm_forced_into_training_mode_normalizes_each_batch_by_itself():
    """With batches of one image, batch norm in training mode maps every image to β: one class for all."""
    x = np.random.default_rng(1).normal(size=(200, 784)).astype(np.float32)
    y = np.arange(200) % 10
    model = tl.Sequential(
        [tl.Dense(20), tl.BatchNorm(), tl.ELU(), tl.Dropout(0.2), tl.Dense(10)],
        input_dim=784,
        seed=0,
    ).compile("sgd")
    config = dataclasses.replace(module.Config(), mc_samples=2, mc_batch=1)
    before = model.get_weights()
    mc = module.monte_carlo(model, x, y, config, batch_norm=True)
    assert mc["forced_accuracy"] == pytest.approx(
        0.1
    )  # the same class for every image: a tenth are right
    assert all(
        np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True)
    )  # a copy was used


def test_the_measures_on_hand_built_runs():
    run = {
        "status": "completed",
        "train_accuracy": 0.99,
        "test_accuracy": 0.85,
        "val_loss": [1.0, 0.9],
        "mc_accuracy": 0.862,
        "plain_accuracy": 0.86,
        "mc_log_loss": 0.40,
        "plain_log_loss": 0.45,
        "std_right": 0.05,
        "std_wrong": 0.2,
        "forced_accuracy": 0.80,
    }
    assert module.GAP.of(run, None) == pytest.approx(0.14) and module.EPOCHS.of(run, None) == 2
    assert module.MC_GAIN.of(run, None) == pytest.approx(0.002)
    assert module.MC_LOG_LOSS.of(run, None) == pytest.approx(0.05)
    assert module.MC_SPREAD.of(run, None) == pytest.approx(0.15) and module.BN_MODE.of(
        run, None
    ) == pytest.approx(0.062)
    assert math.isnan(module.GAP.of({**run, "status": "diverged"}, None))
    assert math.isnan(
        module.MC_GAIN.of({"status": "completed", "test_accuracy": 0.8}, None)
    )  # no MC here


def test_the_quick_run_shows_the_large_effects():
    """At quick size dropout already narrows the gap, and MC dropout's spread is larger on the images it gets
    wrong, seed by seed."""
    run = run_lesson("regularization", quick=True)
    for seed in run.runs.seeds:
        dropout, baseline = run.runs.get("dropout", seed), run.runs.get("baseline", seed)
        assert module.GAP.of(dropout, run.config) < module.GAP.of(baseline, run.config) - 0.02
        assert dropout["std_wrong"] > dropout["std_right"] > 0
        assert run.runs.get("early stopping", seed)["restored_epoch"] is not None
    verdicts = {e.claim.id: e.verdict for e in run.evaluations}
    assert (
        verdicts["mc-dropout-uncertainty"] == "agrees"
        and verdicts["dropout-less-overfitting"] == "agrees"
    )
