"""Every experiment at a setting that diverges or learns nothing: it reports so in words, never crashes,
and no conclusion praises the failed runs (issue 10, finding 3 and the absurd-loss finding)."""

import dataclasses
import json

import matplotlib.pyplot as plt
import pytest
from lesson_helpers import LEGACY_LESSONS

from trainlab.lab.legacy_runner import run_experiment
from trainlab.lab.lesson import lesson_module, list_lessons

OPTIMIZERS = len(lesson_module("optimizers").Config().optimizers)
# name -> the changes to its quick config that make training fail (diverge, blow up or learn nothing)
FAILING = {
    "gradient-descent": {"learning_rates": (20.0, 1e3)},
    "two-layer-net": {"lr": 1e4, "iterations": 150},
    "optimizers-2d": {"learning_rates": (1e6,) * 8},
    "optimizer-table": {"learning_rates": (10.0,) * OPTIMIZERS, "iterations": 40, "final_window": 10},
    "init-histograms": {"inits": ("1e300",) * 7},
    "init-compare": {"lr": 10.0, "iterations": 40, "final_window": 10, "seeds": 1},
    "batchnorm": {"lr": 1e3, "scales": 4, "epochs": 2},
    "overfitting": {"lr": 10.0, "epochs": 5, "dropout_epochs": 5, "test_samples": 200},
    "hyperparameter-search": {"lr_range": (10.0, 100.0), "trials": 4, "stage2_trials": 2, "epochs": 2},
}
# what the summary must say of the failure, and what it must not claim, per experiment
SAYS = {"init-histograms": "overflowed", "hyperparameter-search": "No trial learned"}
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
    assert not any(phrase in text for phrase in NEVER if name not in ("optimizers-2d", "batchnorm")), text
    assert all(len(row) == len(summary.headers) for row in summary.rows)
    json.dumps(dataclasses.asdict(result), default=float)  # the metrics can be written
    for figure in module.plot(result).values():
        plt.close(figure)


def test_overfitting_at_a_diverging_rate_writes_every_file(tmp_path):
    """The issue's reproduction: `trainlab run overfitting --quick --set lr=10` crashed in summarize."""
    record = run_experiment("overfitting", quick=True, out=tmp_path, echo=lambda line: None,
                            overrides=["lr=10", "epochs=5", "dropout_epochs=5"])
    files = {path.name for path in record.folder.iterdir()}
    assert {"config.json", "metrics.json", "summary.md", "summary.json", "accuracy.png", "gap.png"} <= files
    assert "training diverged" in (record.folder / "summary.md").read_text()


@pytest.mark.parametrize("name", [n for n in ["overfitting", "batchnorm"] if n in LEGACY_LESSONS])
def test_a_result_is_rebuilt_from_its_metrics_and_summarized_alike(name):
    """collect_results summarizes a run again from its metrics.json: the rebuilt Result must say the same."""
    from trainlab.lab.common import result_from_plain

    module = lesson_module(name)
    config = dataclasses.replace(module.Config().quick(), **FAILING[name])
    result = module.run(config)
    plain = json.loads(json.dumps(dataclasses.asdict(result), default=float))
    again = result_from_plain(module.Result, plain)
    assert module.summarize(again) == module.summarize(result)
