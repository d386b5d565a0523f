"""init-compare: std 0.01 learns nothing, Xavier and He learn, He faster (DLfS 6.2.4, Figure 6-15)."""

import math

import numpy as np
import pytest

import trainlab as tl
from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import run_lesson

lesson = load_lesson("init-compare")
module = lesson.module


@pytest.fixture(scope="module")
def quick():
    return run_lesson("init-compare", quick=True)


def test_one_seed_draws_the_same_weights_up_to_scale_for_every_initialisation():
    weights = {
        init: tl.mlp((100, 100), init=module.parse_init(init), seed=4).params["dense1.W"]
        for init in ("0.01", "xavier", "he")
    }
    assert np.allclose(
        weights["xavier"] / weights["0.01"], (1 / 28) / 0.01, rtol=1e-5
    )  # Xavier: 1/√784 = 1/28
    assert np.allclose(weights["he"] / weights["xavier"], math.sqrt(2), rtol=1e-5)


def test_tiny_weights_start_at_a_uniform_guess_and_the_batches_pair_by_seed():
    config = module.Config(dataset="mnist-mini", iterations=5, window=1, seeds=1)
    tiny, he = module.train(config, "0.01", 2), module.train(config, "he", 2)
    assert tiny["loss"][0] == pytest.approx(
        math.log(10), abs=1e-3
    )  # outputs of std ~1e-7: softmax is uniform
    assert he["loss"][0] != tiny["loss"][0] and len(he["loss"]) == 5 == len(tiny["loss"])
    assert module.train(config, "he", 2) == he  # a unit is a pure function of its arguments


def test_the_quick_run_shows_the_books_figure(quick):
    assert {e.claim.id: e.verdict for e in quick.evaluations} == {
        c.id: "agrees" for c in module.CLAIMS
    }
    finals = {
        s: [module.FINAL.of(r, quick.config) for r in quick.runs.of(s)] for s in quick.runs.settings
    }
    assert max(finals["he"]) < min(finals["xavier"]) < min(finals["0.01"])
    assert any("std=0.01 did not learn" in note for note in quick.notes())


def test_a_run_that_never_reaches_the_level_counts_as_the_budget_plus_one():
    config = module.Config(iterations=3, window=1, level=0.5)
    assert module.TO_LEVEL.of({"loss": [2.3, 2.2, 2.1], "status": "completed"}, config) == 4
    assert module.TO_LEVEL.of({"loss": [2.3, 0.4, 0.3], "status": "completed"}, config) == 2
    assert math.isnan(module.FINAL.of({"loss": [2.3], "status": "diverged"}, config))
