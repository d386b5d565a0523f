"""A model's parameters and gradients are views of one flat buffer each, and an optimizer updates
each run of consecutive views with one call of its rule: the same bits as one call per parameter
(the path taken for separate arrays), for every optimizer, with clipping, a frozen layer, a loaded
state, and the NaN guard."""

from __future__ import annotations

import copy
import itertools
import pickle

import numpy as np
import pytest
from test_optimizers import CASES, NAMES, make

import trainlab as tl
from trainlab.backend import spawn_rngs
from trainlab.optimizers import OPTIMIZERS
from trainlab.optimizers.layout import follows

RNG = np.random.default_rng(0)
X = RNG.standard_normal((24, 12)).astype(np.float32)
T = RNG.integers(0, 3, 24)


def network(frozen: bool = False) -> tl.Sequential:
    """Dense, BatchNorm and Dense layers of unequal sizes (the middle Dense frozen if asked)."""
    return tl.Sequential(
        [
            tl.Dense(16, init="he_normal"),
            tl.BatchNorm(),
            tl.ReLU(),
            tl.Dense(8, init="he_normal", trainable=not frozen),
            tl.ReLU(),
            tl.Dense(3),
        ],
        input_dim=12,
        seed=3,
    )


def unpack(model: tl.Sequential) -> tl.Sequential:
    """The model with every parameter and gradient a separate array again (packing bypassed)."""
    for layer in model.layers:
        for name in layer.params:
            layer.params[name] = layer.params[name].copy()
            layer.grads[name] = layer.grads[name].copy()
    return model


def consecutive(arrays: list[np.ndarray]) -> bool:
    return all(follows(a, b) for a, b in itertools.pairwise(arrays))


def train(model: tl.Sequential, optimizer: tl.Optimizer, steps: int, lr_step: float = 0.0) -> None:
    for step in range(steps):
        optimizer.update(model.params, model.gradient(X, T))
        optimizer.lr = optimizer.lr * (
            1.0 + lr_step * (-1) ** step
        )  # a schedule that moves η both ways


def assert_same(
    packed: tuple[tl.Sequential, tl.Optimizer], alone: tuple[tl.Sequential, tl.Optimizer]
) -> None:
    (model, optimizer), (reference, reference_optimizer) = packed, alone
    for key, array in reference.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], array, err_msg=key, strict=True)
    ours, theirs = optimizer.state_dict(), reference_optimizer.state_dict()
    assert (
        ours["iterations"] == theirs["iterations"]
        and ours["arrays"].keys() == theirs["arrays"].keys()
    )
    for key, array in theirs["arrays"].items():
        np.testing.assert_array_equal(ours["arrays"][key], array, err_msg=key, strict=True)
    assert optimizer.grad_norm == reference_optimizer.grad_norm


def test_every_registered_optimizer_is_covered():
    assert {CASES[name][0] for name in NAMES} == set(OPTIMIZERS.names()) - {"amsgrad"}


@pytest.mark.parametrize("clip", [{}, {"clip_norm": 0.05}, {"clip_value": 0.01}])
@pytest.mark.parametrize("block_size", [None, 100])  # 100: the run's rule calls go block by block
@pytest.mark.parametrize("name", NAMES)
def test_one_call_per_run_gives_the_bits_of_one_call_per_parameter(name, block_size, clip):
    runs = []
    for model in (network(), unpack(network())):
        optimizer = make(name, **clip)
        optimizer.block_size = block_size
        train(model, optimizer, steps=4, lr_step=0.3)
        runs.append((model, optimizer))
    assert_same(*runs)
    (model, optimizer), (_, alone) = runs
    assert len(optimizer.workspace.layout.steps) == 1  # all ten parameters in one run
    assert len(alone.workspace.layout.steps) == len(model.params)
    for slot in optimizer.slots:  # the per-name state is views of the run's state
        assert consecutive([optimizer.state[key][slot] for key in model.params])


@pytest.mark.parametrize("name", ["sgd", "adam", "adadelta"])
def test_a_frozen_layer_splits_the_run(name):
    runs = []
    for model in (network(frozen=True), unpack(network(frozen=True))):
        frozen = {key: array.copy() for key, array in model.layers[3].params.items()}
        optimizer = make(name)
        train(model, optimizer, steps=3)
        for key, array in frozen.items():
            np.testing.assert_array_equal(model.layers[3].params[key], array)
        runs.append((model, optimizer))
    assert_same(*runs)
    assert (
        len(runs[0][1].workspace.layout.steps) == 2
    )  # the layers before the frozen one, and the one after


@pytest.mark.parametrize("name", ["momentum", "adam", "amsgrad"])
def test_freezing_and_unfreezing_between_updates_keeps_the_state(name):
    runs = []
    for model in (network(), unpack(network())):
        optimizer = make(name)
        train(model, optimizer, steps=2)
        model.layers[3].trainable = False
        train(model, optimizer, steps=2)
        model.layers[3].trainable = True
        train(model, optimizer, steps=2)
        runs.append((model, optimizer))
    assert_same(*runs)
    assert len(runs[0][1].workspace.layout.steps) == 1


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_a_parameter_alone_then_in_a_run_then_alone_again_keeps_one_state(name):
    runs = [(network(), make(name)), (unpack(network()), make(name))]
    for subset in (None, ["dense3.b"], None, ["dense3.b"], ["dense3.W", "dense3.b"], None):
        for model, optimizer in runs:
            grads, keys = model.gradient(X, T), subset or list(model.params)
            optimizer.update(
                {key: model.params[key] for key in keys}, {key: grads[key] for key in keys}
            )
    assert_same(*runs)


@pytest.mark.parametrize("name", ["momentum", "adam", "amsgrad", "adadelta"])
def test_a_loaded_state_is_used_on_the_flat_path(name):
    model, optimizer = network(), make(name)
    train(model, optimizer, steps=3)
    saved_weights, saved_state = model.state_dict(), optimizer.state_dict()
    train(model, optimizer, steps=2)  # the run continued without a break
    restored, restored_optimizer = network(), make(name)
    restored.load_state_dict(saved_weights)
    restored_optimizer.update(
        restored.params, restored.gradient(X, T)
    )  # a state of its own, then replaced
    restored.load_state_dict(saved_weights)
    restored_optimizer.load_state_dict(saved_state)
    train(restored, restored_optimizer, steps=2)
    assert_same((restored, restored_optimizer), (model, optimizer))
    assert len(restored_optimizer.workspace.layout.steps) == 1


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_a_rebound_parameter_is_updated_alone(name):
    """Code that replaces a layer's array instead of writing into it splits the run; the update is
    the same."""
    runs = []
    for model in (network(), unpack(network())):
        optimizer = make(name)
        train(model, optimizer, steps=2)
        model.layers[3].params["W"] = model.layers[3].params["W"].copy()
        train(model, optimizer, steps=2)
        runs.append((model, optimizer))
    assert_same(*runs)
    assert len(runs[0][1].workspace.layout.steps) == 3  # before it, it, after it


@pytest.mark.parametrize("name", ["sgd", "adam", "lion"])
def test_a_nan_gradient_changes_nothing_on_the_flat_path(name):
    model, optimizer = network(), make(name, clip_norm=1.0)
    train(model, optimizer, steps=2)
    grads = model.gradient(
        X, T
    )  # (its forward pass moves BatchNorm's running averages: compare params)
    weights = {key: array.copy() for key, array in model.params.items()}
    state, iterations = optimizer.state_dict(), optimizer.iterations
    grads["dense2.b"][1] = np.nan
    with pytest.raises(FloatingPointError, match="dense2.b"):
        optimizer.update(model.params, grads)
    assert optimizer.iterations == iterations
    for key, array in model.params.items():
        np.testing.assert_array_equal(array, weights[key])
    for key, array in optimizer.state_dict()["arrays"].items():
        np.testing.assert_array_equal(array, state["arrays"][key])


def packed(model: tl.Sequential) -> bool:
    """Every parameter, and every gradient, follows the previous one in one buffer."""
    return consecutive(list(model.params.values())) and consecutive(list(model.grads.values()))


def test_params_and_grads_stay_views_of_one_buffer():
    model = network()
    assert packed(model)
    base = next(iter(model.params.values())).base
    assert base.size == model.count_params(trainable_only=True) and base.dtype == np.float32
    before = {key: array for key, array in model.params.items()}
    model.load_state_dict(network().clone().state_dict())
    model.params["dense1.W"] = np.ones((12, 16))  # ParamDict writes into the layer's array
    model.params.update({"dense3.b": np.zeros(3)})
    assert packed(model) and all(model.params[key] is array for key, array in before.items())
    assert (model.params["dense1.W"] == 1).all() and base[: 12 * 16].sum() == 12 * 16
    copy = model.clone()
    assert packed(copy) and next(iter(copy.params.values())).base is not base
    for key, array in model.state_dict().items():
        np.testing.assert_array_equal(copy.state_dict()[key], array)
    assert packed(tl.Sequential.from_config(model.get_config(), dtype="float64"))


def test_packing_keeps_the_drawn_weights():
    """The same seed gives the weights the layers drew when built alone (packing copies, it draws nothing)."""
    model = network()
    shape = (12,)
    alone = [type(layer)(**layer.get_config()) for layer in model.layers]
    for layer, rng in zip(alone, spawn_rngs(model.seed, len(alone)), strict=True):
        shape = layer.build(shape, np.dtype(np.float32), rng)
    for layer, built in zip(model.layers, alone, strict=True):
        assert layer.params.keys() == built.params.keys()
        for name, array in built.params.items():
            assert array.base is None and layer.params[name].base is not None
            np.testing.assert_array_equal(layer.params[name], array, strict=True)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_a_copied_optimizer_continues_as_the_original(name):
    """A copy holds the state, not the model's arrays that the optimizer's layout refers to."""
    model, optimizer = network(), make(name)
    train(model, optimizer, steps=2)
    state_bytes = sum(array.nbytes for array in optimizer.state_dict()["arrays"].values())
    assert len(pickle.dumps(optimizer)) < state_bytes + 4000
    twin, twin_optimizer = model.clone(), copy.deepcopy(optimizer)
    train(model, optimizer, steps=2)
    train(twin, twin_optimizer, steps=2)
    for key, array in model.params.items():
        np.testing.assert_array_equal(twin.params[key], array)
    assert_same((twin, twin_optimizer), (model, optimizer))
