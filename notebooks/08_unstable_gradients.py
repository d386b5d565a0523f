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
# # 8. Vanishing and exploding gradients: initialization, activations, batch norm, clipping
#
# *Hands-On Machine Learning, chapter 11.1.* In a deep network the gradient of the first layers is a
# product of many factors, one per layer above. If those factors are typically below 1, the product
# vanishes and the first layers stop learning; above 1, it explodes. Four tools keep it in check: a
# weight scale matched to the fan-in, an activation that does not squash, normalization between
# layers (notebook 5), and a cap on the gradient's length.

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl
from trainlab.lab.notebook import Claim, predict, run_lesson, show

# %% [markdown]
# ## Activation functions and their slopes
#
# The sigmoid's slope is at most $1/4$, and close to 0 for large $|z|$: a chain of sigmoids
# multiplies many small numbers. ReLU, $\max(0, z)$, has slope exactly 1 for $z > 0$, but a unit
# whose input is negative for every example is dead (slope 0). Leaky ReLU keeps a small slope
# $\alpha$ below 0; ELU bends smoothly to $-\alpha$; SELU is a scaled ELU whose constants make the
# mean and variance of a layer's output settle at 0 and 1 (for LeCun-initialized dense layers and
# standardized inputs); GELU weighs $z$ by the probability that a standard normal lies below it. The
# slopes below come from each layer's own `backward`, not from formulas typed here:

# %%
z = np.linspace(-4, 4, 401)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
for layer in (
    tl.Sigmoid(),
    tl.Tanh(),
    tl.ReLU(),
    tl.LeakyReLU(0.1),
    tl.ELU(),
    tl.SELU(),
    tl.GELU(),
):
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
# ## The gradient, layer by layer, and what it does to training
#
# The lesson `activations` builds a net of 20 hidden layers of 100 units (the book's exercise 8)
# with each activation and the start Table 11-1 pairs it with: Glorot for the sigmoid and tanh, He
# for the ReLU family and ELU, LeCun for SELU, and the sigmoid once more with the $N(0, 1)$ start of
# the days before Glorot (`sigmoid@1`). Before training it measures
# $\lVert \partial L / \partial W \rVert$ of every layer on real images; then each net trains with
# Nadam until the validation accuracy stops improving, and its test accuracy is compared with the
# book's ranking SELU > ELU > leaky ReLU > ReLU > tanh > sigmoid.
#
# Here it runs small: 3 seeds, 2,500 images, one learning rate and at most 5 epochs (the full run,
# `trainlab run activations`, tunes the rate on a validation split and trains to convergence). Every
# conclusion printed below is one of the lesson's declared claims, with its verdict from the seeds.

# %%
run = run_lesson(
    "activations",
    activations=("sigmoid@1", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu"),
    train_samples=2500,
    validation=500,
    test_samples=3000,
    probe_samples=500,
    learning_rates=(1e-3,),
    epochs=5,
    patience=2,
    seeds=3,
)
show(run)

# %% [markdown]
# ## Try this: predict before you run
#
# SELU's constants were chosen so that a LeCun-initialized dense net keeps its signal's scale from
# layer to layer. Predict that its gradients keep their size like ReLU's with He's start (within a
# factor 10 from the last hidden layer down to the second), and test the prediction with the same
# statistics:

# %%
gradients = next(c.measure for c in run.lesson.claims if c.id == "he-keeps-relu-gradients")
predict(
    run,
    Claim(
        "selu-keeps-gradients",
        "SELU with LeCun's start keeps its gradients' size through the layers.",
        "try this",
        gradients,
        a="selu",
        expect="in",
        b=(-1.0, 1.0),
    ),
)
# %% [markdown]
# ## Gradient clipping
#
# When a gradient does explode (recurrent nets, a bad batch, a too-large learning rate), capping its
# length keeps one step from undoing the training so far. Clipping by the *global* norm rescales all
# gradients together, so the direction of the step is kept:
#
# $$g \leftarrow g \cdot \min\Big(1, \frac{c}{\lVert g \rVert}\Big), \qquad \lVert g\rVert = \sqrt{\textstyle\sum_i \lVert g_i \rVert^2}.$$
#
# Every trainlab optimizer takes `clip_norm=c` (or `clip_value=c`, which clips each entry to
# $[-c, c]$ and can turn the step):

# %%
print(inspect.getsource(tl.clip_by_global_norm))

# %% [markdown]
# The lesson `gradient-clipping` trains a 10-layer ReLU net with momentum SGD at a rate too large
# for it, with no clipping, clipped by norm (the book's `clipnorm=1.0`) and by value (the book's
# `clipvalue=1.0`, and a smaller threshold), and counts the runs that fail (the loss becomes NaN, or
# the net ends dead at chance). Here on 6,000 images with $\eta = 0.3$ for 3 epochs and 4 seeds, so
# that the explosion comes within seconds (the full run: $\eta = 0.1$, all of MNIST, 20 seeds).

# %%
clipping = run_lesson(
    "gradient-clipping",
    clippings=("none", "norm@1", "value@1", "value@0.01"),
    train_samples=6000,
    test_samples=2000,
    lr=0.3,
    epochs=3,
    seeds=4,
)
show(clipping)

# %% [markdown]
# The book leaves the threshold of clipping by value to be tuned. With about 170,000 weights, an
# entry above 1 appears only once the gradient has already exploded. Predict that a threshold of
# 0.01, which clips from the first step, keeps the net trainable where no clipping does not:

# %%
failed = next(c.measure for c in clipping.lesson.claims if c.id == "clip-value-works")
predict(
    clipping,
    Claim(
        "small-threshold-works",
        "Clipping by value at 0.01 fails less often than no clipping.",
        "try this",
        failed,
        a="value@0.01",
        expect="<",
        b="none",
    ),
)

# %% [markdown]
# ## Try this
#
# - Make the nets shallower (`depth=5`): does the logistic net with Glorot's start still stay at
#   chance?
# - Give SELU inputs that are not standardized: copy the lesson's `train` and drop `standardize`.
# - Sweep the clipping threshold further
#   (`clippings=("none", "value@0.1", "value@0.001", "norm@10")`).
