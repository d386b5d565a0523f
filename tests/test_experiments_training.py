"""The training experiments (schedules, regularization, recipes) on --quick runs:
the shape of their numbers, their plausibility, and where a quick run is big enough the qualitative result."""

import dataclasses
import math

import numpy as np
import pytest

import trainlab as tl
from trainlab.lab.lesson import lesson_module

NAMES = ("lr-schedules", "regularization", "recipes")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """name -> (config, result, summary) of each experiment's quick run (computed once).

    Module-scoped, so it runs before the function-scoped ``isolated_data_cache``: it isolates itself.
    """
    runs = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRAINLAB_CACHE", str(tmp_path_factory.mktemp("cache")))
        patch.setenv("TRAINLAB_OFFLINE", "1")
        for name in NAMES:
            module = lesson_module(name)
            config = module.Config().quick()
            if config.dataset == "mnist":  # tests train on mnist-mini, as they did before MNIST shipped
                config = dataclasses.replace(config, dataset="mnist-mini")
            result = module.run(config)
            runs[name] = (config, result, module.summarize(result))
    return runs


def in_unit_interval(values) -> bool:
    values = np.asarray(values, dtype=float)
    return bool(np.all((values >= 0) & (values <= 1)))


# -- learning-rate schedules -------------------------------------------------------------------------------------
def test_lr_schedules_keep_the_books_settings():
    config = lesson_module("lr-schedules").Config()
    assert (config.epochs, config.plateau_patience, config.plateau_factor) == (25, 5, 0.5)
    assert (config.power_steps, config.exponential_epochs, config.piecewise_epochs) == (10000, 20.0, (5, 15))


def test_lr_schedules_curves_follow_their_schedule(quick):
    config, result, summary = quick["lr-schedules"]
    runs = {r.schedule: r for r in result.runs}
    assert list(runs) == list(config.schedules) and len(summary.rows) == 6
    total = result.steps_per_epoch * config.epochs
    assert result.lr_steps[0] == 0 and result.lr_steps[-1] < total
    for r in result.runs:
        assert r.status == "completed" and len(r.lr_curve) == len(result.lr_steps)
        assert len(r.val_accuracy) == len(r.val_loss) == len(r.train_loss) == len(r.lr_per_epoch) == config.epochs
        assert in_unit_interval([*r.val_accuracy, r.test_accuracy]) and min(r.val_loss) > 0
        assert r.test_accuracy > 0.5
    assert set(runs["constant"].lr_curve) == {config.lr}
    for name in ("power", "exponential", "piecewise", "performance"):
        assert runs[name].lr_curve[0] == pytest.approx(config.lr)
        assert np.all(np.diff(runs[name].lr_curve) <= 1e-12), name
    assert np.all(np.diff(runs["power"].lr_curve) < 0) and np.all(np.diff(runs["exponential"].lr_curve) < 0)
    assert set(np.round(runs["piecewise"].lr_curve, 12)) == {config.lr, config.lr / 2, config.lr / 10}
    steps = np.array(result.lr_steps)
    power = config.lr / (1 + steps / config.power_steps)
    assert runs["power"].lr_curve == pytest.approx(power.tolist(), rel=1e-5)
    one_cycle = np.array(runs["1cycle"].lr_curve)
    peak = int(np.argmax(one_cycle))
    assert 0.8 * config.one_cycle_max_lr < one_cycle[peak] <= config.one_cycle_max_lr
    assert one_cycle[0] == pytest.approx(config.one_cycle_max_lr / 10) and one_cycle[-1] < one_cycle[0]
    assert 0 < peak < len(one_cycle) - 1


def test_lr_schedules_summary_compares_with_the_constant_rate(quick):
    _, _, summary = quick["lr-schedules"]
    assert len(summary.conclusions) == 6
    assert summary.conclusions[0].startswith("Power scheduling ")
    assert "the book's 'can speed up convergence considerably'" in summary.conclusions[1]  # exponential
    assert summary.conclusions[-1].startswith("Performance scheduling (η · 0.5 after 1 epochs")
    assert any("momentum 0.9 and batches of 32" in note for note in summary.notes)  # where it differs from the book
    with pytest.raises(ValueError, match="unknown schedule 'cosine'"):
        lesson_module("lr-schedules").make_schedule("cosine", lesson_module("lr-schedules").Config(), 100)


# -- regularization ----------------------------------------------------------------------------------------------
def test_regularization_runs_every_recipe(quick):
    config, result, summary = quick["regularization"]
    runs = {r.recipe: r for r in result.runs}
    assert list(runs) == list(config.recipes) and len(summary.rows) == len(config.recipes) + 1  # + MC dropout
    for r in result.runs:
        assert 1 <= r.epochs <= config.epochs and len(r.train_accuracy) == len(r.val_accuracy) == r.epochs
        assert in_unit_interval(r.train_accuracy + r.val_accuracy + [r.final_train_accuracy, r.test_accuracy])
    for name in ("baseline", "l2", "dropout", "alpha dropout", "max-norm"):
        assert runs[name].status == "completed" and runs[name].epochs == config.epochs
    stopping = runs["early stopping"]
    assert stopping.restored_epoch is not None and 1 <= stopping.restored_epoch <= stopping.epochs
    assert any(line.startswith(("As in the book, early stopping on the validation loss restored epoch",
                                "Unlike the book, early stopping")) for line in summary.conclusions)
    assert runs["baseline"].gap > runs["dropout"].gap  # dropout shrinks the gap already in the quick run
    # the setup's difference from the book in the run's own numbers (the quick ones), never the full-size ones
    assert "Unlike the book, the nets train on 1,000 of the training images for 3 epochs (so that the baseline " \
        "overfits within minutes on two cores), and the L2 recipe is L2(0.001) on every weight matrix instead of " \
        "the book's 0.01 (which makes this net under-fit)." in summary.notes[0]


def test_regularization_mc_dropout_measures_uncertainty(quick):
    config, result, summary = quick["regularization"]
    mc = result.of("dropout")[0].monte_carlo
    assert all(r.monte_carlo is None for r in result.runs if r.recipe != "dropout")
    assert mc.samples == config.mc_samples
    assert in_unit_interval([mc.plain_accuracy, mc.mc_accuracy])
    assert abs(mc.mc_accuracy - mc.plain_accuracy) < 0.05
    assert mc.std_wrong > mc.std_correct > 0  # the spread is larger on the mistakes
    assert len(mc.images) == len(mc.labels) == len(mc.mean) == config.mc_images
    assert all(len(image) == 784 for image in mc.images)
    assert np.allclose(np.sum(mc.mean, axis=1), 1, atol=1e-4) and np.min(mc.std) >= 0
    predicted = np.argmax(mc.mean, axis=1)
    half = config.mc_images // 2
    assert np.all(predicted[:half] == mc.labels[:half]) and np.all(predicted[half:] != mc.labels[half:])
    assert "flags doubtful answers" in summary.conclusions[-1]
    assert "paired by seed" in summary.conclusions[-2]
    assert len(result.class_names) == 10 and result.class_names[9] == "Ankle boot"


def test_regularization_nets_are_built_as_described():
    module = lesson_module("regularization")
    config = module.Config()
    alpha, _ = module.build("alpha dropout", config, seed=0)
    assert any(isinstance(layer, tl.AlphaDropout) for layer in alpha.layers)
    assert any(isinstance(layer, tl.SELU) for layer in alpha.layers)
    model, _ = module.build("max-norm", config, seed=0)
    model.compile("nadam", lr=0.1)
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(64, 784)) * 5, rng.integers(0, 10, 64), epochs=2, verbose=0)
    hidden = [layer for layer in model.layers if isinstance(layer, tl.Dense)][:-1]
    assert all(np.linalg.norm(layer.params["W"], axis=0).max() <= config.max_norm + 1e-5 for layer in hidden)
    with pytest.raises(ValueError, match="unknown recipe"):
        module.build("l3", config, seed=0)


# -- recipes -----------------------------------------------------------------------------------------------------
def test_recipes_compare_the_two_configurations(quick):
    config, result, summary = quick["recipes"]
    assert [r.name for r in result.runs] == ["default", "self-normalizing"]
    for r in result.runs:
        assert 1 <= r.epochs <= config.epochs and len(r.val_accuracy) == len(r.val_loss) == r.epochs
        assert in_unit_interval([*r.val_accuracy, r.test_accuracy]) and r.test_accuracy > 0.5
        for stats in (r.initial, r.trained):
            assert len(stats.mean) == len(stats.std) == config.depth
    assert set(result.seconds) == {"default", "self-normalizing"} and min(result.seconds.values()) > 0
    assert "seconds" not in dataclasses.asdict(result)  # timings never reach metrics.json
    assert [row[6] for row in summary.rows] == [f"{result.seconds[r.name]:.1f}" for r in result.runs]
    assert summary.conclusions[0].startswith("The default configuration's test accuracy")


def test_recipes_selu_net_is_self_normalizing_at_initialization(quick):
    _, result, summary = quick["recipes"]
    selu = next(r for r in result.runs if r.name == "self-normalizing")
    assert max(abs(m) for m in selu.initial.mean) < 0.1
    assert all(0.85 < s < 1.15 for s in selu.initial.std)
    default = next(r for r in result.runs if r.name == "default")
    assert all(0.5 < s < 1.2 for s in default.initial.std)  # batch norm normalizes every layer
    assert any("self-normalizing net the activations" in line for line in summary.conclusions)


def test_recipes_activation_stats_leave_the_model_unchanged():
    module = lesson_module("recipes")
    config = dataclasses.replace(module.Config(), depth=3)
    model, _ = module.build("default", config, seed=0)
    before = model.state_dict()
    x = np.random.default_rng(0).normal(size=(50, 784)).astype(np.float32)
    stats = module.activation_stats(model, x, batch_statistics=True)
    assert all(np.array_equal(before[key], value) for key, value in model.state_dict().items())
    assert len(stats.std) == 3 and all(math.isfinite(s) for s in stats.std)
    assert module.normalized(module.LayerStats([0.1, -0.2], [0.9, 1.3]))
    assert not module.normalized(module.LayerStats([0.1, 0.9], [0.9, 1.3]))


def test_shared_helpers_hold_out_standardize_and_standard_error():
    from trainlab.lab.common import hold_out, standard_error, standardize

    x, y = np.arange(120, dtype=np.float32).reshape(60, 2), np.arange(60)
    x_train, y_train, x_valid, y_valid = hold_out(x, y, 5000)  # at most a sixth is held out
    assert len(x_valid) == 10 and np.array_equal(y_valid, np.arange(50, 60))
    assert len(x_train) == 50 and np.array_equal(y_train, np.arange(50))
    x = np.random.default_rng(0).normal(3, 2, size=(500, 3)).astype(np.float32)
    x[:, 2] = 1.0  # a constant feature is only centred
    train, other = standardize(x, x[:10] + 1)
    assert np.allclose(train[:, :2].mean(axis=0), 0, atol=1e-5) and np.allclose(train[:, :2].std(axis=0), 1, atol=1e-4)
    assert np.all(train[:, 2] == 0) and np.all(other[:, 2] == 1) and train.dtype == np.float32
    assert standard_error(0.5, 100) == pytest.approx(0.05) and standard_error(1.0, 100) == 0
