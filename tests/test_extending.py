"""Extending trainlab in one place: a new optimizer and a new layer, each one class defined here and
nothing else touched, work everywhere the library's own do.

The optimizer (Signum: the sign of a momentum) trains a model, is saved and loaded with it, is found
by name, tells its label, marker and default rate, matches its readable rule, and appears in tune's
search space with its hyperparameter derived from its declaration. The layer (a learned per-feature
scale) and the activation (Swish) are gradient-checked by the registry test, sit in the every-layer
model, train, save and load. Each is registered by a fixture and removed after, so that other tests
see the library's registries.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_gradients import check_registered_layer, registered_classes

import trainlab as tl
from trainlab.activations import ACTIVATIONS, Activation
from trainlab.base import LAYERS, Layer
from trainlab.gradcheck import every_layer_model
from trainlab.optimizers import FRACTION, OPTIMIZERS, POSITIVE, Hyperparameter, Optimizer, describe
from trainlab.optimizers.base import moving_average
from trainlab.optimizers.reference import reference, reference_step
from trainlab.tune.objective import build_optimizer
from trainlab.tune.params import PARAMETERS, default_values, optimizer_accepts
from trainlab.tune.space import SearchSpace


# -- a new optimizer: one class (and its readable rule, for the reference test) --------------------
class Signum(Optimizer):
    """Signum (Bernstein et al., 2018): m ← β·m + (1−β)·g,  θ ← θ − η·sign(m)."""

    lr = Hyperparameter(0.001, POSITIVE, "the learning rate η, the size of every step")
    beta = Hyperparameter(0.9, FRACTION, "β, the decay of the momentum m")
    slots = ("m",)
    marker = "p"

    def rule(self, theta, g, m, *, work):
        moving_average(m, g, self.beta, work)  # m ← β·m + (1−β)·g
        theta -= np.multiply(self.lr, np.sign(m, out=work), out=work)  # θ ← θ − η·sign(m)


@reference(Signum)
def signum(theta, g, state, t, *, lr, beta):
    state["m"] = beta * state.get("m", np.zeros_like(theta)) + (1 - beta) * g
    return theta - lr * np.sign(state["m"])


@pytest.fixture
def signum_registered():
    OPTIMIZERS.add("signum", Signum)
    yield
    OPTIMIZERS.remove("signum")


def blobs(n=96, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((classes, d))
    y = rng.integers(0, classes, n)
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y


def test_a_new_optimizer_trains_saves_loads_and_is_found_by_name(signum_registered, tmp_path):
    x, y = blobs()
    model = tl.Sequential([tl.Dense(8, activation="relu"), tl.Dense(3)], input_dim=6, seed=0)
    model.compile(tl.get_optimizer("signum", lr=0.01, beta=0.8))
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.metrics["loss"][-1] < 0.5 * history.metrics["loss"][0]
    model.save(tmp_path / "signum.npz")
    loaded = tl.load_model(tmp_path / "signum.npz")
    assert (
        type(loaded.optimizer) is Signum
        and loaded.optimizer.get_config() == model.optimizer.get_config()
    )
    for key, array in model.optimizer.state_dict()["arrays"].items():
        np.testing.assert_array_equal(loaded.optimizer.state_dict()["arrays"][key], array)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # the two continue alike
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for key, array in model.params.items():
        np.testing.assert_array_equal(loaded.params[key], array)

    info = describe("signum")
    assert (info.cls, info.label, info.marker, info.default_lr) == (Signum, "Signum", "p", 0.001)
    with pytest.raises(ValueError, match=r"beta must be in \[0.0, 1.0\), got 1.0"):
        tl.get_optimizer("signum", beta=1.0)
    with pytest.raises(
        TypeError, match="signum has no parameter 'momentum'; its parameters: lr, beta"
    ):
        tl.get_optimizer("signum", momentum=0.9)


def test_a_new_optimizer_matches_its_readable_rule(signum_registered):
    rng = np.random.default_rng(1)
    optimizer = tl.get_optimizer("signum", lr=0.05, beta=0.7)
    params = {"w": rng.standard_normal((4, 3))}
    expected, state = params["w"].copy(), {}
    for t in range(1, 8):
        grads = {"w": np.sin(params["w"] * t)}
        expected = reference_step(optimizer, expected, np.sin(expected * t), state, t)
        optimizer.update(params, grads)
        np.testing.assert_allclose(params["w"], expected, rtol=1e-12, atol=1e-12)


def test_a_new_optimizer_is_in_tunes_space_with_its_hyperparameters(signum_registered):
    assert "signum" in PARAMETERS["optimizer"].choices()
    # derived from the declaration: a fraction in [0, 1), the optimizer's default
    beta = PARAMETERS["beta"]
    assert (beta.kind, beta.target, beta.low, beta.high, beta.high_open) == (
        "float",
        "optimizer",
        0.0,
        1.0,
        True,
    )
    assert "signum" in beta.help and "decay of the momentum" in beta.help
    assert optimizer_accepts("signum") == {"lr", "beta", "clip_norm", "clip_value"}
    space = SearchSpace.parse(["optimizer=signum,adam", "beta=0.5..0.95", "lr=1e-4..1e-2:log"])
    with pytest.raises(ValueError, match="beta=1.5 is outside its allowed values"):
        SearchSpace.parse(["optimizer=signum", "beta=1.5"])
    optimizer = build_optimizer(
        {**default_values(), "optimizer": "signum", "beta": 0.6, "lr": 0.002}
    )
    assert type(optimizer) is Signum and (optimizer.beta, optimizer.lr) == (0.6, 0.002)
    assert {dim.name for dim in space} == {"optimizer", "beta", "lr"}


def test_the_registries_forget_a_removed_optimizer():
    assert "signum" not in OPTIMIZERS.names() and "beta" not in PARAMETERS


# -- a new layer and a new activation: one class each ----------------------------------------------
class Scale(Layer):
    """A learned scale per feature: y = γ ⊙ x (γ starts at 1).  dL/dγ = Σ_batch dL/dy ⊙ x,  dL/dx =
    γ ⊙ dL/dy."""

    default_name = "scale"

    def __init__(self, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)

    def create_state(self, rng):
        self.add_param("gamma", np.ones(self.input_shape, self.dtype))

    def forward(self, x, training=False):
        self.x = x
        return x * self.params["gamma"]

    def backward(self, dout, input_grad=True):
        if self.trainable:
            np.add.reduce(dout * self.x, axis=0, out=self.grads["gamma"])
        dout *= self.params["gamma"]
        return dout


class Swish(Activation):
    """Swish / SiLU: y = x·σ(x);  y' = σ(x)·(1 + x·(1 − σ(x)))."""

    default_name = "swish"

    def forward(self, x, training=False):
        self.x, self.s = x, 0.5 * (1.0 + np.tanh(0.5 * x))
        return x * self.s

    def backward(self, dout, input_grad=True):
        dout *= self.s * (1.0 + self.x * (1.0 - self.s))
        return dout


@pytest.fixture
def layers_registered():
    LAYERS.add("scale", Scale)
    ACTIVATIONS.add("swish", Swish)
    yield
    LAYERS.remove("scale")
    ACTIVATIONS.remove("swish")


def test_a_new_layer_is_gradient_checked_by_the_registry_test(layers_registered):
    covered = {param.values[1] for param in registered_classes()}
    assert {Scale, Swish} <= covered  # test_gradients.test_every_registered_class would take them
    # one and two axes per sample, both modes
    assert check_registered_layer(Scale).count("numerical") == 4
    assert "numerical" in check_registered_layer(Swish)
    model = every_layer_model(0)  # and the every-layer model of `trainlab gradcheck` holds both
    assert {Scale, Swish} <= {type(layer) for layer in model.layers}
    rng = np.random.default_rng(0)
    errors = tl.check_gradients(model, rng.standard_normal((10, 2, 3)), rng.integers(0, 4, 10))
    assert any(name.startswith("scale") for name in errors) and max(errors.values()) < 1e-6


def test_a_wrong_backward_in_a_new_layer_is_caught(layers_registered, monkeypatch):
    # forgets a term
    monkeypatch.setattr(Swish, "backward", lambda self, dout, input_grad=True: dout * self.s)
    with pytest.raises(AssertionError):
        check_registered_layer(Swish)


def test_a_new_layer_trains_saves_and_loads(layers_registered, tmp_path):
    x, y = blobs()
    model = tl.Sequential(
        [tl.Dense(8, activation="swish"), Scale(), tl.Dense(3)], input_dim=6, seed=1
    )
    model.compile("adam", lr=0.01)
    gamma = model.params["scale1.gamma"].copy()
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.metrics["loss"][-1] < 0.5 * history.metrics["loss"][0]
    # γ learned, through the flat buffer's run
    assert not np.array_equal(model.params["scale1.gamma"], gamma)
    assert len(model.optimizer.workspace.layout.steps) == 1
    model.save(tmp_path / "scale.npz")
    loaded = tl.load_model(tmp_path / "scale.npz")
    assert [type(layer) for layer in loaded.layers] == [tl.Dense, Scale, tl.Dense]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
