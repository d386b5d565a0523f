"""gradient-check (DLfS 5.7.3): the book's net agrees to its printed size, and a wrong backward pass
is caught."""

import numpy as np
import pytest

import trainlab as tl
from trainlab.gradcheck import TOLERANCE
from trainlab.lab.runner import run_lesson
from trainlab.lessons import gradient_check as lesson


def test_the_books_net_on_its_first_three_images():
    config = lesson.Config().quick()
    run = lesson.train(config, "book-net", 0)
    assert run["parameters"] == ["dense1.W", "dense1.b", "dense2.W", "dense2.b"]
    assert max(run["mean_abs_diff"]) < 1e-10 and max(run["errors"]) < TOLERANCE
    assert run["evaluations"] == 2 * (784 * 10 + 10 + 10 * 10 + 10)


def test_every_layer_comes_from_the_librarys_own_check():
    run = lesson.train(lesson.Config(), "every-layer", 0)
    rows = tl.gradcheck.run_gradcheck(0, 16)
    assert run["parameters"] == [f"{row.model}: {row.parameter}" for row in rows]
    assert run["errors"] == [row.relative_error for row in rows]


def test_the_measures_take_the_largest_parameter_on_a_log_scale():
    run = {"mean_abs_diff": [1e-12, 1e-10], "errors": [1e-9, 1e-7]}
    assert lesson.LARGEST_DIFF.of(run, None) == pytest.approx(-10)
    assert lesson.LARGEST_ERROR.of(run, None) == pytest.approx(-7)
    assert np.isnan(lesson.LARGEST_DIFF.of({"errors": [1e-9]}, None))


def test_a_wrong_backward_pass_contradicts_both_claims(monkeypatch):
    """Dense layers that pass back dL/dx 1 % too large: the gradients of every layer below them are wrong."""
    original = tl.Dense.backward

    def wrong(self, dout, input_grad=True):
        result = original(self, dout, input_grad)
        return None if result is None else result * 1.01

    monkeypatch.setattr(tl.Dense, "backward", wrong)
    run = run_lesson("gradient-check", quick=True)
    assert [e.verdict for e in run.evaluations] == ["contradicts", "contradicts"]
    assert any("above the tolerance" in note for note in run.notes())
