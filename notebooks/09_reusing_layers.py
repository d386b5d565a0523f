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
# # 9. Reusing pretrained layers
#
# *Hands-On Machine Learning, chapter 11.2.* The lower layers of a network trained on one task learn
# features (edges, strokes, textures) that are useful for similar tasks. When the new task has
# little data, starting from those layers instead of from random weights can help: the new network
# only has to learn how to combine features it already has. The usual recipe:
#
# 1. copy the pretrained layers, replace the output layer;
# 2. **freeze** the copied layers (`trainable=False`) and train the new output layer alone, so its
#    random initial gradients do not wreck the pretrained weights;
# 3. **unfreeze** and fine-tune everything with a small learning rate.
#
# Whether it helps must be measured, over several seeds, because with little data the noise is
# large. The book's own example is a warning: it reports a strong gain, then admits it tried many
# configurations until one showed it.

# %%
import inspect

import numpy as np

import trainlab as tl
from trainlab.lab.notebook import Claim, predict, run_lesson, show

data = tl.load_dataset("fashion-mnist")
print(data, data.classes, sep="\n")

# %% [markdown]
# ## How trainlab reuses layers
#
# A layer that is already built keeps its weights when put into a new `Sequential`, so reuse is just
# passing the layers. They are then *shared* with the model they came from; `clone()` first gives an
# independent copy. Freezing is the layer's `trainable` flag, which the model's parameter view
# respects, so the optimizer never sees a frozen weight:

# %%
print(inspect.getsource(tl.Sequential.build))
print(inspect.getsource(tl.Sequential.clone))

# %% [markdown]
# A small check of the mechanics: a copy of a net's hidden layers, frozen, under a new output layer.
# One epoch of training moves only the new layer's weights.

# %%
x, y = data.x_train[:2000], data.y_train[:2000]
source = tl.Sequential([tl.Dense(64), tl.ReLU(), tl.Dense(10)], input_dim=784, seed=0)
reused = source.clone().layers[:-1]
for layer in reused:
    layer.trainable = False
model = tl.Sequential([*reused, tl.Dense(2, name="head")], input_dim=784, seed=1)
before = {name: value.copy() for name, value in model.params.items()}
model.compile("sgd", lr=0.01).fit(x, (y == 6).astype(int), epochs=1, verbose=0)
for name, value in model.params.items():
    print(f"{name:10s} changed: {not np.array_equal(value, before[name])}")
print(
    "the frozen layer's weights are still the source's:",
    np.array_equal(reused[0].params["W"], source.layers[0].params["W"]),
)

# %% [markdown]
# ## The book's experiment, over several seeds
#
# The lesson `pretrained-layers` follows the book: model A learns the 8 Fashion-MNIST classes other
# than sandal and shirt; task B is shirt against sandal from only 200 images. B from scratch trains
# the same architecture; B on A reuses A's hidden layers, frozen for 4 epochs, then fine-tuned. Each
# seed trains its own model A and draws its own 200 images. Here model A sees 12,000 images for 5
# epochs, and every phase but the fine-tuning runs at $\eta = 0.01$ (the book: all of them, 20
# epochs, $\eta = 0.001$); 4 seeds run; every conclusion printed is one of the lesson's declared
# claims, with its verdict.

# %%
run = run_lesson("pretrained-layers", samples_a=12000, epochs_a=5, lr=0.01, seeds=4)
show(run)

# %% [markdown]
# ## Try this: predict before you run
#
# Shirts and sandals look nothing alike. Predict that the task is easy even without reuse: from
# scratch, 200 images already give B a test accuracy above 95 %, which leaves reuse little to gain.

# %%
accuracy = next(c.measure for c in run.lesson.claims if c.id == "reuse-helps")
predict(
    run,
    Claim(
        "task-b-is-easy",
        "From scratch, 200 images give B a test accuracy above 95 %.",
        "try this",
        accuracy,
        a="scratch",
        expect=">",
        b=0.95,
    ),
)

# %% [markdown]
# Reuse pays when the new task's data are scarce *and* the old task learned the features the new one
# needs. The book itself adds that reuse does little for small dense networks, which learn few and
# very specific patterns; it shines with deep convolutional networks pretrained on large image
# collections.
#
# ## Try this
#
# - Reuse only the first one or two layers: copy the lesson's `train` and take
#   `model_a.clone().layers[:2]`.
# - Give task B 1,000 images instead of 200 (`samples_b=1000`): does the advantage of reuse shrink?
# - Other classes for task B (`classes_b=(2, 4)`: pullover against coat, a hard pair).
