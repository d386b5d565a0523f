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
# Each line is a choice whose reason the earlier notebooks measured. Here both recipes are built and trained
# side by side with trainlab, and we check their defining property: do the activations stay normalized
# from the first hidden layer to the last?

# %%
import inspect

import trainlab as tl
from trainlab.lessons import recipes
from trainlab.liveplot import show_figures

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
model = tl.Sequential([layer for _ in range(6) for layer in
                       (tl.Dense(100, init="he_normal"), tl.BatchNorm(), tl.ELU())] + [tl.Dense(10)],
                      input_dim=784, seed=0)
model.compile("momentum", lr=0.005, metrics=["accuracy"])
history = model.fit(x, y, epochs=5, batch_size=64, validation_split=0.2,
                    callbacks=[tl.OneCycle(max_lr=0.05), tl.EarlyStopping(patience=3)])
history

# %%
history.plot();

# %% [markdown]
# ## The experiment
#
# `recipes` trains both on Fashion-MNIST with momentum and 1cycle, with early stopping, and measures the mean
# and standard deviation of each hidden layer's activations before and after training. Here 12 layers,
# 6,000 training images and 5 epochs (the full experiment: 20 layers, all of Fashion-MNIST, 10 epochs).

# %%
config = recipes.Config(depth=12, train_samples=6000, validation_samples=1000, test_samples=2000, epochs=5,
                        patience=3, stats_samples=500, seeds=1)
result = recipes.run(config)
summary = recipes.summarize(result)
show_figures(recipes.plot(result))
for line in summary.conclusions:
    print("-", line)

# %%
for run in result.runs:
    worst_mean = max(abs(m) for m in run.initial.mean)
    stds = run.initial.std
    print(f"{run.name:17s} at initialization: |mean| ≤ {worst_mean:.2f}, std from {min(stds):.2f} to {max(stds):.2f}; "
          f"after training: test accuracy {run.test_accuracy:.3f} ({run.epochs} epochs, {run.status})")

# %% [markdown]
# ## Try this
#
# - Remove the `BatchNorm` layers from the default recipe and go to 20 layers: do the activations still stay
#   normalized?
# - Feed the self-normalizing net *unstandardized* images (`data.x_train` directly): SELU's guarantee needs
#   inputs of mean 0 and std 1.
# - Replace `"momentum"` by `"nadam"` with `lr=1e-3` and no 1cycle: is it as fast?

# %%
raw = tl.Sequential([layer for _ in range(12) for layer in (tl.Dense(100, init="lecun_normal"), tl.SELU())],
                    input_dim=784, seed=0)
for name, inputs in (("standardized", scaler.transform(data.x_test[:500])), ("raw pixels in [0, 1]", data.x_test[:500])):
    out = inputs
    for layer in raw.layers:
        out = layer.forward(out)
    print(f"{name:22s} last SELU layer: mean {out.mean():+.2f}, std {out.std():.2f}")
