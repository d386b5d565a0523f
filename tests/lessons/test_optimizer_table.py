"""optimizer-table: speed to a level, quality at convergence (the test accuracy at the best
validation epoch)."""

import dataclasses
import math

from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import run_lesson

lesson = load_lesson("optimizer-table")
module = lesson.module


def test_quality_is_read_at_the_best_validation_epoch_not_the_best_test_epoch():
    run = {
        "valid_accuracy": [0.90, 0.95, 0.94],
        "test_accuracy": [0.80, 0.85, 0.99],
        "to_level": 12,
    }
    assert module.QUALITY.of(run, None) == 0.85 and module.EPOCHS.of(run, None) == 2
    assert math.isnan(module.QUALITY.of({"valid_accuracy": [], "test_accuracy": []}, None))


def test_training_stops_after_patience_epochs_without_a_better_validation_accuracy_or_at_the_budget():
    config = module.Config(
        dataset="mnist-mini",
        train_samples=600,
        validation=100,
        max_epochs=3,
        patience=10,
        window=5,
        level=0.5,
        seeds=1,
        curve_every=1,
    )
    run = module.train(config, "adam", 0)
    assert len(run["valid_accuracy"]) == 3 == len(run["test_accuracy"])  # the budget: 3 epochs
    assert len(run["curve"]) == 3 * 4  # ⌈500 / 128⌉ = 4 steps an epoch
    frozen = dataclasses.replace(config, learning_rates=(1e-9,) * 8, patience=1)
    stalled = module.train(frozen, "sgd", 0)  # the weights barely move: no epoch beats the first
    assert (
        module.best(stalled) == 0 and len(stalled["valid_accuracy"]) == 2
    )  # the best, then 1 epoch of patience
    assert stalled["to_level"] == 3 * 4 + 1  # never reached: the budget of steps + 1


def test_one_seed_gives_every_optimizer_the_same_start_and_batches():
    config = module.Config(
        dataset="mnist-mini",
        train_samples=600,
        validation=100,
        max_epochs=1,
        window=1,
        curve_every=1,
    )
    first = {s: module.train(config, s, 3)["curve"][0] for s in ("sgd", "adam", "rmsprop")}
    assert len(set(first.values())) == 1  # the loss of the first batch, before any update


def test_the_table_puts_the_books_stars_beside_the_measures():
    quick = run_lesson("optimizer-table", quick=True)
    headers, rows = quick.table()
    assert headers[:3] == ["optimizer", "η", "speed (book)"] and headers[4] == "quality (book)"
    assert [row[:3] for row in rows[:2]] == [["SGD", "0.01", "★"], ["Momentum", "0.01", "★★"]]
    assert rows[3][4] == "★"  # AdaGrad: it stops too early
    verdicts = {e.claim.id: e.verdict for e in quick.evaluations}
    assert verdicts["sgd-slowest"] == "agrees"  # SGD's ★ shows even at the quick size


def test_the_rates_are_the_books_without_tuning():
    config = module.Config()
    rates = dict(zip(config.optimizers, config.learning_rates, strict=True))
    assert rates == {
        "sgd": 0.01,
        "momentum": 0.01,
        "nesterov": 0.01,
        "adagrad": 0.01,
        "rmsprop": 0.001,
        "adam": 0.001,
        "nadam": 0.001,
        "adamax": 0.001,
    }
    assert module.BOOK_SETTINGS["rmsprop"] == {"rho": 0.9}
