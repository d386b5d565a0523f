"""Optimizers' behaviour: in-place updates without temporaries, state_dict, hyperparameters declared
once (constructor, config, help, Keras's ``learning_rate``), momentum, clipping and bad input."""

from __future__ import annotations

import inspect
import io
import json
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_optimizers import (
    CASES,
    NAMES,
    make,
    quadratic,
    run_reference,
    run_trainlab,
    small_network,
)

import trainlab as tl
from trainlab.optimizers import OPTIMIZERS

REGISTERED = sorted({registered for registered, _ in CASES.values()})  # the classes' names


# -- in place, allocation-light --------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_updates_in_place_and_keeps_identity(name):
    model, x, t = small_network()
    arrays = {key: array for key, array in model.params.items()}
    before = {key: array.copy() for key, array in arrays.items()}
    optimizer = make(name)
    for _ in range(3):
        optimizer.update(model.params, model.gradient(x, t))
    for key, array in model.params.items():
        assert array is arrays[key]
        assert not np.array_equal(array, before[key])
    assert optimizer.iterations == 3


@pytest.mark.parametrize("name", NAMES)
def test_update_allocates_no_temporaries(name):
    rng = np.random.default_rng(0)
    params = {
        "W": rng.standard_normal((500, 200)).astype(np.float32),
        "b": np.zeros(200, np.float32),
    }
    grads = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in params.items()}
    optimizer = make(name, clip_norm=1.0)  # clipping active: uses its scratch buffer
    optimizer.update(params, grads)  # first step creates the state and scratch buffers
    tracemalloc.start()
    try:
        optimizer.update(params, grads)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < params["W"].nbytes / 20  # far less than one temporary the size of W


def test_float32_stays_float32():
    params = {"W": np.ones((3, 2), np.float32)}
    optimizer = tl.Adam(lr=0.1)
    optimizer.update(params, {"W": np.full((3, 2), 0.5, np.float32)})
    assert params["W"].dtype == np.float32
    assert optimizer.state["W"]["m"].dtype == np.float32
    np.testing.assert_allclose(params["W"], 0.9, rtol=1e-6)  # Adam's first step is -η·sign(g)


# -- state_dict ------------------------------------------------------------------------------------
def save_and_load(state):
    """Through JSON and .npz, as a checkpoint stores it (no pickle)."""
    metadata = json.loads(json.dumps({k: v for k, v in state.items() if k != "arrays"}))
    buffer = io.BytesIO()
    np.savez(buffer, **state["arrays"])
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as arrays:
        return {**metadata, "arrays": {key: arrays[key] for key in arrays.files}}


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip_continues_identically(name):
    gradient, start = quadratic(seed=2)
    uninterrupted = run_trainlab(make(name), {k: v.copy() for k, v in start.items()}, gradient, 50)
    first = make(name)
    params = run_trainlab(first, {k: v.copy() for k, v in start.items()}, gradient, 20)
    state = save_and_load(first.state_dict())
    assert state["iterations"] == 20 and state["class"] == type(first).__name__
    resumed = tl.get_optimizer(
        CASES[name][0]
    )  # default hyperparameters: the state brings the saved ones
    resumed.load_state_dict(state)
    assert resumed.get_config() == first.get_config()
    run_trainlab(
        first, {k: v.copy() for k, v in params.items()}, gradient, 1
    )  # the original moves on...
    run_trainlab(resumed, params, gradient, 30)
    for key in params:
        np.testing.assert_array_equal(params[key], uninterrupted[key])


def test_state_dict_holds_copies():
    params = {"w": np.ones(3)}
    optimizer = tl.Momentum()
    optimizer.update(params, {"w": np.ones(3)})
    state = optimizer.state_dict()
    assert (state["class"], state["iterations"]) == ("Momentum", 1)
    assert set(state["arrays"]) == {"w/v"}
    np.testing.assert_allclose(state["arrays"]["w/v"], -0.01)
    optimizer.update(params, {"w": np.ones(3)})
    np.testing.assert_allclose(state["arrays"]["w/v"], -0.01)  # not a view of the live state
    loaded = tl.Momentum()
    loaded.load_state_dict(state)
    state["arrays"]["w/v"][:] = 5.0
    np.testing.assert_allclose(loaded.state["w"]["v"], -0.01)


def test_load_state_dict_errors():
    adam = tl.Adam()
    adam.update({"w": np.ones(3)}, {"w": np.ones(3)})
    state = adam.state_dict()
    with pytest.raises(ValueError, match="saved from a Adam optimizer, not a Nadam"):
        tl.Nadam().load_state_dict(state)
    with pytest.raises(ValueError, match="unexpected key 'w/q'"):
        tl.Adam().load_state_dict({**state, "arrays": {"w/q": np.ones(3)}})
    with pytest.raises(ValueError, match="beta_1 must be in"):
        tl.Adam().load_state_dict({**state, "config": {**state["config"], "beta_1": 1.5}})
    with pytest.raises(ValueError, match="keys 'class', 'config'"):
        tl.Adam().load_state_dict({"arrays": {}})
    resumed = tl.Adam()
    resumed.load_state_dict(state)
    params = {"w": np.ones(4)}
    with pytest.raises(ValueError, match=r"w/m has shape \(3,\), but params\['w'\] has \(4,\)"):
        resumed.update(params, {"w": np.ones(4)})
    np.testing.assert_array_equal(params["w"], 1.0)
    assert resumed.iterations == 1


# -- hyperparameters and momentum ------------------------------------------------------------------
def test_lr_change_takes_effect():
    params = {"w": np.zeros(2)}
    optimizer = tl.SGD(lr=0.1)
    optimizer.update(params, {"w": np.array([1.0, -2.0])})
    np.testing.assert_allclose(params["w"], [-0.1, 0.2])
    optimizer.lr = 0.5
    optimizer.update(params, {"w": np.array([1.0, -2.0])})
    np.testing.assert_allclose(params["w"], [-0.6, 1.2])


def test_momentum_property_is_uniform():
    assert (
        tl.SGD().momentum is None
        and tl.AdaGrad().momentum is None
        and tl.RMSProp().momentum is None
    )
    with pytest.raises(AttributeError, match="SGD has no momentum"):
        tl.SGD().momentum = 0.9
    for optimizer in (tl.Momentum(), tl.Nesterov()):
        optimizer.momentum = 0.85
        assert optimizer.get_config()["momentum"] == 0.85
    for optimizer in (tl.Adam(), tl.AdaMax(), tl.Nadam(), tl.AdamW()):
        assert optimizer.momentum == 0.9
        optimizer.momentum = 0.85
        assert optimizer.beta_1 == 0.85
        with pytest.raises(ValueError, match="beta_1 must be in"):
            optimizer.momentum = 1.0
    # the new β takes effect at the next step
    params = {"w": np.zeros(1)}
    optimizer = tl.Momentum(lr=1.0, momentum=0.5)
    optimizer.update(params, {"w": np.ones(1)})  # v = -1
    optimizer.momentum = 0.25
    optimizer.update(params, {"w": np.ones(1)})  # v = 0.25·(-1) - 1
    np.testing.assert_allclose(optimizer.state["w"]["v"], -1.25)


def test_defaults_and_config():
    assert tl.SGD().get_config() == {"lr": 0.01, "clip_norm": None, "clip_value": None}
    assert tl.Momentum().momentum == 0.9 and tl.Nesterov().momentum == 0.9
    assert (tl.AdaGrad().lr, tl.AdaGrad().eps) == (0.01, 1e-7)
    assert (tl.RMSProp().lr, tl.RMSProp().rho, tl.RMSProp().eps) == (0.01, 0.99, 1e-7)
    adam = tl.Adam()
    assert (adam.lr, adam.beta_1, adam.beta_2, adam.eps) == (0.001, 0.9, 0.999, 1e-8)
    assert tl.AdaMax().lr == 0.002 and tl.Nadam().lr == 0.002 and tl.AdamW().weight_decay == 0.01
    assert (tl.Adadelta().lr, tl.Adadelta().rho, tl.Adadelta().eps) == (1.0, 0.9, 1e-6)  # PyTorch's
    assert tl.RAdam().get_config() == {
        "lr": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "eps": 1e-8,
        "clip_norm": None,
        "clip_value": None,
    }
    lion = tl.Lion()
    assert (lion.lr, lion.beta_1, lion.beta_2, lion.weight_decay, lion.momentum) == (
        0.001,
        0.9,
        0.99,
        0.0,
        None,
    )
    assert tl.Adam().amsgrad is False and "amsgrad" not in tl.Nadam().get_config()
    for name in NAMES:
        optimizer = make(name)
        assert type(optimizer)(**optimizer.get_config()).get_config() == optimizer.get_config()
        assert (
            tl.registry.deserialize(tl.registry.serialize(optimizer)).get_config()
            == optimizer.get_config()
        )
    assert OPTIMIZERS.names() == sorted([*REGISTERED, "amsgrad"])
    amsgrad = tl.get_optimizer("amsgrad", lr=0.01)  # a name for Adam(amsgrad=True)
    assert type(amsgrad) is tl.Adam and amsgrad.amsgrad is True and amsgrad.lr == 0.01
    assert (
        isinstance(tl.get_optimizer("Adam", lr=3e-4), tl.Adam)
        and tl.get_optimizer("Adam", lr=3e-4).lr == 3e-4
    )


# -- clipping --------------------------------------------------------------------------------------
def test_clip_by_global_norm_values():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[0.0], [4.0]])}
    assert tl.global_norm(grads) == 5.0
    assert tl.clip_by_global_norm(grads, 10.0) == 5.0
    np.testing.assert_array_equal(grads["a"], [3.0, 0.0])  # under the limit: untouched
    assert tl.clip_by_global_norm(grads, 1.0) == 5.0
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])
    np.testing.assert_allclose(grads["b"], [[0.0], [0.8]])
    values = [np.array([-3.0, 0.5, 2.0])]
    tl.clip_by_value(values, 1.0)
    np.testing.assert_array_equal(values[0], [-1.0, 0.5, 1.0])


@given(
    arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e3, 1e3)),
    arrays(np.float64, (3, 2), elements=st.floats(-1e3, 1e3)),
    st.floats(1e-3, 1e3),
)
def test_clip_by_global_norm_properties(a, b, max_norm):
    original = [a.copy(), b.copy()]
    norm = tl.clip_by_global_norm([a, b], max_norm)
    assert math.isclose(
        norm, math.sqrt(np.sum(original[0] ** 2) + np.sum(original[1] ** 2)), rel_tol=1e-9
    )
    assert tl.global_norm([a, b]) <= max_norm * (1 + 1e-9)
    scale = min(1.0, max_norm / norm) if norm else 1.0
    np.testing.assert_allclose(a, original[0] * scale, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(b, original[1] * scale, rtol=1e-12, atol=1e-300)


@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(-1e3, 1e3)), st.floats(1e-3, 1e3))
def test_clip_by_value_properties(g, limit):
    original = g.copy()
    tl.clip_by_value([g], limit)
    assert np.all(np.abs(g) <= limit)
    inside = np.abs(original) <= limit
    np.testing.assert_array_equal(g[inside], original[inside])


def test_optimizer_clip_options_leave_callers_grads_alone():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([0.0, 4.0])}
    params = {"a": np.zeros(2), "b": np.zeros(2)}
    optimizer = tl.SGD(lr=1.0, clip_norm=1.0)
    optimizer.update(params, grads)
    assert optimizer.grad_norm == 5.0
    np.testing.assert_allclose(params["a"], [-0.6, 0.0])
    np.testing.assert_allclose(params["b"], [0.0, -0.8])
    np.testing.assert_array_equal(grads["a"], [3.0, 0.0])
    params = {"a": np.zeros(2), "b": np.zeros(2)}
    tl.SGD(lr=1.0, clip_value=2.0).update(params, grads)
    np.testing.assert_allclose(params["a"], [-2.0, 0.0])
    np.testing.assert_allclose(params["b"], [0.0, -2.0])
    np.testing.assert_array_equal(grads["b"], [0.0, 4.0])


def test_clip_norm_matches_clipped_reference():
    gradient, start = quadratic(seed=4)

    def clipped(params):
        grads = gradient(params)
        tl.clip_by_global_norm(grads, 0.5)
        return grads

    expected = run_reference("adam", CASES["adam"][1], start, clipped, 30)
    params = run_trainlab(
        make("adam", clip_norm=0.5), {k: v.copy() for k, v in start.items()}, gradient, 30
    )
    for key in params:
        np.testing.assert_allclose(params[key], expected[key], rtol=1e-9, atol=1e-10)


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: tl.SGD(lr=0), "lr must be > 0, got 0"),
        (lambda: tl.Adam(lr=-1e-3), "lr must be > 0, got -0.001"),
        (lambda: tl.Momentum(momentum=1.0), r"momentum must be in \[0.0, 1.0\), got 1.0"),
        (lambda: tl.Nesterov(momentum=-0.1), r"momentum must be in \[0.0, 1.0\), got -0.1"),
        (lambda: tl.RMSProp(rho=1.5), r"rho must be in \[0.0, 1.0\), got 1.5"),
        (lambda: tl.Adam(beta_1=1.0), r"beta_1 must be in \[0.0, 1.0\), got 1.0"),
        (lambda: tl.AdaMax(beta_2=-0.5), r"beta_2 must be in \[0.0, 1.0\), got -0.5"),
        (lambda: tl.Nadam(eps=0.0), "eps must be > 0, got 0.0"),
        (lambda: tl.AdaGrad(eps=-1e-7), "eps must be > 0, got -1e-07"),
        (lambda: tl.AdamW(weight_decay=-0.1), "weight_decay must be >= 0, got -0.1"),
        (lambda: tl.Adam(amsgrad="yes"), "amsgrad must be True or False, got 'yes'"),
        (lambda: tl.Adadelta(rho=1.0), r"rho must be in \[0.0, 1.0\), got 1.0"),
        (lambda: tl.Lion(beta_2=1.0), r"beta_2 must be in \[0.0, 1.0\), got 1.0"),
        (lambda: tl.RAdam(eps=0), "eps must be > 0, got 0"),
        (lambda: tl.Adam(0.1, learning_rate=0.2), "give lr or learning_rate"),
        (lambda: tl.SGD(learning_rate=-1.0), "lr must be > 0, got -1.0"),
        (
            lambda: tl.Momentum(0.1, 0.9, 0.5),
            r"Momentum\(\): too many positional arguments; its parameters: lr, ",
        ),
        (lambda: tl.SGD(clip_norm=0), "clip_norm must be > 0, got 0"),
        (lambda: tl.SGD(clip_value=-1), "clip_value must be > 0, got -1"),
        (lambda: tl.SGD(clip_norm=1, clip_value=1), "give clip_norm or clip_value, not both"),
        (
            lambda: tl.get_optimizer("adamm"),
            r"optimizer='adamm' is not a known optimizer; valid names: adadelta, adagrad, adam",
        ),
        (
            lambda: tl.get_optimizer("adam", momentum=0.9),
            r"adam has no parameter 'momentum'; its parameters: lr, ",
        ),
        (lambda: tl.get_optimizer(tl.Adam(), lr=0.1), "already an optimizer object"),
        (lambda: tl.clip_by_global_norm([np.ones(2)], 0), "max_norm must be > 0, got 0"),
        (lambda: tl.clip_by_value([np.ones(2)], -1), "limit must be > 0, got -1"),
    ],
)
def test_bad_hyperparameters(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_bad_lr_assignment_keeps_the_old_value():
    optimizer = tl.Adam(lr=0.01)
    with pytest.raises(ValueError, match="lr must be > 0"):
        optimizer.lr = 0.0
    with pytest.raises(TypeError, match="lr must be a number, got 'fast'"):
        optimizer.lr = "fast"
    with pytest.raises(ValueError, match="lr must be finite"):
        optimizer.lr = float("nan")
    assert optimizer.lr == 0.01


@pytest.mark.parametrize("name", NAMES)
def test_mismatched_params_and_grads(name):
    optimizer = make(name)
    params = {"w": np.ones((2, 3)), "b": np.ones(3)}
    with pytest.raises(ValueError, match=r"missing in grads \['b'\], not in params \['c'\]"):
        optimizer.update(params, {"w": np.ones((2, 3)), "c": np.ones(3)})
    with pytest.raises(
        ValueError, match=r"grads\['w'\] has shape \(3, 2\) but params\['w'\] has \(2, 3\)"
    ):
        optimizer.update(params, {"w": np.ones((3, 2)), "b": np.ones(3)})
    with pytest.raises(TypeError, match=r"grads\['b'\] must be a NumPy array, got list"):
        optimizer.update(params, {"w": np.ones((2, 3)), "b": [1.0, 1.0, 1.0]})
    with pytest.raises(TypeError, match=r"params\['b'\] must be a float NumPy array"):
        optimizer.update({"b": np.ones(3, dtype=int)}, {"b": np.ones(3)})
    np.testing.assert_array_equal(params["w"], 1.0)
    assert optimizer.iterations == 0 and optimizer.state == {}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_gradient_raises_and_leaves_everything_unchanged(name, bad):
    model, x, t = small_network()
    optimizer = make(name, clip_norm=1.0)
    optimizer.update(model.params, model.gradient(x, t))
    weights = model.state_dict()
    state = optimizer.state_dict()
    grads = {k: g.copy() for k, g in model.gradient(x, t).items()}
    grads["dense2.b"][1] = bad  # the last parameter: all others would be updated before it
    with pytest.raises(
        FloatingPointError, match=r"grads\['dense2.b'\] contains NaN or inf; the update was not"
    ):
        optimizer.update(model.params, grads)
    for key, array in model.state_dict().items():
        np.testing.assert_array_equal(array, weights[key])
    assert optimizer.iterations == 1
    for key, array in optimizer.state_dict()["arrays"].items():
        np.testing.assert_array_equal(array, state["arrays"][key])


def test_huge_finite_float32_gradient_is_not_mistaken_for_inf():
    params = {"w": np.zeros(4, np.float32)}
    grads = {"w": np.full(4, 1e20, np.float32)}  # ‖g‖² overflows float32 but g is finite
    optimizer = tl.SGD(lr=1.0, clip_norm=1.0)
    optimizer.update(params, grads)
    assert math.isclose(optimizer.grad_norm, 2e20, rel_tol=1e-6)
    np.testing.assert_allclose(params["w"], -0.5, rtol=1e-6)


@pytest.mark.parametrize("gradients", ["fresh", "reused", "non-contiguous"])
@pytest.mark.parametrize("name", NAMES)
def test_updating_a_large_parameter_block_by_block_is_the_same_update(name, gradients):
    """Also when the gradient is the same array rewritten in place at every step (as a model's
    layers write theirs: the optimizer keeps the views of its blocks), or a non-contiguous one at
    some steps."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((13, 11)).astype(np.float32)
    results = []
    for block_size in (7, 1000):  # 143 entries: 21 blocks, or all at once
        optimizer = make(name, lr=0.01)
        optimizer.block_size = block_size
        params = {"w": start.copy(), "b": np.zeros(3, np.float32)}
        reused = {"w": np.empty((13, 11), np.float32), "b": np.ones(3, np.float32)}
        for step in range(5):
            g = np.sin(params["w"] + step).astype(np.float32)
            if gradients == "reused":
                reused["w"][...] = g
                grads = reused
            elif gradients == "non-contiguous" and step % 2:
                grads = {"w": np.asfortranarray(g), "b": np.ones(3, np.float32)}
            else:
                grads = {"w": g, "b": np.ones(3, np.float32)}
            optimizer.update(params, grads)
        results.append((params["w"], optimizer.state_dict()["arrays"]))
    (blocked, blocked_state), (whole, whole_state) = results
    np.testing.assert_array_equal(blocked, whole)
    for key, value in whole_state.items():
        np.testing.assert_array_equal(blocked_state[key], value)
        assert blocked_state[key].shape == value.shape


# -- hyperparameters declared once -----------------------------------------------------------------
@pytest.mark.parametrize("registered", REGISTERED)
def test_constructor_config_and_help_come_from_the_declaration(registered):
    cls = type(tl.get_optimizer(registered))
    declared = list(cls.hyperparameters)
    signature = inspect.signature(cls)
    assert list(signature.parameters) == [*declared, *cls.keras_options, "learning_rate"]
    defaults = [p.default for p in signature.parameters.values()]
    assert defaults[: len(declared)] == [h.default for h in cls.hyperparameters.values()]
    assert declared[0] == "lr" and declared[-2:] == ["clip_norm", "clip_value"]
    optimizer = cls()
    assert list(optimizer.get_config()) == declared
    assert all(getattr(optimizer, name) == h.default for name, h in cls.hyperparameters.items())
    text = inspect.getdoc(cls.__init__)
    for hyperparameter in cls.hyperparameters.values():
        assert (
            f"``{hyperparameter.name}`` = {hyperparameter.default!r}: {hyperparameter.doc}" in text
        )
    # the rule takes θ, g, the state arrays in slot order, then the scratch arrays by name
    rule = list(inspect.signature(optimizer.rule).parameters)
    assert rule[: 2 + len(optimizer.slots)] == ["theta", "g", *optimizer.slots]
    assert rule[-len(cls.scratch) :] == list(cls.scratch)


@pytest.mark.parametrize("name", NAMES)
def test_learning_rate_is_kerass_name_for_lr(name):
    registered, hp = CASES[name]
    with_lr = make(name)
    with_learning_rate = tl.get_optimizer(
        registered, **{k: v for k, v in hp.items() if k != "lr"}, learning_rate=hp["lr"]
    )
    assert with_learning_rate.get_config() == with_lr.get_config()  # saved as lr, as before
    gradient, start = quadratic(seed=8)
    a = run_trainlab(with_lr, {k: v.copy() for k, v in start.items()}, gradient, 5)
    b = run_trainlab(with_learning_rate, {k: v.copy() for k, v in start.items()}, gradient, 5)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    with_learning_rate.learning_rate = 0.25
    assert with_learning_rate.lr == 0.25 == with_learning_rate.learning_rate
    with pytest.raises(ValueError, match="lr must be > 0"):
        with_learning_rate.learning_rate = 0.0


@pytest.mark.parametrize("nesterov", [False, True])
def test_kerass_sgd_with_momentum_is_momentum_or_nesterov(nesterov):
    """tl.SGD(momentum=β, nesterov=...) as in Keras: the Momentum or Nesterov rule, the same bits."""
    rule = tl.Nesterov if nesterov else tl.Momentum
    keras_style = tl.SGD(learning_rate=0.05, momentum=0.8, nesterov=nesterov)
    by_name = tl.get_optimizer("sgd", lr=0.05, momentum=0.8, nesterov=nesterov)
    assert type(keras_style) is rule and type(by_name) is rule
    gradient, start = quadratic(seed=10)
    expected = run_trainlab(
        rule(lr=0.05, momentum=0.8), {k: v.copy() for k, v in start.items()}, gradient, 8
    )
    for optimizer in (keras_style, by_name):
        params = run_trainlab(optimizer, {k: v.copy() for k, v in start.items()}, gradient, 8)
        for key in params:
            np.testing.assert_array_equal(params[key], expected[key], strict=True)
            assert not np.allclose(params[key], start[key])
    plain = tl.SGD(lr=0.05, momentum=0.0)
    assert (
        type(plain) is tl.SGD and plain.momentum is None
    )  # 1cycle leaves plain SGD's missing momentum alone
    assert type(tl.SGD(momentum=0.0, nesterov=True)) is tl.Nesterov
    with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\), got 1.5"):
        tl.SGD(momentum=1.5)
    with pytest.raises(TypeError, match="nesterov must be True or False, got 'yes'"):
        tl.SGD(momentum=0.9, nesterov="yes")


def test_compile_accepts_learning_rate():
    model, _, _ = small_network()
    model.compile("adam", learning_rate=0.03)
    assert isinstance(model.optimizer, tl.Adam) and model.optimizer.lr == 0.03


def test_amsgrad_keeps_v_max_in_its_state_and_it_loads():
    gradient, start = quadratic(seed=9)
    optimizer = make("amsgrad")
    params = run_trainlab(optimizer, {k: v.copy() for k, v in start.items()}, gradient, 10)
    state = optimizer.state_dict()
    assert sorted(state["arrays"]) == ["W/m", "W/v", "W/v_max", "b/m", "b/v", "b/v_max"]
    np.testing.assert_array_equal(
        state["arrays"]["b/v_max"], np.maximum(state["arrays"]["b/v_max"], state["arrays"]["b/v"])
    )
    resumed = tl.Adam()  # amsgrad=False until the state says otherwise
    resumed.load_state_dict(state)
    assert resumed.amsgrad is True
    continued = run_trainlab(resumed, {k: v.copy() for k, v in params.items()}, gradient, 5)
    expected = run_trainlab(optimizer, params, gradient, 5)
    for key in expected:
        np.testing.assert_array_equal(continued[key], expected[key])
    with pytest.raises(ValueError, match="unexpected key 'W/v_max'"):
        tl.Adam().load_state_dict({**state, "config": {**state["config"], "amsgrad": False}})


def test_amsgrad_switched_on_between_updates_starts_its_v_max():
    params, grads = {"w": np.zeros(3)}, {"w": np.array([1.0, -2.0, 0.5])}
    optimizer = tl.Adam(lr=0.1)
    optimizer.update(params, grads)
    optimizer.amsgrad = True
    optimizer.update(params, grads)
    v = optimizer.state["w"]["v"]
    np.testing.assert_array_equal(
        optimizer.state["w"]["v_max"], v
    )  # max(0, v) after its first update
