"""Optimizers: each against an independent float64 reference written from its published formula, against
torch.optim where the conventions coincide, and for in-place updates, state_dict, lr changes, clipping and
bad input."""

from __future__ import annotations

import io
import json
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import trainlab as tl
from trainlab.optimizers import OPTIMIZERS

NAMES = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam", "adamw"]

# Non-default hyperparameters, so that a swapped or ignored one shows.
SETTINGS = {
    "sgd": {"lr": 0.05},
    "momentum": {"lr": 0.02, "momentum": 0.8},
    "nesterov": {"lr": 0.02, "momentum": 0.85},
    "adagrad": {"lr": 0.3, "eps": 1e-6},
    "rmsprop": {"lr": 0.02, "rho": 0.9, "eps": 1e-6},
    "adam": {"lr": 0.05, "beta_1": 0.8, "beta_2": 0.95, "eps": 1e-6},
    "adamax": {"lr": 0.05, "beta_1": 0.8, "beta_2": 0.95, "eps": 1e-6},
    "nadam": {"lr": 0.05, "beta_1": 0.8, "beta_2": 0.95, "eps": 1e-6},
    "adamw": {"lr": 0.05, "beta_1": 0.8, "beta_2": 0.95, "eps": 1e-6, "weight_decay": 0.1},
}


# -- the reference: one update per published formula, plain float64, new arrays every step ---------------------
def reference_step(name: str, hp: dict, state: dict, theta: np.ndarray, g: np.ndarray, t: int) -> np.ndarray:
    """θ after update number t (t = 1, 2, ...), from the formula in the paper or textbook."""
    lr = hp["lr"]
    zeros = np.zeros_like(theta)
    if name == "sgd":
        return theta - lr * g
    if name == "momentum":
        state["v"] = hp["momentum"] * state.get("v", zeros) - lr * g
        return theta + state["v"]
    if name == "nesterov":  # Sutskever et al. (2013) / Keras form
        state["v"] = hp["momentum"] * state.get("v", zeros) - lr * g
        return theta + hp["momentum"] * state["v"] - lr * g
    if name == "adagrad":
        state["h"] = state.get("h", zeros) + g * g
        return theta - lr * g / (np.sqrt(state["h"]) + hp["eps"])
    if name == "rmsprop":
        state["h"] = hp["rho"] * state.get("h", zeros) + (1 - hp["rho"]) * g * g
        return theta - lr * g / (np.sqrt(state["h"]) + hp["eps"])
    b1, b2, eps = hp["beta_1"], hp["beta_2"], hp["eps"]
    state["m"] = b1 * state.get("m", zeros) + (1 - b1) * g
    if name == "adamax":
        state["u"] = np.maximum(b2 * state.get("u", zeros), np.abs(g))
        return theta - lr / (1 - b1**t) * state["m"] / (state["u"] + eps)
    state["v"] = b2 * state.get("v", zeros) + (1 - b2) * g * g
    m_hat, v_hat = state["m"] / (1 - b1**t), state["v"] / (1 - b2**t)
    if name == "adam":
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    if name == "adamw":
        return theta - lr * hp["weight_decay"] * theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    if name == "nadam":  # Dozat (2016), Algorithm 2 with constant μ = β1
        m_bar = b1 * state["m"] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
        return theta - lr * m_bar / (np.sqrt(v_hat) + eps)
    raise AssertionError(name)


# -- a fixed quadratic: f(W, b) = ½ wᵀHw - cᵀw + ½ Σ a (b - d)², w = vec(W) ----------------------------------
def quadratic(seed: int = 0):
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((12, 12))
    H = Q @ Q.T / 12 + np.diag(np.linspace(0.1, 3.0, 12))  # symmetric positive definite, ill-conditioned
    c = rng.standard_normal(12)
    a, d = np.array([0.05, 1.0, 4.0, 20.0]), rng.standard_normal(4)

    def gradient(params):
        return {"W": (H @ params["W"].ravel() - c).reshape(3, 4), "b": a * (params["b"] - d)}

    def start():
        return {"W": rng_start.standard_normal((3, 4)), "b": rng_start.standard_normal(4)}

    rng_start = np.random.default_rng(seed + 1)
    return gradient, start()


def run_reference(name, hp, params, gradient, steps, lrs=None):
    params = {k: v.copy() for k, v in params.items()}
    states = {k: {} for k in params}
    for t in range(1, steps + 1):
        step_hp = hp if lrs is None else {**hp, "lr": lrs[t - 1]}
        grads = gradient(params)
        params = {k: reference_step(name, step_hp, states[k], params[k], grads[k], t) for k in params}
    return params


def run_trainlab(optimizer, params, gradient, steps, lrs=None):
    for t in range(steps):
        if lrs is not None:
            optimizer.lr = lrs[t]
        optimizer.update(params, gradient(params))
    return params


@pytest.mark.parametrize("name", NAMES)
def test_matches_reference_on_a_quadratic(name):
    gradient, start = quadratic()
    expected = run_reference(name, SETTINGS[name], start, gradient, 50)
    params = {k: v.copy() for k, v in start.items()}
    run_trainlab(tl.get_optimizer(name, **SETTINGS[name]), params, gradient, 50)
    for key in params:
        np.testing.assert_allclose(params[key], expected[key], rtol=1e-9, atol=1e-10)
        assert not np.allclose(params[key], start[key])  # it did move


@pytest.mark.parametrize("name", NAMES)
def test_matches_reference_with_lr_changed_between_steps(name):
    gradient, start = quadratic(seed=3)
    lrs = [SETTINGS[name]["lr"] * (1.0 + 0.5 * math.sin(t)) for t in range(50)]
    expected = run_reference(name, SETTINGS[name], start, gradient, 50, lrs)
    params = run_trainlab(tl.get_optimizer(name, **SETTINGS[name]), {k: v.copy() for k, v in start.items()},
                          gradient, 50, lrs)
    for key in params:
        np.testing.assert_allclose(params[key], expected[key], rtol=1e-9, atol=1e-10)


def small_network():
    model = tl.Sequential([tl.Dense(6), tl.Tanh(), tl.Dense(3)], input_dim=4, seed=0, dtype="float64")
    rng = np.random.default_rng(7)
    return model, rng.standard_normal((16, 4)), rng.integers(0, 3, 16)


@pytest.mark.parametrize("name", NAMES)
def test_matches_reference_on_a_small_network(name):
    model, x, t = small_network()
    reference = model.clone()
    optimizer = tl.get_optimizer(name, **SETTINGS[name])
    states = {key: {} for key in reference.params}
    losses = []
    for step in range(1, 51):
        optimizer.update(model.params, model.gradient(x, t))
        grads = {k: g.copy() for k, g in reference.gradient(x, t).items()}
        losses.append(reference.last_loss)
        for key, theta in reference.params.items():
            reference.params[key] = reference_step(name, SETTINGS[name], states[key], theta.copy(), grads[key], step)
    for key in model.params:
        np.testing.assert_allclose(model.params[key], reference.params[key], rtol=1e-9, atol=1e-12)
    assert losses[-1] < losses[0]  # and it learns


# -- torch.optim on the same quadratic -------------------------------------------------------------------------
def torch_optimizer(torch, name, hp, tensors):
    """The torch.optim counterpart, with parameters set so that the two conventions agree."""
    betas = (hp.get("beta_1"), hp.get("beta_2"))
    optim = torch.optim
    if name == "sgd":
        return optim.SGD(tensors, lr=hp["lr"])
    if name in ("momentum", "nesterov"):  # PyTorch's buffer is b = -v/η: equal for a constant η
        return optim.SGD(tensors, lr=hp["lr"], momentum=hp["momentum"], nesterov=name == "nesterov")
    if name == "adagrad":  # PyTorch's lr_decay and initial accumulator default to 0, as ours
        return optim.Adagrad(tensors, lr=hp["lr"], eps=hp["eps"])
    if name == "rmsprop":  # PyTorch calls ρ "alpha"; ε outside the root in both
        return optim.RMSprop(tensors, lr=hp["lr"], alpha=hp["rho"], eps=hp["eps"])
    if name == "adam":
        return optim.Adam(tensors, lr=hp["lr"], betas=betas, eps=hp["eps"])
    if name == "adamax":  # PyTorch: u ← max(β2·u, |g| + ε) and m/u; ours: max(β2·u, |g|) and m/(u + ε)
        return optim.Adamax(tensors, lr=hp["lr"], betas=betas, eps=hp["eps"])
    if name == "adamw":
        return optim.AdamW(tensors, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=hp["weight_decay"])
    if name == "nadam":  # PyTorch's μₜ = β1·(1 - ½·0.96^(ψ·t)) is the constant β1 when ψ is huge
        return optim.NAdam(tensors, lr=hp["lr"], betas=betas, eps=hp["eps"], momentum_decay=1e6)
    raise AssertionError(name)


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_optim(name):
    torch = pytest.importorskip("torch")
    gradient, start = quadratic(seed=5)
    hp = SETTINGS[name]
    if name == "adamax":  # ε sits in different places (see torch_optimizer): make it too small to matter
        hp = {**hp, "eps": 1e-12}
    params = {k: v.copy() for k, v in start.items()}
    tensors = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in start.items()}
    theirs = torch_optimizer(torch, name, hp, list(tensors.values()))
    ours = tl.get_optimizer(name, **hp)
    for _ in range(50):
        ours.update(params, gradient(params))
        for key, grad in gradient({k: p.detach().numpy() for k, p in tensors.items()}).items():
            tensors[key].grad = torch.tensor(grad)
        theirs.step()
    # NAdam keeps its running product of μ's in a float32 tensor, hence the looser tolerance.
    tolerance = {"rtol": 1e-6, "atol": 1e-8} if name == "nadam" else {"rtol": 1e-8, "atol": 1e-10}
    for key in params:
        np.testing.assert_allclose(params[key], tensors[key].detach().numpy(), **tolerance)


# -- in place, allocation-light --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_updates_in_place_and_keeps_identity(name):
    model, x, t = small_network()
    arrays = {key: array for key, array in model.params.items()}
    before = {key: array.copy() for key, array in arrays.items()}
    optimizer = tl.get_optimizer(name)
    for _ in range(3):
        optimizer.update(model.params, model.gradient(x, t))
    for key, array in model.params.items():
        assert array is arrays[key]
        assert not np.array_equal(array, before[key])
    assert optimizer.iterations == 3


@pytest.mark.parametrize("name", NAMES)
def test_update_allocates_no_temporaries(name):
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((500, 200)).astype(np.float32), "b": np.zeros(200, np.float32)}
    grads = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in params.items()}
    optimizer = tl.get_optimizer(name, clip_norm=1.0)  # clipping active: uses its scratch buffer
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


# -- state_dict ------------------------------------------------------------------------------------------------
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
    uninterrupted = run_trainlab(tl.get_optimizer(name, **SETTINGS[name]), {k: v.copy() for k, v in start.items()},
                                 gradient, 50)
    first = tl.get_optimizer(name, **SETTINGS[name])
    params = run_trainlab(first, {k: v.copy() for k, v in start.items()}, gradient, 20)
    state = save_and_load(first.state_dict())
    assert state["iterations"] == 20 and state["class"] == type(first).__name__
    resumed = tl.get_optimizer(name)  # default hyperparameters: the state brings the saved ones
    resumed.load_state_dict(state)
    assert resumed.get_config() == first.get_config()
    run_trainlab(first, {k: v.copy() for k, v in params.items()}, gradient, 1)  # the original moves on...
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


# -- hyperparameters and momentum ------------------------------------------------------------------------------
def test_lr_change_takes_effect():
    params = {"w": np.zeros(2)}
    optimizer = tl.SGD(lr=0.1)
    optimizer.update(params, {"w": np.array([1.0, -2.0])})
    np.testing.assert_allclose(params["w"], [-0.1, 0.2])
    optimizer.lr = 0.5
    optimizer.update(params, {"w": np.array([1.0, -2.0])})
    np.testing.assert_allclose(params["w"], [-0.6, 1.2])


def test_momentum_property_is_uniform():
    assert tl.SGD().momentum is None and tl.AdaGrad().momentum is None and tl.RMSProp().momentum is None
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
    for name in NAMES:
        optimizer = tl.get_optimizer(name, **SETTINGS[name])
        assert type(optimizer)(**optimizer.get_config()).get_config() == optimizer.get_config()
        assert tl.registry.deserialize(tl.registry.serialize(optimizer)).get_config() == optimizer.get_config()
    assert sorted(NAMES) == OPTIMIZERS.names()
    assert isinstance(tl.get_optimizer("Adam", lr=3e-4), tl.Adam) and tl.get_optimizer("Adam", lr=3e-4).lr == 3e-4


# -- clipping --------------------------------------------------------------------------------------------------
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


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e3, 1e3)),
       arrays(np.float64, (3, 2), elements=st.floats(-1e3, 1e3)), st.floats(1e-3, 1e3))
def test_clip_by_global_norm_properties(a, b, max_norm):
    original = [a.copy(), b.copy()]
    norm = tl.clip_by_global_norm([a, b], max_norm)
    assert math.isclose(norm, math.sqrt(np.sum(original[0] ** 2) + np.sum(original[1] ** 2)), rel_tol=1e-9)
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

    expected = run_reference("adam", SETTINGS["adam"], start, clipped, 30)
    params = run_trainlab(tl.Adam(**SETTINGS["adam"], clip_norm=0.5), {k: v.copy() for k, v in start.items()},
                          gradient, 30)
    for key in params:
        np.testing.assert_allclose(params[key], expected[key], rtol=1e-9, atol=1e-10)


# -- bad input -------------------------------------------------------------------------------------------------
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
        (lambda: tl.SGD(clip_norm=0), "clip_norm must be > 0, got 0"),
        (lambda: tl.SGD(clip_value=-1), "clip_value must be > 0, got -1"),
        (lambda: tl.SGD(clip_norm=1, clip_value=1), "give clip_norm or clip_value, not both"),
        (lambda: tl.get_optimizer("adamm"), r"optimizer='adamm' is not a known optimizer; valid names: adagrad, adam"),
        (lambda: tl.get_optimizer("adam", momentum=0.9), r"adam has no parameter 'momentum'; its parameters: lr, "),
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
    optimizer = tl.get_optimizer(name)
    params = {"w": np.ones((2, 3)), "b": np.ones(3)}
    with pytest.raises(ValueError, match=r"missing in grads \['b'\], not in params \['c'\]"):
        optimizer.update(params, {"w": np.ones((2, 3)), "c": np.ones(3)})
    with pytest.raises(ValueError, match=r"grads\['w'\] has shape \(3, 2\) but params\['w'\] has \(2, 3\)"):
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
    optimizer = tl.get_optimizer(name, clip_norm=1.0)
    optimizer.update(model.params, model.gradient(x, t))
    weights = model.state_dict()
    state = optimizer.state_dict()
    grads = {k: g.copy() for k, g in model.gradient(x, t).items()}
    grads["dense2.b"][1] = bad  # the last parameter: all others would be updated before it
    with pytest.raises(FloatingPointError, match=r"grads\['dense2.b'\] contains NaN or inf; the update was not"):
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


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam",
                                  "adamw"])
def test_updating_a_large_parameter_block_by_block_is_the_same_update(name):
    rng = np.random.default_rng(0)
    start = rng.standard_normal((13, 11)).astype(np.float32)
    results = []
    for block_size in (7, 1000):  # 143 entries: 21 blocks, or all at once
        optimizer = tl.get_optimizer(name, lr=0.01)
        optimizer.block_size = block_size
        params = {"w": start.copy(), "b": np.zeros(3, np.float32)}
        for step in range(5):
            grads = {"w": np.sin(params["w"] + step).astype(np.float32), "b": np.ones(3, np.float32)}
            optimizer.update(params, grads)
        results.append((params["w"], optimizer.state_dict()["arrays"]))
    (blocked, blocked_state), (whole, whole_state) = results
    np.testing.assert_array_equal(blocked, whole)
    for key, value in whole_state.items():
        np.testing.assert_array_equal(blocked_state[key], value)
        assert blocked_state[key].shape == value.shape
