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
    lessons = ("activations", "adagrad-fade", "batchnorm-regularizer", "dropout-ensemble", "gradient-arrows",
               "gradient-clipping", "l1-sparsity", "pretrained-layers", "random-vs-grid",
               "symmetric-weights")
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


def adagrad_result(adagrad_growth, rmsprop_growth, adagrad_loss, rmsprop_loss, adagrad_2d):
    runs = [NS(optimizer="adagrad", median_step=[1.0, g], final_loss=loss)
            for g, loss in zip(adagrad_growth, adagrad_loss, strict=True)]
    runs += [NS(optimizer="rmsprop:0.9", median_step=[1.0, g], final_loss=loss)
             for g, loss in zip(rmsprop_growth, rmsprop_loss, strict=True)]
    paths = [[[-7.0, 2.0], [adagrad_2d, 0.0]], [[-7.0, 2.0], [0.01, 0.0]]]
    return NS(runs=runs, optimizers=["adagrad", "rmsprop:0.9"], iterations=2000, lr=0.01, lr_2d=0.1, paths=paths)


def test_adagrad_fade_and_stall_verdicts_flip():
    module = lesson_module("adagrad-fade")
    fades = adagrad_result([0.10, 0.11, 0.12], [50.0, 60.0, 70.0], [0.30, 0.31, 0.32], [0.10, 0.11, 0.12], 2.0)
    assert module.fade_verdict(fades) == [
        "As in the book, AdaGrad's effective step shrank (to 0.110 ± 0.010 of its first value) while that of "
        "RMSProp rho=0.9 did not fall as far, beyond the seed-to-seed noise."]
    stall, two_d = module.stall_conclusions(fades)
    assert stall.startswith("As in the book, AdaGrad stalled on the MNIST net: its loss ended above that of RMSProp")
    assert two_d.startswith("As in the book, AdaGrad stalled on the long 2-D run: after 1 steps it was still 2 from")
    grows = adagrad_result([1.5, 1.6, 1.7], [0.5, 0.6, 0.7], [0.10, 0.11, 0.12], [0.30, 0.31, 0.32], 0.01)
    assert module.fade_verdict(grows)[0].startswith("Unlike the book, AdaGrad's effective step (last / first 1.600")
    stall, two_d = module.stall_conclusions(grows)
    assert stall.startswith("Unlike the book, within 2000 steps on the MNIST net AdaGrad's fading steps did not")
    assert two_d.startswith("Unlike the book, AdaGrad did not stall on the long 2-D run")
    level = adagrad_result([0.10, 0.11, 0.12], [0.05, 0.5, 0.9], [0.1, 0.2, 0.3], [0.15, 0.2, 0.25], 2.0)
    assert "not tested by a run" in module.fade_verdict(level)[0]
    assert "not tested by a run of 2000 steps" in module.stall_conclusions(level)[0]


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


def test_symmetric_weights_verdict_flips():
    module = lesson_module("symmetric-weights")

    def result(distinct, equal, random):
        runs = [NS(init="zeros", distinct=[[1, 1], [1, distinct]], test_accuracy=[0.1, v]) for v in equal]
        runs += [NS(init="xavier", distinct=[[100, 100]] * 2, test_accuracy=[0.1, v]) for v in random]
        return NS(runs=runs)

    assert module.symmetry_verdict(result(1, [0.1, 0.11, 0.12], HIGH), "zeros") == (
        "As in the book, from all weights 0 the units of each layer stayed copies and the net learned far less: "
        "test accuracy 0.110 ± 0.010 from all weights 0 against 0.910 ± 0.010 from Xavier.")
    assert module.symmetry_verdict(result(7, HIGH, HIGH), "zeros").startswith(
        "Unlike the book, from all weights 0 the units did not stay copies")
    assert "not tested by a run" in module.symmetry_verdict(result(1, NOISY, LOW), "zeros")


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
