"""lr-schedules: every schedule's constants are the book's as fractions of the run, so the book's own run gets
the book's numbers and a shorter run the same shape; one unit follows its schedule step by step."""

import dataclasses
import math

import pytest

import trainlab as tl
from trainlab.lab.lesson import load_lesson

lesson = load_lesson("lr-schedules")
module = lesson.module
BOOK_STEPS_PER_EPOCH = math.ceil(55000 / 32)  # the book's 55,000 training images in batches of 32


def schedule(setting, config, steps):
    (callback,) = module.callbacks(config, setting, steps)
    return callback


def test_the_books_25_epoch_run_gets_the_books_constants():
    config = dataclasses.replace(module.Config(), epochs=25)
    steps = 25 * BOOK_STEPS_PER_EPOCH
    assert schedule("power", config, steps).decay_steps == pytest.approx(
        10000, rel=0.02
    )  # Keras's decay=1e-4
    assert schedule("exponential", config, steps).decay_steps == pytest.approx(
        20 * BOOK_STEPS_PER_EPOCH
    )
    piecewise = schedule("piecewise", config, steps)
    assert [b / BOOK_STEPS_PER_EPOCH for b in piecewise.boundaries] == pytest.approx([5, 15])
    assert piecewise.values == pytest.approx([0.01, 0.005, 0.001])
    plateau = schedule("performance", config, steps)
    assert (plateau.settings["patience"], plateau.settings["factor"], plateau.monitor) == (
        5,
        0.5,
        "val_loss",
    )
    assert (
        schedule("1cycle", config, steps).max_lr == 0.05
        and module.callbacks(config, "constant", steps) == []
    )


@pytest.mark.parametrize("epochs", [4, 10, 25])
def test_a_shorter_run_ends_each_schedule_at_the_same_rate(epochs):
    """The exponential schedule ends at η0·0.1^(1/0.8) = 5.62e-4, whatever the budget; its s/2 and 2s arms
    at η0·0.1^2.5 and η0·0.1^0.625."""
    config = dataclasses.replace(module.Config(), epochs=epochs)
    steps = epochs * 100
    for setting, power in (
        ("exponential", 1.25),
        ("exponential s/2", 2.5),
        ("exponential 2s", 0.625),
    ):
        assert schedule(setting, config, steps)(steps) == pytest.approx(0.01 * 0.1**power, rel=1e-6)
    assert schedule("power", config, steps)(steps) == pytest.approx(0.01 / (1 + 1 / 0.23))
    assert schedule("piecewise", config, steps)(steps - 1) == pytest.approx(0.001)


def tiny(**changes):
    sizes = {
        "train_samples": 320,
        "validation_samples": 100,
        "test_samples": 200,
        "hidden": (16,),
        "epochs": 3,
    }
    return dataclasses.replace(module.Config(), **{**sizes, **changes})


def test_one_unit_follows_its_schedule_and_is_a_pure_function_of_its_arguments():
    config = tiny()
    runs = {
        s: module.train(config, s, 0) for s in ("constant", "exponential", "1cycle", "performance")
    }
    steps = 3 * 10  # 320 images in batches of 32
    assert set(runs["constant"]["step_lr"]) == {0.01} and runs["constant"]["steps_per_epoch"] == 10
    expected = [0.01 * 0.1 ** (t / (0.8 * steps)) for t in range(steps)]
    assert runs["exponential"]["step_lr"] == pytest.approx(expected, rel=1e-5)
    cycle = runs["1cycle"]["step_lr"]
    assert (
        cycle[0] == pytest.approx(0.005)
        and max(cycle) == pytest.approx(0.05, rel=0.1)
        and cycle[-1] < 0.005
    )
    assert all(
        b <= a
        for a, b in zip(runs["performance"]["lr"], runs["performance"]["lr"][1:], strict=False)
    )
    for run in runs.values():
        assert run["status"] == "completed" and len(run["val_accuracy"]) == len(run["loss"]) == 3
        assert 0 <= run["test_accuracy"] <= 1
    assert module.train(config, "exponential", 0) == runs["exponential"]


def test_the_same_seed_starts_every_schedule_from_the_same_net_and_batches():
    """A schedule that keeps η0 for the whole run (piecewise with its cuts past the end) trains exactly as the
    constant rate does: same initial weights, same batches."""
    config = tiny(piecewise=(0.98, 0.99), epochs=1)
    constant, piecewise = module.train(config, "constant", 3), module.train(config, "piecewise", 3)
    assert constant["loss"] == pytest.approx(piecewise["loss"], rel=1e-6)
    assert module.train(config, "constant", 4)["loss"] != constant["loss"]


def test_a_diverged_schedule_is_not_measured():
    run = {
        "status": "diverged",
        "test_accuracy": 0.1,
        "val_accuracy": [0.1],
        "loss": [math.nan],
        "lr": [10.0],
    }
    assert math.isnan(module.ACCURACY.of(run, None))
    assert module.ACCURACY.of({**run, "status": "completed"}, None) == 0.1


def test_the_claims_compare_the_books_three_schedules_with_the_constant_rate():
    claims = {c.id: c for c in lesson.claims}
    assert [claims[f"{s}-faster"].a for s in ("exponential", "performance", "1cycle")] == [
        "exponential",
        "performance",
        "1cycle",
    ]
    assert all(
        claims[f"{s}-faster"].b == "constant" for s in ("exponential", "performance", "1cycle")
    )
    tune = claims["exponential-easy-to-tune"]
    assert tune.expect == "~" and tune.margin == 0.005 and set(tune.b) == set(module.TUNING)
    assert set(module.Config().schedules) == {*module.SCHEDULES, *module.TUNING}
    assert isinstance(tl.OneCycle(0.05), tl.OneCycle)
