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
# # 9. Reusing pretrained layers
#
# *Hands-On Machine Learning, chapter 11.2.* The lower layers of a network trained on one task learn
# features (edges, strokes, textures) that are useful for similar tasks. When the new task has little
# data, starting from those layers instead of from random weights can help: the new network only has to
# learn how to combine features it already has. The usual recipe:
#
# 1. copy the pretrained layers, replace the output layer;
# 2. **freeze** the copied layers (`trainable=False`) and train the new output layer alone, so its random
#    initial gradients do not wreck the pretrained weights;
# 3. **unfreeze** and fine-tune everything with a small learning rate.
#
# Whether it helps must be measured, over several seeds, because with little data the noise is large.

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl

data = tl.load_dataset("fashion-mnist")
print(data, data.classes, sep="\n")

# %% [markdown]
# ## Two tasks
#
# Task A: the eight classes other than pullover and coat, with plenty of images. Task B: tell a pullover
# from a coat (a hard pair: both are long-sleeved tops), with only 100 training images.

# %%
PULLOVER, COAT = 2, 4
in_a = ~np.isin(data.y_train, [PULLOVER, COAT])
classes_a = np.array([c for c in range(10) if c not in (PULLOVER, COAT)])
relabel = {c: i for i, c in enumerate(classes_a)}          # task A's classes as 0..7
x_a = data.x_train[in_a][:12000]
y_a = np.array([relabel[c] for c in data.y_train[in_a][:12000]])

def task_b(x, y, n=None):
    keep = np.isin(y, [PULLOVER, COAT])
    x, y = x[keep][:n], (y[keep][:n] == COAT).astype(int)  # 1 = coat
    return x, y

x_b, y_b = task_b(data.x_train[-5000:], data.y_train[-5000:], n=100)
x_b_test, y_b_test = task_b(data.x_test, data.y_test)
print(f"task A: {len(x_a)} images of {len(classes_a)} classes; task B: {len(x_b)} training images "
      f"({y_b.mean():.0%} coats), {len(x_b_test)} test images")

# %% [markdown]
# ## Train model A

# %%
model_a = tl.Sequential([tl.Dense(100, init="he_normal"), tl.ELU(), tl.Dense(100, init="he_normal"), tl.ELU(),
                         tl.Dense(100, init="he_normal"), tl.ELU(), tl.Dense(8)], input_dim=784, seed=0)
model_a.compile("nadam", lr=1e-3, metrics=["accuracy"])
history_a = model_a.fit(x_a, y_a, epochs=4, batch_size=32, validation_split=0.1, verbose=2)
history_a.plot();

# %% [markdown]
# ## How trainlab reuses layers
#
# A layer that is already built keeps its weights when put into a new `Sequential`, so reuse is just
# passing the layers. They are then *shared* with model A; `clone()` first gives an independent copy.
# Freezing is the layer's `trainable` flag, which the model's parameter view respects, so the optimizer
# never sees a frozen weight:

# %%
print(inspect.getsource(tl.Sequential.build))
print(inspect.getsource(tl.Sequential.clone))

# %% [markdown]
# ## Task B: from scratch, and from A's layers
#
# Each way is run with 5 seeds (the seed sets the new output layer and the order of the batches). The
# transferred model first trains its new output layer for 10 epochs with the copied layers frozen, then
# everything for 10 epochs at a tenth of the learning rate; the scratch model trains for 20 epochs.

# %%
def from_scratch(seed):
    model = tl.Sequential([tl.Dense(100, init="he_normal"), tl.ELU(), tl.Dense(100, init="he_normal"), tl.ELU(),
                           tl.Dense(100, init="he_normal"), tl.ELU(), tl.Dense(2)], input_dim=784, seed=seed)
    model.compile("nadam", lr=1e-3).fit(x_b, y_b, epochs=20, batch_size=10, verbose=0)
    return model.accuracy(x_b_test, y_b_test)


def transferred(seed):
    reused = model_a.clone().layers[:-1]          # A's hidden layers, copied; A's output layer is dropped
    for layer in reused:
        layer.trainable = False
    model = tl.Sequential([*reused, tl.Dense(2)], input_dim=784, seed=seed)
    model.compile("nadam", lr=1e-3).fit(x_b, y_b, epochs=10, batch_size=10, verbose=0)
    frozen_accuracy = model.accuracy(x_b_test, y_b_test)
    for layer in reused:
        layer.trainable = True
    model.compile("nadam", lr=1e-4).fit(x_b, y_b, epochs=10, batch_size=10, verbose=0)
    return frozen_accuracy, model.accuracy(x_b_test, y_b_test)


seeds = range(5)
scratch = np.array([from_scratch(s) for s in seeds])
frozen, tuned = np.array([transferred(s) for s in seeds]).T
for name, scores in (("from scratch", scratch), ("A's layers, frozen", frozen), ("A's layers, fine-tuned", tuned)):
    print(f"{name:24s} test accuracy {scores.mean():.3f} ± {scores.std(ddof=1) / np.sqrt(len(scores)):.3f} "
          f"(seeds: {', '.join(f'{s:.3f}' for s in scores)})")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.boxplot([scratch, frozen, tuned])
ax.set_xticks([1, 2, 3], ["from scratch", "A frozen", "A fine-tuned"])
ax.set(ylabel="test accuracy on task B", title="Pullover vs coat from 100 images, 5 seeds")
plt.show()

# %% [markdown]
# ## What the numbers say

# %%
difference = tuned - scratch                      # paired by seed
error = difference.std(ddof=1) / np.sqrt(len(difference))
if abs(difference.mean()) > 2 * error:
    verdict = "helped" if difference.mean() > 0 else "hurt"
    print(f"Reusing A's layers {verdict}: {difference.mean():+.3f} test accuracy on average, more than twice "
          f"its standard error ({error:.3f}).")
else:
    print(f"The difference ({difference.mean():+.3f} ± {error:.3f}) is within twice its standard error: with "
          f"these seeds, reuse neither clearly helped nor hurt.")
print(f"Error rate from scratch {1 - scratch.mean():.3f}, after reuse {1 - tuned.mean():.3f} "
      f"(the errors changed by a factor {(1 - tuned.mean()) / (1 - scratch.mean()):.2f}).")
print(f"Frozen layers alone: {frozen.mean():.3f}, {frozen.mean() - scratch.mean():+.3f} against from scratch: "
      f"{'the features of task A already separate pullovers from coats' if frozen.mean() >= scratch.mean() else 'what A learned to tell its 8 classes apart is not what separates pullovers from coats; fine-tuning has to relearn it'}.")

# %% [markdown]
# Reuse pays when the new task's data are scarce *and* the old task learned the features the new one needs.
# A small dense network on 28×28 images learns useful features from 100 images quickly, and task A never had
# to tell long-sleeved tops apart, so the margin here is small either way; the printed verdict says which way
# it went with these seeds. Convolutional networks pretrained on large image collections are where reuse
# shines.

# %% [markdown]
# ## Try this
#
# - Reuse only the first one or two layers (`model_a.clone().layers[:2]`, `[:4]`): the upper layers are the
#   most specific to task A.
# - Give task B 1,000 images instead of 100: does the advantage of reuse shrink?
# - Skip the frozen phase (fine-tune at once with `lr=1e-3`) and compare.
