"""PReLU and RReLU: values, float64 gradient checks of every input and parameter, and their random slopes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_gradients import away_from_zero, build, check_layer

import trainlab as tl
from trainlab.gradcheck import relative_error

shapes = st.tuples(st.integers(1, 6), st.integers(1, 7))
seeds = st.integers(0, 2**16)


def test_prelu_values_and_alpha_gradient_by_hand():
    layer = build(tl.PReLU(alpha_init=0.25), (3,))
    x = np.array([[-2.0, 1.0, -4.0], [3.0, -1.0, 0.5]])
    np.testing.assert_allclose(
        layer.forward(x, training=True), [[-0.5, 1.0, -1.0], [3.0, -0.25, 0.5]]
    )
    dx = layer.backward(np.ones_like(x))
    np.testing.assert_allclose(dx, [[0.25, 1.0, 0.25], [1.0, 0.25, 1.0]])
    np.testing.assert_allclose(
        layer.grads["alpha"], [-2.0, -1.0, -4.0]
    )  # Σ dL/dy·x over negative x


@pytest.mark.parametrize("shared", [False, True])
@given(shape=shapes, alpha=st.floats(-0.5, 1.5), seed=seeds)
def test_prelu_gradients_of_x_and_alpha(shared, shape, alpha, seed):
    layer = build(tl.PReLU(alpha_init=alpha, shared=shared), shape[1:], seed)
    layer.params["alpha"][...] += np.random.default_rng(seed).uniform(
        -0.1, 0.1, layer.params["alpha"].shape
    )
    x = away_from_zero(np.random.default_rng(seed + 1).standard_normal(shape))
    assert not check_layer(layer, x)
    assert layer.params["alpha"].shape == ((1,) if shared else shape[1:])


@given(shape=shapes, seed=seeds)
def test_rrelu_gradient_with_its_drawn_slopes(shape, seed):
    x = away_from_zero(np.random.default_rng(seed).standard_normal(shape))
    assert not check_layer(build(tl.RReLU(), shape[1:], seed), x, training=True)
    assert not check_layer(build(tl.RReLU(0.1, 0.3), shape[1:], seed), x, training=False)


def test_rrelu_draws_slopes_in_training_and_uses_the_mean_in_inference():
    layer = build(tl.RReLU(lower=0.1, upper=0.3), (2000,), seed=3)
    x = -np.ones((5, 2000))
    slopes = -layer.forward(x, training=True)
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert (
        abs(slopes.mean() - 0.2) < 0.002 and abs(slopes.std() - 0.2 / np.sqrt(12)) < 0.002
    )  # U(0.1, 0.3)
    np.testing.assert_allclose(layer.forward(x, training=False), -0.2)
    np.testing.assert_allclose(layer.forward(-x, training=True), 1.0)


def test_models_with_prelu_and_rrelu_pass_the_model_gradient_check():
    rng = np.random.default_rng(0)
    model = tl.Sequential(
        [tl.Dense(6), tl.PReLU(), tl.Dense(5), tl.RReLU(), tl.Dense(3)],
        input_dim=4,
        seed=1,
        dtype="float64",
        weight_decay=1e-2,
    )
    errors = tl.check_gradients(model, rng.standard_normal((8, 4)), rng.integers(0, 3, 8))
    assert set(errors) == {
        "dense1.W",
        "dense1.b",
        "prelu1.alpha",
        "dense2.W",
        "dense2.b",
        "dense3.W",
        "dense3.b",
    }
    assert max(errors.values()) < 1e-6, errors


def test_prelu_learns_its_slope_and_is_saved(tmp_path):
    """On data whose target is y = x for x > 0 and 0.6·x below, the learned α approaches 0.6."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 1))
    model = tl.Sequential([tl.PReLU(alpha_init=0.0)], input_dim=1, seed=0, loss="mse")
    model.compile("sgd", lr=0.5)
    model.fit(
        x, np.where(x > 0, x, 0.6 * x), epochs=30, batch_size=32, verbose=0, evaluate_train=False
    )
    assert relative_error(model.params["prelu1.alpha"], np.array([0.6])) < 1e-3
    model.save(tmp_path / "m.npz")
    loaded = tl.load_model(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.params["prelu1.alpha"], model.params["prelu1.alpha"])


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="upper=0.1 is below lower=0.2"):
        tl.RReLU(lower=0.2, upper=0.1)
    with pytest.raises(ValueError, match="lower must be >= 0"):
        tl.RReLU(lower=-0.1)
    with pytest.raises(TypeError, match="alpha_init must be a number"):
        tl.PReLU(alpha_init="big")
    assert isinstance(tl.get_activation("prelu"), tl.PReLU) and isinstance(
        tl.get_activation("rrelu"), tl.RReLU
    )
