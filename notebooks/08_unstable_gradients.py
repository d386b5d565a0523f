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
# # 8. Vanishing and exploding gradients: initialization, activations, batch norm, clipping
#
# *Hands-On Machine Learning, chapter 11.1.* In a deep network the gradient of the first layers is a
# product of many factors, one per layer above. If those factors are typically below 1, the product
# vanishes and the first layers stop learning; above 1, it explodes. Four tools keep it in check: a weight
# scale matched to the fan-in, an activation that does not squash, normalization between layers, and a cap
# on the gradient's length.

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl

data = tl.load_dataset("fashion-mnist")  # from Debian's dataset-fashion-mnist (setup.sh installs it)
x_train, y_train = data.x_train[:4000], data.y_train[:4000]
x_val, y_val = data.x_train[-2000:], data.y_train[-2000:]
print(data)

# %% [markdown]
# ## Activation functions and their slopes
#
# The sigmoid's slope is at most $1/4$, and close to 0 for large $|z|$: a chain of sigmoids multiplies many
# small numbers. ReLU, $\max(0, z)$, has slope exactly 1 for $z > 0$, but a unit whose input is negative for
# every example is dead (slope 0). Leaky ReLU keeps a small slope $\alpha$ below 0; ELU bends smoothly to
# $-\alpha$; SELU is a scaled ELU whose constants make the mean and variance of a layer's output settle at
# 0 and 1 (for LeCun-initialized dense layers and standardized inputs); GELU weighs $z$ by the probability
# that a standard normal lies below it. The slopes below come from each layer's own `backward`, not from
# formulas typed here:

# %%
z = np.linspace(-4, 4, 401)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
for layer in (tl.Sigmoid(), tl.Tanh(), tl.ReLU(), tl.LeakyReLU(0.1), tl.ELU(), tl.SELU(), tl.GELU()):
    y = layer.forward(z.copy())
    slope = layer.backward(np.ones_like(z))
    left.plot(z, y, label=type(layer).__name__)
    right.plot(z, slope, label=type(layer).__name__)
left.set(title="activation", xlabel="z", ylim=(-2, 4))
right.set(title="slope (from backward)", xlabel="z", ylim=(-0.2, 1.9))
right.legend(fontsize=8)
plt.show()

print(inspect.getsource(tl.SELU))

# %% [markdown]
# ## The gradient, layer by layer
#
# Take a 12-layer net of 100 units, initialized as its activation wants (Glorot for sigmoid, He for ReLU and
# ELU, LeCun for SELU), and compute the gradient of the loss on one batch of real images. The size of each
# layer's weight gradient, from the last layer back to the first, shows whether the signal survives.

# %%
def deep_net(activation, init, depth=12, batchnorm=False, seed=0):
    layers = []
    for _ in range(depth):
        layers.append(tl.Dense(100, init=init))
        if batchnorm:
            layers.append(tl.BatchNorm())
        layers.append(tl.get_activation(activation))
    return tl.Sequential([*layers, tl.Dense(10)], input_dim=784, seed=seed)


SETTINGS = [("sigmoid", "glorot_normal", False), ("relu", "he_normal", False), ("elu", "he_normal", False),
            ("selu", "lecun_normal", False), ("sigmoid", "glorot_normal", True)]
mean, std = x_train.mean(), x_train.std()  # SELU wants standardized inputs; we give them to every net
batch = (x_train[:256] - mean) / std
fig, ax = plt.subplots(figsize=(7, 4))
first_over_last = {}
for activation, init, bn in SETTINGS:
    model = deep_net(activation, init, batchnorm=bn)
    grads = model.gradient(batch, y_train[:256])
    norms = [np.linalg.norm(grads[f"{layer.name}.W"]) for layer in model.layers if isinstance(layer, tl.Dense)]
    label = f"{activation} + {init}" + (" + batch norm" if bn else "")
    first_over_last[label] = norms[0] / norms[-2]
    ax.semilogy(range(1, len(norms) + 1), norms, "o-", label=label)
ax.set(xlabel="dense layer (1 = first)", ylabel="‖dL/dW‖", title="Gradient size per layer at initialization")
ax.legend(fontsize=8)
plt.show()
for label, ratio in first_over_last.items():
    print(f"{label:34s} gradient of layer 1 / layer 12: {ratio:.3g}")

# %% [markdown]
# Does that matter for learning? Train each net for 3 epochs (Nadam, $\eta = 10^{-3}$) and
# compare the validation accuracy (4,000 training images).

# %%
scores = {}
for activation, init, bn in SETTINGS:
    model = deep_net(activation, init, batchnorm=bn)
    model.compile("nadam", lr=1e-3, metrics=["accuracy"])
    history = model.fit((x_train - mean) / std, y_train, epochs=3, batch_size=32,
                        validation_data=((x_val - mean) / std, y_val), verbose=0, evaluate_train=False)
    label = f"{activation} + {init}" + (" + batch norm" if bn else "")
    scores[label] = history["val_accuracy"]
    print(f"{label:34s} validation accuracy per epoch: " + ", ".join(f"{a:.3f}" for a in history["val_accuracy"]))
worst, best = min(scores, key=lambda k: scores[k][-1]), max(scores, key=lambda k: scores[k][-1])
print(f"\nlowest after 3 epochs: {worst} ({scores[worst][-1]:.3f}); highest: {best} ({scores[best][-1]:.3f})")

# %% [markdown]
# ## Gradient clipping
#
# When a gradient does explode (recurrent nets, a bad batch, a too-large learning rate), capping its length
# keeps one step from undoing the training so far. Clipping by the *global* norm rescales all gradients
# together, so the direction of the step is kept:
#
# $$g \leftarrow g \cdot \min\Big(1, \frac{c}{\lVert g \rVert}\Big), \qquad \lVert g\rVert = \sqrt{\textstyle\sum_i \lVert g_i \rVert^2}.$$
#
# Every trainlab optimizer takes `clip_norm=c` (or `clip_value=` to clip each entry, which can change the
# direction):

# %%
print(inspect.getsource(tl.clip_by_global_norm))

# %%
for clip in (None, 1.0):
    model = deep_net("relu", "he_normal", depth=6)
    model.compile(tl.SGD(lr=0.5, clip_norm=clip), metrics=["accuracy"])
    history = model.fit((x_train - mean) / std, y_train, epochs=2, batch_size=32, verbose=0, evaluate_train=False,
                        validation_data=((x_val - mean) / std, y_val))
    outcome = (f"diverged at step {history.diverged_at}" if history.status == "diverged"
               else f"validation accuracy {history['val_accuracy'][-1]:.3f}")
    print(f"SGD η = 0.5, clip_norm = {clip}: {outcome}")

# %% [markdown]
# ## Try this
#
# - Make the nets deeper (`depth=30`) and re-run the gradient plot: which settings still carry a gradient
#   to the first layer?
# - Give SELU inputs that are *not* standardized (`x_train` instead of `(x_train - mean) / std`).
# - Clip by value instead (`clip_value=0.1`) and compare with the norm.
