"""adagrad-fade: AdaGrad's steps fade, RMSProp's follow the recent gradients; the bowl; RMSProp's rho."""

import math

import numpy as np
import pytest

from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import run_lesson

module = load_lesson("adagrad-fade").module


@pytest.fixture(scope="module")
def quick():
    return run_lesson("adagrad-fade", quick=True)


@pytest.mark.parametrize("rho", [0.5, 0.9, 0.99])
def test_rmsprop_follows_the_drop_as_fast_as_its_average_forgets(rho):
    """After the gradients shrink 10 times, E[h] falls as rho^k·h₀ + (1 - rho^k)·h₀/100; the step 1/√h has
    grown √10 times when h <= h₀/10, after k = ⌈log(0.1/0.99 ... )⌉ steps."""
    config = module.Config()
    run = {
        "stream": module.stream(module.optimizer({"name": "rmsprop", "rho": rho}, 1.0), config, 0)
    }
    expected = math.ceil(math.log((0.1 - 0.01) / 0.99) / math.log(rho))
    assert abs(module.follow(run, config) - expected) <= 1


def test_adagrads_step_never_follows_the_drop():
    config = module.Config()
    run = {"stream": module.stream(module.optimizer({"name": "adagrad"}, 1.0), config, 0)}
    assert module.follow(run, config) == config.stream_steps // 2 + 1  # never: the budget + 1
    assert all(
        b <= a for a, b in zip(run["stream"], run["stream"][1:], strict=False)
    )  # it only shrinks


def test_on_the_bowl_both_take_the_same_first_step_from_the_books_start():
    config = module.Config()
    paths = {
        s: module.train(config.quick(), s, 0)["path"]
        for s in ("adagrad", "rmsprop", "rmsprop-rho-0.5")
    }
    for path in paths.values():
        assert path[0] == [-7.0, 2.0]  # seed 0 starts where Figure 6-8 does
        assert np.allclose(
            path[1], [-5.5, 0.5], atol=1e-6
        )  # a first step of η = 1.5 per coordinate
    assert module.train(config.quick(), "adagrad", 1)["path"][0] != [
        -7.0,
        2.0,
    ]  # other seeds start near it


def test_measures_by_hand():
    config = module.Config(window=2)
    run = {
        "status": "completed",
        "loss": [1.0, 0.5, 0.3],
        "travel": [0.2, 0.1, 0.05],
        "test_accuracy": 0.9,
        "path": [[-7.0, 2.0], [0.3, 0.4]],
    }
    assert module.FADE.of(run, config) == pytest.approx(0.25)
    assert module.FINAL.of(run, config) == pytest.approx(0.4)
    assert module.BOWL.of(run, config) == pytest.approx(0.5)
    assert math.isnan(
        module.FADE.of({"path": [[0.0, 0.0]]}, config)
    )  # a bowl-only arm has no MNIST measure
    assert math.isnan(module.FINAL.of(run | {"status": "diverged"}, config))


def test_the_quick_run_agrees_with_the_books_on_every_claim(quick):
    assert {e.claim.id: e.verdict for e in quick.evaluations} == {
        c.id: "agrees" for c in module.CLAIMS
    }
    assert any("textbook's η = 0.01" in note for note in quick.notes())
    assert (
        "loss" not in quick.runs.of("rmsprop-rho-0.5")[0]
        and "path" not in quick.runs.of("adagrad-homl")[0]
    )
