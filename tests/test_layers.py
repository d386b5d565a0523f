"""Known values and behaviours of layers, losses, initializers and regularizers."""

import math

import numpy as np
import pytest

import trainlab as tl
from trainlab.initializers import fans


def built(layer, input_shape, dtype=np.float64, seed=0):
    layer.build(input_shape, dtype, np.random.default_rng(seed))
    return layer


# -- losses ----------------------------------------------------------------------------------------
def test_softmax_cross_entropy_known_value():
    logits = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    # row 1: log(e + e² + e³) - 3 = log(1 + e⁻¹ + e⁻²) = 0.4076059644...; row 2: log 3 = 1.0986122887
    expected = (math.log(1 + math.exp(-1) + math.exp(-2)) + math.log(3)) / 2
    assert expected == pytest.approx(0.753109126, abs=1e-9)
    assert tl.SoftmaxCrossEntropy().forward(logits, [2, 0]) == pytest.approx(expected, rel=1e-12)
    one_hot = np.array([[0, 0, 1], [1, 0, 0]])
    assert tl.SoftmaxCrossEntropy().forward(logits, one_hot) == pytest.approx(expected, rel=1e-12)


def test_softmax_cross_entropy_is_stable_for_huge_scores():
    logits = np.array([[1000.0, 0.0, -1000.0], [-1e4, 1e4, 0.0]], dtype=np.float32)
    loss = tl.SoftmaxCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is correct
        value = loss.forward(logits, [1, 1])
    assert value == pytest.approx(500.0)  # row 1 misses by 1000, row 2 is certain
    grad = loss.backward()
    np.testing.assert_allclose(grad, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)


def test_mean_squared_error_known_value():
    y = np.array([[1.0, 2.0], [3.0, 5.0]])
    t = np.array([[1.0, 0.0], [0.0, 5.0]])
    loss = tl.MeanSquaredError()
    assert loss.forward(y, t) == pytest.approx((0 + 4 + 9 + 0) / 4)
    np.testing.assert_allclose(loss.backward(), 2 * (y - t) / 4)
    assert tl.MeanSquaredError().forward(np.array([[0.2, 0.8]]), [1]) == pytest.approx(
        (0.04 + 0.04) / 2
    )


def test_softmax_layer_rows_sum_to_one():
    y = built(tl.Softmax(), (4,)).forward(np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(y.sum(axis=1), 1.0)
    np.testing.assert_allclose(y[1], 0.25)
    np.testing.assert_allclose(y[0], np.exp([1, 2, 3, 4]) / np.exp([1, 2, 3, 4]).sum())


# -- activations -----------------------------------------------------------------------------------
def test_activation_values():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    expect = {
        tl.Sigmoid(): 1 / (1 + np.exp(-x)),
        tl.Tanh(): np.tanh(x),
        tl.ReLU(): np.maximum(x, 0),
        tl.LeakyReLU(0.1): np.where(x > 0, x, 0.1 * x),
        tl.ELU(2.0): np.where(x > 0, x, 2.0 * (np.exp(x) - 1)),
        tl.SELU(): 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
        tl.Identity(): x,
    }
    for layer, expected in expect.items():
        np.testing.assert_allclose(
            built(layer, (5,)).forward(x.copy()), expected, rtol=1e-12, atol=1e-15
        )


def test_gelu_tanh_form_is_close_to_the_exact_gelu():
    x = np.linspace(-5, 5, 101)[None, :]
    exact = 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    assert np.max(np.abs(built(tl.GELU(), (101,)).forward(x) - exact)) < 1e-3


def test_sigmoid_never_overflows():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = built(tl.Sigmoid(), (3,), np.float32).forward(
            np.array([[-1e4, 0.0, 1e4]], dtype=np.float32)
        )
    np.testing.assert_allclose(y, [[0.0, 0.5, 1.0]])


# -- batch norm ------------------------------------------------------------------------------------
def test_batchnorm_training_normalizes_and_updates_running_averages(rng):
    layer = built(tl.BatchNorm(momentum=0.9), (3,))
    x = rng.normal(loc=[1.0, -2.0, 5.0], scale=[1.0, 3.0, 0.5], size=(200, 3))
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1.0, atol=1e-4)
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(layer.buffers["running_var"], 0.9 + 0.1 * x.var(axis=0))


def test_batchnorm_inference_uses_running_statistics(rng):
    layer = built(tl.BatchNorm(momentum=0.5), (2,))
    for _ in range(30):  # running averages converge to the training distribution
        layer.forward(rng.normal([3.0, -1.0], [2.0, 0.5], size=(500, 2)), training=True)
    layer.params["gamma"][:] = [2.0, 0.5]
    layer.params["beta"][:] = [1.0, -1.0]
    x = np.array([[3.0, -1.0], [5.0, -0.5]])
    y = layer.forward(x, training=False)
    mean, var = layer.buffers["running_mean"], layer.buffers["running_var"]
    np.testing.assert_allclose(
        y, (x - mean) / np.sqrt(var + layer.epsilon) * [2.0, 0.5] + [1.0, -1.0]
    )
    np.testing.assert_allclose(mean, [3.0, -1.0], atol=0.1)
    np.testing.assert_allclose(var, [4.0, 0.25], rtol=0.1)
    # a batch of identical samples: batch statistics would give beta; running ones do not
    same = np.array([[5.0, 0.0]] * 4)
    assert not np.allclose(layer.forward(same, training=False), layer.params["beta"])
    np.testing.assert_allclose(
        layer.forward(same, training=True), np.tile([1.0, -1.0], (4, 1)), atol=1e-6
    )


# -- dropout ---------------------------------------------------------------------------------------
def test_dropout_is_inverted_and_off_in_inference(rng):
    layer = built(tl.Dropout(0.3), (1000,), seed=1)
    x = np.ones((50, 1000))
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    y = layer.forward(x, training=True)
    kept = y != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=2e-5)  # the rate is resolved to 1/65536
    np.testing.assert_allclose(y[kept], 65536 / (65536 - round(0.3 * 65536)), rtol=1e-6)
    assert y.mean() == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.2])
def test_alpha_dropout_keeps_selu_mean_and_variance(rate):
    layer = built(tl.AlphaDropout(rate), (1000,), seed=2)
    x = built(tl.SELU(), (1000,)).forward(np.random.default_rng(3).standard_normal((200, 1000)))
    y = layer.forward(x, training=True)
    assert y.mean() == pytest.approx(x.mean(), abs=0.01)
    assert y.std() == pytest.approx(x.std(), abs=0.01)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)


def _selu_stack(alpha_dropout: float, depth: int = 20):
    layers = []
    for _ in range(depth):
        layers += [tl.Dense(100, init="lecun_normal"), tl.SELU()]
        if alpha_dropout:
            layers.append(tl.AlphaDropout(alpha_dropout))
    return tl.Sequential(layers, input_dim=100, seed=0, dtype="float64")


@pytest.mark.parametrize("alpha_dropout", [0.0, 0.1])
def test_selu_stack_self_normalizes(alpha_dropout):
    model = _selu_stack(alpha_dropout)
    x = np.random.default_rng(0).standard_normal((2000, 100))
    for layer in model.layers:
        x = layer.forward(x, training=True)
        if isinstance(layer, tl.SELU):
            assert abs(x.mean()) < 0.15 and abs(x.std() - 1.0) < 0.15, (
                layer.name,
                x.mean(),
                x.std(),
            )
    assert abs(x.mean()) < 0.1 and abs(x.std() - 1.0) < 0.1


def test_relu_stack_with_small_weights_collapses_while_selu_does_not():
    """The contrast that motivates SELU: the same depth with std=0.01 weights and ReLU vanishes."""
    layers = [layer for _ in range(20) for layer in (tl.Dense(100, init=0.01), tl.ReLU())]
    x = tl.Sequential(layers, input_dim=100, seed=0).forward(
        np.random.default_rng(0).standard_normal((100, 100))
    )
    assert x.std() < 1e-10


# -- initializers ----------------------------------------------------------------------------------
INIT_STDS = {
    "glorot_normal": lambda i, o: math.sqrt(2 / (i + o)),
    "glorot_uniform": lambda i, o: math.sqrt(2 / (i + o)),  # U(-a, a) has std a/√3 = √(2/(i+o))
    "xavier_normal": lambda i, o: math.sqrt(2 / (i + o)),
    "he_normal": lambda i, o: math.sqrt(2 / i),
    "he_uniform": lambda i, o: math.sqrt(2 / i),
    "relu": lambda i, o: math.sqrt(2 / i),
    "lecun_normal": lambda i, o: math.sqrt(1 / i),
    "lecun_uniform": lambda i, o: math.sqrt(1 / i),
    "sigmoid": lambda i, o: math.sqrt(1 / i),  # the textbook's simplified Xavier
    "xavier": lambda i, o: math.sqrt(1 / i),
    "normal": lambda i, o: 0.01,
}


@pytest.mark.parametrize("name", sorted(INIT_STDS))
@pytest.mark.parametrize("shape", [(400, 300), (784, 100)])
def test_initializer_std_matches_its_formula(name, shape):
    W = tl.get_initializer(name)(shape, np.random.default_rng(0), np.float64)
    expected = INIT_STDS[name](*shape)
    # the sample std of n draws has relative standard error about 1/√(2n) < 0.3%; allow 5 of them
    assert W.std() == pytest.approx(expected, rel=5 / math.sqrt(2 * W.size))
    assert abs(W.mean()) < 5 * expected / math.sqrt(W.size)


@pytest.mark.parametrize(
    "name, limit",
    [
        ("glorot_uniform", lambda i, o: math.sqrt(6 / (i + o))),
        ("he_uniform", lambda i, o: math.sqrt(6 / i)),
        ("lecun_uniform", lambda i, o: math.sqrt(3 / i)),
    ],
)
def test_uniform_initializers_respect_their_limits(name, limit):
    W = tl.get_initializer(name)((300, 200), np.random.default_rng(0), np.float64)
    assert np.abs(W).max() <= limit(300, 200)
    assert np.abs(W).max() > 0.99 * limit(300, 200)


def test_initializer_shorthands():
    assert isinstance(tl.get_initializer(0.05), tl.Normal) and tl.get_initializer(0.05).std == 0.05
    np.testing.assert_array_equal(tl.get_initializer("zeros")((2, 2), None), 0.0)
    np.testing.assert_array_equal(tl.get_initializer("ones")((3,), None), 1.0)
    np.testing.assert_array_equal(tl.Constant(0.5)((3,), None), 0.5)
    assert (
        fans((784, 100)) == (784, 100)
        and fans((100,)) == (100, 100)
        and fans((3, 3, 16, 32)) == (144, 288)
    )


def test_initial_weights_are_the_same_in_float32_and_float64():
    def make(dtype):
        return tl.Sequential([tl.Dense(5, init="he_normal")], input_dim=4, seed=3, dtype=dtype)

    np.testing.assert_allclose(
        make("float32").params["dense1.W"], make("float64").params["dense1.W"], rtol=1e-6
    )


# -- regularizers and constraints ------------------------------------------------------------------
def test_regularizer_values():
    W = np.array([[1.0, -2.0], [0.5, 0.0]])
    assert tl.L1(0.1)(W) == pytest.approx(0.1 * 3.5)
    assert tl.L2(0.1)(W) == pytest.approx(0.1 * 5.25)
    assert tl.L1L2(0.1, 0.2)(W) == pytest.approx(0.35 + 1.05)
    np.testing.assert_allclose(tl.L2(0.1).gradient(W), 0.2 * W)
    np.testing.assert_allclose(tl.L1(0.1).gradient(W), 0.1 * np.sign(W))


def test_max_norm_clips_each_units_incoming_weights():
    W = np.array([[3.0, 0.1, 0.0], [4.0, 0.1, 0.0]])  # column norms 5, 0.14, 0
    tl.MaxNorm(2.0)(W)
    np.testing.assert_allclose(np.linalg.norm(W, axis=0), [2.0, math.sqrt(0.02), 0.0])
    np.testing.assert_allclose(W[:, 0], [1.2, 1.6])
    rows = np.array([[3.0, 4.0], [0.3, 0.4]])
    tl.MaxNorm(1.0, axis=1)(rows)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), [1.0, 0.5])


def test_dense_regularization_enters_the_loss_and_weight_decay_is_half_lambda_w_squared():
    model = tl.Sequential(
        [tl.Dense(3, regularizer=tl.L2(0.5)), tl.Dense(2)],
        input_dim=2,
        seed=0,
        dtype="float64",
        weight_decay=0.1,
    )
    W1, W2 = model.params["dense1.W"], model.params["dense2.W"]
    expected = 0.5 * np.sum(W1**2) + 0.5 * 0.1 * (np.sum(W1**2) + np.sum(W2**2))
    assert model.penalty() == pytest.approx(expected)
    x, t = np.ones((4, 2)), [0, 1, 0, 1]
    data_loss = tl.SoftmaxCrossEntropy().forward(model.forward(x), t)
    assert model.loss(x, t) == pytest.approx(data_loss + expected)


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.5, 0.9])
def test_keep_mask_keeps_entries_with_the_stated_probability(rate):
    from trainlab.backend import keep_mask

    mask, keep_probability = keep_mask(np.random.default_rng(0), (400, 500), rate)
    assert mask.shape == (400, 500) and mask.dtype == bool
    assert keep_probability == pytest.approx(1 - rate, abs=1 / 65536)
    # 200,000 Bernoulli draws: the kept fraction is within 5 standard errors of its probability
    assert (
        abs(mask.mean() - keep_probability)
        < 5 * math.sqrt(keep_probability * (1 - keep_probability) / 2e5) + 1e-9
    )


def test_the_textbooks_dropout_scales_at_test_time(rng):
    layer = built(tl.Dropout(0.25, inverted=False), (1000,), seed=1)
    x = np.ones((50, 1000))
    np.testing.assert_allclose(layer.forward(x, training=False), 0.75)
    y = layer.forward(x, training=True)
    assert set(np.unique(y)) == {0.0, 1.0} and y.mean() == pytest.approx(0.75, abs=0.01)
    np.testing.assert_array_equal(layer.backward(np.full_like(x, 2.0)), 2.0 * y)
    assert tl.Dropout(0.3, inverted=False).get_config()["inverted"] is False
