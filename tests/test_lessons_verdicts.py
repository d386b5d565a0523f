"""The book verdicts of the lesson experiments (issues 12 and 13): results built by hand where the book's claim
clearly holds, clearly fails, or is within the seed-to-seed noise; the verdict must flip with the numbers, and
docs/results.md's table (scripts/collect_results.py) must count it on the right side."""

import importlib.util
import types
from pathlib import Path

import pytest

from trainlab.lab.lesson import lesson_module, list_lessons

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("collect_results", ROOT / "scripts" / "collect_results.py")
collect_results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(collect_results)

NS = types.SimpleNamespace  # a Result or Run built by hand: only the fields the verdict reads
HIGH, LOW, NOISY = [0.90, 0.91, 0.92], [0.80, 0.81, 0.82], [0.70, 0.90, 0.80]


def side(line: str) -> str:
    """'agree', 'disagree', 'unsettled' or 'none' as docs/results.md counts the line."""
    counts = collect_results.agreement([line])
    assert sum(counts) <= 1, line
    return next((name for name, count in zip(("agree", "disagree", "unsettled"), counts, strict=True) if count),
                "none")


def test_the_results_table_counts_three_sides():
    lines = ["As in the book, a.", "Unlike the book, b.", "c is within the noise: not tested by a run.",
             "A sentence without a verdict.", "as the book says, d."]
    assert collect_results.agreement(lines) == (2, 1, 1)


def test_every_lesson_states_what_the_book_says():
    lessons = ("activations", "batchnorm-regularizer", "dropout-ensemble", "gradient-arrows",
               "gradient-clipping", "l1-sparsity", "lr-finder", "pretrained-layers", "random-vs-grid")
    assert set(lessons) <= set(list_lessons())
    for name in lessons:
        assert len(lesson_module(name).BOOK_SAYS) > 80, name


def test_activations_pair_verdict_flips_with_the_ranking():
    module = lesson_module("activations")

    def result(selu, elu):
        runs = [NS(activation=a, test_accuracy=[0.1, v]) for a, values in (("selu", selu), ("elu", elu))
                for v in values]
        return NS(runs=runs, epochs=1)

    agree = module.pair_verdict(result(HIGH, LOW), "selu", "elu")
    assert agree.startswith("As in the book, selu beat elu: test accuracy after 1 epoch: selu 0.910 ± 0.010")
    disagree = module.pair_verdict(result(LOW, HIGH), "selu", "elu")
    assert disagree.startswith("Unlike the book, elu beat selu") and "elu is better by 0.100" in disagree
    open_ = module.pair_verdict(result(NOISY, LOW), "selu", "elu")
    assert "not tested by a run" in open_ and "within the seed-to-seed noise" in open_
    assert [side(agree), side(disagree), side(open_)] == ["agree", "disagree", "unsettled"]


def test_batchnorm_speed_verdict_flips():
    module = lesson_module("batchnorm-regularizer")

    def result(with_bn, without_bn):
        runs = [module.Run(bn, seed, [1.0], [0.8], [0.96], epochs)
                for bn, counts in ((True, with_bn), (False, without_bn)) for seed, epochs in enumerate(counts)]
        return module.Result("mnist", 300, 201, 10, 10, 0.95, runs)

    assert module.speed_verdict(result([3, 3, 3], [5, 6, 5])) == (
        "As in the book, batch norm sped training up: 3.0 ± 0.0 epochs to 95% with batch norm against 5.3 ± 0.6 "
        "without.")
    assert module.speed_verdict(result([5, 6, 5], [3, 3, 3])).startswith("Unlike the book, batch norm slowed")
    never = module.speed_verdict(result([3, None, 4], [3, 4, 3]))  # a run that never got there counts as 11
    assert never.startswith("6.0 ± 4.4 epochs to 95% with batch norm") and "not tested by a run" in never


def test_dropout_ensemble_verdicts_flip():
    module = lesson_module("dropout-ensemble")

    def result(single, ensemble, dropout):
        runs = [NS(member_accuracy=[s, s], ensemble_accuracy=[s, e], dropout_accuracy=[d - 0.01, d])
                for s, e, d in zip(single, ensemble, dropout, strict=True)]
        return NS(runs=runs, epochs=30)

    helps = result(LOW, [0.85, 0.86, 0.87], [0.84, 0.85, 0.86])
    assert module.ensemble_verdict(helps) == ("As in the book, the ensemble beat a single net: an ensemble of 2 "
                                              "0.860 ± 0.010 against one net 0.810 ± 0.010.")
    assert module.dropout_verdict(helps).startswith("As in the book, one net with dropout did what an ensemble "
                                                    "does, beat a single plain net: dropout after 60 epochs 0.850")
    hurts = result(HIGH, LOW, LOW)
    assert module.ensemble_verdict(hurts).startswith("Unlike the book, the ensemble scored below a single net")
    assert module.dropout_verdict(hurts).startswith("Unlike the book, the dropout net stayed below")
    level = result(LOW, NOISY, NOISY)
    assert "not tested by a run" in module.ensemble_verdict(level)
    assert "not tested by a run" in module.dropout_verdict(level)
    small = result([0.8, 0.801, 0.802], [0.81, 0.811, 0.812], LOW)  # real but below the book's few percent
    assert "less than the book's few percent" in module.ensemble_verdict(small)


def test_gradient_clipping_verdict_flips():
    module = lesson_module("gradient-clipping")

    def result(norm, none):
        runs = [NS(arm=arm, test_accuracy=v) for arm, values in (("clip by norm", norm), ("no clipping", none))
                for v in values]
        return NS(runs=runs, clip_norm=1.0, clip_value=1.0)

    assert module.clip_verdict(result(HIGH, [0.1, 0.11, 0.12]), "clip by norm") == (
        "As in the book, clip by norm (1) kept the net trainable: test accuracy 0.910 ± 0.010 with clip by norm (1) "
        "against 0.110 ± 0.010 without clipping.")
    assert module.clip_verdict(result(LOW, HIGH), "clip by norm").startswith("Unlike the book, clip by norm (1)")
    assert "not tested by a run" in module.clip_verdict(result(NOISY, LOW), "clip by norm")


def test_l1_sparsity_verdict_flips():
    module = lesson_module("l1-sparsity")
    result = NS(threshold=1e-3, l1=3e-4, l2=1e-3)
    sparse = module.sparsity_verdict(result, {"l1": [0.5, 0.51, 0.52], "l2": [0.01] * 3, "none": [0.0] * 3})
    assert sparse.startswith("As in the book, L1 made the weights sparse and L2 did not: 0.510 ± 0.010")
    dense = module.sparsity_verdict(result, {"l1": [0.01] * 2 + [0.02], "l2": [0.5, 0.51, 0.52], "none": [0.0] * 3})
    assert dense.startswith("Unlike the book, L2 left more weights near 0 than L1")
    level = module.sparsity_verdict(result, {"l1": [0.1, 0.3, 0.2], "l2": [0.2, 0.2, 0.21], "none": [0.0] * 3})
    assert "not tested by a run" in level


def test_lr_finder_verdicts_flip():
    module = lesson_module("lr-finder")
    cycle, found, hand = module.ARMS

    def result(one_cycle, constant, by_hand):
        runs = [NS(arm=arm, test_accuracy=v) for arm, values in ((cycle, one_cycle), (found, constant),
                                                                 (hand, by_hand)) for v in values]
        return NS(runs=runs, epochs=10)

    good = result(HIGH, LOW, [0.5, 0.51, 0.52])
    assert module.finder_verdict(good).startswith("As in the book, the rate the sweep found beat the hand-picked")
    assert module.one_cycle_verdict(good).startswith("As in the book, 1cycle ended above the constant rate")
    bad = result(LOW, HIGH, [0.95, 0.96, 0.97])
    assert module.finder_verdict(bad).startswith("Unlike the book, the hand-picked rate did better")
    assert module.one_cycle_verdict(bad).startswith("Unlike the book, the constant rate ended above 1cycle: "
                                                    "1cycle at the found rate 0.810 ± 0.010 against")
    level = result(NOISY, LOW, NOISY)
    assert "not tested by a run" in module.finder_verdict(level)
    assert "not tested by a run" in module.one_cycle_verdict(level)


def test_pretrained_layers_verdicts_use_the_books_numbers():
    module = lesson_module("pretrained-layers")
    assert pytest.approx(2.95 / 0.75) == module.BOOK_ERROR_RATIO
    reuse = module.reuse_verdict([0.99, 0.992, 0.994], [0.97, 0.971, 0.972])
    assert reuse.startswith("As in the book, reusing model A's layers raised test accuracy on task B: B on A "
                            "0.992 ± 0.002 against B from scratch 0.971 ± 0.001 (the book: 99.25% against 97.05%)")
    assert module.reuse_verdict([0.97, 0.971, 0.972], [0.99, 0.992, 0.994]).startswith("Unlike the book, reuse "
                                                                                        "lowered")
    assert "not tested by a run" in module.reuse_verdict([0.98, 0.99, 0.97], [0.98, 0.985, 0.975])
    assert module.ratio_verdict([3.8, 4.0, 4.2]).startswith("As in the book, error rate divided by 4.00 ± 0.20")
    assert module.ratio_verdict([1.2, 1.5, 1.8]).startswith("Unlike the book, reuse did not divide the error rate")
    assert "not tested by a run" in module.ratio_verdict([1.5])


def test_random_vs_grid_verdict_flips():
    module = lesson_module("random-vs-grid")
    result = NS(budget=16, runs=[None] * 6)
    assert module.search_verdict(result, {"random": HIGH, "grid": LOW}).startswith(
        "As in the book, random search beat the grid at the same budget: best validation accuracy after 16 trials "
        "0.910 ± 0.010 with random search against 0.810 ± 0.010 with the grid")
    assert module.search_verdict(result, {"random": LOW, "grid": HIGH}).startswith("Unlike the book, the grid beat")
    assert "not tested by a run this size (3 repeats of 16 trials)" in module.search_verdict(
        result, {"random": NOISY, "grid": LOW})


def test_hyperparameter_search_band_verdict_counts_the_top_trials_against_chance():
    module = lesson_module("hyperparameter-search")

    def trials(lrs):
        return [NS(params={"lr": lr, "weight_decay": 1e-5}) for lr in lrs]

    ranked = trials([5e-3] * 10 + [1e-5] * 30)  # the top 10 all in the band, a quarter of all trials
    assert module.band_verdict(ranked, ranked[:10], "lr") == (
        "As in the book, the good values of lr lie in its band: 10 of the top 10 trials have lr in the book's "
        "0.001 to 0.01, against 2.5 ± 1.4 expected by chance (10 of all 40 trials lie there).")
    ranked = trials([1e-5] * 10 + [5e-3] * 30)
    assert module.band_verdict(ranked, ranked[:10], "lr").startswith("Unlike the book, the good values of lr lie "
                                                                     "outside")
    ranked = trials([5e-3, 1e-5] * 20)
    assert "not tested by a run" in module.band_verdict(ranked, ranked[:10], "lr")


def test_gradient_check_and_arrows_verdicts_against_the_books_printout():
    check = lesson_module("gradient-check")
    assert check.book_verdict(1.3e-11).startswith("As in the book, the two gradients differ by almost nothing")
    assert check.book_verdict(1e-6).startswith("Unlike the book, the largest mean absolute difference is 1.0e-06")
    arrows = lesson_module("gradient-arrows")
    result = NS(h=1e-4, worst_angle=1e-6, arrows=[[1.0, 0.0], [2.0, 0.0]], grid=[[-0.5, 0.0], [-1.0, 0.0]])
    exact, pointing = arrows.book_verdicts(result, 1e-11)
    assert exact.startswith("As in the book") and pointing.startswith("As in the book's figure 4-9")
    result.arrows = [[2.0, 0.0], [1.0, 0.0]]  # the farther arrow shorter
    wrong, shorter = arrows.book_verdicts(result, 1e-3)
    assert wrong.startswith("Unlike the book, the numerical gradient is 0.001 off") and side(shorter) == "disagree"


class Recipes:
    """A regularization Result by hand: the recipes with their runs."""

    def __init__(self, runs):
        self.runs = runs

    def recipes(self):
        return list(dict.fromkeys(r.recipe for r in self.runs))

    def of(self, recipe):
        return [r for r in self.runs if r.recipe == recipe]

    def ok(self, recipe):
        return True


def test_regularization_verdicts_flip_with_the_gap():
    module = lesson_module("regularization")

    def runs(recipe, gaps):
        return [NS(recipe=recipe, gap=g, test_accuracy=0.85 + 0.001 * i) for i, g in enumerate(gaps)]

    result = Recipes(runs("baseline", [0.14, 0.15, 0.16]) + runs("l2", [0.09, 0.10, 0.11])
                     + runs("dropout", [0.19, 0.20, 0.21]) + runs("max-norm", [0.10, 0.15, 0.20]))
    l2, dropout, max_norm = module.recipes_against_baseline(result)
    assert l2.startswith("As in the book, with l2: the gap shrank (0.1 ± 0.01 against 0.15 ± 0.01")
    assert dropout.startswith("Unlike the book, with dropout: the gap grew")
    assert max_norm.startswith("Max-norm: the gap did not change") and "not tested by a run" in max_norm


def test_recipes_self_normalizing_verdict_flips():
    module = lesson_module("recipes")
    normal, drifted = NS(mean=[0.0, 0.1], std=[1.0, 0.9]), NS(mean=[0.0, 0.1], std=[1.0, 4.0])

    def result(trained):
        runs = [NS(name="self-normalizing", failed=False, trained=trained, initial=normal)]
        return NS(of=lambda name: runs if name == "self-normalizing" else [], names=lambda: ["self-normalizing"])

    assert module.self_normalizing(result(normal)) == [
        "As in the book, the self-normalizing net kept its activations normalized without batch norm in every seed "
        "(hidden stds 0.90 to 1.00 after training)."]
    (line,) = module.self_normalizing(result(drifted))
    assert line.startswith("Unlike the book, the self-normalizing net did not keep its activations normalized "
                           "(hidden stds 1.00 to 4.00 after training); at initialization it was normalized")


def test_activations_vanishing_and_dying_verdicts_flip():
    module = lesson_module("activations")

    def result(sigmoid_ratio, relu_dead, elu_dead=0.0):
        runs = [NS(activation="sigmoid", grad_norms=[[sigmoid_ratio, 1.0, 1.0]], dead_fraction=[0.0, 0.0]),
                NS(activation="relu", grad_norms=[[0.5, 1.0, 1.0]], dead_fraction=[relu_dead, relu_dead / 2]),
                NS(activation="elu", grad_norms=[[0.9, 1.0, 1.0]], dead_fraction=[elu_dead, 0.0])]
        return NS(runs=runs, activations=["sigmoid", "relu", "elu"])

    assert module.vanishing_verdict(result(1e-9, 0.1)) == [
        "As in the book, sigmoid's gradients vanish towards the input (first over last hidden layer 1e-09 before "
        "training, every seed) while those of relu, elu keep their size."]
    assert module.vanishing_verdict(result(0.5, 0.1))[0].startswith("Unlike the book, sigmoid's gradients did not "
                                                                      "vanish")
    assert module.dying_verdict(result(1e-9, 0.1)) == [
        "As in the book, ReLU units died and the leaky variants' did not: ReLU 0.100 of its hidden units dead (most "
        "over the run, per seed), none with elu."]
    assert module.dying_verdict(result(1e-9, 0.1, elu_dead=0.02))[0].startswith("Unlike the book, some units died "
                                                                                "with elu (2.0%)")
    assert "not tested by a run" in module.dying_verdict(result(1e-9, 0.0))[0]


def test_hyperparameter_search_narrowing_verdict_flips():
    module = lesson_module("hyperparameter-search")
    assert module.narrowing_verdict(LOW, HIGH) == (
        "As in the book, narrowing the ranges paid: validation accuracy of a trial 0.910 ± 0.010 in the narrowed "
        "ranges against 0.810 ± 0.010 in the first stage.")
    assert module.narrowing_verdict(HIGH, LOW).startswith("Unlike the book, the trials in the narrowed ranges")
    assert "not tested by a run" in module.narrowing_verdict(NOISY, LOW)
    assert "not tested by a run" in module.narrowing_verdict([0.5], LOW)
