"""tl.mlp: the textbook's multi-layer perceptron, the one builder of the experiments and the search."""

import numpy as np
import pytest

import trainlab as tl


def by_hand(
    hidden,
    activation="relu",
    init="he_normal",
    batchnorm=False,
    dropout=0.0,
    inverted=True,
    weight_decay=0.0,
    input_dim=784,
    classes=10,
    seed=0,
):
    """The network as the experiments and the search wrote it out before tl.mlp existed."""
    layers = []
    for units in hidden:
        layers.append(tl.Dense(units, init=init))
        if batchnorm:
            layers.append(tl.BatchNorm())
        layers.append(tl.get_activation(activation))
        if dropout:
            layers.append(tl.Dropout(dropout, inverted=inverted))
    layers.append(tl.Dense(classes, init=init))
    return tl.Sequential(layers, input_dim=input_dim, seed=seed, weight_decay=weight_decay)


@pytest.mark.parametrize(
    "settings",
    [
        {"hidden": [50, 50]},
        {"hidden": [20, 20, 20], "activation": "sigmoid", "init": 0.01, "seed": 3},
        {
            "hidden": [30],
            "batchnorm": True,
            "dropout": 0.2,
            "weight_decay": 0.1,
            "init": "glorot_uniform",
        },
        {
            "hidden": [16, 16],
            "dropout": 0.5,
            "inverted": False,
            "input_dim": 20,
            "classes": 3,
            "seed": 7,
        },
    ],
)
def test_mlp_is_the_hand_built_network_bitwise(settings):
    settings = dict(settings)
    hidden, inverted = settings.pop("hidden"), settings.pop("inverted", True)
    built = tl.mlp(hidden, inverted_dropout=inverted, **settings)
    reference = by_hand(hidden, inverted=inverted, **settings)
    assert [type(layer) for layer in built.layers] == [type(layer) for layer in reference.layers]
    assert list(built.params) == list(reference.params)
    for name in reference.params:
        np.testing.assert_array_equal(built.params[name], reference.params[name])
    x = np.random.default_rng(0).random((64, reference.input_shape[0]), dtype=np.float32)
    y = np.arange(64) % reference.layers[-1].units
    for model in (built, reference):
        model.compile(tl.SGD(lr=0.1), metrics=["accuracy"])
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for (
        name
    ) in reference.params:  # the same training too: dropout masks and batch order follow the seed
        np.testing.assert_array_equal(built.params[name], reference.params[name])
    assert built.weight_decay == reference.weight_decay


def test_mlp_bad_input_names_the_argument():
    with pytest.raises(TypeError, match="hidden must be a sequence of layer widths"):
        tl.mlp(100)
    with pytest.raises(ValueError, match=r"hidden\[1\] must be >= 1, got 0"):
        tl.mlp([10, 0])
    with pytest.raises(ValueError, match="classes must be >= 1"):
        tl.mlp([10], classes=0)
