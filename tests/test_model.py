"""Sequential: params/grads dicts, in-place updates, freezing, summary, state, cloning, reproducibility."""

import copy

import numpy as np
import pytest

import trainlab as tl


def mlp(seed=0, dtype="float32", **kwargs):
    return tl.Sequential(
        [
            tl.Dense(100, init="he_normal"),
            tl.ReLU(),
            tl.Dense(100, init="he_normal"),
            tl.ReLU(),
            tl.Dense(10),
        ],
        input_dim=784,
        seed=seed,
        dtype=dtype,
        **kwargs,
    )


def batch(n=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


def test_params_and_grads_have_matching_names_and_shapes():
    model = mlp()
    x, t = batch()
    grads = model.gradient(x, t)
    assert list(model.params) == [
        "dense1.W",
        "dense1.b",
        "dense2.W",
        "dense2.b",
        "dense3.W",
        "dense3.b",
    ]
    assert list(grads) == list(model.params)
    for name, param in model.params.items():
        assert grads[name].shape == param.shape and grads[name].dtype == np.float32 == param.dtype


def test_textbook_update_changes_the_model_in_place():
    model = mlp()
    x, t = batch()
    W = model.params["dense1.W"]
    params, grads = model.params, model.gradient(x, t)
    expected = W - 0.1 * grads["dense1.W"]
    for key in params:
        params[key] -= 0.1 * grads[key]  # the textbook's SGD.update
    assert model.params["dense1.W"] is W
    np.testing.assert_allclose(model.layers[0].params["W"], expected, rtol=1e-6)
    params["dense1.b"] = params["dense1.b"] + 1.0  # assignment is copied into the layer's array
    np.testing.assert_allclose(model.layers[0].params["b"], model.params["dense1.b"])
    with pytest.raises(ValueError, match="shape"):
        params["dense1.b"] = np.zeros(3)
    with pytest.raises(KeyError, match="not a trainable parameter"):
        params["nope"] = 1.0


def test_params_is_a_dict_whose_writes_go_into_the_model_and_whose_names_are_fixed():
    model = mlp()
    params = model.params
    names = [f"dense{i}.{p}" for i in (1, 2, 3) for p in ("W", "b")]
    assert isinstance(params, dict) and list(params) == names
    b = model.layers[0].params["b"]
    params.update({"dense1.b": np.full(b.shape, 2.0)})
    params |= {"dense1.b": params["dense1.b"] + 1.0}
    assert params["dense1.b"] is b and np.all(b == 3.0)
    assert params.setdefault("dense1.b") is b
    with pytest.raises(KeyError, match="not a trainable parameter"):
        params.update(nope=1.0)
    with pytest.raises(KeyError, match="not a trainable parameter"):
        params.setdefault("nope", 1.0)
    removals = (
        lambda: params.pop("dense1.b"),
        params.popitem,
        params.clear,
        lambda: params.__delitem__("dense1.b"),
    )
    for remove in removals:
        with pytest.raises(TypeError, match="cannot be deleted"):
            remove()
    assert list(params) == names
    snapshot = copy.deepcopy(params)  # a plain dict of copies, detached from the model
    snapshot["dense1.b"] += 1.0
    assert type(snapshot) is dict and np.all(b == 3.0)


def test_training_with_the_textbook_loop_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 20)).astype(np.float32)
    t = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    model = tl.Sequential(
        [tl.Dense(16, init="he_normal"), tl.ReLU(), tl.Dense(2)], input_dim=20, seed=0
    )
    first = model.loss(x, t)
    optimizer = tl.SGD(lr=0.5)
    for _ in range(100):
        optimizer.update(model.params, model.gradient(x, t))
    assert model.loss(x, t) < 0.25 * first
    assert model.accuracy(x, t) > 0.95


def test_frozen_layers_get_no_gradient_and_do_not_move():
    model = mlp()
    model.layers[0].trainable = False
    x, t = batch()
    before = model.layers[0].params["W"].copy()
    grads = model.gradient(x, t)
    assert "dense1.W" not in grads and "dense1.W" not in model.params
    tl.SGD(lr=1.0).update(model.params, grads)
    np.testing.assert_array_equal(model.layers[0].params["W"], before)
    assert "(frozen)" in str(model.summary_table())


def test_summary_lists_layers_shapes_and_counts():
    text = str(mlp().summary_table())
    assert "dense1 (Dense)" in text and "(None, 100)" in text and "78,500" in text
    assert "relu1 (ReLU)" in text
    assert "Total params: 89,610" in text  # 78,500 + 10,100 + 1,010
    assert "float32" in text
    fused = tl.Sequential([tl.Dense(4, activation="relu")], input_dim=3)
    assert "dense1 (Dense+ReLU)" in str(fused.summary_table())


def test_same_seed_same_numbers_and_different_seed_different_numbers():
    _x, _t = batch()
    a, b, c = mlp(seed=1), mlp(seed=1), mlp(seed=2)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert not np.array_equal(a.params["dense1.W"], c.params["dense1.W"])

    def drop():
        return tl.Sequential([tl.Dense(50), tl.Dropout(0.5), tl.Dense(3)], input_dim=5, seed=9)

    x5 = np.ones((8, 5), np.float32)
    np.testing.assert_array_equal(
        drop().forward(x5, training=True), drop().forward(x5, training=True)
    )


def test_unseeded_models_record_their_seed():
    model = tl.Sequential([tl.Dense(3)], input_dim=2)
    again = tl.Sequential([tl.Dense(3)], input_dim=2, seed=model.seed)
    np.testing.assert_array_equal(model.params["dense1.W"], again.params["dense1.W"])


def test_rng_state_replays_dropout_masks():
    model = tl.Sequential([tl.Dense(20), tl.Dropout(0.5), tl.Dense(3)], input_dim=5, seed=0)
    x = np.ones((4, 5), np.float32)
    state = model.rng_state()
    first = model.forward(x, training=True)
    assert not np.array_equal(first, model.forward(x, training=True))
    model.set_rng_state(state)
    np.testing.assert_array_equal(first, model.forward(x, training=True))


def test_state_dict_round_trip_and_clone():
    model = tl.Sequential([tl.Dense(6), tl.BatchNorm(), tl.ELU(), tl.Dense(3)], input_dim=4, seed=0)
    x = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
    model.gradient(x, np.arange(10) % 3)  # moves BN's running averages
    state = model.state_dict()
    assert set(state) == {
        "dense1.W",
        "dense1.b",
        "batchnorm1.gamma",
        "batchnorm1.beta",
        "batchnorm1.running_mean",
        "batchnorm1.running_var",
        "dense2.W",
        "dense2.b",
    }
    copy = model.clone()
    np.testing.assert_array_equal(copy.predict(x), model.predict(x))
    wide = model.clone(dtype="float64")
    assert wide.dtype == np.float64
    np.testing.assert_allclose(wide.predict(x), model.predict(x), rtol=1e-5, atol=1e-6)
    other = tl.Sequential([tl.Dense(6), tl.BatchNorm(), tl.ELU(), tl.Dense(3)], input_dim=4, seed=5)
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    with pytest.raises(ValueError, match="missing"):
        other.load_state_dict({"dense1.W": state["dense1.W"]})


def test_config_round_trip_keeps_every_setting():
    model = tl.Sequential(
        [
            tl.Flatten(),
            tl.Dense(
                8,
                activation="elu",
                init="he_uniform",
                bias=False,
                regularizer=tl.L1L2(0.01, 0.02),
                constraint=tl.MaxNorm(3.0),
            ),
            tl.BatchNorm(momentum=0.8),
            tl.LeakyReLU(0.2),
            tl.AlphaDropout(0.1),
            tl.Dense(3, init=0.05),
        ],
        input_shape=(2, 2),
        seed=4,
        weight_decay=0.01,
        loss="mse",
    )
    rebuilt = tl.Sequential.from_config(model.get_config())
    assert rebuilt.get_config() == model.get_config()
    dense = rebuilt.layers[1]
    assert isinstance(dense.activation, tl.ELU) and dense.regularizer.l2 == 0.02
    assert dense.constraint.max_value == 3.0 and not dense.bias
    np.testing.assert_array_equal(rebuilt.params["dense1.W"], model.params["dense1.W"])


def test_predict_in_chunks_equals_predict_at_once():
    model = mlp()
    x, _ = batch(100)
    # float32 BLAS sums in another order for another batch size: agreement to float32 precision
    np.testing.assert_allclose(
        model.predict(x, batch_size=7), model.predict(x), rtol=1e-4, atol=1e-6
    )


def test_inputs_are_never_modified():
    model = tl.Sequential(
        [tl.ReLU(), tl.Dense(4), tl.Sigmoid(), tl.Dropout(0.5), tl.Dense(2)], input_dim=3, seed=0
    )
    x = np.array([[-1.0, 2.0, -3.0]] * 4, dtype=np.float32)
    original = x.copy()
    model.gradient(x, [0, 1, 0, 1])
    model.predict(x)
    dout = np.ones((4, 2), np.float32)
    model.forward(x, training=True)
    model.backward(dout, input_grad=True)
    np.testing.assert_array_equal(x, original)
    np.testing.assert_array_equal(dout, 1.0)


def test_backward_returns_the_input_gradient():
    model = tl.Sequential(
        [tl.Dense(4), tl.Tanh(), tl.Dense(2)], input_dim=3, seed=0, dtype="float64"
    )
    x = np.random.default_rng(0).standard_normal((5, 3))
    R = np.random.default_rng(1).standard_normal((5, 2))
    model.forward(x, training=True)
    dx = model.backward(R, input_grad=True)
    numeric = tl.numerical_gradient(lambda v: float(np.sum(model.forward(v) * R)), x.copy())
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-9)


def test_lazy_build_on_first_batch():
    model = tl.Sequential([tl.Flatten(), tl.Dense(3)], seed=0)
    assert not model.built
    with pytest.raises(RuntimeError, match="not built"):
        _ = model.params
    out = model.predict(np.zeros((2, 4, 5)))
    assert out.shape == (2, 3) and model.input_shape == (4, 5)
    assert model.params["dense1.W"].shape == (20, 3)


def test_float64_models_compute_in_float64():
    model = mlp(dtype="float64")
    x, t = batch()
    assert model.predict(x).dtype == np.float64
    assert all(g.dtype == np.float64 for g in model.gradient(x, t).values())
