"""Learning-rate schedules against their closed forms, and the plateau reducer on scripted sequences."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import trainlab as tl
from trainlab.registry import deserialize, serialize


def test_power_decay():
    schedule = tl.PowerDecay(initial_lr=0.01, decay_steps=10)
    assert [schedule(t) for t in (0, 10, 30)] == pytest.approx([0.01, 0.005, 0.0025], rel=1e-15)
    squared = tl.PowerDecay(0.01, 10, power=2)
    assert squared(10) == pytest.approx(0.0025, rel=1e-15)
    assert squared(5) == pytest.approx(0.01 / 1.5**2, rel=1e-15)


def test_exponential_decay():
    schedule = tl.ExponentialDecay(initial_lr=0.01, decay_steps=20)
    assert schedule(0) == 0.01
    assert schedule(20) == pytest.approx(0.001, rel=1e-12)
    assert schedule(40) == pytest.approx(1e-4, rel=1e-12)
    assert schedule(10) == pytest.approx(0.01 / math.sqrt(10), rel=1e-12)
    assert tl.ExponentialDecay(1.0, 3, rate=0.5)(6) == pytest.approx(0.25, rel=1e-15)


def test_piecewise_constant_is_the_textbook_epoch_schedule():
    schedule = tl.PiecewiseConstant([5, 15], [0.01, 0.005, 0.001])
    expected = {0: 0.01, 4: 0.01, 4.99: 0.01, 5: 0.005, 14: 0.005, 15: 0.001, 1000: 0.001}
    assert {t: schedule(t) for t in expected} == expected


def test_cosine_with_warmup():
    schedule = tl.CosineDecay(max_lr=0.1, total_steps=110, warmup_steps=10, min_lr=0.001)
    assert schedule(0) == pytest.approx(0.01, rel=1e-15)  # 0.1·1/10, never 0
    assert schedule(4) == pytest.approx(0.05, rel=1e-15)
    assert schedule(9) == pytest.approx(0.1, rel=1e-15)
    assert schedule(10) == pytest.approx(0.1, rel=1e-15)
    assert schedule(60) == pytest.approx(0.0505, rel=1e-12)  # halfway: the mean of max and min
    assert schedule(35) == pytest.approx(0.001 + 0.0495 * (1 + math.cos(math.pi / 4)), rel=1e-12)
    assert schedule(110) == pytest.approx(0.001, rel=1e-12)
    assert schedule(500) == 0.001
    no_warmup = tl.CosineDecay(0.1, 100)
    assert no_warmup(0) == 0.1 and no_warmup(99) > 0
    assert (
        no_warmup(100) == no_warmup(1000) == no_warmup(99)
    )  # min_lr = 0 is no lr: the last positive one is held


def test_one_cycle_lr_and_momentum():
    schedule = tl.OneCycle(max_lr=0.1, total_steps=100)  # p = 45, annihilation over steps 90..100
    assert schedule.phase_steps == 45
    assert schedule.start_lr == pytest.approx(0.01) and schedule.final_lr == pytest.approx(1e-5)
    expected_lr = {
        0: 0.01,
        22.5: 0.055,
        45: 0.1,
        67.5: 0.055,
        90: 0.01,
        95: (0.01 + 1e-5) / 2,
        100: 1e-5,
        150: 1e-5,
    }
    for t, lr in expected_lr.items():
        assert schedule(t) == pytest.approx(lr, rel=1e-12), t
    expected_momentum = {0: 0.95, 22.5: 0.9, 45: 0.85, 67.5: 0.9, 90: 0.95, 99: 0.95, 150: 0.95}
    for t, momentum in expected_momentum.items():
        assert schedule.momentum(t) == pytest.approx(momentum, rel=1e-12), t
    custom = tl.OneCycle(
        1.0, 10, start_lr=0.5, final_lr=0.1, annihilation=0.0, max_momentum=0.9, min_momentum=0.8
    )
    assert [custom(t) for t in (0, 5, 10)] == pytest.approx([0.5, 1.0, 0.5])
    assert [custom.momentum(t) for t in (0, 5, 10)] == pytest.approx([0.9, 0.8, 0.9])


@given(st.integers(2, 500), st.floats(0.0, 0.5), st.floats(0.0, 1000.0))
def test_one_cycle_stays_in_range(total, annihilation, t):
    schedule = tl.OneCycle(max_lr=0.3, total_steps=total, annihilation=annihilation)
    assert schedule.final_lr * (1 - 1e-12) <= schedule(t) <= 0.3 * (1 + 1e-12)
    assert 0.85 - 1e-12 <= schedule.momentum(t) <= 0.95 + 1e-12


@given(st.integers(1, 300), st.integers(0, 50), st.floats(0, 1e-3))
def test_cosine_decreases_after_warmup_and_stays_positive(total, warmup, min_lr):
    if warmup >= total:
        warmup = total - 1
    schedule = tl.CosineDecay(1e-2, total, warmup_steps=warmup, min_lr=min_lr)
    curve = schedule.curve(total + 5)
    assert np.all(curve[:total] > 0)
    assert np.all(np.diff(curve[:warmup]) > 0)
    assert np.all(np.diff(curve[warmup:]) <= 1e-18)


@pytest.mark.parametrize(
    "schedule",
    [
        tl.PowerDecay(0.01, 10, 0.5),
        tl.ExponentialDecay(0.01, 20, 0.5),
        tl.PiecewiseConstant([5, 15], [3, 2, 1]),
        tl.CosineDecay(0.1, 50, 5, 1e-4),
        tl.OneCycle(0.1, 40, annihilation=0.2),
    ],
)
def test_schedules_are_configurable(schedule):
    data = json.loads(json.dumps(serialize(schedule)))
    rebuilt = deserialize(data)
    assert type(rebuilt) is type(schedule)
    np.testing.assert_array_equal(rebuilt.curve(60), schedule.curve(60))
    assert schedule.curve(3).tolist() == [schedule(0), schedule(1), schedule(2)]


def test_get_schedule_by_name():
    assert isinstance(tl.get_schedule("1cycle", max_lr=0.1, total_steps=10), tl.OneCycle)
    assert tl.get_schedule("power", initial_lr=0.1, decay_steps=5)(5) == pytest.approx(0.05)
    with pytest.raises(
        ValueError, match="schedule='cos' is not a known schedule; valid names: 1cycle, cosine"
    ):
        tl.get_schedule("cos")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: tl.PowerDecay(0, 10), "initial_lr must be > 0, got 0"),
        (lambda: tl.PowerDecay(0.1, -1), "decay_steps must be > 0, got -1"),
        (lambda: tl.ExponentialDecay(0.1, 10, rate=1.5), r"rate must be in \[0.0, 1.0\], got 1.5"),
        (
            lambda: tl.PiecewiseConstant([5, 15], [0.1, 0.01]),
            "values must have one entry more than boundaries",
        ),
        (
            lambda: tl.PiecewiseConstant([15, 5], [0.1, 0.01, 0.001]),
            "boundaries must be strictly increasing",
        ),
        (
            lambda: tl.CosineDecay(0.1, 10, warmup_steps=10),
            "warmup_steps must be < total_steps=10, got 10",
        ),
        (lambda: tl.CosineDecay(0.1, 10, min_lr=0.2), "min_lr must be <= max_lr=0.1, got 0.2"),
        (lambda: tl.OneCycle(0.1, 100, start_lr=0.2), "start_lr must be <= max_lr=0.1, got 0.2"),
        (
            lambda: tl.OneCycle(0.1, 100, min_momentum=0.99),
            "min_momentum must be <= max_momentum=0.95, got 0.99",
        ),
        (
            lambda: tl.OneCycle(0.1, 100, max_momentum=1.0),
            r"max_momentum must be in \[0.0, 1.0\), got 1.0",
        ),
        (lambda: tl.OneCycle(0.1, 100)(-1), "iteration must be >= 0, got -1"),
        (lambda: tl.PowerDecay(0.1, 10)("5"), "iteration must be a number, got '5'"),
        (lambda: tl.PlateauReducer(0.1, factor=1.0), r"factor must be in \[0.0, 1.0\), got 1.0"),
        (
            lambda: tl.PlateauReducer(0.1, mode="auto"),
            "mode='auto' is not allowed; choose one of 'min', 'max'",
        ),
        (lambda: tl.PlateauReducer(0.1, patience=-1), "patience must be >= 0, got -1"),
        (lambda: tl.PlateauReducer(0.1).update(float("nan")), "metric must be finite, got nan"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


# -- the plateau reducer on scripted sequences -----------------------------------------------------
def run(reducer, metrics):
    return [reducer.update(metric) for metric in metrics]


def test_plateau_patience():
    reducer = tl.PlateauReducer(1.0, factor=0.5, patience=2)
    #                    better better bad  bad→cut bad  better bad  bad→cut
    lrs = run(reducer, [1.0, 0.9, 0.95, 0.95, 0.92, 0.8, 0.85, 0.81])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]
    assert reducer.best == 0.8


def test_plateau_cooldown_ignores_exactly_cooldown_steps():
    reducer = tl.PlateauReducer(1.0, factor=0.5, patience=1, cooldown=2)
    #                   first bad→cut cool cool bad→cut cool
    assert run(reducer, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]) == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_plateau_min_delta():
    reducer = tl.PlateauReducer(1.0, factor=0.1, patience=2, min_delta=0.1)
    # 0.95 and 0.91 are not better than 1.0 by more than 0.1; 0.85 is (< 0.9)
    assert run(reducer, [1.0, 0.95, 0.91, 0.85, 0.8, 0.79]) == pytest.approx(
        [1.0, 1.0, 0.1, 0.1, 0.1, 0.01]
    )
    assert reducer.best == 0.85


def test_plateau_min_lr():
    reducer = tl.PlateauReducer(1.0, factor=0.1, patience=1, min_lr=0.05)
    assert run(reducer, [2.0, 2.0, 2.0, 2.0]) == pytest.approx([1.0, 0.1, 0.05, 0.05])


def test_plateau_mode_max():
    reducer = tl.PlateauReducer(0.3, factor=0.5, patience=1, mode="max")
    assert run(reducer, [0.5, 0.6, 0.7, 0.7, 0.65, 0.8]) == pytest.approx(
        [0.3, 0.3, 0.3, 0.15, 0.075, 0.075]
    )


def test_plateau_patience_zero_cuts_on_every_bad_step():
    reducer = tl.PlateauReducer(1.0, factor=0.5, patience=0)
    assert run(reducer, [1.0, 0.5, 0.6, 0.4, 0.7]) == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_plateau_state_dict_round_trip():
    reducer = tl.PlateauReducer(1.0, factor=0.5, patience=2, cooldown=1)
    fresh_state = json.loads(json.dumps(reducer.state_dict()))
    run(reducer, [1.0, 1.1, 1.2])  # cut at the third step, cooldown running
    copy = deserialize(serialize(reducer))
    assert copy.lr == 1.0 and copy.get_config() == reducer.get_config()
    copy.load_state_dict(json.loads(json.dumps(reducer.state_dict())))
    metrics = [1.3, 1.3, 1.3, 0.9, 1.0, 1.0]
    assert run(copy, metrics) == run(reducer, metrics)
    copy.load_state_dict(fresh_state)
    assert copy.best == math.inf and copy.lr == 1.0


def test_hand_written_loop_with_schedule():
    """The pattern from the docs: the loop sets optimizer.lr (and momentum) from the schedule."""
    model = tl.Sequential(
        [tl.Dense(5), tl.ReLU(), tl.Dense(3)], input_dim=4, seed=0, dtype="float64"
    )
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((32, 4)), rng.integers(0, 3, 32)
    optimizer = tl.Momentum()
    schedule = tl.OneCycle(max_lr=0.5, total_steps=60)
    first = model.loss(x, t)
    lrs, momenta = [], []
    for iteration in range(60):
        optimizer.lr = schedule(iteration)
        optimizer.momentum = schedule.momentum(iteration)
        optimizer.update(model.params, model.gradient(x, t))
        lrs.append(optimizer.lr)
        momenta.append(optimizer.momentum)
    assert lrs == schedule.curve(60).tolist()
    assert max(lrs) == pytest.approx(0.5, rel=0.05) and min(momenta) == pytest.approx(
        0.85, abs=0.005
    )
    assert model.loss(x, t) < 0.5 * first


@pytest.mark.parametrize(
    "make", [lambda: tl.OneCycle(max_lr=0.1), lambda: tl.CosineDecay(max_lr=0.1, warmup_steps=5)]
)
def test_total_steps_can_be_set_later(make):
    schedule = make()
    assert schedule.get_config()["total_steps"] is None
    with pytest.raises(
        RuntimeError, match=r"total_steps is not set: pass total_steps=\.\.\. or set it"
    ):
        schedule(0)
    with pytest.raises(ValueError, match="total_steps must be >= "):
        schedule.total_steps = 0
    schedule.total_steps = 100
    assert schedule(100) < schedule(50) and schedule.get_config()["total_steps"] == 100
    with pytest.raises(ValueError, match="warmup_steps must be < total_steps=3, got 5"):
        tl.CosineDecay(0.1, warmup_steps=5).total_steps = 3


def test_plateau_reducer_step_is_a_deprecated_alias_of_update():
    old, new = (
        tl.PlateauReducer(1.0, factor=0.5, patience=0),
        tl.PlateauReducer(1.0, factor=0.5, patience=0),
    )
    with pytest.warns(DeprecationWarning, match=r"now PlateauReducer.update"):
        assert old.step(2.0) == new.update(2.0)
