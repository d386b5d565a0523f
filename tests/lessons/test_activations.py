"""activations: the gradient measure, dead units, the settings' inits, and the rate chosen on validation."""

import math

import numpy as np
import pytest
from notebook_calls import notebook_settings

import trainlab as tl
from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import make_config

lesson = load_lesson("activations")
module = lesson.module


def test_a_setting_names_the_activation_and_its_init():
    assert module.spec("sigmoid@1") == ("sigmoid", 1.0) and module.spec("sigmoid") == (
        "sigmoid",
        "glorot_normal",
    )
    assert module.spec("selu") == ("selu", "lecun_normal") and module.spec("elu") == (
        "elu",
        "he_normal",
    )
    assert module.label("sigmoid@1") == "sigmoid (N(0, 1))" and module.label("relu") == "relu"
    with pytest.raises(ValueError, match="activations"):
        make_config(lesson, quick=True, overrides=["activations=relu,swish2"])


def test_glorot_divides_the_logistics_backward_signal_by_about_4_per_layer():
    """The claim glorot-keeps-sigmoid-gradients contradicts the book for a known reason: the logistic's slope
    at 0 is 1/4, so with Glorot's variance each of the 18 layers from the last hidden one down to the second
    divides the gradient by about 4 (log10 4^-18 = -10.8); He's start keeps a ReLU
    net's within a factor 10."""
    config = make_config(lesson)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((256, 784)).astype(np.float32), rng.integers(0, 10, 256)

    def ratio(setting):
        return module.log_ratio(
            {"grad_norms": module.grad_norms(module.deep_net(setting, config, 0), x, y)}, config
        )

    assert -12.5 < ratio("sigmoid") < -9.5
    assert -1.0 < ratio("relu") < 1.0
    assert (
        ratio("sigmoid") < ratio("sigmoid@1") < ratio("relu")
    )  # N(0, 1) shrinks them too, far less


def test_dead_fraction_counts_units_that_never_fire():
    model = tl.Sequential([tl.Dense(4), tl.ReLU(), tl.Dense(2)], input_dim=3, seed=0)
    model.params["dense1.b"][:] = [-100.0, -100.0, 100.0, 100.0]  # two units can never fire
    x = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    assert module.dead_fraction(model, x) == 0.5
    leaky = tl.Sequential([tl.Dense(4), tl.LeakyReLU(0.2), tl.Dense(2)], input_dim=3, seed=0)
    leaky.params["dense1.b"][:] = -100.0
    assert module.dead_fraction(leaky, x) == 0.0  # a leaky unit's slope is never 0


def test_the_rate_is_chosen_on_the_validation_split_and_runs_of_a_seed_pair():
    config = make_config(lesson, quick=True)
    runs = {s: module.train(config, s, 3) for s in ("relu", "tanh")}
    for run in runs.values():
        best = [max(curve) for curve in run["curves"]]
        assert run["lr"] == config.learning_rates[int(np.argmax(best))] and run[
            "val_accuracy"
        ] == max(best)
        assert len(run["curves"]) == len(config.learning_rates) and 0.5 < run["test_accuracy"] <= 1
        assert len(run["grad_norms"]) == config.depth + 1 and run["dead_before"] >= 0
    again = module.train(config, "relu", 3)
    assert again == runs["relu"]  # a unit is a pure function of its arguments


def test_diverging_rates_leave_nothing_to_measure():
    config = make_config(lesson, quick=True, overrides=["learning_rates=1000000", "epochs=1"])
    run = module.train(config, "relu", 0)
    assert (
        run["status"] == ["diverged"] and math.isnan(run["test_accuracy"]) and math.isnan(run["lr"])
    )
    assert math.isnan(module.ACCURACY.of(run, config)) and math.isfinite(
        module.GRADIENTS.of(run, config)
    )


def test_the_notebook_runs_the_lesson_at_its_declared_notebook_settings():
    assert notebook_settings("08_unstable_gradients", "activations") == [module.Config.NOTEBOOK]
