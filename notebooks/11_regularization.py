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
# # 11. Regularization: ℓ1 and ℓ2, dropout, MC dropout, max-norm, early stopping
#
# *Hands-On Machine Learning, chapter 11.4.* A deep network has enough weights to memorize its
# training set. Regularization restrains it, each method in its own way:
#
# | method | what it does | in trainlab |
# |---|---|---|
# | ℓ2 | adds $\lambda_2 \sum W^2$ to the loss: many small weights | `Dense(..., regularizer=tl.L2(λ))` |
# | ℓ1 | adds $\lambda_1 \sum \lvert W\rvert$: pushes weights to exactly 0 (sparse) | `tl.L1(λ)` |
# | dropout | zeroes each unit with probability $p$ at every training step | `tl.Dropout(p)` |
# | alpha dropout | dropout that keeps SELU's mean and variance | `tl.AlphaDropout(p)` |
# | max-norm | after each step, rescales each unit's incoming weights to norm $\le r$ | `Dense(..., constraint=tl.MaxNorm(r))` |
# | early stopping | stops when the validation loss stops improving, keeps the best weights | `tl.EarlyStopping(patience=k)` |
#
# Two rules come with them. Plain dropout would break a SELU net's self-normalization (notebook 12
# measures it), so a SELU net takes alpha dropout. And a net with batch norm must keep batch norm in
# inference mode when dropout samples for MC dropout.
#
# And one bonus that dropout gives for free: **MC dropout**, an estimate of how unsure the model is.

# %%
import inspect

import numpy as np

import trainlab as tl
from trainlab.lab.notebook import Claim, predict, run_lesson, show
from trainlab.lessons import regularization

# %% [markdown]
# ## The code
#
# ℓ1 and ℓ2 are one class, a penalty and its gradient; max-norm is a constraint the training loop
# applies after every update:

# %%
print(inspect.getsource(tl.L1L2))
print(inspect.getsource(tl.MaxNorm.__call__))

# %% [markdown]
# ## ℓ1 makes weights exactly zero, ℓ2 only small
#
# The ℓ1 penalty's gradient has the same size, $\lambda_1$, however small the weight, so it pushes
# small weights all the way to 0; the ℓ2 gradient $2\lambda_2 w$ fades as $w$ shrinks. Train the
# same one-layer classifier three ways on 5,000 Fashion-MNIST images and count the weights that end
# near zero.

# %%
data = tl.load_dataset("fashion-mnist")
x, y = data.x_train[:5000], data.y_train[:5000]
for name, penalty in (("none", None), ("L2(1e-3)", tl.L2(1e-3)), ("L1(1e-3)", tl.L1(1e-3))):
    model = tl.Sequential([tl.Dense(10, regularizer=penalty)], input_dim=784, seed=0)
    model.compile("adam", lr=1e-2).fit(x, y, epochs=5, batch_size=64, verbose=0)
    W = model.params["dense1.W"]
    print(
        f"{name:9s} weights with |w| < 1e-3: {np.mean(np.abs(W) < 1e-3):5.1%}   "
        f"test accuracy {model.accuracy(data.x_test, data.y_test):.3f}"
    )

# %% [markdown]
# ## The lesson: each regularizer on the same net
#
# `regularization` trains a 784-300-100-10 net (Nadam, $\eta = 10^{-3}$) without regularization and
# with each method, and measures the gap between training and test accuracy (with dropout off). The
# dropout nets then predict every test image with MC dropout; its gain over the plain prediction is
# taken image by image on the same test set. Here 2,000 training images, 8 epochs, 3 seeds (the full
# lesson: 10,000 images, 20 epochs, 8 seeds).

# %%
run = run_lesson("regularization", **regularization.Config.NOTEBOOK)
show(run)

# %% [markdown]
# ## MC dropout
#
# Keep dropout *on* at prediction time and predict the same image many times: each pass uses a
# different sub-network, so the predictions differ. Their mean is a prediction of its own, and their
# spread says how much the sub-networks disagree, that is, how unsure the model is. `predict_mc`
# does it, keeping every layer but dropout (batch norm) in inference mode:

# %%
print(inspect.getsource(tl.Sequential.predict_mc))

# %% [markdown]
# ## Try this
#
# - **Predict:** alpha dropout (with SELU) narrows the gap more than max-norm does. The cell tests
#   the prediction on the run above, with the same statistics as the lesson's claims.
# - Raise the dropout rate (`run_lesson("regularization", dropout=0.5, seeds=3, ...)`): where does
#   it start to hurt?
# - Use `tl.MaxNorm(0.5)` on a net of your own: check after training that no column of `W` has a
#   norm above 0.5.
# - Rank test images by MC dropout's spread and look at the most uncertain ones
#   (`plt.imshow(x.reshape(28, 28))`).

# %%
predict(
    run,
    Claim(
        "alpha-beats-max-norm",
        "Alpha dropout narrows the gap more than max-norm.",
        "try this",
        regularization.GAP,
        a="alpha dropout",
        expect="<",
        b="max-norm",
    ),
)
# %%
model = tl.Sequential(
    [tl.Dense(100, activation="relu", constraint=tl.MaxNorm(0.5)), tl.Dense(10)],
    input_dim=784,
    seed=0,
)
model.compile("adam", lr=1e-3).fit(x, y, epochs=2, batch_size=32, verbose=0)
print("largest column norm:", np.linalg.norm(model.params["dense1.W"], axis=0).max())
