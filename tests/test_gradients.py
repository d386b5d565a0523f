"""Every layer, loss and regularizer against float64 numerical gradients and torch's autograd.

``test_every_registered_class`` takes every class of the registries (layers, activations, losses,
regularizers): a new one is checked without an edit here. The hypothesis tests draw shapes and
settings for the classes the library ships.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import trainlab as tl
from trainlab.activations import ACTIVATIONS
from trainlab.base import LAYERS
from trainlab.gradcheck import (
    every_layer_model,
    layer_gradients,
    numerical_gradient,
    registered,
    relative_error,
)
from trainlab.losses import LOSSES
from trainlab.optimizers.layout import follows
from trainlab.regularizers import REGULARIZERS

try:
    import torch  # optional: the autograd half of the registry test runs where torch is installed
    import torch.nn.functional as F  # noqa: N812
except ImportError:  # pragma: no cover
    torch = F = None

TOL = 1e-6
# Where a whole gradient is ~1e-6 (a saturated softmax, a nearly degenerate batch) the central
# difference's own rounding error (~1e-12) is 1e-6 of it; a wrong backward pass would be off by the
# size of the gradient itself. So a check passes on relative error < 1e-6 or absolute error < 1e-9.
ATOL = 1e-9


def agree(analytic, numeric):
    return relative_error(analytic, numeric) < TOL or np.max(np.abs(analytic - numeric)) < ATOL


def build(layer, input_shape, seed=0):
    layer.build(input_shape, np.float64, np.random.default_rng(seed))
    return layer


def check_layer(layer, x, training=True):
    """dL/dx and dL/dθ of L = Σ y ⊙ R against central differences
    (trainlab.gradcheck.layer_gradients).

    Returns the relative errors of the arrays that disagree (an empty dict when all agree).
    """
    return {
        name: relative_error(analytic, numeric)
        for name, (analytic, numeric) in layer_gradients(layer, x, training).items()
        if not agree(analytic, numeric)
    }


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


@pytest.mark.parametrize(
    "activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "softmax"]
)
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


ACTIVATION_MAKERS = [
    tl.Sigmoid,
    tl.Tanh,
    tl.ReLU,
    lambda: tl.LeakyReLU(0.2),
    tl.ELU,
    lambda: tl.ELU(0.5),
    tl.SELU,
    tl.GELU,
    tl.Softmax,
    tl.Identity,
]


@pytest.mark.parametrize("make", ACTIVATION_MAKERS)
@given(shape=st.tuples(batch, width), scale=st.floats(0.1, 5.0), seed=seeds)
def test_activation(make, shape, scale, seed):
    x = away_from_zero(scale * np.random.default_rng(seed).standard_normal(shape))
    assert not check_layer(build(make(), shape[1:]), x)


# With 2 samples batch norm maps any input to ±1: dL/dx is ~0 and a relative error measures only
# noise.
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


@pytest.mark.parametrize(
    "layer_class", [tl.Dropout, lambda rate: tl.Dropout(rate, inverted=False), tl.AlphaDropout]
)
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
    assert agree(
        analytic, numerical_gradient(lambda y_: tl.SoftmaxCrossEntropy().forward(y_, t), y)
    )


@given(n=batch, k=width, seed=seeds)
def test_mean_squared_error(n, k, seed):
    rng = np.random.default_rng(seed)
    y, t = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    loss = tl.MeanSquaredError()
    loss.forward(y, t)
    analytic = loss.backward().copy()
    assert agree(analytic, numerical_gradient(lambda y_: tl.MeanSquaredError().forward(y_, t), y))


REGULARIZER_MAKERS = [lambda: tl.L1(0.05), lambda: tl.L2(0.05), lambda: tl.L1L2(0.03, 0.07)]


@pytest.mark.parametrize("make", REGULARIZER_MAKERS)
@given(shape=st.tuples(width, width), seed=seeds)
def test_regularizer_gradient(make, shape, seed):
    regularizer = make()
    W = away_from_zero(np.random.default_rng(seed).standard_normal(shape), 0.05)  # L1's kink at 0
    assert agree(regularizer.gradient(W), numerical_gradient(regularizer, W))


@pytest.mark.parametrize("make", REGULARIZER_MAKERS)
@given(n=batch, d_in=width, d_out=width, seed=seeds)
def test_dense_with_regularizer_in_a_model(make, n, d_in, d_out, seed):
    rng = np.random.default_rng(seed)
    model = tl.Sequential(
        [tl.Dense(d_out, regularizer=make()), tl.Tanh(), tl.Dense(3)],
        input_dim=d_in,
        seed=seed,
        dtype="float64",
    )
    W = model.params["dense1.W"]
    W[:] = away_from_zero(W, 0.05)
    errors = tl.check_gradients(model, rng.standard_normal((n, d_in)), rng.integers(0, 3, n))
    assert max(errors.values()) < TOL, errors


@given(weight_decay=st.floats(1e-4, 1.0), seed=seeds)
def test_model_weight_decay_gradient(weight_decay, seed):
    rng = np.random.default_rng(seed)
    model = tl.Sequential(
        [tl.Dense(5), tl.Sigmoid(), tl.Dense(3)],
        input_dim=4,
        seed=seed,
        dtype="float64",
        weight_decay=weight_decay,
    )
    errors = tl.check_gradients(model, rng.standard_normal((6, 4)), rng.integers(0, 3, 6))
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("softmax_head", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_layer_model(softmax_head, seed):
    rng = np.random.default_rng(seed)
    model = every_layer_model(seed, softmax_head)
    errors = tl.check_gradients(model, rng.standard_normal((10, 2, 3)), rng.integers(0, 4, 10))
    assert set(errors) == set(model.params)
    assert max(errors.values()) < TOL, errors
    assert {type(layer) for layer in model.layers} >= {
        *registered(LAYERS),
        *registered(ACTIVATIONS),
    }
    assert {type(layer.regularizer) for layer in model.layers if isinstance(layer, tl.Dense)} >= {
        *registered(REGULARIZERS)
    }


# -- every registered class, against numerical differences and torch's autograd --------------------
def registered_classes():
    kinds = {
        "layer": LAYERS,
        "activation": ACTIVATIONS,
        "loss": LOSSES,
        "regularizer": REGULARIZERS,
    }
    return [
        pytest.param(kind, cls, id=f"{kind}-{cls.__name__}")
        for kind, registry in kinds.items()
        for cls in registered(registry)
    ]


def tensor(array):
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def dropout(layer, x, p, y):
    """Dropout and AlphaDropout with the mask the layer drew: y = a·m⊙x + c (c from the layer's
    output)."""
    if layer.mask is None:
        return x if layer.inverted else x * (1.0 - layer.rate)
    mask = torch.tensor(layer.mask)
    return x * mask + torch.tensor(y - x.detach().numpy() * layer.mask)


def batch_norm(layer, x, p, y):
    d = x.shape[-1]
    running = [torch.tensor(layer.buffers[name].copy()) for name in ("running_mean", "running_var")]
    out = F.batch_norm(
        x.reshape(-1, d),
        *running,
        p["gamma"],
        p["beta"],
        training=layer.batch_statistics,
        eps=layer.epsilon,
    )
    return out.reshape(x.shape)


# torch's counterpart of each class's forward (layer, x, params, trainlab's y) -> y; a class without
# one is checked against numerical differences only
TORCH_LAYERS = {
    tl.Dense: lambda layer, x, p, y: x @ p["W"] + p["b"] if layer.bias else x @ p["W"],
    tl.BatchNorm: batch_norm,
    tl.Dropout: dropout,
    tl.AlphaDropout: dropout,
    tl.Flatten: lambda layer, x, p, y: x.reshape(x.shape[0], -1),
    tl.Sigmoid: lambda layer, x, p, y: torch.sigmoid(x),
    tl.Tanh: lambda layer, x, p, y: torch.tanh(x),
    tl.ReLU: lambda layer, x, p, y: torch.relu(x),
    tl.LeakyReLU: lambda layer, x, p, y: F.leaky_relu(x, layer.alpha),
    tl.PReLU: lambda layer, x, p, y: torch.where(x > 0, x, p["alpha"] * x),
    tl.RReLU: lambda layer, x, p, y: x * torch.tensor(layer.slope),  # the slopes it drew
    tl.ELU: lambda layer, x, p, y: F.elu(x, layer.alpha),
    tl.SELU: lambda layer, x, p, y: torch.selu(x),
    tl.GELU: lambda layer, x, p, y: F.gelu(x, approximate="tanh"),
    tl.Softmax: lambda layer, x, p, y: torch.softmax(x, dim=-1),
    tl.Identity: lambda layer, x, p, y: x,
}
TORCH_LOSSES = {
    tl.SoftmaxCrossEntropy: lambda y, t: F.cross_entropy(y, torch.tensor(t)),
    tl.MeanSquaredError: lambda y, t: F.mse_loss(
        y, torch.tensor(tl.one_hot(t, y.shape[1], np.float64))
    ),
}
TORCH_REGULARIZERS = {
    cls: lambda r, W: r.l1 * W.abs().sum() + r.l2 * (W * W).sum() for cls in (tl.L1, tl.L2, tl.L1L2)
}


def agree_with_torch(ours, theirs):
    return relative_error(ours, theirs) < 1e-10 or np.max(np.abs(ours - theirs)) < 1e-13


def check_registered_layer(cls):
    """A layer or activation class from its ``example_arguments``: on inputs of one and of two axes
    per sample (where it takes them), in training and in inference; its dL/dx and dL/dθ against
    numerical differences, and against torch's autograd where TORCH_LAYERS has its forward. Returns
    the checks made."""
    checks = []
    for shape, training in itertools.product([(5,), (2, 3)], [True, False]):
        layer = cls(**cls.example_arguments)
        try:
            layer.build(shape, np.float64, np.random.default_rng(3))
        except ValueError:  # Dense takes one axis per sample
            continue
        # off ReLU-like kinks
        x = away_from_zero(np.random.default_rng(4).standard_normal((5, *shape)))
        pairs = layer_gradients(layer, x, training)
        failures = {name: relative_error(a, n) for name, (a, n) in pairs.items() if not agree(a, n)}
        assert not failures, (shape, training, failures)
        checks.append("numerical")
        if torch is None or cls not in TORCH_LAYERS:
            continue
        if layer.rng is not None:  # the noise of layer_gradients' last forward pass: draw it again
            layer.rng = np.random.default_rng(5)
        y = layer.forward(x, training)
        R = np.random.default_rng([7, 7]).standard_normal(y.shape)
        dx = layer.backward(R.copy())
        x_t, params_t = tensor(x), {name: tensor(array) for name, array in layer.params.items()}
        y_t = TORCH_LAYERS[cls](layer, x_t, params_t, y)
        np.testing.assert_allclose(y_t.detach().numpy(), y, rtol=1e-12, atol=1e-14)
        (y_t * torch.tensor(R)).sum().backward()
        assert agree_with_torch(dx, x_t.grad.numpy()), (shape, training)
        for name, grad in layer.grads.items():
            assert agree_with_torch(grad, params_t[name].grad.numpy()), (shape, training, name)
        checks.append("torch")
    return checks


@pytest.mark.parametrize(("kind", "cls"), registered_classes())
def test_every_registered_class(kind, cls):
    """dL/dx (and dL/dθ) of every registered layer, activation, loss and regularizer: numerical
    differences in float64, and torch's autograd where torch is installed and the class has a
    counterpart there."""
    rng = np.random.default_rng(6)
    if kind in ("layer", "activation"):
        checks = check_registered_layer(cls)
        assert "numerical" in checks and (
            torch is None or cls not in TORCH_LAYERS or "torch" in checks
        )
    elif kind == "loss":
        # class labels: every loss takes them
        y, t = 2.0 * rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
        loss = cls()
        loss.forward(y, t)
        analytic = loss.backward().copy()
        assert agree(analytic, numerical_gradient(lambda y_: cls().forward(y_, t), y))
        if torch is not None and cls in TORCH_LOSSES:
            y_t = tensor(y)
            TORCH_LOSSES[cls](y_t, t).backward()
            assert agree_with_torch(analytic, y_t.grad.numpy())
    else:
        regularizer = cls(**cls.example_arguments)
        W = away_from_zero(rng.standard_normal((4, 3)), 0.05)  # L1's kink at 0
        assert agree(regularizer.gradient(W), numerical_gradient(regularizer, W))
        if torch is not None and cls in TORCH_REGULARIZERS:
            W_t = tensor(W)
            TORCH_REGULARIZERS[cls](regularizer, W_t).backward()
            assert agree_with_torch(regularizer.gradient(W), W_t.grad.numpy())


def test_gradients_stay_views_of_the_flat_buffer_the_optimizer_updates():
    """After backward each layer's gradient is still the array the model packed (a view of one flat
    buffer, in parameter order), for every registered layer with parameters: a backward pass that
    rebinds ``grads[name]`` instead of writing into it would split the optimizer's run (and, with
    the old array still in the model's dict, train on a stale gradient)."""
    model = every_layer_model(0).clone(dtype="float32")
    before = {name: (array, array.base) for name, array in model.grads.items()}
    rng = np.random.default_rng(0)
    for _ in range(2):
        grads = model.gradient(rng.standard_normal((8, 2, 3)), rng.integers(0, 4, 8))
        arrays = list(grads.values())
        assert all(follows(a, b) for a, b in itertools.pairwise(arrays))
        for name, array in grads.items():
            assert array is before[name][0] and array.base is before[name][1], name
            layer_name, _, key = name.partition(".")
            assert (
                next(layer for layer in model.layers if layer.name == layer_name).grads[key]
                is array
            )
    assert {type(layer) for layer in model.layers if layer.params} >= {
        tl.Dense,
        tl.BatchNorm,
        tl.PReLU,
    }


def test_check_gradients_catches_a_wrong_backward(monkeypatch):
    model = tl.Sequential([tl.Dense(4), tl.Tanh(), tl.Dense(3)], input_dim=3, seed=0)
    original = tl.Tanh.backward
    monkeypatch.setattr(
        tl.Tanh, "backward", lambda self, dout, input_grad=True: 1.1 * original(self, dout)
    )
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
    np.testing.assert_allclose(
        numerical_gradient(lambda v: np.sum(np.sin(v)), m), np.cos(m), rtol=1e-8
    )
    np.testing.assert_array_equal(x, [3.0, 4.0])  # restored after perturbation
    with pytest.raises(TypeError, match="float NumPy array"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2]))
