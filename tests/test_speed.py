"""The fast path computes the plain formulas bit for bit.

trainlab's layers, loss and model take shortcuts for speed (in-place products, reduces without
wrappers, the first layer's input gradient skipped, transposed copies for short-axis maxima). Here
one step of the book's 784-100x4-10 ReLU net is written out as the plain NumPy formulas of the
docstrings, and the library's loss and every gradient must equal them exactly (one BLAS thread: the
same products in the same order).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import trainlab as tl
from trainlab.backend import keep_mask

SIZES = [784, 100, 100, 100, 100, 10]


def book_net(dtype):
    layers = [
        layer for units in SIZES[1:-1] for layer in (tl.Dense(units, init="he_normal"), tl.ReLU())
    ]
    return tl.Sequential(
        [*layers, tl.Dense(SIZES[-1], init="he_normal")], input_dim=SIZES[0], seed=0, dtype=dtype
    )


def plain_step(weights, x, t):
    """L and dL/dθ from the formulas: y = x·W + b, ReLU = x ⊙ [x > 0], softmax cross-entropy."""
    inputs, masks = [], []
    for i, (W, b) in enumerate(weights):
        inputs.append(x)
        x = x @ W + b
        if i < len(weights) - 1:
            masks.append(x > 0)
            x = x * masks[-1]
    n, rows = x.shape[0], np.arange(x.shape[0])
    shifted = x - x.max(axis=1, keepdims=True)
    sums = np.exp(shifted).sum(axis=1, keepdims=True)
    loss = np.sum(np.log(sums)[:, 0] - shifted[rows, t]) / n
    dy = np.exp(shifted) / sums
    dy[rows, t] -= 1.0
    dy /= n
    grads = []
    for i in range(len(weights) - 1, -1, -1):
        W = weights[i][0]
        grads[:0] = [inputs[i].T @ dy, dy.sum(axis=0)]
        if i > 0:
            dy = (dy @ W.T) * masks[i - 1]
    return float(loss), grads


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_step_of_the_book_net_equals_the_plain_formulas_bitwise(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, SIZES[0])).astype(dtype)
    t = rng.integers(0, SIZES[-1], 64)
    model = book_net(dtype)
    weights = [
        (layer.params["W"], layer.params["b"])
        for layer in model.layers
        if isinstance(layer, tl.Dense)
    ]
    with threadpool_limits(1):
        for _ in range(2):  # a second step: nothing left over from the first may change the numbers
            loss, grads = model.loss_and_gradients(x, t)
            expected_loss, expected = plain_step(weights, x, t)
            assert loss == expected_loss
            for got, want in zip(grads.values(), expected, strict=True):
                assert got.dtype == want.dtype and np.array_equal(got, want)
            tl.SGD(lr=0.1).update(model.params, grads)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("inverted", [True, False])
def test_dropout_equals_its_plain_formula_bitwise(dtype, inverted):
    """y = x ⊙ m / (1 - p) (inverted) or x ⊙ m, with the mask the layer's generator draws."""
    layer = tl.Dropout(0.37, inverted=inverted)
    layer.build((300,), np.dtype(dtype), np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((64, 300)).astype(dtype)
    keep, keep_probability = keep_mask(np.random.default_rng(0), x.shape, 0.37)
    mask = keep.astype(dtype)
    if inverted:
        mask *= 1.0 / keep_probability
    y = layer.forward(x, training=True)
    assert y.dtype == x.dtype and np.array_equal(y.view(np.uint8), (x * mask).view(np.uint8))
    dy = np.random.default_rng(2).standard_normal(x.shape).astype(dtype)
    assert np.array_equal(layer.backward(dy.copy()), dy * mask)


def plain_batchnorm(x, gamma, beta, dy, epsilon=1e-5):
    """y and dL/dx, dL/dγ, dL/dβ of batch normalization (training) from the formulas of its docstring."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    xc = x - mean
    inv_std = 1.0 / np.sqrt(np.mean(xc * xc, axis=0) + epsilon)
    xhat = xc * inv_std
    dbeta, dgamma = dy.sum(axis=0), (dy * xhat).sum(axis=0)
    dx = (dy * n - dbeta - xhat * dgamma) * (gamma * inv_std / n)
    return gamma * xhat + beta, dx, dgamma, dbeta


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batchnorm_equals_its_plain_formulas_bitwise(dtype):
    """The layer computes in place and reuses its scratch arrays; the numbers must be the formulas' own."""
    rng = np.random.default_rng(3)
    layer = tl.BatchNorm()
    layer.build((300,), np.dtype(dtype), rng)
    layer.params["gamma"][...] = rng.uniform(0.5, 2.0, 300)
    layer.params["beta"][...] = rng.standard_normal(300)
    for _ in range(2):  # a second step: nothing left over from the first may change the numbers
        x = (rng.standard_normal((64, 300)) * 3 + 1).astype(dtype)
        dy = rng.standard_normal(x.shape).astype(dtype)
        want_y, want_dx, want_dgamma, want_dbeta = plain_batchnorm(
            x, layer.params["gamma"], layer.params["beta"], dy
        )
        y = layer.forward(x, training=True)
        dx = layer.backward(dy.copy())
        for got, want in [
            (y, want_y),
            (dx, want_dx),
            (layer.grads["gamma"], want_dgamma),
            (layer.grads["beta"], want_dbeta),
        ]:
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_benchmarks_bare_numpy_step_trains_as_trainlab_does(dtype, monkeypatch):
    """benchmarks/step_time.py compares trainlab with the same step hand-written in bare NumPy; the
    comparison means something only if the two compute the same thing: the same loss, step after
    step."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "benchmarks"))
    peers = importlib.import_module("peers")
    bare = peers.numpy_step(64, dtype)
    model, x, t = peers.book_model(64, dtype)
    optimizer = tl.SGD(lr=peers.LR)
    with threadpool_limits(1):
        losses = [(bare(), tl.train_step(model, optimizer, x, t)) for _ in range(4)]
    assert all(ours == theirs for ours, theirs in losses), losses
    assert losses[-1][0] < losses[0][0]  # and it trains
