"""overfitting: the book's settings, the nets of a seed start alike, watch's curves, and the measures on
hand-built runs (the dropout-on loss, a diverged run left unmeasured)."""

import dataclasses
import math

import numpy as np
import pytest

import trainlab as tl
from trainlab.lab.lesson import load_lesson
from trainlab.lab.nets import paired_mlp, watch

lesson = load_lesson("overfitting")
module = lesson.module


def test_the_book_settings():
    config = module.Config()
    assert (config.train_samples, config.test_samples, config.epochs, config.dropout_epochs) == (
        300,
        None,
        201,
        301,
    )
    assert (config.lr, config.weight_decay, config.dropout, config.batch_size) == (
        0.01,
        0.1,
        0.2,
        100,
    )
    assert config.hidden == (100,) * 6 and config.small_hidden == (
        50,
    )  # the book's TwoLayerNet is 784-50-10
    assert [
        module.architecture(config, s) for s in ("plain", "smaller net", "bigger net, dropout")
    ] == [(100,) * 6, (50,), (300,) * 6]
    assert module.shape((100,) * 6) == "100x6" and module.shape((50,)) == "50"


def test_the_nets_of_a_seed_start_alike_and_the_book_dropout_scales_at_test_time():
    plain = tl.mlp((20, 20), seed=1)
    dropout = paired_mlp((20, 20), seed=1, dropout=0.2, inverted_dropout=False)
    decay = paired_mlp((20, 20), seed=1, weight_decay=0.1)
    for name, value in plain.params.items():
        np.testing.assert_array_equal(dropout.params[name], value)
        np.testing.assert_array_equal(decay.params[name], value)
    x = np.random.default_rng(0).random((5, 784)).astype(np.float32)
    assert not dropout.layers[2].inverted
    np.testing.assert_allclose(
        dropout.layers[2].forward(x[:, :20], training=False), 0.8 * x[:, :20], rtol=1e-6
    )


def test_watch_measures_every_few_epochs_and_stops_at_a_divergence():
    x = np.random.default_rng(0).random((60, 784)).astype(np.float32)
    y = np.arange(60) % 10
    model = tl.mlp((16,), seed=0).compile("sgd", lr=0.1)
    run = watch(model, x, y, x[:20], y[:20], epochs=5, every=2, batch_size=20)
    assert run["status"] == "completed" and run["epochs"] == [0, 2, 4, 5]
    assert len(run["train"]) == len(run["test_loss"]) == 4 and len(run["batch_loss"]) == 3
    assert run["train"][-1] == model.accuracy(x, y) and run["test"][-1] == model.accuracy(
        x[:20], y[:20]
    )
    assert run["train_loss"][-1] == pytest.approx(model.loss(x, y))
    broken = watch(
        tl.mlp((16,), seed=0).compile("sgd", lr=1e6), x, y, x, y, epochs=5, every=1, batch_size=20
    )
    assert broken["status"] == "diverged" and len(broken["epochs"]) < 6


def run_of(train, test, batch_loss=(1.0,), train_loss=(0.5,), status="completed"):
    return {
        "status": status,
        "train": [0.1, train],
        "test": [0.1, test],
        "batch_loss": list(batch_loss),
        "train_loss": [2.3, *train_loss],
        "test_loss": [2.3, 1.0],
    }


def test_the_measures_on_hand_built_runs():
    config = module.Config()
    assert module.GAP.of(run_of(1.0, 0.75), config) == pytest.approx(0.25)
    assert module.TRAIN_ACCURACY.of(run_of(0.9, 0.7), config) == pytest.approx(0.9)
    assert module.DROPOUT_ON.of(
        run_of(0.7, 0.6, batch_loss=(1.2,), train_loss=(0.9,)), config
    ) == pytest.approx(0.3)
    assert math.isnan(module.GAP.of(run_of(1.0, 0.75, status="diverged"), config))


def test_a_unit_measures_from_epoch_0_and_the_dropout_loss_is_higher_with_dropout_on():
    config = dataclasses.replace(
        module.Config().quick(), epochs=6, dropout_epochs=6, every=3, test_samples=200
    )
    plain, dropout = (module.train(config, s, 0) for s in ("plain", "dropout"))
    assert plain["epochs"] == dropout["epochs"] == [0, 3, 6] and plain["samples"] == 300
    assert (
        plain["train"][0] == dropout["train"][0]
    )  # the same start (inference mode scales by 1 - p)
    assert module.DROPOUT_ON.of(dropout, config) > 0
    assert module.train(config, "more data", 0)["samples"] == config.more_samples
