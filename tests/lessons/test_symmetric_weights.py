"""symmetric-weights: equal starting weights keep every unit of a layer a copy (DLfS 6.2.1)."""

import numpy as np
import pytest

from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import run_lesson

module = load_lesson("symmetric-weights").module


def test_distinct_units_by_hand():
    W = np.array([[1.0, 1.0, 2.0], [0.5, 0.5, 0.5]])  # units 0 and 1 are copies, unit 2 differs
    assert module.distinct_units(W) == 2
    assert module.distinct_units(np.ones((3, 4))) == 1
    assert (
        module.distinct_units(np.array([[0.0, 1e-7, 2e-6]])) == 2
    )  # within 1e-6: a copy; beyond: not
    assert module.distinct_units(np.eye(5)) == 5


@pytest.fixture(scope="module")
def quick():
    return run_lesson("symmetric-weights", quick=True)


def test_equal_weights_stay_copies_every_epoch_and_learn_nothing(quick):
    config = quick.config
    for setting in ("zeros", "constant"):
        for run in quick.runs.of(setting):
            assert run["distinct"] == [[1] * len(config.hidden)] * (config.epochs + 1)
    for run in quick.runs.of("xavier"):
        assert run["distinct"][-1] == list(config.hidden)
    assert {e.claim.id: e.verdict for e in quick.evaluations} == {
        c.id: "agrees" for c in module.CLAIMS
    }
    assert any(note.startswith("all weights 0 did not learn") for note in quick.notes())
