"""gradient-clipping: the book's example of both clippings, the direction measure, failures, pairing
by seed, and the net's shape in the figure's title (trainlab.lab.nets.shape)."""

import math

import numpy as np
import pytest
from notebook_calls import notebook_settings

from trainlab.lab.lesson import Runs, load_lesson
from trainlab.lab.nets import shape
from trainlab.lab.runner import make_config

lesson = load_lesson("gradient-clipping")
module = lesson.module


def test_the_books_example_clipped_by_value_and_by_norm():
    g = np.array([0.9, 100.0])
    np.testing.assert_allclose(module.clipped(g, "value", 1.0), [0.9, 1.0])
    np.testing.assert_allclose(module.clipped(g, "norm", 1.0), [0.00899964, 0.9999595], atol=1e-7)
    assert module.cosine(g, module.clipped(g, "norm", 1.0)) == pytest.approx(1.0)
    assert module.cosine(g, module.clipped(g, "value", 1.0)) == pytest.approx(
        0.7493, abs=1e-4
    )  # turned by 41.5°


def test_settings_are_parsed_and_bad_ones_refused():
    assert module.parse("none") == ("none", None) and module.parse("value@0.01") == ("value", 0.01)
    assert module.label("norm@1") == "clip by norm 1"
    for bad in ("norm", "max@1", "value@0", "value@-1"):
        with pytest.raises(ValueError):
            module.parse(bad)
    with pytest.raises(ValueError, match="clippings"):
        make_config(lesson, quick=True, overrides=["clippings=none,norm"])


def test_a_run_fails_when_it_diverges_or_ends_below_the_level():
    runs = Runs(
        None,
        ["none"],
        [0, 1, 2],
        {("none", 0): {"failed": 1.0}, ("none", 1): {"failed": 0.0}, ("none", 2): {"failed": 1.0}},
    )
    assert runs.values("none", lambda run: module.FAILED.of(run, None)).mean() == pytest.approx(
        2 / 3
    )
    assert (
        math.isnan(module.TURN.of({"cosines": []}, None))
        and module.TURN.of({"cosines": [0.5, 1.0]}, None) == 0.75
    )


def test_runs_of_a_seed_pair_and_the_quick_run_explodes_without_clipping():
    config = make_config(lesson, quick=True)
    runs = {s: module.train(config, s, 0) for s in ("none", "norm@1", "value@0.01")}
    assert len({run["grad_norm"][0] for run in runs.values()}) == 1  # same start, same first batch
    assert runs["none"]["failed"] == 1.0 and runs["norm@1"]["failed"] == 0.0
    assert runs["norm@1"]["cosines"] and all(
        c == pytest.approx(1.0) for c in runs["norm@1"]["cosines"]
    )
    assert (
        max(runs["value@0.01"]["cosines"]) < 0.95
    )  # a small threshold clips most entries: the step turns


def test_the_notebook_runs_the_lesson_at_its_declared_notebook_settings():
    assert notebook_settings("08_unstable_gradients", "gradient-clipping") == [
        module.Config.NOTEBOOK
    ]


def test_the_shape_of_the_hidden_layers():
    assert shape((100,) * 10) == "100x10" and shape((100, 50)) == "100-50" and shape((50,)) == "50"
