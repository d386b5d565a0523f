"""The experiments of Deep Learning from Scratch ch. 4-6 (and the optimizer table): quick runs, their numbers.

Each experiment runs once with its quick settings; the tests check the shape of the result (lengths,
keys, ranges) and, where a quick run is big enough to show it, the qualitative result the book reports.
"""

import itertools
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from trainlab.activations import Sigmoid
from trainlab.experiments import get_experiment
from trainlab.experiments.common import load_data
from trainlab.experiments.optimizer_table import agrees, iterations_to, quality_stars, speed_stars
from trainlab.experiments.optimizers import train_optimizers
from trainlab.gradcheck import every_layer_model

NAMES = ["two-layer-net", "gradient-check", "optimizers", "optimizer-table", "init-histograms", "init-compare"]


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """The data setup of conftest's isolated_data_cache, for module-scoped fixtures: no download, private cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRAINLAB_CACHE", str(tmp_path_factory.mktemp("cache")))
        patch.setenv("TRAINLAB_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def quick(offline):
    """name -> (module, config, result, summary) of one quick run of each experiment."""
    runs = {}
    for name in NAMES:
        module = get_experiment(name)
        config = module.Config().quick()
        result = module.run(config)
        runs[name] = (module, config, result, module.summarize(result))
    return runs


def conclusions(summary) -> str:
    return " ".join(summary.conclusions)


def test_summaries_have_rows_of_the_header_width_and_full_sentences(quick):
    for name, (_, _, _, summary) in quick.items():
        assert summary.rows, name
        assert all(len(row) == len(summary.headers) for row in summary.rows), name
        assert summary.conclusions and all(line.endswith(".") for line in summary.conclusions), name


def test_runs_on_the_fallback_data_say_so(quick):
    for name in ["two-layer-net", "gradient-check", "optimizers", "optimizer-table", "init-compare"]:
        _, _, result, summary = quick[name]
        if result.dataset == "mnist-mini":
            assert result.note and summary.notes == [result.note], name
            assert "mnist-mini" in result.note


# -- two-layer-net --------------------------------------------------------------------------------------------
def test_two_layer_net_keeps_the_book_settings():
    config = get_experiment("two-layer-net").Config()
    assert (config.hidden, config.activation, config.init_std) == (50, "sigmoid", 0.01)
    assert (config.lr, config.batch_size, config.iterations) == (0.1, 100, 10000)


def test_two_layer_net_learns_and_train_and_test_accuracy_track_each_other(quick):
    _, config, result, summary = quick["two-layer-net"]
    assert len(result.step_loss) == config.iterations
    per_epoch = result.iterations_per_epoch
    assert per_epoch == math.ceil(result.train_samples / config.batch_size)
    assert result.epochs == list(range(1, math.ceil(config.iterations / per_epoch) + 1))
    assert len(result.train_accuracy) == len(result.test_accuracy) == len(result.epochs)
    assert all(0 <= a <= 1 for a in result.train_accuracy + result.test_accuracy)
    assert result.step_loss[0] == pytest.approx(math.log(10), abs=0.05)  # tiny weights: a uniform guess
    assert np.mean(result.step_loss[-20:]) < result.step_loss[0] - 0.5
    assert result.train_accuracy[-1] > 0.5 and result.test_accuracy[-1] > 0.5
    assert max(abs(a - b) for a, b in zip(result.train_accuracy, result.test_accuracy, strict=True)) < 0.05
    assert "tracked each other" in conclusions(summary)
    assert summary.rows[-1][1] == config.iterations


# -- gradient-check -------------------------------------------------------------------------------------------
def test_gradient_check_passes_every_parameter_of_every_layer(quick):
    _, config, result, summary = quick["gradient-check"]
    params = len(every_layer_model(0).params)
    assert len(result.check_errors) == 2 * params  # cross-entropy and softmax+mse variants
    assert all(0 <= error < result.tolerance for error in result.check_errors)
    assert {"Dense", "BatchNorm", "Dropout", "AlphaDropout", "Softmax"} <= set(result.layer_types)
    assert result.net_params == ["dense1.W", "dense1.b", "dense2.W", "dense2.b"]
    assert result.net_shapes == [[784, config.hidden], [config.hidden], [config.hidden, 10], [10]]
    assert max(result.net_mean_abs_diff) < 1e-8 and max(result.net_errors) < result.tolerance
    assert len(summary.rows) == 2 * params + 4 and {row[-1] for row in summary.rows} == {"ok"}
    assert "below the tolerance" in conclusions(summary)


def test_gradient_check_reports_a_wrong_backward_pass(offline, monkeypatch):
    """A sigmoid whose backward pass is 1% off is caught: its parameters fail, the summary says so."""
    original = Sigmoid.backward
    monkeypatch.setattr(Sigmoid, "backward", lambda self, dout, input_grad=True: original(self, dout) * 1.01)
    module = get_experiment("gradient-check")
    result = module.run(module.Config().quick())
    summary = module.summarize(result)
    failed = [p for p, e in zip(result.check_params, result.check_errors, strict=True) if e >= result.tolerance]
    assert failed and "dense7.W" in failed  # the Dense layer feeding the sigmoid
    assert "WRONG" in {row[-1] for row in summary.rows}
    assert "exceed the tolerance" in summary.conclusions[0]


# -- optimizers -----------------------------------------------------------------------------------------------
def test_optimizers_keeps_the_book_settings():
    config = get_experiment("optimizers").Config()
    rates = dict(zip(config.optimizers, config.learning_rates, strict=True))
    assert {k: rates[k] for k in ("sgd", "momentum", "adagrad", "adam")} == {
        "sgd": 0.01, "momentum": 0.01, "adagrad": 0.01, "adam": 0.001}
    assert (config.hidden, config.batch_size, config.iterations) == ((100, 100, 100, 100), 128, 2000)


def test_optimizers_curves_start_alike_and_sgd_is_the_slowest(quick):
    _, config, result, summary = quick["optimizers"]
    assert result.optimizers == list(config.optimizers)
    assert all(len(losses) == config.iterations for losses in result.step_loss)
    assert result.status == ["completed"] * len(config.optimizers)
    assert len({losses[0] for losses in result.step_loss}) == 1  # same weights, same first batch
    for losses, final in zip(result.step_loss, result.final_loss, strict=True):
        assert final == pytest.approx(np.mean(losses[-config.final_window:]))
    assert all(0 <= a <= 1 for a in result.test_accuracy)
    finals = dict(zip(result.optimizers, result.final_loss, strict=True))
    assert finals["sgd"] > max(finals[name] for name in ("momentum", "adagrad", "adam"))
    assert "SGD was the slowest of the book's four" in conclusions(summary)
    assert len(summary.rows) == len(config.optimizers)


def test_train_optimizers_gives_each_optimizer_the_same_batches(offline):
    data = load_data("mnist", train_samples=500, test_samples=100)
    runs = train_optimizers(data, ["sgd", "sgd", "adam"], [0.01, 0.01, 0.001], hidden=[20], iterations=12,
                            batch_size=32, seed=3)
    assert runs[0].step_loss == runs[1].step_loss  # same optimizer, same weights, same batches
    assert runs[0].step_loss[0] == runs[2].step_loss[0] and runs[0].step_loss[1:] != runs[2].step_loss[1:]
    with pytest.raises(ValueError, match="same length"):
        train_optimizers(data, ["sgd"], [0.1, 0.2], hidden=[5], iterations=1, batch_size=8, seed=0)


# -- optimizer-table ------------------------------------------------------------------------------------------
def test_optimizer_table_measures_speed_and_quality_of_each_optimizer(quick):
    _, config, result, summary = quick["optimizer-table"]
    n, seeds = len(config.optimizers), config.repeats
    assert result.seeds == [config.seed + i for i in range(seeds)]
    assert len(result.reached) == n and all(len(per) == len(config.targets) for per in result.reached)
    assert all(len(per_seed) == seeds for per in result.reached for per_seed in per)
    assert all(t is None or 1 <= t <= config.iterations for per in result.reached for s in per for t in s)
    assert len(result.final_loss) == len(result.test_accuracy) == len(result.mean_curve) == n
    assert all(len(curve) == len(result.curve_steps) for curve in result.mean_curve)
    assert set(result.speed_stars) <= {"★", "★★", "★★★"} and set(result.quality_stars) <= {"★", "★★", "★★★"}
    # a loss reaches the lower target no sooner than the higher one
    for per in result.reached:
        for high, low in zip(per[0], per[1], strict=True):
            assert low is None or (high is not None and high <= low)
    # SGD is the slowest to the first target (or never gets there), and so gets one star
    times = {name: per[0][0] for name, per in zip(result.optimizers, result.reached, strict=True)}
    assert times["sgd"] is None or times["sgd"] == max(t for t in times.values() if t is not None)
    assert result.speed_stars[result.optimizers.index("sgd")] == "★"
    assert len(summary.rows) == n and "agree with Hands-On ML's table" in conclusions(summary)


def test_optimizer_table_star_rules():
    assert speed_stars([10, 20, 21, 40, 41, None]) == ["★★★", "★★★", "★★", "★★", "★", "★"]
    assert speed_stars([None, None]) == ["★", "★"]
    assert quality_stars([0.95, 0.94, 0.93, 0.9]) == ["★★★", "★★★", "★★", "★"]
    assert iterations_to([3.0, 2.0, 1.0, 0.5], 1.0, window=1) == 3
    assert iterations_to([3.0, 2.0], 1.0, window=1) is None
    assert agrees("★★", "★★ or ★★★") and not agrees("★", "★★ or ★★★") and agrees("★", "★")


# -- init-histograms ------------------------------------------------------------------------------------------
def test_init_histograms_have_a_row_of_layers_per_setting(quick):
    _, config, result, summary = quick["init-histograms"]
    settings = len(config.activations)
    assert len(result.labels) == len(result.counts) == settings
    assert all(len(layers) == config.layers for layers in result.counts)
    assert all(len(bins) == config.bins for layers in result.counts for bins in layers)
    values = config.samples * config.units
    for i, activation in enumerate(result.activations):
        for layer in range(config.layers):
            drawn = sum(result.counts[i][layer])
            if activation == "relu":  # the positive values inside the range
                positive = values * (1 - result.zeros[i][layer])
                assert drawn == pytest.approx(positive - values * result.outside[i][layer], abs=1)
            else:
                assert drawn == values and result.outside[i][layer] == 0
    assert len(summary.rows) == settings
    figures = get_experiment("init-histograms").plot(result)
    assert set(figures) == {"histograms_sigmoid", "histograms_relu", "histograms_tanh", "layer_statistics"}
    for figure in figures.values():
        plt.close(figure)


def test_init_histograms_show_the_books_pictures(quick):
    _, _, result, summary = quick["init-histograms"]
    index = {label: i for i, label in enumerate(result.labels)}
    mean = lambda key, label: float(np.mean(getattr(result, key)[index[label]]))  # noqa: E731
    assert mean("saturated", "sigmoid, std=1") > 0.5  # piled up at 0 and 1
    assert mean("middle", "sigmoid, std=0.01") > 0.9 and mean("std", "sigmoid, std=0.01") < 0.03  # at 0.5
    assert mean("saturated", "sigmoid, Xavier") < 0.05 and mean("middle", "sigmoid, Xavier") < 0.5  # spread
    tiny, xavier, he = (result.std[index[f"relu, {name}"]] for name in ("std=0.01", "Xavier", "He"))
    assert tiny[-1] < 1e-4 * tiny[0]  # vanishing
    assert all(b < a for a, b in itertools.pairwise(xavier))  # shrinking layer by layer
    assert 0.5 < he[-1] / he[0] < 2  # alive
    assert all(0.4 < z < 0.6 for z in result.zeros[index["relu, He"]])
    text = conclusions(summary)
    for phrase in ("pile up at 0 and 1", "crowd around 0.5", "spreads them out", "keeps every layer alive"):
        assert phrase in text


# -- init-compare ---------------------------------------------------------------------------------------------
def test_init_compare_he_below_xavier_below_a_net_that_does_not_learn(quick):
    _, config, result, summary = quick["init-compare"]
    assert result.labels == ["std=0.01", "Xavier", "He"]
    assert all(len(losses) == config.iterations for losses in result.step_loss)
    finals = dict(zip(result.labels, result.final_loss, strict=True))
    assert finals["He"] < finals["Xavier"] < finals["std=0.01"]
    assert finals["std=0.01"] == pytest.approx(math.log(10), abs=0.05)
    text = conclusions(summary)
    assert "As in the book" in text and "With std=0.01 the net did not learn" in text
    assert all(0 <= a <= 1 for a in result.test_accuracy)


# -- settings that fail -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "changes"), [
    ("optimizers", {"optimizers": ("sgd", "adam"), "learning_rates": (5.0, 0.001)}),
    ("optimizer-table", {"optimizers": ("sgd", "adam"), "learning_rates": (5.0, 0.001), "repeats": 1}),
    ("init-compare", {"lr": 5.0}),
])
def test_a_diverging_run_is_reported_not_raised(offline, name, changes):
    module = get_experiment(name)
    config = module.Config(iterations=40, final_window=10, train_samples=600, test_samples=200, **changes)
    result = module.run(config)
    summary = module.summarize(result)
    assert "diverged" in conclusions(summary) and all(line.endswith(".") for line in summary.conclusions)
    assert any("diverged" in str(cell) for row in summary.rows for cell in row)
    for figure in module.plot(result).values():
        plt.close(figure)


def test_a_net_that_does_not_learn_is_not_said_to_generalise(offline):
    module = get_experiment("two-layer-net")
    result = module.run(module.Config(iterations=100, lr=100.0, train_samples=1000, test_samples=200))
    text = conclusions(module.summarize(result))
    assert "did not learn" in text and "tracked each other" not in text
