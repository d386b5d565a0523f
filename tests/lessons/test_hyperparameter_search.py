"""hyperparameter-search: the book's ranges, the narrowing to the Best-5's values, and the measures
on hand-built searches (bands, best-of-N optimism, short trials against long ones)."""

import dataclasses

import numpy as np
import pytest

from trainlab.lab.lesson import load_lesson

lesson = load_lesson("hyperparameter-search")
module = lesson.module
CONFIG = dataclasses.replace(module.Config(), top=4, block=2, short_epochs=1)


def trial(lr, decay, val, test):
    return {"lr": lr, "weight_decay": decay, "val": val, "test": test, "status": "completed"}


SEARCH = {
    "ranges": [[-6, -2], [-8, -4]],
    "trials": [
        trial(5e-3, 1e-7, [0.5, 0.8], 0.70),
        trial(2e-3, 1e-5, [0.4, 0.7], 0.66),
        trial(1e-5, 1e-7, [0.1, 0.1], 0.1),
        trial(8e-3, 5e-5, [0.6, 0.75], 0.74),
        trial(1e-4, 1e-8, [0.1, 0.2], 0.2),
        trial(5e-4, 1e-7, [0.2, 0.5], 0.5),
    ],
}


def test_the_book_settings():
    config = module.Config()
    assert (config.train_samples, config.val_fraction, config.trials, config.epochs) == (
        500,
        0.2,
        100,
        50,
    )
    assert (config.lr_range, config.weight_decay_range, config.top_k) == (
        (-6.0, -2.0),
        (-8.0, -4.0),
        5,
    )


def test_band_shares_of_the_top_trials():
    assert [t["val"][-1] for t in module.ranked(SEARCH)][:4] == [0.8, 0.75, 0.7, 0.5]
    assert module.LR_BAND.of(SEARCH, CONFIG) == pytest.approx(
        3 / 4
    )  # 5e-3, 8e-3, 2e-3 in; 5e-4 out
    assert module.WD_BAND.of(SEARCH, CONFIG) == pytest.approx(2 / 4)  # 1e-7 twice


def test_the_validation_choice_overstates_the_chosen_trial():
    assert module.OPTIMISM.of(SEARCH, CONFIG) == pytest.approx(0.8 - 0.70)


def test_tuning_on_a_test_slice_overstates_the_chosen_trials_accuracy_elsewhere():
    trials = [{"test_slices": [0.9, 0.5, 0.7]}, {"test_slices": [0.6, 0.8, 0.7]}]
    # one trial alone: its slice scores average out against the other slices
    assert module.tuned_on_test(trials, 1) == pytest.approx(0.0)
    # slice 1 picks trial 1 (0.9 against 0.6 elsewhere), slice 2 trial 2 (0.8 against 0.65), slice 3 trial 1
    # (a tie at 0.7, the first wins; 0.7 against 0.7)
    assert module.tuned_on_test(trials, 2) == pytest.approx(np.mean([0.9 - 0.6, 0.8 - 0.65, 0.0]))
    run = {"trials": trials}
    assert module.MORE_OPTIMISM.of(run, dataclasses.replace(CONFIG, block=1)) == pytest.approx(0.15)


def test_short_trials_against_long_ones():
    # ranks after epoch 1: 4, 3, 0.5, 5, 0.5, 2 (two tied at 0.1); at the end: 5, 3, 0, 4, 1, 2
    assert module.SHORT_LONG.of(SEARCH, CONFIG) == pytest.approx(16 / np.sqrt(17 * 17.5))


def test_stage_two_searches_the_range_of_stage_ones_best_trials():
    config = dataclasses.replace(
        module.Config().quick(),
        trials=5,
        stage2_trials=3,
        top_k=2,
        epochs=2,
        short_epochs=1,
        hidden=(8,),
        lr_range=(-2.0, 0.0),
    )
    run = module.train(config, None, 0)
    first, second = run["stage 1"], run["stage 2"]
    assert len(first["trials"]) == 5 and len(second["trials"]) == 3
    assert all(
        1e-2 <= t["lr"] <= 1.0 and 1e-8 <= t["weight_decay"] <= 1e-4 for t in first["trials"]
    )
    best = module.ranked(first)[:2]
    (lr_low, lr_high), (wd_low, wd_high) = second["ranges"]
    assert lr_low == pytest.approx(np.log10(min(t["lr"] for t in best)))
    assert lr_high == pytest.approx(np.log10(max(t["lr"] for t in best)))
    assert all(
        10**lr_low <= t["lr"] * (1 + 1e-9) and t["lr"] <= 10**lr_high * (1 + 1e-9)
        for t in second["trials"]
    )
    assert all(
        10**wd_low <= t["weight_decay"] * (1 + 1e-9)
        and t["weight_decay"] <= 10**wd_high * (1 + 1e-9)
        for t in second["trials"]
    )
    assert all(
        len(t["val"]) == len(t["train"]) == 2 and 0 <= t["test"] <= 1 for t in first["trials"]
    )
    assert all(len(t["test_slices"]) == config.slices for t in first["trials"])
    assert all(
        np.mean(t["test_slices"]) == pytest.approx(t["test"], abs=1e-3) for t in first["trials"]
    )
