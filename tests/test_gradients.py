"""Every layer, loss and regularizer against float64 numerical gradients, on hypothesis-drawn shapes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import trainlab as tl
from trainlab.gradcheck import every_layer_model, numerical_gradient, relative_error

TOL = 1e-6
# Where a whole gradient is ~1e-6 (a saturated softmax, a nearly degenerate batch) the central
# difference's own rounding error (~1e-12) is 1e-6 of it; a wrong backward pass would be off by the size
# of the gradient itself. So a check passes on relative error < 1e-6 or absolute error < 1e-9.
ATOL = 1e-9


def agree(analytic, numeric):
    return relative_error(analytic, numeric) < TOL or np.max(np.abs(analytic - numeric)) < ATOL


def build(layer, input_shape, seed=0):
    layer.build(input_shape, np.float64, np.random.default_rng(seed))
    return layer


def check_layer(layer, x, training=True):
    """dL/dx and dL/dθ of L = Σ y ⊙ R against central differences, replaying the layer's noise.

    Returns the relative errors of the arrays that disagree (an empty dict when all agree).
    """
    # A seed sequence no integer seed produces: the weights never equal x (drawn from an integer seed), which
    # would make L = Σ y ⊙ x and its gradient degenerate.
    rng = np.random.default_rng([7, 7])
    weights = None
    noise = None if layer.rng is None else layer.rng.bit_generator.state

    def loss(_=None):
        if noise is not None:
            layer.rng.bit_generator.state = noise  # the same dropout mask at every evaluation
        return float(np.sum(layer.forward(x, training) * weights))

    if noise is not None:
        layer.rng.bit_generator.state = noise
    y = layer.forward(x, training)
    weights = rng.standard_normal(y.shape)
    dx = layer.backward(weights.copy())
    analytic = {name: grad.copy() for name, grad in layer.grads.items()}
    failures = {}
    for name, array, grad in [("x", x, dx)] + [(n, p, analytic[n]) for n, p in layer.params.items()]:
        numeric = numerical_gradient(loss, array)
        if not agree(grad, numeric):
            failures[name] = relative_error(grad, numeric)
    return failures


def away_from_zero(x, margin=1e-2):
    """Move entries off the kink at 0 of ReLU-like functions, where the derivative is undefined."""
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin, x)


batch = st.integers(min_value=1, max_value=6)
width = st.integers(min_value=1, max_value=7)
seeds = st.integers(min_value=0, max_value=2**16)


@given(n=batch, d_in=width, d_out=width, bias=st.booleans(), seed=seeds)
def test_dense(n, d_in, d_out, bias, seed):
    x = np.random.default_rng(seed).standard_normal((n, d_in))
    assert not check_layer(build(tl.Dense(d_out, bias=bias), (d_in,), seed), x)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "softmax"])
@given(n=batch, d_in=width, d_out=width, seed=seeds)
def test_dense_with_fused_activation(activation, n, d_in, d_out, seed):
    x = np.random.default_rng(seed).standard_normal((n, d_in))
    layer = build(tl.Dense(d_out, activation=activation), (d_in,), seed)
    if activation in ("relu", "leaky_relu", "selu"):  # keep pre-activations off the kink
        layer.params["b"][:] = 0.0
        x = away_from_zero(x)
        layer.params["W"][:] = away_from_zero(layer.params["W"], 0.2)
        z = x @ layer.params["W"]
        if np.min(np.abs(z)) < 1e-3:
            return
    assert not check_layer(layer, x)


ACTIVATIONS = [tl.Sigmoid, tl.Tanh, tl.ReLU, lambda: tl.LeakyReLU(0.2), tl.ELU, lambda: tl.ELU(0.5),
               tl.SELU, tl.GELU, tl.Softmax, tl.Identity]


@pytest.mark.parametrize("make", ACTIVATIONS)
@given(shape=st.tuples(batch, width), scale=st.floats(0.1, 5.0), seed=seeds)
def test_activation(make, shape, scale, seed):
    x = away_from_zero(scale * np.random.default_rng(seed).standard_normal(shape))
    assert not check_layer(build(make(), shape[1:]), x)


# With 2 samples batch norm maps any input to ±1: dL/dx is ~0 and a relative error measures only noise.
@pytest.mark.parametrize("training", [True, False])
@given(n=st.integers(3, 8), d=width, momentum=st.floats(0.0, 0.99), seed=seeds)
def test_batchnorm(training, n, d, momentum, seed):
    rng = np.random.default_rng(seed)
    layer = build(tl.BatchNorm(momentum=momentum), (d,))
    layer.params["gamma"][:] = rng.uniform(0.5, 2.0, d)
    layer.params["beta"][:] = rng.standard_normal(d)
    layer.buffers["running_mean"][:] = rng.standard_normal(d)
    layer.buffers["running_var"][:] = rng.uniform(0.5, 2.0, d)
    x = 3.0 * rng.standard_normal((n, d)) + 1.0
    assert not check_layer(layer, x, training=training)


@given(n=st.integers(2, 6), a=st.integers(2, 5), b=width, seed=seeds)
def test_batchnorm_on_3d_inputs(n, a, b, seed):
    x = np.random.default_rng(seed).standard_normal((n, a, b))
    assert not check_layer(build(tl.BatchNorm(), (a, b)), x)


@pytest.mark.parametrize("layer_class", [tl.Dropout, lambda rate: tl.Dropout(rate, inverted=False), tl.AlphaDropout])
@given(shape=st.tuples(batch, width), rate=st.floats(0.0, 0.9), seed=seeds)
def test_dropout_with_a_fixed_mask(layer_class, shape, rate, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    assert not check_layer(build(layer_class(rate), shape[1:], seed), x, training=True)


@given(n=batch, dims=st.lists(width, min_size=1, max_size=3), seed=seeds)
def test_flatten(n, dims, seed):
    x = np.random.default_rng(seed).standard_normal((n, *dims))
    assert not check_layer(build(tl.Flatten(), tuple(dims)), x)


@pytest.mark.parametrize("one_hot", [False, True])
@given(n=batch, k=st.integers(2, 7), scale=st.floats(0.1, 20.0), seed=seeds)
def test_softmax_cross_entropy(one_hot, n, k, scale, seed):
    rng = np.random.default_rng(seed)
    y = scale * rng.standard_normal((n, k))
    t = rng.integers(0, k, n)
    if one_hot:
        t = tl.one_hot(t, k, np.float64)
    loss = tl.SoftmaxCrossEntropy()
    loss.forward(y, t)
    analytic = loss.backward().copy()
    assert agree(analytic, numerical_gradient(lambda y_: tl.SoftmaxCrossEntropy().forward(y_, t), y))


@given(n=batch, k=width, seed=seeds)
def test_mean_squared_error(n, k, seed):
    rng = np.random.default_rng(seed)
    y, t = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    loss = tl.MeanSquaredError()
    loss.forward(y, t)
    analytic = loss.backward().copy()
    assert agree(analytic, numerical_gradient(lambda y_: tl.MeanSquaredError().forward(y_, t), y))


REGULARIZERS = [lambda: tl.L1(0.05), lambda: tl.L2(0.05), lambda: tl.L1L2(0.03, 0.07)]


@pytest.mark.parametrize("make", REGULARIZERS)
@given(shape=st.tuples(width, width), seed=seeds)
def test_regularizer_gradient(make, shape, seed):
    regularizer = make()
    W = away_from_zero(np.random.default_rng(seed).standard_normal(shape), 0.05)  # L1's kink at 0
    assert agree(regularizer.gradient(W), numerical_gradient(regularizer, W))


@pytest.mark.parametrize("make", REGULARIZERS)
@given(n=batch, d_in=width, d_out=width, seed=seeds)
def test_dense_with_regularizer_in_a_model(make, n, d_in, d_out, seed):
    rng = np.random.default_rng(seed)
    model = tl.Sequential([tl.Dense(d_out, regularizer=make()), tl.Tanh(), tl.Dense(3)],
                          input_dim=d_in, seed=seed, dtype="float64")
    W = model.params["dense1.W"]
    W[:] = away_from_zero(W, 0.05)
    errors = tl.check_gradients(model, rng.standard_normal((n, d_in)), rng.integers(0, 3, n))
    assert max(errors.values()) < TOL, errors


@given(weight_decay=st.floats(1e-4, 1.0), seed=seeds)
def test_model_weight_decay_gradient(weight_decay, seed):
    rng = np.random.default_rng(seed)
    model = tl.Sequential([tl.Dense(5), tl.Sigmoid(), tl.Dense(3)], input_dim=4, seed=seed,
                          dtype="float64", weight_decay=weight_decay)
    errors = tl.check_gradients(model, rng.standard_normal((6, 4)), rng.integers(0, 3, 6))
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("softmax_head", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_layer_model(softmax_head, seed):
    rng = np.random.default_rng(seed)
    model = every_layer_model(seed, softmax_head)
    errors = tl.check_gradients(model, rng.standard_normal((10, 2, 3)), rng.integers(0, 4, 10))
    assert len(errors) == 22
    assert max(errors.values()) < TOL, errors


def test_check_gradients_catches_a_wrong_backward(monkeypatch):
    model = tl.Sequential([tl.Dense(4), tl.Tanh(), tl.Dense(3)], input_dim=3, seed=0)
    original = tl.Tanh.backward
    monkeypatch.setattr(tl.Tanh, "backward", lambda self, dout, input_grad=True: 1.1 * original(self, dout))
    rng = np.random.default_rng(0)
    errors = tl.check_gradients(model, rng.standard_normal((5, 3)), rng.integers(0, 3, 5))
    assert errors["dense1.W"] > 1e-3 and errors["dense2.W"] < TOL


def test_check_gradients_runs_on_a_float64_copy():
    model = tl.Sequential([tl.Dense(4), tl.Dense(2)], input_dim=3, seed=0)
    before = model.state_dict()
    tl.check_gradients(model, np.ones((2, 3)), [0, 1])
    assert model.dtype == np.float32
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_numerical_gradient_of_known_functions():
    x = np.array([3.0, 4.0])
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v**2), x), [6.0, 8.0], rtol=1e-8)
    m = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(np.sin(v)), m), np.cos(m), rtol=1e-8)
    np.testing.assert_array_equal(x, [3.0, 4.0])  # restored after perturbation
    with pytest.raises(TypeError, match="float NumPy array"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2]))
