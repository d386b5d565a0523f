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
# # 2. A two-layer network learns to read digits
#
# *Deep Learning from Scratch, chapters 4-5.* The smallest network that learns MNIST well: 784 pixel
# inputs, one hidden layer of 50 sigmoid units, 10 outputs turned into probabilities by a softmax.
# We train it by stochastic gradient descent on mini-batches, with the gradient from
# backpropagation, and watch two numbers: the accuracy on the digits it trains on, and on digits it
# has never seen.

# %%
import inspect

import numpy as np

import trainlab as tl
from trainlab.lab.claims import Claim
from trainlab.lab.notebook import predict, run_lesson, show
from trainlab.lessons import two_layer_net

data = tl.load_dataset("mnist-mini")  # 8,000 + 2,000 real MNIST digits, shipped with trainlab
print(data)

# %% [markdown]
# ## The model
#
# Each layer is an affine map followed by a nonlinearity:
#
# $$h = \sigma(x W_1 + b_1), \qquad z = h W_2 + b_2, \qquad p = \operatorname{softmax}(z),$$
#
# and the loss of a batch is the mean cross-entropy $L = -\frac1N\sum_n \log p_{n, t_n}$, where
# $t_n$ is the true digit. Backpropagation applies the chain rule from the loss back to each weight.
# For the affine layer $y = xW + b$, given $\partial L/\partial y$:
#
# $$\frac{\partial L}{\partial W} = x^\top \frac{\partial L}{\partial y}, \qquad
# \frac{\partial L}{\partial b} = \sum_{\text{batch}} \frac{\partial L}{\partial y}, \qquad
# \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} W^\top.$$
#
# That is all of `Dense.forward` and `Dense.backward`:

# %%
print(inspect.getsource(tl.Dense.forward))
print(inspect.getsource(tl.Dense.backward))

# %% [markdown]
# Softmax and cross-entropy are fused into one layer because their joint gradient is remarkably
# simple, $\partial L/\partial z = (p - \text{onehot}(t))/N$, and computing them together avoids the
# overflow of $e^{z}$ for large logits (the largest logit is subtracted first):

# %%
print(inspect.getsource(tl.SoftmaxCrossEntropy))

# %% [markdown]
# ## Training by hand, one step at a time
#
# One step of training is one call, `tl.train_step`: the loss of the batch and every gradient by
# backpropagation, then the optimizer's update $W \leftarrow W - \eta\,\partial L/\partial W$ in
# place. The library's `fit` is a loop over it. Here are 300 steps written out, printing the loss
# every 50 steps, with batches drawn at random as the book does.

# %%
model = tl.Sequential(
    [tl.Dense(50, init=0.01), tl.Sigmoid(), tl.Dense(10, init=0.01)], input_dim=784, seed=0
)
optimizer = tl.SGD(lr=0.1)
rng = np.random.default_rng(0)
for step in range(300):
    batch = rng.choice(len(data.x_train), 100)
    loss = tl.train_step(
        model, optimizer, data.x_train[batch], data.y_train[batch]
    )  # the loss before the update
    if step % 50 == 0 or step == 299:
        print(f"step {step:3d}: batch loss {loss:.3f}")
print(f"test accuracy after 300 steps: {model.accuracy(data.x_test, data.y_test):.3f}")

# %% [markdown]
# ## The lesson
#
# `two-layer-net` trains the same net with the book's settings (SGD, $\eta = 0.1$, batches of 100
# drawn with replacement, weights from $N(0, 0.01^2)$) and measures the accuracy on the training and
# the test digits after every epoch. It trains two more forms from the same weights and batches:
# chapter 5's ReLU net, and the sigmoid net with a softmax output under the book's other loss of
# section 4.2, the squared error $\tfrac12\sum_k (y_k - t_k)^2$. Here each runs 2,400 steps (30
# epochs of the 8,000 training digits), from three seeds; the book's full run (60,000 digits, 10,000
# steps) is `trainlab run two-layer-net`.

# %%
run = run_lesson("two-layer-net", **two_layer_net.Config.NOTEBOOK)
show(run)

# %% [markdown]
# Each line above is one of the book's statements with its verdict, computed from the three seeds.
# Two things to notice. Cross-entropy trains much faster than squared error: its gradient at the
# scores is simply $y - t$, while squared error's passes through the softmax's slope, which is small
# while the outputs are still near $0.1$, so the squared-error net barely moves for thousands of
# steps. And on only 8,000 training digits the nets start to memorise them: the ReLU net, which
# learns fastest, pulls its training accuracy about 3 points ahead of its test accuracy within 30
# passes, and the sigmoid net's gap comes close to the 2 points the claim allows. With the book's
# 60,000 digits and 17 passes the two stay together (the full-size run in docs/results.md): more
# data is the first cure for overfitting (chapter 6.4).

# %% [markdown]
# ## The same with `fit`, as a notebook shows it
#
# `fit` prints one progress bar per epoch (steps, elapsed time, the epoch's metrics and the run's
# ETA) and `tl.LivePlot()` redraws the curves after each epoch in the same figure. The `History` it
# returns prints as one line; `history.history` is Keras's dict of per-epoch lists.

# %%
model = tl.Sequential(
    [tl.Dense(50, init=0.01), tl.Sigmoid(), tl.Dense(10, init=0.01)], input_dim=784, seed=0
)
model.compile("sgd", lr=0.1, metrics=["accuracy"])
history = model.fit(
    data.x_train,
    data.y_train,
    epochs=8,
    batch_size=100,
    validation_data=(data.x_test, data.y_test),
    callbacks=[tl.LivePlot()],
)
history

# %%
{name: [round(v, 3) for v in values] for name, values in history.history.items()}

# %% [markdown]
# ## Try this
#
# - Predict, then check: which of the two cross-entropy nets reaches 90 % test accuracy in fewer
#   steps, chapter 4's sigmoid net or chapter 5's ReLU net? The cell below states one answer as a
#   claim and tests it on the three seeds above.
# - Set `init=1.0` (weights from $N(0, 1)$) in the `fit` model above and watch the first epochs:
#   saturated sigmoids learn slowly.
# - Run the book's full size: `run_lesson("two-layer-net")` (60,000 digits, 10,000 steps; a few
#   minutes).
# - The last cell trains chapter 5's ReLU net with `fit` for three epochs: compare its first epoch
#   with the sigmoid net's above.

# %%
prediction = predict(
    run,
    Claim(
        "relu-faster",
        "The ReLU net reaches 90 % test accuracy in fewer steps than the sigmoid net.",
        "this notebook",
        two_layer_net.TO_LEVEL,
        a="relu",
        expect="<",
        b="sigmoid",
    ),
)

# %%
relu = tl.Sequential([tl.Dense(50), tl.ReLU(), tl.Dense(10)], input_dim=784, seed=0).compile(
    "sgd", lr=0.1
)
relu.fit(
    data.x_train,
    data.y_train,
    epochs=3,
    batch_size=100,
    validation_data=(data.x_test, data.y_test),
    verbose=2,
)
