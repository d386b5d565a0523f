"""Every experiment at a setting that diverges or learns nothing: it reports so in words, never crashes,
and no conclusion praises the failed runs (issue 10, finding 3 and the absurd-loss finding)."""

import dataclasses
import json

import matplotlib.pyplot as plt
import pytest
from lesson_helpers import LEGACY_LESSONS

from trainlab.lab.lesson import lesson_module, list_lessons

OPTIMIZERS = len(lesson_module("optimizers").Config().optimizers)
# name -> the changes to its quick config that make training fail (diverge, blow up or learn nothing)
FAILING = {
    "gradient-descent": {"learning_rates": (20.0, 1e3)},
    "two-layer-net": {"lr": 1e30, "iterations": 150},  # overflows float32 within a few steps on any CPU
    "optimizers-2d": {"learning_rates": (1e6,) * 8},
    "optimizer-table": {"learning_rates": (10.0,) * OPTIMIZERS, "iterations": 40, "final_window": 10},
    "init-histograms": {"inits": ("1e300",) * 7},
    "init-compare": {"lr": 10.0, "iterations": 40, "final_window": 10, "seeds": 1},
    "lr-schedules": {"lr": 10.0, "one_cycle_max_lr": 50.0, "train_samples": 300, "epochs": 2},
    "regularization": {"lr": 10.0, "train_samples": 300, "epochs": 2, "test_samples": 200},
    "recipes": {"max_lr": 100.0, "train_samples": 300, "depth": 3, "epochs": 2, "test_samples": 200},
}
# what the summary must say of the failure, and what it must not claim, per experiment
SAYS = {"init-histograms": "overflowed"}
NEVER = ("As in the book", "as the book says", "the book's lesson", "generalises", "was fastest", "is lowest")


FAILING = {name: changes for name, changes in FAILING.items() if name in LEGACY_LESSONS}  # new ones: test_lessons.py


def test_every_book_experiment_has_a_failing_setting():
    """The experiments of the chapters' figures (the lessons' own experiments test themselves)."""
    assert set(FAILING) <= set(list_lessons())


@pytest.mark.parametrize("name", sorted(FAILING))
def test_a_failing_setting_is_reported_in_words(name):
    module = lesson_module(name)
    config = dataclasses.replace(module.Config().quick(), **FAILING[name]).validate()
    result = module.run(config)
    summary = module.summarize(result)
    text = " ".join(summary.conclusions)
    assert summary.conclusions and all(line.endswith(".") for line in summary.conclusions)
    wanted = SAYS.get(name, ("diverged", "did not learn"))
    assert any(word in text for word in ([wanted] if isinstance(wanted, str) else wanted)), text
    assert not any(phrase in text for phrase in NEVER if name != "optimizers-2d"), text
    assert all(len(row) == len(summary.headers) for row in summary.rows)
    json.dumps(dataclasses.asdict(result), default=float)  # the metrics can be written
    for figure in module.plot(result).values():
        plt.close(figure)


@pytest.mark.parametrize("name", [n for n in ["regularization"] if n in LEGACY_LESSONS])
def test_a_result_is_rebuilt_from_its_metrics_and_summarized_alike(name):
    """collect_results summarizes a run again from its metrics.json: the rebuilt Result must say the same."""
    from trainlab.lab.common import result_from_plain

    module = lesson_module(name)
    config = dataclasses.replace(module.Config().quick(), **FAILING[name])
    result = module.run(config)
    plain = json.loads(json.dumps(dataclasses.asdict(result), default=float))
    again = result_from_plain(module.Result, plain)
    assert module.summarize(again) == module.summarize(result)
