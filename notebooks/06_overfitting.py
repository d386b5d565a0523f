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
# # 6. Overfitting, weight decay and dropout
#
# *Deep Learning from Scratch, 6.4.* Give a large network few examples and it will learn them by heart:
# perfect on its training set, much worse on new data. Two remedies are studied here. **Weight decay**
# makes large weights cost something, so the network prefers simple explanations. **Dropout** silences a
# random part of the units at every step, so no unit can rely on a particular other one.

# %%
import inspect

from IPython.display import Markdown

import trainlab as tl
from trainlab.lessons import overfitting
from trainlab.liveplot import show_figures

# %% [markdown]
# ## Weight decay
#
# Add half the squared norm of the weight matrices to the loss, and its gradient to every weight's gradient:
#
# $$\tilde L = L + \frac{\lambda}{2}\sum_{\ell} \lVert W_\ell \rVert^2, \qquad
# \frac{\partial \tilde L}{\partial W_\ell} = \frac{\partial L}{\partial W_\ell} + \lambda W_\ell.$$
#
# With SGD each update then first shrinks every weight by a factor $(1 - \eta\lambda)$, hence the name. In
# trainlab it is `Sequential(..., weight_decay=λ)`: the penalty is part of `model.penalty()` and its gradient
# is added at the end of the backward pass.

# %%
print(inspect.getsource(tl.Sequential.penalty))

# %% [markdown]
# ## Dropout
#
# During training each unit's output is multiplied by a mask $m \sim \text{Bernoulli}(1-p)$, drawn anew for
# every batch; the backward pass multiplies by the same mask. At test time nothing is dropped, and the
# outputs must be scaled to match what the next layer saw on average during training: either by $(1-p)$ at
# test time (the book's form, `inverted=False`) or, equivalently in expectation, by $1/(1-p)$ during training
# (the usual modern form, trainlab's default).

# %%
print(inspect.getsource(tl.Dropout.forward))
print(inspect.getsource(tl.Dropout.backward))

# %% [markdown]
# ## The experiment
#
# `overfitting` trains a 6-layer net of 100 ReLU units by SGD on only 300 MNIST digits: once plainly, once
# with weight decay $\lambda = 0.1$, once with dropout $p = 0.2$ (the book's form, given more epochs because
# it learns more slowly). Test accuracy is measured on 500 digits here.

# %%
config = overfitting.Config(dataset="mnist-mini", test_samples=500, seeds=1)
result = overfitting.run(config)
summary = overfitting.summarize(result)
show_figures(overfitting.plot(result))
for line in summary.conclusions:
    print("-", line)

# %%
Markdown(summary.table_markdown())

# %% [markdown]
# ## Try this
#
# - Weight decay is a dial: too little changes nothing, too much keeps the net from fitting at all. Sweep
#   $\lambda$ below (a few seconds each) and look for the largest test accuracy.

# %%
data = tl.load_dataset("mnist-mini")
x, y = data.x_train[:300], data.y_train[:300]
for lam in (0.0, 0.03, 0.1, 0.3):
    model = tl.Sequential([layer for _ in range(3) for layer in (tl.Dense(100, init="he_normal"), tl.ReLU())]
                          + [tl.Dense(10)], input_dim=784, seed=0, weight_decay=lam)
    model.compile("sgd", lr=0.05, metrics=["accuracy"])
    model.fit(x, y, epochs=60, batch_size=100, verbose=0, evaluate_train=False)
    print(f"λ = {lam:<5g} train accuracy {model.accuracy(x, y):.3f}  "
          f"test accuracy {model.accuracy(data.x_test[:1000], data.y_test[:1000]):.3f}")

# %% [markdown]
# - Try `overfitting.Config(dropout=0.5, seeds=1)`: does a heavier dropout close the gap further, or hurt learning?
# - With more data there is less to overfit: run the experiment with `train_samples=3000`.
