"""The experiments of Deep Learning from Scratch ch. 4-6 not yet on the claims protocol: quick runs, their numbers.

Each experiment runs once with its quick settings; the tests check the shape of the result (lengths,
keys, ranges) and, where a quick run is big enough to show it, the qualitative result the book reports.
"""

import math

import numpy as np
import pytest

from trainlab.activations import Sigmoid
from trainlab.gradcheck import every_layer_model
from trainlab.lab.lesson import lesson_module

NAMES = ["two-layer-net", "gradient-check"]


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
    for name in ["two-layer-net"]:
        _, config, result, summary = quick[name]
        assert result.dataset == "mnist-mini", name
        note = summary.notes[-1]
        assert note.startswith("This run changed the full-size settings") and "dataset mnist-mini (full size: mnist)" \
            in note, name
        assert f"iterations {config.iterations} (full size: " in note, name


# -- two-layer-net --------------------------------------------------------------------------------------------
def test_two_layer_net_keeps_the_book_settings_in_both_chapters_forms():
    config = lesson_module("two-layer-net").Config()
    assert (config.activations, config.hidden, config.init_std) == (("sigmoid", "relu"), 50, 0.01)
    assert (config.lr, config.batch_size, config.iterations, config.dataset) == (0.1, 100, 10000, "mnist")
    assert config.train_samples is None and config.test_samples is None  # all 60,000 / 10,000 images


def test_two_layer_net_learns_and_train_and_test_accuracy_track_each_other(quick):
    _, config, result, summary = quick["two-layer-net"]
    assert [r.activation for r in result.runs] == ["sigmoid", "relu"]
    per_epoch = result.iterations_per_epoch
    assert per_epoch == math.ceil(result.train_samples / config.batch_size)
    for r in result.runs:
        assert len(r.step_loss) == config.iterations and r.status == "completed"
        assert r.epochs == list(range(1, math.ceil(config.iterations / per_epoch) + 1))
        assert len(r.train_accuracy) == len(r.test_accuracy) == len(r.epochs)
        assert r.step_loss[0] == pytest.approx(math.log(10), abs=0.05)  # tiny weights: a uniform guess
        assert np.mean(r.step_loss[-20:]) < r.step_loss[0] - 0.5
        assert r.test_accuracy[-1] > 0.5
        assert max(abs(a - b) for a, b in zip(r.train_accuracy, r.test_accuracy, strict=True)) < 0.05
    sigmoid, relu = result.runs
    assert relu.test_accuracy[-1] > sigmoid.test_accuracy[-1]  # chapter 5's ReLU net learns faster at η = 0.1
    text = conclusions(summary)
    assert text.count("so, as in the book, the net generalises") == 2
    assert "the ReLU net's final test accuracy was higher than the sigmoid net's" in text
    assert "one seed, so the noise is unknown" in text


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
    module = lesson_module("gradient-check")
    result = module.run(module.Config().quick())
    summary = module.summarize(result)
    failed = [p for p, e in zip(result.check_params, result.check_errors, strict=True) if e >= result.tolerance]
    assert failed and "dense7.W" in failed  # the Dense layer feeding the sigmoid
    assert "WRONG" in {row[-1] for row in summary.rows}
    assert "exceed the tolerance" in summary.conclusions[0]


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


