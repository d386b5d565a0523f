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
# On Colab, or in a Python without trainlab, this cell installs it with %pip: from this repository (one folder
# up) or from $TRAINLAB_SOURCE (a git URL or a wheel file; see docs/install.md). Where trainlab is installed,
# it does nothing.
import importlib.util
import os

if importlib.util.find_spec("trainlab") is None:
    get_ipython().run_line_magic("pip", "install --quiet " + os.environ.get("TRAINLAB_SOURCE", ".."))  # noqa: F821

# %% [markdown]
# # 2. A two-layer network learns to read digits
#
# *Deep Learning from Scratch, chapters 4-5.* The smallest network that learns MNIST well: 784 pixel
# inputs, one hidden layer of 50 sigmoid units, 10 outputs turned into probabilities by a softmax. We
# train it by stochastic gradient descent on mini-batches, with the gradient from backpropagation, and
# watch two numbers: the accuracy on the digits it trains on, and on digits it has never seen.

# %%
import inspect

import numpy as np

import trainlab as tl
from trainlab.lessons import two_layer_net
from trainlab.liveplot import show_figures

data = tl.load_dataset("mnist-mini")  # 8,000 + 2,000 real MNIST digits, shipped with trainlab
print(data)

# %% [markdown]
# ## The model
#
# Each layer is an affine map followed by a nonlinearity:
#
# $$h = \sigma(x W_1 + b_1), \qquad z = h W_2 + b_2, \qquad p = \operatorname{softmax}(z),$$
#
# and the loss of a batch is the mean cross-entropy $L = -\frac1N\sum_n \log p_{n, t_n}$, where $t_n$ is the
# true digit. Backpropagation applies the chain rule from the loss back to each weight. For the affine
# layer $y = xW + b$, given $\partial L/\partial y$:
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
# Softmax and cross-entropy are fused into one layer because their joint gradient is remarkably simple,
# $\partial L/\partial z = (p - \text{onehot}(t))/N$, and computing them together avoids the overflow of
# $e^{z}$ for large logits (the largest logit is subtracted first):

# %%
print(inspect.getsource(tl.SoftmaxCrossEntropy))

# %% [markdown]
# ## Training by hand, one step at a time
#
# The library's `fit` is a loop over exactly these two lines. Here are 300 steps written out, printing the
# loss every 50 steps, with batches drawn at random as the book does.

# %%
model = tl.Sequential([tl.Dense(50, init=0.01), tl.Sigmoid(), tl.Dense(10, init=0.01)], input_dim=784, seed=0)
optimizer = tl.SGD(lr=0.1)
rng = np.random.default_rng(0)
for step in range(300):
    batch = rng.choice(len(data.x_train), 100)
    grads = model.gradient(data.x_train[batch], data.y_train[batch])  # backpropagation
    optimizer.update(model.params, grads)                            # W <- W - lr * dL/dW, in place
    if step % 50 == 0 or step == 299:
        print(f"step {step:3d}: batch loss {model.last_loss:.3f}")
print(f"test accuracy after 300 steps: {model.accuracy(data.x_test, data.y_test):.3f}")

# %% [markdown]
# ## The experiment
#
# `two-layer-net` trains the same net with the book's settings (SGD, $\eta = 0.1$, batches of 100 drawn
# with replacement, weights from $N(0, 0.01^2)$) and measures both accuracies after every epoch; it also
# trains the ReLU form of chapter 5. Here each runs 3,200 steps (40 epochs of the 8,000 training digits),
# from one seed.

# %%
config = two_layer_net.Config(dataset="mnist-mini", iterations=3200, seeds=1)
result = two_layer_net.run(config)
summary = two_layer_net.summarize(result)
show_figures(two_layer_net.plot(result))
for line in summary.conclusions:
    print("-", line)

# %% [markdown]
# What to take from it, computed from the run:

# %%
sigmoid = result.of("sigmoid")[0]
train, test = np.array(sigmoid.train_accuracy), np.array(sigmoid.test_accuracy)
half = int(np.argmax(test >= 0.5 * (test[0] + test[-1])))
print(f"Sigmoid net: test accuracy {test[0]:.3f} after epoch 1, {test[-1]:.3f} after epoch {sigmoid.epochs[-1]}; "
      f"half of that gain came by epoch {sigmoid.epochs[half]}.")
gap = train - test
print(f"Train minus test accuracy: at most {np.max(np.abs(gap)):.3f} in any epoch, {gap[-1]:+.3f} at the end. "
      f"{'Small next to the' if np.max(np.abs(gap)) < 0.05 else 'Large, compared with the'} "
      f"{test[-1] - test[0]:.2f} that the test accuracy gained: the net learned digits, not its training images.")

# %% [markdown]
# ## The same with `fit`, as a notebook shows it
#
# `fit` prints one progress bar per epoch (steps, elapsed time, the epoch's metrics and the run's ETA) and
# `tl.LivePlot()` redraws the curves after each epoch in the same figure. The `History` it returns prints
# as one line; `history.history` is Keras's dict of per-epoch lists.

# %%
model = tl.Sequential([tl.Dense(50, init=0.01), tl.Sigmoid(), tl.Dense(10, init=0.01)], input_dim=784, seed=0)
model.compile("sgd", lr=0.1, metrics=["accuracy"])
history = model.fit(data.x_train, data.y_train, epochs=8, batch_size=100,
                    validation_data=(data.x_test, data.y_test), callbacks=[tl.LivePlot()])
history

# %%
{name: [round(v, 3) for v in values] for name, values in history.history.items()}

# %% [markdown]
# ## Try this
#
# - Replace `tl.Sigmoid()` by `tl.ReLU()` in the last model: how much faster does the test accuracy climb?
# - Set `init=1.0` (weights from $N(0, 1)$) and watch the first epochs: saturated sigmoids learn slowly.
# - Train on the full MNIST, 60,000 digits: `two_layer_net.Config(dataset="mnist", iterations=10000)` is the
#   book's run (a few minutes).

# %%
relu = tl.Sequential([tl.Dense(50), tl.ReLU(), tl.Dense(10)], input_dim=784, seed=0).compile("sgd", lr=0.1)
relu.fit(data.x_train, data.y_train, epochs=3, batch_size=100, validation_data=(data.x_test, data.y_test),
         verbose=2)
