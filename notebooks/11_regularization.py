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
# # 11. Regularization: ℓ1 and ℓ2, dropout, MC dropout, max-norm, early stopping
#
# *Hands-On Machine Learning, chapter 11.4.* A deep network has enough weights to memorize its training
# set. Regularization restrains it, each method in its own way:
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
# And one bonus that dropout gives for free: **MC dropout**, an estimate of how unsure the model is.

# %%
import inspect

import numpy as np

import trainlab as tl
from trainlab.lessons import regularization
from trainlab.liveplot import show_figures

# %% [markdown]
# ## The code
#
# ℓ1 and ℓ2 are one class, a penalty and its gradient; max-norm is a constraint the training loop applies
# after every update:

# %%
print(inspect.getsource(tl.L1L2))
print(inspect.getsource(tl.MaxNorm.__call__))

# %% [markdown]
# ## ℓ1 makes weights exactly zero, ℓ2 only small
#
# The ℓ1 penalty's gradient has the same size, $\lambda_1$, however small the weight, so it pushes small
# weights all the way to 0; the ℓ2 gradient $2\lambda_2 w$ fades as $w$ shrinks. Train the same one-layer
# classifier three ways on 5,000 Fashion-MNIST images and count the weights that end near zero.

# %%
data = tl.load_dataset("fashion-mnist")
x, y = data.x_train[:5000], data.y_train[:5000]
for name, penalty in (("none", None), ("L2(1e-3)", tl.L2(1e-3)), ("L1(1e-3)", tl.L1(1e-3))):
    model = tl.Sequential([tl.Dense(10, regularizer=penalty)], input_dim=784, seed=0)
    model.compile("adam", lr=1e-2).fit(x, y, epochs=5, batch_size=64, verbose=0)
    W = model.params["dense1.W"]
    print(f"{name:9s} weights with |w| < 1e-3: {np.mean(np.abs(W) < 1e-3):5.1%}   "
          f"test accuracy {model.accuracy(data.x_test, data.y_test):.3f}")

# %% [markdown]
# ## The experiment: six recipes on the same net
#
# `regularization` trains a 784-300-100-10 net under each recipe (Nadam, $\eta = 10^{-3}$) and reports the
# training, validation and test accuracy, then the MC dropout estimate. Here on 2,000 training images for
# 5 epochs (the full experiment: 10,000 images, 20 epochs).

# %%
config = regularization.Config(train_samples=2000, validation_samples=1000, test_samples=2000, epochs=5,
                               patience=2, mc_samples=30, seeds=1)
result = regularization.run(config)
summary = regularization.summarize(result)
show_figures(regularization.plot(result))
for line in summary.conclusions:
    print("-", line)

# %%
for run in result.runs:
    gap = run.final_train_accuracy - run.final_val_accuracy
    print(f"{run.recipe:15s} train {run.final_train_accuracy:.3f}  validation {run.final_val_accuracy:.3f}  "
          f"gap {gap:+.3f}  test {run.test_accuracy:.3f}")
baseline = next(r for r in result.runs if r.recipe == "baseline")
narrower = [r.recipe for r in result.runs
            if r.final_train_accuracy - r.final_val_accuracy < baseline.final_train_accuracy - baseline.final_val_accuracy]
print(f"\nNarrower train-validation gap than the baseline: {', '.join(narrower) or 'none'}")

# %% [markdown]
# ## MC dropout
#
# Keep dropout *on* at prediction time and predict the same image many times: each pass uses a different
# sub-network, so the predictions differ. Their mean is usually a slightly better prediction than the single
# deterministic one, and their spread says how much the sub-networks disagree, that is, how unsure the model
# is. `predict_mc` does it:

# %%
print(inspect.getsource(tl.Sequential.predict_mc))

# %%
dropout_net = tl.Sequential([tl.Dense(300, activation="relu", init="he_normal"), tl.Dropout(0.2),
                             tl.Dense(100, activation="relu", init="he_normal"), tl.Dropout(0.2), tl.Dense(10)],
                            input_dim=784, seed=0)
dropout_net.compile("nadam", lr=1e-3).fit(x, y, epochs=3, batch_size=32, verbose=0)
mean, spread = dropout_net.predict_mc(data.x_test[:1000], samples=30)
plain = dropout_net.predict_proba(data.x_test[:1000])
right = mean.argmax(axis=1) == data.y_test[:1000]
top_spread = spread[np.arange(1000), mean.argmax(axis=1)]
print(f"accuracy with dropout off: {np.mean(plain.argmax(axis=1) == data.y_test[:1000]):.3f}; "
      f"mean of 30 dropout passes: {right.mean():.3f}")
print(f"spread (std) of the top class's probability: {top_spread[right].mean():.3f} on correctly classified "
      f"images, {top_spread[~right].mean():.3f} on misclassified ones "
      f"({'higher' if top_spread[~right].mean() > top_spread[right].mean() else 'not higher'} where the model is wrong)")

# %% [markdown]
# ## Try this
#
# - Raise the dropout rate (`regularization.Config(dropout=0.5, seeds=1)`): where does it start to hurt?
# - Use `tl.MaxNorm(0.5)` on a net of your own: check after training that no column of `W` has a norm above 0.5.
# - Rank test images by MC dropout's spread and look at the most uncertain ones (`plt.imshow(x.reshape(28, 28))`).

# %%
model = tl.Sequential([tl.Dense(100, activation="relu", constraint=tl.MaxNorm(0.5)), tl.Dense(10)],
                      input_dim=784, seed=0)
model.compile("adam", lr=1e-3).fit(x, y, epochs=2, batch_size=32, verbose=0)
print("largest column norm:", np.linalg.norm(model.params["dense1.W"], axis=0).max())
