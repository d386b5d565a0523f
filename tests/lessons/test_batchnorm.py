"""batchnorm: the book's 16 weight scales, nets that pair by seed, and the measures on hand-built
runs (a diverged net counts at chance from then on)."""

import dataclasses
import math

import numpy as np
import pytest

import trainlab as tl
from trainlab.lab.lesson import load_lesson
from trainlab.lab.nets import paired_mlp

lesson = load_lesson("batchnorm")
module = lesson.module
CONFIG = dataclasses.replace(module.Config(), epochs=4)


def test_the_book_settings():
    config = module.Config()
    assert module.weight_scales(config) == pytest.approx(np.logspace(0, -4, 16).tolist())
    assert (
        config.train_samples,
        config.hidden_units,
        config.depth,
        config.lr,
        config.batch_size,
        config.epochs,
    ) == (1000, 100, 5, 0.01, 100, 20)
    assert config.batchnorm_epsilon == 1e-6  # the book's 10e-7
    assert module.settings(config) == ("weight scales", "2 layers", "5 layers", "20 layers")


def test_the_batchnorm_net_starts_from_the_plain_nets_weights():
    plain = tl.mlp((30, 30), init=0.01, seed=3)
    normed = paired_mlp((30, 30), init=0.01, seed=3, batchnorm=True, batchnorm_epsilon=1e-6)
    assert [type(layer).__name__ for layer in normed.layers] == [
        "Dense",
        "BatchNorm",
        "ReLU",
    ] * 2 + ["Dense"]
    for name, value in plain.params.items():
        np.testing.assert_array_equal(normed.params[name], value)
    assert all(layer.epsilon == 1e-6 for layer in normed.layers if isinstance(layer, tl.BatchNorm))
    other = paired_mlp((30, 30), init=0.01, seed=4, batchnorm=True)
    assert not np.array_equal(other.params["dense1.W"], plain.params["dense1.W"])


def grid_run(batchnorm, plain):
    return {
        "scales": [1.0, 0.1, 0.01][: len(batchnorm)],
        "batchnorm": batchnorm,
        "plain": plain,
        "batchnorm_status": ["completed"] * len(batchnorm),
        "plain_status": ["completed"] * len(plain),
    }


def test_speed_is_the_mean_accuracy_over_the_epochs_and_chance_after_a_divergence():
    assert module.speed([0.1, 0.5, 0.6, 0.7, 0.8], CONFIG) == pytest.approx(0.65)
    assert module.speed([0.1, 0.5], CONFIG) == pytest.approx(
        (0.5 + 0.1 * 3) / 4
    )  # diverged after epoch 1
    assert module.final([0.1, 0.5], CONFIG) == pytest.approx(0.1)


def test_share_faster_and_learned_gain_on_hand_built_runs():
    fast, slow, nothing = [0.1, 0.6, 0.8, 0.9, 0.95], [0.1, 0.2, 0.4, 0.6, 0.7], [0.1] * 5
    run = grid_run([fast, fast, slow], [slow, [0.1], nothing])
    assert module.share_faster(run, CONFIG) == pytest.approx(1.0)
    assert (
        module.LEARNED_GAIN.of(run, CONFIG) == 3 - 1
    )  # the plain net ends above 0.5 at one scale only
    run = grid_run([slow, nothing, nothing], [fast, nothing, nothing])
    assert module.share_faster(run, CONFIG) == 0.0  # a tie is not faster
    assert module.LEARNED_GAIN.of(run, CONFIG) == 0
    he = {
        "batchnorm": fast,
        "plain": slow,
        "batchnorm_status": "completed",
        "plain_status": "completed",
    }
    assert module.GAIN.of(he, CONFIG) == pytest.approx(0.8125 - 0.475)
    assert math.isnan(module.share_faster(he, CONFIG)) and math.isnan(
        module.LEARNED_GAIN.of(he, CONFIG)
    )


def test_a_unit_pairs_the_nets_and_reports_a_divergence():
    config = dataclasses.replace(module.Config().quick(), epochs=2, scales=2)
    run = module.train(config, "weight scales", 0)
    assert run["scales"] == [1.0, 1e-4]
    assert (
        run["plain_status"][0] == "diverged" and len(run["plain"][0]) < config.epochs + 1
    )  # std 1 overflows
    assert all(len(curve) == config.epochs + 1 for curve in run["batchnorm"])
    assert run["batchnorm_status"] == ["completed", "completed"]  # batch norm survives std 1
    again = module.train(config, "weight scales", 0)
    assert again == run  # a pure function of its arguments
