"""The training experiments (batch norm, overfitting) on --quick runs:
the shape of their numbers, their plausibility, and where a quick run is big enough the qualitative result."""

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pytest

from trainlab.lab.lesson import lesson_module

NAMES = ("batchnorm", "overfitting")  # the schedules, regularization and recipes: tests/lessons/


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


# -- batch norm ------------------------------------------------------------------------------------------------
def test_batchnorm_grid_has_sixteen_scales_and_full_curves(quick):
    config, result, summary = quick["batchnorm"]
    assert result.weight_scales == pytest.approx(np.logspace(0, -4, 16).tolist())
    assert len(result.runs) == 2 * 16 * config.seeds and len(summary.rows) == 16
    for r in result.runs:
        assert in_unit_interval(r.accuracy)
        if r.status == "completed":
            assert len(r.accuracy) == config.epochs + 1 and r.diverged_epoch is None
        else:
            assert r.status == "diverged" and 1 <= r.diverged_epoch <= config.epochs
            assert len(r.accuracy) == r.diverged_epoch  # epoch 0 plus the completed epochs
    assert all(r.status == "completed" for r in result.runs if r.batchnorm)


def test_batchnorm_reports_the_diverged_runs_without_crashing(quick):
    _, result, summary = quick["batchnorm"]
    largest = result.of(1.0, False)[0]  # weight scale 1, no batch norm: the loss overflows
    assert largest.status == "diverged"
    assert summary.rows[0][2].startswith("diverged in epoch")
    assert any(line.startswith("Without batch norm training diverged at weight scales 1")
               for line in summary.conclusions)
    assert summary.conclusions[0].startswith("With batch norm the net learned faster")
    figure = lesson_module("batchnorm").plot(result)["accuracy_grid"]
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 16
    plt.close(figure)


def test_batchnorm_speed_is_weighed_against_the_noise():
    module = lesson_module("batchnorm")
    run = module.Run
    runs = [run(1.0, True, s, [0.1, 0.5 + 0.01 * s, 0.8], "completed", None) for s in range(3)]
    runs += [run(1.0, False, s, [0.1], "diverged", 1) for s in range(3)]
    runs += [run(0.1, True, s, [0.1, 0.5 + 0.02 * s, 0.6], "completed", None) for s in range(3)]
    runs += [run(0.1, False, s, [0.1, 0.51 + 0.02 * s, 0.6], "completed", None) for s in range(3)]
    runs += [run(0.01, True, s, [0.1, 0.11, 0.1], "completed", None) for s in range(3)]
    runs += [run(0.01, False, s, [0.1, 0.1, 0.12], "completed", None) for s in range(3)]
    result = module.Result("mnist", 2, [1.0, 0.1, 0.01], [], runs)
    assert [module.verdict(result, s) for s in (1.0, 0.1, 0.01)] == ["batch norm", "level", "neither learned"]
    summary = module.summarize(result)
    assert summary.conclusions[0] == (
        "With batch norm the net learned faster (a higher training accuracy averaged over the 2 epochs, beyond the "
        "seed-to-seed noise) at 1 of 3 weight scales (level at 1, neither learned at 1), where the book says 'in "
        "almost every case': it is not faster at 2 scales.")
    assert summary.conclusions[1].startswith("Without batch norm training diverged at weight scale 1 ")
    plt.close(module.plot(result)["accuracy_grid"])  # a curve with only epoch 0 plots too


# -- overfitting -----------------------------------------------------------------------------------------------
def test_overfitting_keeps_the_book_settings_and_tests_on_every_test_image():
    config = lesson_module("overfitting").Config()
    assert (config.train_samples, config.test_samples, config.epochs, config.dropout_epochs) == (300, None, 201, 301)
    assert (config.lr, config.weight_decay, config.dropout, config.batch_size) == (0.01, 0.1, 0.2, 100)
    assert config.settings == ("plain", "weight decay", "dropout (book)", "dropout (inverted)")


def test_overfitting_curves_have_one_point_per_epoch(quick):
    config, result, summary = quick["overfitting"]
    assert [r.setting for r in result.runs] == list(config.settings)
    assert result.train_samples == config.train_samples and result.test_samples == config.test_samples
    for r in result.runs:
        epochs = config.dropout_epochs if r.setting.startswith("dropout") else config.epochs
        assert r.epochs == epochs and r.status == "completed"
        assert len(r.train_accuracy) == len(r.test_accuracy) == epochs + 1
        assert in_unit_interval(r.train_accuracy + r.test_accuracy)
    assert [row[4] for row in summary.rows] == [f"{r.gap:.3g}" for r in result.runs]


def test_overfitting_quick_run_already_shows_the_book_result(quick):
    _, result, summary = quick["overfitting"]
    plain, decay, book, inverted = result.runs
    assert plain.train_accuracy[-1] >= 0.9 and plain.gap >= 0.1  # 300 samples learned by heart
    assert decay.gap < plain.gap and book.gap < plain.gap
    assert book.train_accuracy[-1] < inverted.train_accuracy[-1]  # the book's form damps the signal
    assert summary.conclusions[0].startswith("Without regularization the net overfits")
    assert summary.conclusions[1].startswith("Weight decay λ = 0.1: train")
    assert "the gap shrank only because both accuracies fell" in summary.conclusions[2]  # the book's dropout


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
