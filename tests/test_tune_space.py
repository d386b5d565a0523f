"""trainlab.tune without training: the space syntax and its errors, samplers, slots, narrowing, plots."""

import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import FixedTrial, TrialState

from trainlab.layers import BatchNorm, Dense, Dropout
from trainlab.optimizers import AdamW, Momentum
from trainlab.tune import (
    BOOK_SPACE,
    SearchConfig,
    SearchResult,
    SearchSpace,
    TrialRecord,
    best_table,
    best_trials,
    merge_space,
    narrow,
    parse_dimension,
    plot_best_curves,
    plot_importances,
    plot_optimization_history,
    plot_scatter,
)
from trainlab.tune.budget import claim_slot
from trainlab.tune.narrowing import round_significant
from trainlab.tune.objective import build_model, build_optimizer
from trainlab.tune.params import default_values
from trainlab.tune.samplers import SlotGridSampler, SlotRandomSampler, SlotTPESampler, draw
from trainlab.tune.space import Choice, Fixed, FloatRange, IntRange


# -- syntax ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lr=1e-6..1e-2:log", FloatRange("lr", 1e-6, 1e-2, log=True)),
        ("dropout=0..0.5", FloatRange("dropout", 0.0, 0.5)),
        ("dropout=0..0.5:step=0.1", FloatRange("dropout", 0.0, 0.5, step=0.1)),
        ("hidden_units=50..200", IntRange("hidden_units", 50, 200)),
        ("batch_size=32..256:log", IntRange("batch_size", 32, 256, log=True)),
        ("optimizer=sgd,Adam,momentum", Choice("optimizer", ("sgd", "adam", "momentum"))),
        ("batchnorm=true,false", Choice("batchnorm", (True, False))),
        ("batch_size=128", Fixed("batch_size", 128)),
        (" weight_decay = 0 ", Fixed("weight_decay", 0.0)),
    ],
)
def test_entries_parse_to_dimensions_and_back(text, expected):
    dim = parse_dimension(text)
    assert dim == expected
    assert parse_dimension(str(dim)) == dim


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr=1e-3..1e-3:log", r"the range is empty \(low = high = 0.001\).*lr=0.001 to fix"),
        ("lr=1e-2..1e-4:log", r"the range is inverted \(0.01 > 0.0001\); write lr=0.0001..0.01"),
        ("hidden_units=200..50", "inverted"),
        (
            "learning_rate=1e-4..1e-2",
            r"unknown parameter 'learning_rate'; searchable parameters: .*lr",
        ),
        ("lr=0..1e-2:log", r"lr=0 is outside its allowed values \(0, inf\)"),
        ("weight_decay=0..1e-4:log", "a log range needs LOW > 0"),
        ("dropout=0..1.5", r"dropout=1.5 is outside its allowed values \[0, 1\)"),
        ("hidden_units=1.5..20", "takes a whole number"),
        ("lr=abc", "takes a number"),
        ("activation=relu..tanh", "activation is a choice parameter; list its values"),
        ("activation=relu,swish", "activation='swish' is not allowed"),
        ("optimizer=sgd,sgd", "listed twice"),
        ("lr=1e-4..1e-2:cubic", "unknown option 'cubic'"),
        ("dropout=0..0.5:step=0.7", r"step=0.7 must be in \(0, HIGH - LOW\]"),
        ("lr=1e-4..1e-2:log:step=1e-3", "cannot be combined"),
        ("lr", "write NAME=LOW..HIGH"),
        ("lr=", "no value after '='"),
        # non-finite numbers: bad input, never a trial that fails (issue 10, finding 12)
        ("lr=1e-4..inf:log", "lr takes a finite number, got inf"),
        ("weight_decay=0..inf", "weight_decay takes a finite number, got inf"),
        ("lr=-inf..1e-2", "lr takes a finite number, got -inf"),
        ("lr=nan..1e-2", "lr takes a finite number, got nan"),
        ("lr=inf", "lr takes a finite number"),
        ("momentum=nan", "momentum takes a finite number"),
        ("dropout=0..0.5:step=inf", r"step=inf must be in \(0, HIGH - LOW\]"),
        ("dropout=0..0.5:step=nan", r"step=nan must be in"),
    ],
)
def test_bad_entries_name_the_entry_and_the_rule(text, message):
    with pytest.raises((ValueError, TypeError), match=message) as caught:
        parse_dimension(text)
    assert repr(text) in str(caught.value) or "unknown parameter" in str(caught.value)


@pytest.mark.parametrize(
    "dim",
    [
        FloatRange("lr", 1e-4, math.inf, log=True),
        FloatRange("weight_decay", 0.0, math.nan),
        Fixed("lr", math.inf),
        Choice("momentum", (0.9, math.nan)),
        FloatRange("lr", 1e-2, 1e-4),
        FloatRange("dropout", 0.0, 0.5, step=math.inf),
    ],
)
def test_dimensions_built_in_python_are_checked_too(dim):
    with pytest.raises(ValueError, match=f"space entry {str(dim)!r}"):
        SearchSpace([dim])
    with pytest.raises(ValueError, match="space entry"):
        SearchConfig(space=(dim,)).checked()


def test_space_checks_optimizer_arguments_and_duplicates():
    with pytest.raises(ValueError, match="no optimizer of this search takes momentum"):
        SearchSpace.parse(["momentum=0.5..0.99"])  # the default optimizer, sgd, has no momentum
    SearchSpace.parse(
        ["optimizer=sgd,momentum", "momentum=0.5..0.99"]
    )  # momentum applies to one of them
    with pytest.raises(ValueError, match="lr appears twice"):
        SearchSpace.parse(["lr=1e-4..1e-2", "lr=1e-3"])
    with pytest.raises(ValueError, match="searches nothing"):
        SearchConfig(space=("lr=0.01",)).checked()
    with pytest.raises(ValueError, match="workers=2 need a storage"):
        SearchConfig(workers=2).checked()


def test_merge_replaces_same_names_and_appends_new_ones():
    merged = merge_space(BOOK_SPACE, ["lr=1e-4..1e-2:log", "hidden_units=50"])
    assert merged == ("lr=0.0001..0.01:log", "weight_decay=1e-08..0.0001:log", "hidden_units=50")
    quick = SearchConfig(space=merge_space(BOOK_SPACE, ["hidden_units=80"])).quick()
    assert "hidden_units=80" in quick.space and "hidden_layers=2" in quick.space


def test_sample_skips_arguments_the_drawn_optimizer_does_not_take():
    space = SearchSpace.parse(
        ["optimizer=sgd,momentum", "momentum=0.5..0.99", "lr=1e-3..1e-1:log", "dropout=0.2"]
    )
    values = space.sample(
        FixedTrial({"optimizer": "sgd", "lr": 0.01})
    )  # FixedTrial fails on unknown names
    assert values["optimizer"] == "sgd" and values["momentum"] is None and values["dropout"] == 0.2
    values = space.sample(FixedTrial({"optimizer": "momentum", "momentum": 0.9, "lr": 0.01}))
    assert (
        values["momentum"] == 0.9 and values["hidden_layers"] == 6
    )  # the book's network by default


# -- from settings to objects ----------------------------------------------------------------------
def test_build_model_and_optimizer_follow_the_settings():
    values = {
        **default_values(),
        "hidden_layers": 2,
        "hidden_units": 8,
        "batchnorm": True,
        "dropout": 0.1,
        "weight_decay": 1e-3,
    }
    model = build_model(values, input_dim=5, classes=3, seed=1)
    kinds = [type(layer) for layer in model.layers]
    assert kinds.count(Dense) == 3 and kinds.count(BatchNorm) == 2 and kinds.count(Dropout) == 2
    assert model.weight_decay == 1e-3 and model.output_shape == (3,)
    optimizer = build_optimizer(
        {
            **values,
            "optimizer": "adamw",
            "lr": 0.002,
            "decoupled_weight_decay": 0.1,
            "momentum": 0.5,
        }
    )
    assert isinstance(optimizer, AdamW) and optimizer.lr == 0.002 and optimizer.weight_decay == 0.1
    assert isinstance(
        build_optimizer({**values, "optimizer": "momentum", "momentum": 0.8}), Momentum
    )


# -- samplers and slots ----------------------------------------------------------------------------
def test_draws_stay_in_range_and_log_draws_are_log_uniform():
    rng = np.random.default_rng(0)
    log = [draw(rng, FloatDistribution(1e-6, 1e-2, log=True)) for _ in range(4000)]
    assert min(log) >= 1e-6 and max(log) <= 1e-2
    assert abs(np.mean(np.array(log) < 1e-4) - 0.5) < 0.03  # 1e-4 is the middle on the log scale
    ints = [draw(rng, IntDistribution(2, 10, step=2)) for _ in range(500)]
    assert set(ints) == {2, 4, 6, 8, 10}
    assert {draw(rng, CategoricalDistribution(["a", "b"])) for _ in range(50)} == {"a", "b"}
    steps = {round(draw(rng, FloatDistribution(0.0, 0.5, step=0.1)), 9) for _ in range(500)}
    assert steps == {0.0, 0.1, 0.2, 0.3, 0.4, 0.5}


def _trial(number, state, slot=None):
    return SimpleNamespace(
        number=number, state=state, user_attrs={} if slot is None else {"slot": slot}
    )


def test_slots_are_reused_after_failures_and_counted_for_pending_trials():
    storage = SimpleNamespace(get_all_trials=lambda study_id, deepcopy=False: trials)
    trials = [
        _trial(0, TrialState.COMPLETE, 0),
        _trial(1, TrialState.FAIL, 1),
        _trial(2, TrialState.RUNNING, 2),
    ]
    assert claim_slot(storage, 0, 3) == 1  # the failed trial's slot is free again
    trials.append(_trial(3, TrialState.RUNNING))  # started, slot not yet claimed: it takes slot 1
    assert claim_slot(storage, 0, 4) == 3
    assert claim_slot(storage, 0, 0) == 0


def test_grid_sampler_gives_each_slot_a_different_point():
    sampler = SlotGridSampler({"lr": [0.1, 0.01, 0.001], "optimizer": ["sgd", "adam"]}, seed=3)
    points = [tuple(sampler.point(slot).items()) for slot in range(6)]
    assert len(set(points)) == 6
    assert points == [
        tuple(
            SlotGridSampler({"optimizer": ["sgd", "adam"], "lr": [0.1, 0.01, 0.001]}, seed=3)
            .point(slot)
            .items()
        )
        for slot in range(6)
    ]


# -- results, narrowing, plots (scripted trials) ---------------------------------------------------
def scripted_result(values=(0.9, 0.85, 0.8, 0.3, 0.2, 0.1), epochs=4) -> SearchResult:
    """Trials whose lr and weight decay are known: the best three have lr 3e-3..8e-3, wd 2e-7..6e-6."""
    params = [(8e-3, 2e-7), (3.13e-3, 6e-6), (5e-3, 1e-6), (1e-5, 1e-5), (2e-6, 1e-8), (1e-6, 5e-5)]
    curve = lambda v: list(np.linspace(0.1, v, epochs))  # noqa: E731
    trials = [
        TrialRecord(
            number=i,
            state="complete",
            value=v,
            params={"lr": lr, "weight_decay": wd},
            val_accuracy=curve(v),
            train_accuracy=curve(v),
            status="completed",
        )
        for i, (v, (lr, wd)) in enumerate(zip(values, params, strict=True))
    ]
    trials.append(
        TrialRecord(
            number=6,
            state="pruned",
            value=0.15,
            params={"lr": 1e-4, "weight_decay": 1e-7},
            val_accuracy=[0.1, 0.15],
            train_accuracy=[0.1, 0.12],
            status="pruned",
        )
    )
    trials.append(
        TrialRecord(
            number=7,
            state="failed",
            params={"lr": 1e-3, "weight_decay": 1e-7},
            status="interrupted",
        )
    )
    return SearchResult(config=SearchConfig(trials=7), trials=trials, study="scripted")


def test_best_trials_rank_complete_trials_by_final_validation_accuracy():
    result = scripted_result()
    assert [t.number for t in best_trials(result, 3)] == [0, 1, 2]
    assert [t.number for t in best_trials(result, 20)] == [
        0,
        1,
        2,
        3,
        4,
        5,
    ]  # pruned and failed left out
    rows = best_table(result, 2)
    assert rows[0] == ["rank", "trial", "val acc", "train acc", "lr", "weight_decay", "status"]
    assert rows[1][:4] == ["Best-1", "0", "0.9000", "0.9000"] and len(rows) == 3


def test_narrowing_takes_the_top_k_ranges_rounded_outwards():
    narrowing = narrow(scripted_result(), top_k=3)
    assert narrowing.trials == [0, 1, 2]
    assert narrowing.space == ("lr=0.0031..0.008:log", "weight_decay=2e-07..6e-06:log")
    assert narrowing.changes[0] == ("lr=1e-06..0.01:log", "lr=0.0031..0.008:log")
    assert narrowing.space_args()[0] == "--space=lr=0.0031..0.008:log"
    second = SearchConfig(
        space=narrowing.space
    ).checked()  # a second stage accepts the narrowed space
    assert second.search_space()["lr"].low == 0.0031
    single = narrow(
        scripted_result(), top_k=1
    )  # one trial: widened by 2 either side on the log scale
    assert single.space[0] == "lr=0.004..0.01:log"  # 8e-3 * 2 is cut to the old range's top


def test_narrowing_lists_keeps_the_values_the_best_trials_used():
    result = scripted_result()
    result.config = SearchConfig(
        space=("optimizer=sgd,momentum,adam", "dropout=0..0.5", "hidden_units=10..100")
    )
    for trial, (opt, dropout, units) in zip(
        result.trials, [("adam", 0.12, 40), ("sgd", 0.31, 40), ("adam", 0.2, 40)], strict=False
    ):
        trial.params = {"optimizer": opt, "dropout": dropout, "hidden_units": units}
    space = SearchSpace.parse(narrow(result, 3).space)
    assert space["optimizer"] == Choice("optimizer", ("sgd", "adam"))
    assert space["dropout"] == FloatRange("dropout", 0.12, 0.31)
    assert space["hidden_units"] == IntRange("hidden_units", 39, 41)


def test_round_significant():
    assert (
        round_significant(0.003137, "down") == 0.0031
        and round_significant(0.003137, "up") == 0.0032
    )
    assert round_significant(2e-7, "down") == 2e-7 and round_significant(2e-7, "up") == 2e-7


def test_narrowing_needs_a_complete_trial():
    empty = SearchResult(config=SearchConfig(), trials=[TrialRecord(number=0, state="failed")])
    with pytest.raises(ValueError, match="no complete trial"):
        narrow(empty)
    with pytest.raises(ValueError, match="top_k must be >= 1"):
        narrow(scripted_result(), top_k=0)


def test_plots_have_one_panel_per_best_trial_and_a_colour_bar():
    result = scripted_result()
    grid = plot_best_curves(result, n=20)
    assert len(grid.axes) == 6  # 6 complete trials, fewer than 20
    assert grid.axes[0].get_title().startswith("Best-1")
    low, high = grid.axes[
        0
    ].get_ylim()  # zoomed to the curves, which reach down to chance: marked at 0.1
    assert (
        low < 0.1 < high <= 1.0
        and grid.axes[0].get_ylabel() == "accuracy"
        and grid.axes[1].get_ylabel() == ""
    )
    curves = [line for line in grid.axes[0].lines if line.get_linestyle() != ":"]
    assert (
        len(curves) == 2 and len(grid.axes[0].lines) == 3
    )  # validation and training curves, and chance
    assert len(plot_best_curves(result, n=4, cols=2).axes) == 4
    scatter = plot_scatter(result)
    assert len(scatter.axes) == 2  # the scatter and its colour bar
    assert scatter.axes[0].get_xscale() == "log" and scatter.axes[0].get_yscale() == "log"
    assert scatter.axes[0].get_xlabel() == "lr" and scatter.axes[0].get_ylabel() == "weight_decay"
    for figure in (grid, scatter):
        figure.canvas.draw()  # renders with Agg
    with pytest.raises(ValueError, match="'momentum' is not searched"):
        plot_scatter(result, y="momentum")


def test_optunas_figures_show_the_importances_and_the_best_so_far():
    result, open_before = scripted_result(), set(plt.get_fignums())
    importances = plot_importances(result)
    bars = importances.axes[0].patches
    assert len(bars) == 2 and sum(bar.get_width() for bar in bars) == pytest.approx(1.0, abs=0.02)
    assert {label.get_text() for label in importances.axes[0].get_yticklabels()} == {
        "lr",
        "weight_decay",
    }
    history = plot_optimization_history(result)
    ax = history.axes[0]
    points = ax.collections[0].get_offsets()
    assert list(points[:, 1]) == [0.9, 0.85, 0.8, 0.3, 0.2, 0.1]  # the complete trials, in order
    best_line = next(line for line in ax.lines if len(line.get_ydata()) == 6)
    assert list(best_line.get_ydata()) == [0.9] * 6  # the best so far
    assert ax.get_ylabel() == "validation accuracy"
    assert ax.get_ylim()[0] < 0.1 and ax.get_ylim()[1] == pytest.approx(
        0.98
    )  # the trials' 0.1 to 0.9, and a margin
    assert set(plt.get_fignums()) <= open_before  # nothing left in pyplot's keeping
    for figure in (importances, history):
        figure.canvas.draw()
    few = SearchResult(config=SearchConfig(), trials=scripted_result().trials[:1])
    with pytest.raises(ValueError, match="two complete trials; the search has 1"):
        plot_importances(few)


def test_tpe_startup_trials_are_drawn_by_slot_like_the_random_sampler():
    """Pins Optuna's private TPESampler._random_sampler, which SlotTPESampler replaces."""
    space = SearchSpace.parse(
        ["lr=1e-5..1e-1:log", "weight_decay=1e-8..1e-4:log", "optimizer=sgd,adam"]
    )

    def sampled(sampler):
        study = optuna.create_study(sampler=sampler, direction="maximize")

        def objective(trial):
            trial.set_user_attr("slot", 10 - trial.number)  # slots in another order than numbers
            values = space.sample(trial)
            return values["lr"]

        study.optimize(objective, n_trials=4)
        return [trial.params for trial in study.trials]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        assert sampled(SlotTPESampler(seed=3, stream=2)) == sampled(SlotRandomSampler(seed=3))
    finally:
        optuna.logging.set_verbosity(optuna.logging.INFO)


def test_optuna_is_left_at_its_own_verbosity():
    assert optuna.logging.get_verbosity() == optuna.logging.INFO


def test_a_running_trial_that_never_recorded_its_owner_is_an_orphan_after_a_while():
    import datetime

    from trainlab.tune.budget import ORPHAN_SECONDS, is_orphan, owner, owner_is_dead

    start = datetime.datetime(2026, 1, 1, 12, 0, 0)
    trial = SimpleNamespace(user_attrs={}, datetime_start=start)
    assert not is_orphan(trial, now=start + datetime.timedelta(seconds=ORPHAN_SECONDS - 1))
    assert is_orphan(trial, now=start + datetime.timedelta(seconds=ORPHAN_SECONDS + 1))
    trial.user_attrs["owner"] = owner()
    assert not is_orphan(trial, now=start + datetime.timedelta(hours=1))
    assert not owner_is_dead(owner())  # this process is alive
    assert owner_is_dead(
        {**owner(), "started": "0"}
    )  # same pid, another start time: the pid was reused
    assert not owner_is_dead(
        {**owner(), "host": "elsewhere/boot"}
    )  # other machines: the heartbeat decides
