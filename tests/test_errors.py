"""Bad input gets a clear ValueError/TypeError naming the argument, the value and what is allowed."""

import numpy as np
import pytest

import trainlab as tl


@pytest.fixture
def model():
    return tl.Sequential([tl.Dense(5), tl.ReLU(), tl.Dense(3)], input_dim=4, seed=0)


def test_wrong_input_width(model):
    with pytest.raises(ValueError, match=r"x has per-sample shape \(5,\).*expects \(4,\)"):
        model.predict(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="per-sample shape"):
        model.gradient(np.zeros((2, 7)), [0, 1])


def test_labels_out_of_range_or_not_integers(model):
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match="label 3 outside the 3 classes 0..2"):
        model.gradient(x, [0, 1, 3])
    with pytest.raises(ValueError, match="label -1 outside"):
        model.loss(x, [0, -1, 2])
    with pytest.raises(ValueError, match="integer class labels, got 1.5"):
        model.gradient(x, [0, 1.5, 2])
    with pytest.raises(TypeError, match="integer class labels, got dtype <U1"):
        model.gradient(x, ["a", "b", "c"])
    with pytest.raises(ValueError, match="has 2 labels but the batch has 3"):
        model.gradient(x, [0, 1])
    with pytest.raises(ValueError, match="one-hot targets must match"):
        model.gradient(x, np.eye(4)[:3])
    model.gradient(x, np.array([0.0, 1.0, 2.0]))  # integral floats are accepted


def test_nan_or_inf_inputs(model):
    x = np.zeros((3, 4))
    x[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"x contains NaN or inf \(first at index \(1, 2\)"):
        model.predict(x)
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        model.gradient(x, [0, 1, 2])
    x[1, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        model.loss(x, [0, 1, 2])


def test_non_numeric_and_empty_inputs(model):
    with pytest.raises(ValueError, match="empty"):
        model.predict(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="empty"):
        model.gradient(np.zeros((0, 4)), [])
    with pytest.raises(TypeError, match="must hold numbers"):
        model.predict(np.array([["a"] * 4]))
    with pytest.raises(
        ValueError, match=r"x has shape \(4,\): one sample, .* give x\[None\] or x.reshape\(1, 4\)"
    ):
        model.predict(np.zeros(4))


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(
        ValueError, match="activation='relux' is not a known activation; valid names: .*elu.*relu"
    ):
        tl.Dense(3, activation="relux")
    with pytest.raises(
        ValueError, match="init='kaiming' is not a known initializer; valid names: .*he_normal"
    ):
        tl.Dense(3, init="kaiming")
    with pytest.raises(ValueError, match="loss='hinge' is not a known loss; valid names: .*mse"):
        tl.Sequential([tl.Dense(2)], loss="hinge")
    with pytest.raises(ValueError, match="not a known optimizer"):
        tl.get_optimizer("adamm")
    with pytest.raises(TypeError, match="activation must be a activation name or object"):
        tl.Dense(3, activation=3)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
@pytest.mark.parametrize("layer", [tl.Dropout, tl.AlphaDropout])
def test_dropout_rate_outside_zero_one(layer, rate):
    with pytest.raises(ValueError, match=rf"rate must be in \[0.0, 1.0\), got {rate}"):
        layer(rate)


def test_negative_regularization_factors():
    with pytest.raises(ValueError, match="l2 must be >= 0, got -0.1"):
        tl.L2(-0.1)
    with pytest.raises(ValueError, match="l1 must be >= 0"):
        tl.L1L2(l1=-1)
    with pytest.raises(ValueError, match="weight_decay must be >= 0, got -1.0"):
        tl.Sequential([tl.Dense(2)], weight_decay=-1)
    with pytest.raises(ValueError, match="max_value must be > 0"):
        tl.MaxNorm(0)
    with pytest.raises(TypeError, match="regularizer must be a Regularizer"):
        tl.Dense(3, regularizer=0.01)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="units must be >= 1, got 0"):
        tl.Dense(0)
    with pytest.raises(TypeError, match="units must be an integer, got 2.5"):
        tl.Dense(2.5)
    with pytest.raises(
        ValueError, match="dtype='int32' is not supported; use one of float32, float64"
    ):
        tl.Sequential([tl.Dense(2)], dtype="int32")
    with pytest.raises(TypeError, match=r"layers\[1\] must be a Layer"):
        tl.Sequential([tl.Dense(2), "relu"])
    with pytest.raises(ValueError, match="layers is empty"):
        tl.Sequential([])
    with pytest.raises(ValueError, match="seed=-1 is not allowed"):
        tl.Sequential([tl.Dense(2)], seed=-1)
    with pytest.raises(ValueError, match="momentum must be in"):
        tl.BatchNorm(momentum=1.0)
    with pytest.raises(ValueError, match="init must be > 0, got -0.1"):
        tl.Dense(3, init=-0.1)
    with pytest.raises(ValueError, match="same name"):
        tl.Sequential([tl.Dense(2, name="a"), tl.Dense(2, name="a")], input_dim=2)
    with pytest.raises(ValueError, match="put a Flatten"):
        tl.Sequential([tl.Dense(2)], input_shape=(2, 3))
