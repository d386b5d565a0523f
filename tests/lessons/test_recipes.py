"""recipes: the two tables' nets, activation statistics that leave the model alone, the factor by which a
layer's scale strays from 1, and the dropout probe: plain dropout moves an untrained SELU net off its fixed
point, alpha dropout keeps it there."""

import dataclasses
import math

import numpy as np
import pytest

import trainlab as tl
from trainlab.lab.lesson import load_lesson

lesson = load_lesson("recipes")
module = lesson.module


def standard_inputs(n=500):
    return np.random.default_rng(0).standard_normal((n, 784)).astype(np.float32)


def test_the_two_tables_nets():
    config = dataclasses.replace(module.Config(), depth=3)
    default = [type(layer).__name__ for layer in module.build("default", config, 0).layers]
    assert default == ["Dense", "BatchNorm", "ELU"] * 3 + ["Dense"]
    selu = [type(layer).__name__ for layer in module.build("self-normalizing", config, 0).layers]
    assert selu == ["Dense", "SELU"] * 3 + ["AlphaDropout", "Dense"]
    probe = module.build("self-normalizing", config, 0, tl.Dropout, 0.2)
    assert [type(layer).__name__ for layer in probe.layers][:3] == ["Dropout", "Dense", "SELU"]


def test_factor_is_how_far_the_scale_strays_from_one():
    assert module.factor([1.0, 1.0]) == pytest.approx(1.0)
    assert module.factor([1.0, 2.0, 0.8]) == pytest.approx(2.0)
    assert module.factor([0.25, 1.5]) == pytest.approx(4.0)
    assert math.isnan(module.factor([1.0, math.nan])) and math.isnan(module.factor([]))


def test_activation_stats_in_training_mode_leave_the_model_unchanged():
    config = dataclasses.replace(module.Config(), depth=3)
    model = module.build("default", config, seed=0)
    before = model.state_dict()
    stats = module.activation_stats(model, standard_inputs(50), training=True)
    assert all(np.array_equal(before[key], value) for key, value in model.state_dict().items())
    assert len(stats["std"]) == 3 and all(
        0.5 < s < 1.0 for s in stats["std"]
    )  # ELU of N(0, 1): std 0.77


def test_plain_dropout_moves_an_untrained_selu_net_off_its_fixed_point_and_alpha_dropout_does_not():
    """20 SELU layers with dropout 0.2 before each, dropout active: with alpha dropout every layer keeps
    std 1 ± 6 %; with plain dropout (x / 0.8 on the kept units) the std climbs to about 1.45."""
    config = module.Config()
    x = standard_inputs()
    alpha = module.activation_stats(
        module.build("self-normalizing", config, 0, tl.AlphaDropout, 0.2), x, True
    )
    plain = module.activation_stats(
        module.build("self-normalizing", config, 0, tl.Dropout, 0.2), x, True
    )
    none = module.activation_stats(module.build("self-normalizing", config, 0), x)
    assert module.factor(alpha["std"]) < 1.1 and module.factor(none["std"]) < 1.1
    assert 1.3 < plain["std"][-1] < 1.6 and module.factor(plain["std"]) > 1.3
    assert max(abs(m) for m in alpha["mean"]) < 0.05 < plain["mean"][-1]


def test_a_unit_records_the_probe_only_for_the_self_normalizing_net():
    config = dataclasses.replace(
        module.Config().quick(),
        train_samples=2000,
        depth=3,
        epochs=1,
        test_samples=200,
        stats_samples=100,
    )  # a sweep of 63 steps
    selu, default = module.train(config, "self-normalizing", 0), module.train(config, "default", 0)
    assert "plain_dropout" in selu and "plain_dropout" not in default
    assert (
        math.isnan(module.DROPOUT_PROBE.of(default, config))
        and module.DROPOUT_PROBE.of(selu, config) > 0
    )
    for run in (selu, default):
        assert run["peak_lr"] < run["turn_lr"] and len(run["trained"]["std"]) == 3
        assert run["lr"][0] <= run["peak_lr"] * 1.01  # 1cycle never exceeds its peak
    assert module.train(config, "default", 0) == default  # a pure function of its arguments
