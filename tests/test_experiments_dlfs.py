"""The experiments of Deep Learning from Scratch ch. 4-6 (and the optimizer table): quick runs, their numbers.

Each experiment runs once with its quick settings; the tests check the shape of the result (lengths,
keys, ranges) and, where a quick run is big enough to show it, the qualitative result the book reports.
"""

import itertools
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from trainlab.lab.lesson import lesson_module
from trainlab.lessons.optimizer_table import agrees, iterations_to, quality_stars, speed_stars

NAMES = ["optimizer-table", "init-histograms", "init-compare"]  # two-layer-net, gradient-check: tests/lessons/


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
        module = lesson_module(name)
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


def test_quick_runs_say_which_settings_they_changed(quick):
    for name in ["optimizer-table", "init-compare"]:
        _, config, result, summary = quick[name]
        assert result.dataset == "mnist-mini", name
        note = summary.notes[-1]
        assert note.startswith("This run changed the full-size settings") and "dataset mnist-mini (full size: mnist)" \
            in note, name
        assert f"iterations {config.iterations} (full size: " in note, name


# -- optimizer-table ------------------------------------------------------------------------------------------
def test_optimizer_table_measures_speed_and_quality_of_each_optimizer(quick):
    _, config, result, summary = quick["optimizer-table"]
    n, seeds = len(config.optimizers), config.seeds
    assert result.seeds == [config.seed + i for i in range(seeds)]
    assert [(r.optimizer, r.seed) for r in result.runs] == [(name, seed) for seed in result.seeds
                                                            for name in config.optimizers]  # one run per pair
    assert all(len(r.reached) == len(config.targets) and len(r.curve) == len(result.curve_steps) for r in result.runs)
    assert all(t is None or 1 <= t <= config.iterations for r in result.runs for t in r.reached)
    stars = result.speed_stars(), result.quality_stars()
    assert all(len(s) == n and set(s) <= {"★", "★★", "★★★"} for s in stars)
    # a loss reaches the lower target no sooner than the higher one
    for r in result.runs:
        high, low = r.reached
        assert low is None or (high is not None and high <= low)
    # SGD is the slowest to the first target (or never gets there), and so gets one star
    times = {name: result.times(name)[0] for name in result.optimizers}
    assert times["sgd"] is None or times["sgd"] == max(t for t in times.values() if t is not None)
    assert stars[0][result.optimizers.index("sgd")] == "★"
    assert len(summary.rows) == n and "agree with Hands-On ML's table" in conclusions(summary)
    assert "AdaGrad one star for quality" in conclusions(summary)  # the book's ★ is about long runs


def test_optimizer_table_aggregates_its_runs_per_optimizer():
    """The table's numbers are medians and means over the runs of one optimizer, computed from the runs."""
    module = lesson_module("optimizer-table")
    Run = module.Run
    runs = [Run("sgd", 0.01, 0, "completed", [30, None], 0.40, 0.90, [2.0, 1.0]),
            Run("adam", 0.001, 0, "completed", [10, 20], 0.10, 0.95, [2.0, 0.5]),
            Run("sgd", 0.01, 1, "completed", [50, 90], 0.30, 0.92, [2.0, 0.8]),
            Run("adam", 0.001, 1, "diverged", [12, None], math.inf, 0.10, [2.0, math.nan])]
    result = module.Result("mnist", ["sgd", "adam"], [0.01, 0.001], 100, [0.5, 0.2], 1, 10, [0, 50], [], runs)
    assert result.seeds == [0, 1] and result.times("sgd") == [40.0, None] and result.times("adam") == [11.0, None]
    assert result.final_losses("adam") == [0.10, math.inf] and result.accuracies("sgd") == [0.90, 0.92]
    assert result.speed_stars() == ["★★", "★★★"]  # 40 iterations: within four times adam's 11
    assert result.quality_stars() == ["★★★", "★"]  # mean accuracy 0.91 against 0.525
    assert result.mean_curve("sgd") == [2.0, pytest.approx(0.9)] and math.isnan(result.mean_curve("adam")[1])
    summary = module.summarize(result)
    assert summary.rows[0][2:5] == ["40", "never", "0.35 ± 0.071"]
    assert "Training diverged with Adam (the loss became NaN or inf)." in summary.conclusions
    plt.close(module.plot(result)["optimizer_table"])


def test_optimizer_table_names_a_leader_only_beyond_the_noise():
    module = lesson_module("optimizer-table")
    Run = module.Run

    def result(adam_times, adam_losses):
        runs = [run for seed, (t, loss) in enumerate(zip(adam_times, adam_losses, strict=True))
                for run in (Run("sgd", 0.01, seed, "completed", [40 + 10 * (seed % 2), 90], 0.35 + 0.05 * (seed % 2),
                                0.91 + 0.05 * (seed % 2), [2.0]),
                            Run("adam", 0.001, seed, "completed", [t, 22], loss, 0.955, [2.0]))]
        return module.Result("mnist", ["sgd", "adam"], [0.01, 0.001], 100, [0.5, 0.2], 1, 10, [0], [], runs)

    clear = module.summarize(result([10, 12, 11], [0.10, 0.12, 0.11])).conclusions
    assert clear[0] == ("Iterations to bring the smoothed loss down to 0.5 (median of 3 seeds): Adam was fastest (11, "
                        "ahead of SGD's 40: -32.3, beyond the seed-to-seed noise of ±6.8); SGD was slowest with 40, "
                        "3.6 times as many as Adam.")
    assert clear[1].startswith("After 100 iterations, of the optimizers that learned, final loss: Adam was lowest "
                               "(0.11, ahead of SGD's 0.367: -0.257, beyond the seed-to-seed noise of ±0.035)")
    assert "test accuracy: Adam (0.955) and SGD (0.927) lead, and which is ahead is not settled" in clear[1]
    one_seed = module.summarize(result([10], [0.10])).conclusions
    assert "Adam (10) and SGD (40) lead, and which is ahead is not settled (-30; one seed, so the noise is " \
        "unknown)" in one_seed[0] and "was fastest" not in one_seed[0]


@pytest.mark.parametrize("name", ["optimizer-table"])
def test_an_optimizer_named_twice_is_refused(name, offline):
    """Their runs are told apart by the optimizer's name: sgd twice would mix two learning rates' seeds."""
    module = lesson_module(name)
    config = module.Config(optimizers=("sgd", "adam", "sgd"), learning_rates=(0.1, 0.001, 0.01)).quick()
    with pytest.raises(ValueError, match=r"optimizers=sgd,adam,sgd names sgd more than once; each optimizer may "
                                         r"appear once"):
        module.run(config.validate())


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
    assert [(r.activation, r.init) for r in result.runs] == list(zip(config.activations, config.inits, strict=True))
    assert result.layers == config.layers and all(len(r.counts) == config.layers for r in result.runs)
    assert all(len(bins) == config.bins for r in result.runs for bins in r.counts)
    values = config.samples * config.units
    for r in result.runs:
        for layer in range(config.layers):
            drawn = sum(r.counts[layer])
            if r.activation == "relu":  # the positive values inside the range
                positive = values * (1 - r.zeros[layer])
                assert drawn == pytest.approx(positive - values * r.outside[layer], abs=1)
            else:
                assert drawn == values and r.outside[layer] == 0
    assert [row[0] for row in summary.rows] == [r.label for r in result.runs]
    figures = lesson_module("init-histograms").plot(result)
    assert set(figures) == {"histograms_sigmoid", "histograms_relu", "histograms_tanh", "layer_statistics"}
    for figure in figures.values():
        plt.close(figure)


def test_init_histograms_show_the_books_pictures(quick):
    _, _, result, summary = quick["init-histograms"]
    setting = {r.label: r for r in result.runs}
    mean = lambda key, label: float(np.mean(getattr(setting[label], key)))  # noqa: E731
    assert mean("saturated", "sigmoid, std=1") > 0.5  # piled up at 0 and 1
    assert mean("middle", "sigmoid, std=0.01") > 0.9 and mean("std", "sigmoid, std=0.01") < 0.03  # at 0.5
    assert mean("saturated", "sigmoid, Xavier") < 0.05 and mean("middle", "sigmoid, Xavier") < 0.5  # spread
    tiny, xavier, he = (setting[f"relu, {name}"].std for name in ("std=0.01", "Xavier", "He"))
    assert tiny[-1] < 1e-4 * tiny[0]  # vanishing
    assert all(b < a for a, b in itertools.pairwise(xavier))  # shrinking layer by layer
    assert 0.5 < he[-1] / he[0] < 2  # alive
    assert all(0.4 < z < 0.6 for z in setting["relu, He"].zeros)
    text = conclusions(summary)
    for phrase in ("pile up at 0 and 1", "crowd around 0.5", "spreads them out", "keeps every layer alive"):
        assert phrase in text


# -- init-compare ---------------------------------------------------------------------------------------------
def test_init_compare_he_below_xavier_below_a_net_that_does_not_learn(quick):
    _, config, result, summary = quick["init-compare"]
    assert result.labels == ["std=0.01", "Xavier", "He"]
    assert all(len(r.loss_after) == config.iterations for r in result.runs)
    means = {label: np.mean(result.finals(label)) for label in result.labels}
    assert means["He"] < means["Xavier"] < means["std=0.01"]
    assert means["std=0.01"] == pytest.approx(math.log(10), abs=0.05)
    text = conclusions(summary)
    assert "As in the book, He ended below Xavier" in text and "With std=0.01 the net did not learn" in text
    assert "beyond the seed-to-seed noise" in text


# -- the shared words for results ----------------------------------------------------------------------------------
def test_comparisons_weigh_differences_against_the_seed_to_seed_noise():
    from trainlab.lab.common import compare, mean_sd, paired, pm

    assert mean_sd([1.0, 2.0, 3.0]) == (2.0, 1.0) and mean_sd([5.0]) == (5.0, 0.0)
    c = compare([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])  # difference -3, noise 2·√(1/3 + 1/3) = 1.633
    assert c.difference == -3 and c.noise == pytest.approx(2 * math.sqrt(2 / 3)) and c.real and c.sign == -1
    assert c.words() == "-3, beyond the seed-to-seed noise of ±1.6"
    level = compare([1.0, 2.0, 3.0], [1.5, 2.5, 3.5])
    assert not level.real and level.sign == 0 and level.relation("above", "below", "level") == "level"
    one = compare([1.0], [2.0])
    assert not one.real and one.sign == -1 and "one seed, so the noise is unknown" in one.words()
    p = paired([0.91, 0.92, 0.93], [0.90, 0.905, 0.92])  # differences 0.01, 0.015, 0.01
    assert p.difference == pytest.approx(0.011667, abs=1e-6) and p.real
    assert pm([0.5, 0.7]) == "0.6 ± 0.14" and pm([0.9]) == "0.9" and pm([0.91, 0.93], 4, percent=True) == \
        "92.00 ± 1.41 %" and pm([math.inf, 1.0]) == "diverged"


def test_learned_and_loss_words_never_praise_an_absurd_loss():
    from trainlab.lab.common import learned, learned_accuracy, learned_loss, loss_text

    assert learned_loss(0.3) and not learned_loss(2.2) and not learned_loss(math.nan) and not learned_loss(1e30)
    assert learned(2.2, 0.35) and not learned(2.2, 0.15) and not learned(1e30, 0.9) and not learned(math.inf, 0.9)
    assert learned_accuracy(0.2) and not learned_accuracy(0.19)
    assert loss_text(0.1234) == "0.123" and loss_text(math.nan) == "diverged" and loss_text(1e30) == "1e+30 (blown up)"


