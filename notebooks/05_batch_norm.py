# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %%
# On Colab, or in a Python without trainlab, this cell installs it with %pip: from this repository
# (one folder up) or from $TRAINLAB_SOURCE (a git URL or a wheel file; see docs/install.md). Where
# trainlab is installed, it does nothing.
import importlib.util
import os

if importlib.util.find_spec("trainlab") is None:
    get_ipython().run_line_magic(  # noqa: F821
        "pip", "install --quiet " + os.environ.get("TRAINLAB_SOURCE", "..")
    )

# %% [markdown]
# # 5. Batch normalization
#
# *Deep Learning from Scratch, 6.3.* Instead of hoping that the initial weights keep every layer's
# activations well spread, batch normalization *forces* it: each unit's pre-activations are
# standardized over the mini-batch, then rescaled by two learned numbers. The network can still
# choose any scale it wants, but it starts from a well-conditioned one, whatever the weights.

# %%
import inspect

import numpy as np

import trainlab as tl
from trainlab.lab.notebook import Claim, predict, run_lesson, show
from trainlab.lessons import batchnorm, batchnorm_regularizer

# %% [markdown]
# ## The formula
#
# For a batch of values $x_1, \dots, x_m$ of one unit:
#
# $$\mu = \frac1m \sum_i x_i, \qquad \sigma^2 = \frac1m \sum_i (x_i - \mu)^2, \qquad
# \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y_i = \gamma \hat x_i + \beta.$$
#
# $\gamma$ and $\beta$ are trained like weights. At test time there is no batch to average over, so
# the layer uses running averages of $\mu$ and $\sigma^2$ collected during training. The backward
# pass has to account for every $x_i$ influencing $\mu$ and $\sigma$; after simplification, with
# $N = m$ and $g_i = \partial L / \partial \hat x_i = \gamma\, \partial L/\partial y_i$:
#
# $$\frac{\partial L}{\partial x_i} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
# \Big(g_i - \frac1m\sum_j g_j - \hat x_i \frac1m \sum_j g_j \hat x_j\Big).$$
#
# trainlab's `BatchNorm` computes exactly that:

# %%
print(inspect.getsource(tl.BatchNorm.forward))
print(inspect.getsource(tl.BatchNorm.backward))

# %% [markdown]
# ## What it does to the activations
#
# Five ReLU layers with weights far too small (std 0.01): without normalization the signal shrinks
# by a constant factor per layer; with it, each layer's pre-activations are back at mean 0 and
# std 1.

# %%
data = tl.load_dataset("mnist-mini")
x = data.x_train[:1000]
for use_bn in (False, True):
    layers = []
    for _ in range(5):
        layers += [tl.Dense(100, init=0.01)] + ([tl.BatchNorm()] if use_bn else []) + [tl.ReLU()]
    model = tl.Sequential(layers, input_dim=784, seed=0)
    h, stds = x, []
    for layer in model.layers:
        h = layer.forward(h, training=True)
        if isinstance(layer, tl.ReLU):
            stds.append(h.std())
    print(
        f"{'with' if use_bn else 'without':7s} batch norm: std of each ReLU layer's output "
        + ", ".join(f"{s:.2g}" for s in stds)
    )

# %% [markdown]
# ## The experiment
#
# `batchnorm` trains the book's net, 784-100×5-10 with ReLU, on MNIST digits by SGD, once with and
# once without batch norm, from weights of standard deviation ranging over four orders of magnitude
# (Figure 6-19), both nets of a seed from the same weights and on the same batches. Then it asks
# Hands-On ML's question: does batch norm matter more for a deep net (20 hidden layers) than for a
# shallow one (2), both from He initialization?
#
# Here 8 scales, 15 epochs and 3 seeds (the book: 16 scales, 20 epochs, one run). Speed is the
# training accuracy averaged over the epochs; every conclusion below is one of the lesson's declared
# claims, with its verdict over the seeds.

# %%
print(batchnorm.Config.NOTEBOOK)  # the notebook's size: change it and run again
run = run_lesson("batchnorm", **batchnorm.Config.NOTEBOOK)
show(run)

# %% [markdown]
# ## Try this: predict before you look
#
# Batch norm at He initialization, two hidden layers: the plain net is already well scaled there.
# Does batch norm still speed it up? The cell states the prediction as a claim and checks it against
# the same runs.

# %%
predict(
    run,
    Claim(
        "shallow-net-gains",
        "Even the 2-layer net learns faster with batch norm.",
        "our prediction",
        batchnorm.GAIN,
        a="2 layers",
        expect=">",
        b=0.0,
    ),
)
# %% [markdown]
# More to try:
#
# - `run_lesson("batchnorm", lr=0.1, ...)`: batch norm usually tolerates a much larger learning
#   rate, the plain net not (watch the crosses, where a run diverged).
# - Put the `BatchNorm` after the `ReLU` instead of before it, and compare (both orders are used in
#   practice).
# - Check the test-time behaviour: `model.predict` uses the running averages; compare a single
#   sample's prediction in training mode (batch statistics of one sample!) with inference mode.

# %%
data = tl.load_dataset("mnist-mini")
model = tl.Sequential(
    [tl.Dense(100), tl.BatchNorm(), tl.ReLU(), tl.Dense(10)], input_dim=784, seed=0
)
model.compile("sgd", lr=0.1, metrics=["accuracy"])
history = model.fit(
    data.x_train,
    data.y_train,
    epochs=3,
    batch_size=100,
    validation_data=(data.x_test, data.y_test),
    verbose=0,
)
first, second = data.x_test[:1], data.x_test[1:2]
print(
    "inference mode, class probabilities of two digits:",
    model.predict_proba(first).round(2),
    model.predict_proba(second).round(2),
)
same = np.allclose(model.forward(first, training=True), model.forward(second, training=True))
print(
    "training mode, each alone in its batch: the outputs are "
    f"{'identical' if same else 'different'}"
)

# %% [markdown]
# ## Batch norm as a regularizer?
#
# The book lists a third advantage: batch norm suppresses overfitting, so dropout is needed less
# (Hands-On ML says the same). `batchnorm-regularizer` tests it on the book's own overfitting setup
# (300 images, six layers of 100), and tests the speed-up on the whole training set. Here a small
# version: 150 epochs, and the speed-up on 12,000 images to 85 % validation accuracy.

# %%
run = run_lesson("batchnorm-regularizer", **batchnorm_regularizer.Config.NOTEBOOK)
show(run)
