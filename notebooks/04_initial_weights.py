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
# # 4. Initial weights
#
# *Deep Learning from Scratch, 6.2.* Before the first update, the random weights already decide
# whether a deep network can learn. Too large, and sigmoid units saturate at 0 or 1 where their
# slope vanishes. Too small, and every unit outputs almost the same value, or the signal shrinks to
# nothing after a few layers. All equal, and the units never become different. The cure is to pick
# the weights' spread from the number of inputs of each unit.
#
# Every conclusion printed below comes from a lesson's declared claims: `show(run)` prints each
# claim of the book with its verdict (agrees, contradicts, unsettled within the seed-to-seed noise,
# or untested), measured over at least 3 seeds that pair (one seed gives every setting the same
# random draw).

# %%
import inspect

import ipywidgets as widgets
import numpy as np

import trainlab as tl
from trainlab.lab.claims import Claim
from trainlab.lab.notebook import predict, run_lesson, show
from trainlab.lessons import init_compare, init_histograms, symmetric_weights
from trainlab.liveplot import show_figures
from trainlab.widgets import interact

# %% [markdown]
# ## Why the spread should depend on the fan-in
#
# A unit sums $n$ inputs: $z = \sum_{i=1}^{n} w_i x_i$. With independent zero-mean weights and
# inputs, $\operatorname{Var}(z) = n \operatorname{Var}(w) \operatorname{Var}(x)$. To keep the
# variance the same from layer to layer we need $\operatorname{Var}(w) = 1/n$, i.e. a standard
# deviation of $1/\sqrt{n}$: this is Xavier (Glorot) initialization, for activations that are
# roughly linear around 0 (sigmoid, tanh). A ReLU zeroes half of its inputs, halving the variance,
# so He initialization doubles it: $\sigma = \sqrt{2/n}$. Glorot's paper averages fan-in and fan-out
# to also keep the gradients' variance steady on the way back. All of these are one class with a
# scale and a choice of fan:

# %%
print(inspect.getsource(tl.VarianceScaling))
for name in ("glorot_normal", "he_normal", "lecun_normal"):
    init = tl.get_initializer(name)
    print(
        f"{name:14s} scale={init.scale}, mode={init.mode}: σ for 100 inputs and 100 outputs = "
        f"{init.std((100, 100)):.4f}"
    )

# %% [markdown]
# ## Activation histograms
#
# The lesson `init-histograms` sends 1,000 random inputs through 5 layers of 100 units and
# histograms each layer's output, for several activations and weight scales (the book's Figures 6-10
# to 6-14). One seed gives every setting the same random draw, only rescaled; 5 seeds draw anew.

# %%
histograms = run_lesson("init-histograms", **init_histograms.Config.NOTEBOOK)
show(histograms)

# %% [markdown]
# ## Slide the weight scale
#
# Pick an activation and a standard deviation for the weights. For 100 inputs per unit, Xavier's
# $1/\sqrt{100} = 0.1$ and He's $\sqrt{2/100} \approx 0.141$ are the reference points. Watch the
# last layer: does its histogram keep the shape of the first?


# %%
def show_histograms(activation="sigmoid", std=1.0):
    one = run_lesson("init-histograms", cases=(f"{activation}:{std:.4g}",), seeds=1)
    show_figures([one.figures()[f"histograms_{activation}"]])
    layers = one.runs.of(one.runs.settings[0])[0]["layers"]
    print(
        "std of the activations, layer 1 → 5: "
        + ", ".join(f"{layer['std']:.3g}" for layer in layers)
    )
    if activation == "relu":
        print(f"outputs exactly 0 in layer 5: {layers[-1]['zeros']:.0%}")
    else:
        print(f"saturated (within 0.05 of a bound) in layer 5: {layers[-1]['saturated']:.0%}")


interact(
    show_histograms,
    activation=widgets.Dropdown(options=["sigmoid", "tanh", "relu"], value="sigmoid"),
    std=widgets.FloatLogSlider(
        value=1.0, base=10, min=-3, max=1, step=0.05, continuous_update=False
    ),
)
# %% [markdown]
# ## Does it matter for learning?
#
# `init-compare` trains the 784-100-100-100-100-10 ReLU net by SGD ($\eta = 0.01$) from three
# initializations: std 0.01, Xavier and He (the book's Figure 6-15). Here 500 steps on 8,000 MNIST
# digits, 3 seeds; speed is the iterations until the mean of the last 50 batch losses reaches 1.5.

# %%
compare = run_lesson("init-compare", **init_compare.Config.NOTEBOOK)
show(compare)

# %% [markdown]
# With std 0.01 the signal shrinks at every layer (the histograms above measured by how much), so
# the gradients reaching the first layers are tiny and the loss sits at $\ln 10 \approx 2.30$, the
# loss of guessing.
#
# ## All weights equal
#
# If every weight starts at the same value, every unit of a layer computes the same output and
# receives the same gradient, forever: the lesson `symmetric-weights` counts the distinct units of
# each hidden layer (here a sigmoid net 784-100-100-10, 3 epochs on 8,000 digits, 3 seeds).

# %%
symmetric = run_lesson("symmetric-weights", **symmetric_weights.Config.NOTEBOOK)
show(symmetric)

# %% [markdown]
# ## Try this
#
# - Predict before you look: He's weights are $\sqrt 2$ times Xavier's, so the untrained net's
#   outputs are more spread out and its first loss higher than Xavier's (a confident wrong guess
#   costs more). The cell states the prediction as a claim and tests it on the runs above.

# %%
first_loss = init_compare.FIRST  # the lesson's measure: the first batch's loss
predict(
    compare,
    Claim(
        "he-starts-higher",
        "He's first loss is above Xavier's.",
        "this notebook",
        first_loss,
        a="he",
        expect=">",
        b="xavier",
    ),
)

# %% [markdown]
# - Set every weight to the same value (`init=0.05` draws at random; `tl.Constant(0.05)` does not),
#   then give only the output layer random weights: is that enough to break the symmetry of the
#   hidden units?
# - Move the slider for `tanh` to find where the last layer neither saturates nor collapses.

# %%
same = tl.Sequential(
    [tl.Dense(20, init=tl.Constant(0.05)), tl.ReLU(), tl.Dense(10, init=tl.Constant(0.05))],
    input_dim=784,
    seed=0,
)
same.compile("sgd", lr=0.1)
data = tl.load_dataset("mnist-mini")
same.fit(data.x_train[:2000], data.y_train[:2000], epochs=2, verbose=0)
W = same.params["dense1.W"]
print(
    "largest difference between the 20 hidden units' weights after training: "
    f"{np.ptp(W, axis=1).max():.2g} "
    f"(the weights moved by up to {np.abs(W - 0.05).max():.2g})"
)
