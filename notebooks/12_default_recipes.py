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
# # 12. Default recipes for a deep network
#
# *Hands-On Machine Learning, chapter 11, summary.* After all the separate techniques, what should a
# first attempt look like? Two starting points that work for most dense networks:
#
# | | default | self-normalizing |
# |---|---|---|
# | initialization | He | LeCun |
# | activation | ELU (or ReLU for speed) | SELU |
# | normalization | batch norm, if deep | none: SELU keeps mean 0 / std 1 by itself, given standardized inputs and a plain stack of dense layers |
# | regularization | early stopping (+ ℓ2 or dropout if needed) | alpha dropout, early stopping |
# | optimizer | momentum or Nadam | the same |
# | schedule | 1cycle | 1cycle |
#
# Each line is a choice whose reason the earlier notebooks measured. Here both recipes are built and
# trained side by side with trainlab, and we check their defining property: do the activations stay
# normalized from the first hidden layer to the last?

# %%
import inspect

import trainlab as tl
from trainlab.lab.fitting import sweep_bottom
from trainlab.lab.notebook import Claim, predict, run_lesson, show
from trainlab.lessons import recipes

# %% [markdown]
# ## The two recipes in code
#
# This is the experiment's model builder, unchanged:

# %%
print(inspect.getsource(recipes.build))

# %% [markdown]
# In your own code, the default recipe reads:

# %%
data = tl.load_dataset("fashion-mnist")
scaler = tl.data.Standardizer().fit(data.x_train[:5000])
x, y = scaler.transform(data.x_train[:5000]), data.y_train[:5000]
model = tl.Sequential(
    [
        layer
        for _ in range(6)
        for layer in (tl.Dense(100, init="he_normal"), tl.BatchNorm(), tl.ELU())
    ]
    + [tl.Dense(10)],
    input_dim=784,
    seed=0,
)
model.compile("momentum", lr=0.005, metrics=["accuracy"])
found = tl.find_lr(
    model, x, y, batch_size=64, beta=0.9
)  # one epoch of growing rates, on a copy of the model
peak = sweep_bottom(
    found.lrs, found.losses, beta=0.9
)  # the bottom of the loss curve: the book's 1cycle peak
print(
    f"the smoothed loss turns up at η = {found.turn_lr:.3g}; the bottom of the curve lies at η = "
    f"{peak:.3g}"
)
history = model.fit(
    x,
    y,
    epochs=5,
    batch_size=64,
    validation_split=0.2,
    callbacks=[tl.OneCycle(max_lr=peak), tl.EarlyStopping(patience=3)],
)
history

# %%
history.plot()
# %% [markdown]
# ## The lesson
#
# `recipes` trains both on Fashion-MNIST with momentum and 1cycle, with early stopping. Each net's
# 1cycle peak is found the book's way: a learning-rate sweep of that net, the peak at the bottom of
# its loss curve (the deep SELU net's sweep finds a peak several times lower than the batch-norm
# net's; one peak for both pushes the SELU net's weights away from the LeCun variance its
# self-normalization needs). The lesson measures the mean and standard deviation of each hidden
# layer's activations before and after training, and probes the untrained SELU net with plain
# against alpha dropout. Here 20 layers, 10,000 training images, 5 epochs and 3 seeds (the full
# lesson: 55,000 images, 10 epochs, 4 seeds).

# %%
run = run_lesson("recipes", **recipes.Config.NOTEBOOK)
show(run)

# %% [markdown]
# ## Try this
#
# - **Predict:** batch norm keeps the default net's activations normalized after training too: every
#   hidden layer's standard deviation within a factor 2 of 1. The cell tests the prediction on the
#   run above.
# - Remove the `BatchNorm` layers from the default recipe and go to 20 layers: do the activations
#   still stay normalized?
# - Feed the self-normalizing net *unstandardized* images (`data.x_train` directly): SELU's
#   guarantee needs inputs of mean 0 and std 1.
# - Replace `"momentum"` by `"nadam"` with `lr=1e-3` and no 1cycle: is it as fast?

# %%
predict(
    run,
    Claim(
        "batch-norm-normalizes",
        "Batch norm keeps every hidden layer's std within a factor 2 of 1.",
        "try this",
        recipes.TRAINED,
        a="default",
        expect="<",
        b=2.0,
    ),
)
# %%
raw = tl.Sequential(
    [layer for _ in range(12) for layer in (tl.Dense(100, init="lecun_normal"), tl.SELU())],
    input_dim=784,
    seed=0,
)
for name, inputs in (
    ("standardized", scaler.transform(data.x_test[:500])),
    ("raw pixels in [0, 1]", data.x_test[:500]),
):
    out = inputs
    for layer in raw.layers:
        out = layer.forward(out)
    print(f"{name:22s} last SELU layer: mean {out.mean():+.2f}, std {out.std():.2f}")
