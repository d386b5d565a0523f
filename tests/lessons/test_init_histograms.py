"""init-histograms: the book's forward pass, its measures, and the pictures of Figures 6-10 to 6-14."""

import math

import numpy as np
import pytest

from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import run_lesson

lesson = load_lesson("init-histograms")
module = lesson.module


@pytest.fixture(scope="module")
def quick():
    return run_lesson("init-histograms", quick=True)


def test_the_weight_scales_are_the_books():
    assert module.scale("1", 100) == 1.0 and module.scale("0.01", 100) == 0.01
    assert module.scale("xavier", 100) == pytest.approx(0.1)  # 1/√n
    assert module.scale("he", 100) == pytest.approx(math.sqrt(0.02))  # √(2/n)


def test_bins_filled_and_skewness_by_hand():
    assert module.bins_filled([5, 5, 5, 5]) == pytest.approx(4.0)
    assert module.bins_filled([0, 7, 0]) == pytest.approx(1.0) and module.bins_filled(
        [3, 3, 0, 0]
    ) == pytest.approx(2)
    assert module.skewness(np.array([-2.0, -1.0, 0.0, 1.0, 2.0])) == pytest.approx(0.0)
    assert module.skewness(np.array([0.0, 0.0, 0.0, 3.0])) == pytest.approx(
        2 / math.sqrt(3)
    )  # a long right tail
    assert math.isnan(module.skewness(np.ones(4)))


def test_settings_pair_by_seed_the_same_draw_rescaled():
    """ReLU is positively homogeneous, relu(c·a) = c·relu(a): with the same draw, layer k of std 0.01 is
    layer k of He scaled by (0.01 / √0.02)^k, exactly; and the other activations see the same inputs."""
    config = module.Config(samples=50, seeds=1)
    tiny, he = (module.train(config, f"relu:{init}", 3)["layers"] for init in ("0.01", "he"))
    for k in range(config.layers):
        assert tiny[k]["std"] / he[k]["std"] == pytest.approx(
            (0.01 / math.sqrt(0.02)) ** (k + 1), rel=1e-9
        )
        assert tiny[k]["zeros"] == he[k]["zeros"]
    assert (
        module.train(config, "relu:he", 4)["layers"][0]["std"] != he[0]["std"]
    )  # another seed, another draw


def test_sigmoid_std_001_matches_the_linear_estimate():
    """Near 0 the sigmoid is 1/2 + a/4: layer 1's pre-activations have std 0.01·√100 = 0.1, so its outputs
    0.025; deeper layers get inputs near 1/2, so 0.01·0.5·√100/4 = 0.0125."""
    layers = module.train(module.Config(), "sigmoid:0.01", 0)["layers"]
    assert layers[0]["std"] == pytest.approx(0.025, rel=0.03)
    assert all(layer["std"] == pytest.approx(0.0125, rel=0.1) for layer in layers[1:])
    assert all(
        sum(layer["counts"]) == 1000 * 100 for layer in layers
    )  # every value inside [0, 1] is counted


def test_the_quick_run_shows_every_picture_of_the_book(quick):
    assert {e.claim.id: e.verdict for e in quick.evaluations} == {
        c.id: "agrees" for c in module.CLAIMS
    }
    config = quick.config
    assert module.SATURATED.of(quick.runs.of("sigmoid:1")[0], config) > 0.6
    assert module.BINS.of(quick.runs.of("sigmoid:0.01")[0], config) < 3
    assert (
        0.4 < quick.runs.of("relu:he")[0]["layers"][-1]["zeros"] < 0.6
    )  # ReLU on symmetric inputs
    assert set(quick.figures()) == {
        "histograms_sigmoid",
        "histograms_relu",
        "histograms_tanh",
        "layer_statistics",
    }


def test_an_absurd_scale_overflows_and_is_said_so():
    run = module.train(module.Config(samples=20), "relu:1e300", 0)
    assert not all(math.isfinite(layer["std"]) for layer in run["layers"])
    assert math.isnan(module.LAST_STD.of(run, module.Config())) or not math.isfinite(
        module.LAST_STD.of(run, None)
    )
