"""The lessons of issue 13, each run with --quick: the numbers that carry each lesson, and the noise rule."""

import dataclasses

import numpy as np
import pytest

import trainlab as tl
from trainlab.lab.lesson import lesson_module
from trainlab.lab.noise import Spread, compare, differs

_CACHE = {}


def quick(name):
    """(module, config, result, summary) of experiment ``name`` run once with its quick config."""
    if name not in _CACHE:
        module = lesson_module(name)
        config = module.Config().quick()
        result = module.run(config)
        _CACHE[name] = module, config, result, module.summarize(result)
    return _CACHE[name]


def text(summary):
    return " ".join(summary.conclusions)


# -- the noise rule ------------------------------------------------------------------------------------------
def test_spread_and_the_noise_rule():
    a, b = Spread.of([0.90, 0.92, 0.91]), Spread.of([0.80, 0.81, 0.79])
    assert a.mean == pytest.approx(0.91) and a.sd == pytest.approx(0.01) and a.text() == "0.910 ± 0.010"
    assert differs(a, b) and not differs(a, Spread.of([0.905, 0.93, 0.89]))
    assert not differs(Spread.of([0.9]), Spread.of([0.1]))  # one seed: no noise estimate, no claim
    sentence = compare("x", [0.90, 0.92, 0.91], "y", [0.80, 0.81, 0.79], "acc")
    assert "x is better by 0.110, more than the seed-to-seed noise (2 standard errors: 0.016" in sentence
    assert "y is better" in compare("x", [0.90, 0.92, 0.91], "y", [0.80, 0.81, 0.79], "loss", higher_is_better=False)
    assert "within the seed-to-seed noise" in compare("x", [0.90, 0.95], "y", [0.91, 0.93], "acc")
    assert "noise is unknown" in compare("x", [0.9], "y", [0.1], "acc")
    with pytest.raises(ValueError, match="values is empty"):
        Spread.of([])


# -- activations (issue 13, lesson 3) ------------------------------------------------------------------------
def test_activations_sigmoid_gradients_vanish_while_the_relu_family_keeps_them():
    module, config, result, summary = quick("activations")
    assert len(result.runs) == len(config.activations) * config.repeats
    for run in result.runs:
        assert len(run.grad_norms) == config.epochs + 1 and len(run.grad_norms[0]) == config.depth + 1
        assert len(run.test_accuracy) == config.epochs + 1
    ratios = {a: np.mean([module.ratio(r.grad_norms[0]) for r in module.runs_of(result, a)])
              for a in result.activations}
    assert ratios["sigmoid"] < 1e-2  # Glorot-initialized sigmoid: the first layer barely gets a gradient
    assert all(1e-2 < ratios[a] < 1e2 for a in ("relu", "prelu", "rrelu", "selu"))
    dead = {a: [r.dead_fraction for r in module.runs_of(result, a)] for a in result.activations}
    assert all(d == [0.0, 0.0] for a in ("prelu", "rrelu", "selu") for d in dead[a])  # they cannot die
    assert "the gradients vanish on the way down to the input with sigmoid with glorot_normal (" in text(summary)
    assert any("the book's selu > relu" in line or line.startswith(("As in the book, selu", "Unlike the book, relu"))
               for line in summary.conclusions)


def test_dead_fraction_counts_units_that_never_fire():
    module = lesson_module("activations")
    model = tl.Sequential([tl.Dense(4), tl.ReLU(), tl.Dense(2)], input_dim=3, seed=0)
    model.params["dense1.b"][:] = [-100.0, -100.0, 100.0, 100.0]  # two units can never fire
    assert module.dead_fraction(model, np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)) == 0.5
    assert module.split_spec("sigmoid@1.0") == ("sigmoid", 1.0) and module.split_spec("selu") == ("selu",
                                                                                                  "lecun_normal")


# -- adagrad-fade (issue 13, lesson 1) -----------------------------------------------------------------------
def test_adagrad_steps_only_shrink_while_rmsprop_steps_follow_the_gradients():
    module, config, result, summary = quick("adagrad-fade")
    adagrad = module.runs_of(result, "adagrad")
    assert len(adagrad) == config.repeats and len(result.runs) == len(config.optimizers) * config.repeats
    for run in adagrad:  # every entry's η/(√h + ε) can only shrink, so their median can only shrink
        assert all(b <= a for a, b in zip(run.median_step, run.median_step[1:], strict=False))
        assert run.steps[-1] == config.iterations and len(run.step_loss) == config.iterations
    assert all(module.growth(r) > 1 for r in module.runs_of(result, "rmsprop:0.9"))
    distances = {spec: module.distance(path, config.steps_2d) for spec, path in zip(result.optimizers, result.paths,
                                                                                       strict=True)}
    assert distances["adagrad"] > 1.0 and distances["rmsprop:0.99"] < 0.1  # AdaGrad stalls on the long 2-D run
    assert "Only AdaGrad ended with smaller effective steps" in text(summary)


def test_adagrad_median_step_by_hand():
    module = lesson_module("adagrad-fade")
    optimizer = tl.AdaGrad(lr=0.5, eps=1e-7)
    optimizer.update({"w": np.zeros(3)}, {"w": np.array([1.0, 2.0, 4.0])})
    assert module.median_step(optimizer) == pytest.approx(0.5 / (2.0 + 1e-7))


# -- symmetric-weights (issue 13, lesson 2) ------------------------------------------------------------------
def test_symmetric_weights_keep_every_unit_a_copy_and_do_not_learn():
    module, config, result, summary = quick("symmetric-weights")
    for run in result.runs:
        assert len(run.distinct) == len(run.test_accuracy) == config.epochs + 1
        if run.init == "xavier":
            assert all(d == list(config.hidden) for d in run.distinct)
        else:
            assert all(d == [1, 1] for d in run.distinct) and max(max(s) for s in run.spread) < 1e-6
    random = [r.test_accuracy[-1] for r in module.runs_of(result, "xavier")]
    for init in ("zeros", "constant"):
        symmetric = [r.test_accuracy[-1] for r in module.runs_of(result, init)]
        assert min(random) > max(symmetric) + 0.2
    assert "its 16 units stayed copies of each other" in text(summary)


def test_distinct_units_and_spread_by_hand():
    module = lesson_module("symmetric-weights")
    W = np.array([[1.0, 1.0, 2.0], [0.5, 0.5, 0.5]])
    assert module.distinct_units(W) == 2 and module.distinct_units(np.ones((3, 4))) == 1
    assert module.spread(W) == pytest.approx(np.mean([np.std([1, 1, 2]), 0.0]))


# -- gradient-clipping (issue 13, lesson 4) ------------------------------------------------------------------
def test_gradient_clipping_by_norm_rescues_the_exploding_net():
    module, _, result, summary = quick("gradient-clipping")
    for seed in {r.seed for r in result.runs}:
        first = {r.arm: r.grad_norm[0] for r in result.runs if r.seed == seed}
        assert len(set(first.values())) == 1  # same weights, same first batch: clipping acts only on the update
    for run in result.runs:
        assert len(run.grad_norm) == len(run.step_loss) > 0
    accuracy = {arm: np.mean([r.test_accuracy for r in module.runs_of(result, arm)]) for arm in module.ARMS}
    assert accuracy["clip by norm"] > accuracy["no clipping"] + 0.2
    assert summary.conclusions[3].startswith("Test accuracy (a diverged run counts with its last weights): clip by")


def test_gradient_clipping_reports_divergence_in_words():
    module = lesson_module("gradient-clipping")
    runs = [module.Run("no clipping", 0, [1.0, 1e6], [2.3, 50.0], "diverged", 2, 0.1),
            module.Run("no clipping", 1, [1.0, 2.0], [2.3, 1.0], "completed", None, 0.8)]
    result = module.Result("mnist", 0.1, 1.0, 1.0, 1, runs)
    assert module.divergence_text(result, "no clipping") == (
        "With no clipping 1 of 2 runs diverged (the loss became NaN or inf at step 2), after gradient norms of "
        "up to 1e+06.")


# -- l1-sparsity (issue 13, lesson 7) ------------------------------------------------------------------------
def test_l1_leaves_more_weights_near_zero_than_l2_or_nothing():
    module, _, result, summary = quick("l1-sparsity")
    near = {s: np.mean([r.near_zero for r in module.runs_of(result, s)], axis=0) for s in module.SETTINGS}
    assert all(near["l1"] > near["l2"]) and all(near["l1"] > near["none"])  # in every layer
    for run in result.runs:
        assert [sum(h) for h in run.histograms] == [784 * 32, 32 * 32, 32 * 10]
    assert "L1 λ=0.001 is sparser by" in summary.conclusions[0]


# -- batchnorm-regularizer (issue 13, lesson 6) --------------------------------------------------------------
def test_batchnorm_regularizer_measures_gap_and_epochs_to_target():
    _, config, result, summary = quick("batchnorm-regularizer")
    assert len(result.runs) == 2 * config.repeats
    for run in result.runs:
        assert len(run.train_accuracy) == len(run.test_accuracy) == config.small_epochs // config.eval_every + 2
        assert len(run.val_accuracy) == config.epochs
        reached = [epoch + 1 for epoch, a in enumerate(run.val_accuracy) if a >= config.target]
        assert run.epochs_to_target == (reached[0] if reached else None)
    assert summary.conclusions[0].startswith(f"Train-test gap after {config.small_epochs} epochs on 100 images")
    assert summary.conclusions[3].startswith("Epochs to 60% validation accuracy")


def test_batchnorm_regularizer_verdicts():
    module = lesson_module("batchnorm-regularizer")

    def result(gap_bn, test_bn):
        """Three seeds; without batch norm a gap of 0.3 at test accuracy t."""
        runs = []
        for seed, t in enumerate([0.70, 0.72, 0.68]):
            runs.append(module.Run(False, seed, [t + 0.3], [t], [0.9], 1))
            runs.append(module.Run(True, seed, [t + test_bn + gap_bn], [t + test_bn], [0.9], 1))
        return module.Result("mnist", 300, 201, 10, 1, 0.95, runs)

    assert module.regularizer_verdict(result(0.1, 0.05)).startswith("As in the book, batch norm acted as a regularizer")
    assert module.regularizer_verdict(result(0.1, -0.1)).startswith("The gap is smaller with batch norm only")
    assert module.regularizer_verdict(result(0.5, 0.0)).startswith("Unlike the book, the gap is larger")
    assert "gap 0.500 ± 0.000 with batch norm against 0.300 ± 0.000" in module.regularizer_verdict(result(0.5, 0.0))
    assert module.regularizer_verdict(result(0.3, 0.0)).startswith("The gaps differ by less than")
    assert "not tested by a run" in module.regularizer_verdict(result(0.3, 0.0))


def test_batchnorm_regularizer_at_a_diverging_rate_says_which_runs_diverged():
    """Issue 13: `--set lr=1e4` raised KeyError('val_accuracy') (a diverged fit records no epoch)."""
    module = lesson_module("batchnorm-regularizer")
    config = dataclasses.replace(module.Config().quick(), lr=1e4)
    result = module.run(config)
    for run in result.runs:
        assert (run.overfit_status, run.speed_status, run.epochs_to_target) == ("diverged", "diverged", None)
        assert len(run.val_accuracy) == config.epochs and len(set(run.val_accuracy)) == 1  # its last weights
        assert len(run.test_accuracy) == config.small_epochs // config.eval_every + 2
    summary = module.summarize(result)
    assert summary.conclusions[0] == (
        "Training diverged (the loss became NaN or inf) for the net trained on 100 images without batch norm (seeds 0 "
        "and 1); the net trained on 100 images with batch norm (seeds 0 and 1); the net trained on the full training "
        "set without batch norm (seeds 0 and 1); the net trained on the full training set with batch norm (seeds 0 and "
        "1). A diverged net is measured with the weights it had before the step that diverged, and never reaches the "
        "target.")
    assert "no verdict is drawn" in text(summary) and "acted as a regularizer" not in text(summary)
    assert "Runs that never reached it within 3 epochs (counted as 4): 2 with and 2 without" in text(summary)


def test_batchnorm_regularizer_names_only_the_runs_that_diverged():
    module = lesson_module("batchnorm-regularizer")
    runs = [module.Run(bn, seed, [0.9], [0.8], [0.9], 1) for seed in (0, 1) for bn in (False, True)]
    result = module.Result("mnist", 300, 201, 10, 1, 0.95, runs)
    assert module.divergence(result) == []
    runs[1].speed_status = "diverged"  # seed 0 with batch norm
    assert module.divergence(result)[0].startswith("Training diverged (the loss became NaN or inf) for the net "
                                                   "trained on the full training set with batch norm (seed 0). ")
    assert not module.regularizer_verdict(result).startswith("With diverged runs")
    runs[2].overfit_status = "diverged"  # seed 1 without
    assert "300 images without batch norm (seed 1); the net trained on the full" in module.divergence(result)[0]
    assert module.regularizer_verdict(result).startswith("With diverged runs among them")


# -- dropout-ensemble (issue 13, lesson 9) -------------------------------------------------------------------
def test_dropout_ensemble_costs_and_accuracies():
    _, config, result, summary = quick("dropout-ensemble")
    for run in result.runs:
        assert run.ensemble_accuracy[0] == run.member_accuracy[0]  # an ensemble of one is that net
        assert len(run.ensemble_accuracy) == config.members and len(run.dropout_accuracy) == 2
        assert run.ensemble_accuracy[-1] > np.mean(run.member_accuracy)  # averaging helps
    assert [row[1] for row in summary.rows] == [5, 10, 15, 5, 10]
    assert summary.conclusions[0].startswith("Averaging 3 plain nets (cost: 15 epochs instead of 5), test accuracy: "
                                             "the ensemble of 3 ")  # weighed against the noise, like the others
    assert "the mean of its members" in summary.conclusions[0] and "seed-to-seed noise" in summary.conclusions[0]
    assert summary.conclusions[1].startswith("At the same cost (5 epochs), test accuracy: dropout")


# -- random-vs-grid (issue 13, lesson 8) ---------------------------------------------------------------------
def test_random_and_grid_search_spend_the_same_budget_differently():
    module, config, result, summary = quick("random-vs-grid")
    n = config.grid_points
    for search in result.runs:
        assert len(search.scores) == n * n and search.best_so_far[-1] == max(search.scores)
        assert all(b >= a for a, b in zip(search.best_so_far, search.best_so_far[1:], strict=False))
        assert all(10 ** config.lr_range[0] <= lr <= 10 ** config.lr_range[1] for lr in search.lrs)
        assert len(set(search.lrs)) == (n if search.method == "grid" else n * n)
    grid = module.runs_of(result, "grid")[0]
    expected = {(round(a, 12), round(b, 18)) for a in np.logspace(*config.lr_range, n)
                for b in np.logspace(*config.decay_range, n)}
    assert {(round(a, 12), round(b, 18)) for a, b in zip(grid.lrs, grid.decays, strict=True)} == expected
    assert summary.conclusions[2] == ("Random search tried 9 different learning rates, the grid 3: the parameter "
                                      "that matters is sampled 3 times more finely.")


# -- gradient-arrows (issue 13, lesson 10) -------------------------------------------------------------------
def test_gradient_arrows_numbers_of_the_chapter():
    module, config, result, summary = quick("gradient-arrows")
    assert config.h == 1e-4
    np.testing.assert_allclose(result.numeric, [[6, 8], [0, 4], [6, 0]], atol=1e-10)
    assert result.numeric[0][0] != 6.0  # the step leaves its rounding trace, as in the book's printout
    assert result.worst_angle < 1e-3 and len(result.grid) == 18 * 18
    W, x = np.array(result.W), np.array([0.6, 0.9])
    scores = x @ W
    probabilities = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    by_hand = np.outer(x, probabilities - np.eye(3)[2])  # dL/dW = xᵀ(softmax(xW) - t)
    np.testing.assert_allclose(result.net_backprop, by_hand, rtol=1e-12)
    np.testing.assert_allclose(result.net_numeric, by_hand, rtol=1e-6)
    assert result.net_loss == pytest.approx(-np.log(probabilities[2]))
    assert "its length is 2 times the distance to it" in text(summary)
    with pytest.raises(ValueError, match="odd number of values"):
        module.run(module.Config(points=(1.0, 2.0, 3.0)))


# -- pretrained-layers (issue 13, lesson 5) ------------------------------------------------------------------
def test_pretrained_layers_split_and_reuse():
    module, config, result, summary = quick("pretrained-layers")
    x = np.arange(10, dtype=np.float32)[:, None]
    (xa, ya), (xb, yb) = module.split(x, np.arange(10), (5, 6))
    assert ya.tolist() == list(range(8)) and xa[:, 0].tolist() == [0, 1, 2, 3, 4, 7, 8, 9]
    assert yb.tolist() == [0, 1] and xb[:, 0].tolist() == [5, 6]  # shirt (6) is the positive class
    assert len(result.runs) == config.repeats
    assert result.test_b == 2000 or result.dataset != "fashion-mnist"  # 1,000 sandals and 1,000 shirts
    for run in result.runs:
        assert run.accuracy_a > 0.5 and 0 <= run.accuracy_b_on_a <= 1 and 0 <= run.accuracy_b <= 1
    assert summary.conclusions[0].startswith(f"Test accuracy on task B (50 training images, {result.test_b} test")
