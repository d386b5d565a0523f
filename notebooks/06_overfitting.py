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
# # 6. Overfitting, weight decay and dropout
#
# *Deep Learning from Scratch, 6.4.* Give a large network few examples and it will learn them by
# heart: perfect on its training set, much worse on new data. Two remedies are studied here.
# **Weight decay** makes large weights cost something, so the network prefers simple explanations.
# **Dropout** silences a random part of the units at every step, so no unit can rely on a particular
# other one.

# %%
import inspect

import trainlab as tl
from trainlab.lab.notebook import Claim, predict, run_lesson, show
from trainlab.lessons import dropout_ensemble, overfitting

# %% [markdown]
# ## Weight decay
#
# Add half the squared norm of the weight matrices to the loss, and its gradient to every weight's
# gradient:
#
# $$\tilde L = L + \frac{\lambda}{2}\sum_{\ell} \lVert W_\ell \rVert^2, \qquad
# \frac{\partial \tilde L}{\partial W_\ell} = \frac{\partial L}{\partial W_\ell} + \lambda W_\ell.$$
#
# With SGD each update then first shrinks every weight by a factor $(1 - \eta\lambda)$, hence the
# name. In trainlab it is `Sequential(..., weight_decay=λ)`: the penalty is part of
# `model.penalty()` and its gradient is added at the end of the backward pass.

# %%
print(inspect.getsource(tl.Sequential.penalty))

# %% [markdown]
# ## Dropout
#
# During training each unit's output is multiplied by a mask $m \sim \text{Bernoulli}(1-p)$, drawn
# anew for every batch; the backward pass multiplies by the same mask. At test time nothing is
# dropped, and the outputs must be scaled to match what the next layer saw on average during
# training: either by $(1-p)$ at test time (the book's form, `inverted=False`) or, equivalently in
# expectation, by $1/(1-p)$ during training (the usual modern form, trainlab's default).

# %%
print(inspect.getsource(tl.Dropout.forward))
print(inspect.getsource(tl.Dropout.backward))

# %% [markdown]
# ## The experiment
#
# `overfitting` trains the book's net, six layers of 100 ReLU units, by SGD on only 300 MNIST
# digits: plainly, with weight decay $\lambda = 0.1$, and with the book's dropout $p = 0.2$ (given
# more epochs, as in the book, because it learns more slowly). Where does overfitting come from? The
# book names two causes, many parameters and little data, so the lesson also trains the plain net on
# more images and a smaller net (the book's two-layer net of chapter 4) on the same 300, and weight
# decay and dropout once more on a bigger net.
#
# Here 150 epochs (dropout: 225), 2,000 test images and 3 seeds, without the bigger net (the book:
# 201 and 301 epochs, 10,000 test images; `trainlab run overfitting` trains the bigger net too).
# Every conclusion printed is one of the lesson's declared claims with its verdict over the seeds.

# %%
print(overfitting.Config.NOTEBOOK)
run = run_lesson("overfitting", **overfitting.Config.NOTEBOOK)
show(run)

# %% [markdown]
# The last claim is Hands-On ML's warning: with dropout on, the training loss a loop reports is not
# the net's training loss (see the second figure); evaluate it again with dropout off before
# comparing it with the validation loss.
#
# ## Try this: predict before you look
#
# Weight decay pulls every weight towards zero, so the net can no longer fit its 300 images
# perfectly. Predict that its *training* accuracy ends below the plain net's, and check:

# %%
predict(
    run,
    Claim(
        "decay-costs-fit",
        "Weight decay lowers the training accuracy.",
        "our prediction",
        overfitting.TRAIN_ACCURACY,
        a="weight decay",
        expect="<",
        b="plain",
    ),
)
# %% [markdown]
# - Weight decay is a dial: too little changes nothing, too much keeps the net from fitting at all.
#   Sweep $\lambda$ below (a few seconds each) and look for the largest test accuracy.

# %%
data = tl.load_dataset("mnist-mini")
x, y = data.x_train[:300], data.y_train[:300]
for lam in (0.0, 0.03, 0.1, 0.3):
    model = tl.Sequential(
        [layer for _ in range(3) for layer in (tl.Dense(100, init="he_normal"), tl.ReLU())]
        + [tl.Dense(10)],
        input_dim=784,
        seed=0,
        weight_decay=lam,
    )
    model.compile("sgd", lr=0.05, metrics=["accuracy"])
    model.fit(x, y, epochs=60, batch_size=100, verbose=0, evaluate_train=False)
    print(
        f"λ = {lam:<5g} train accuracy {model.accuracy(x, y):.3f}  "
        f"test accuracy {model.accuracy(data.x_test[:1000], data.y_test[:1000]):.3f}"
    )

# %% [markdown]
# ## Dropout as an ensemble
#
# An ensemble averages the predictions of several separately trained nets; dropout trains a
# different thinned net at every step and averages them all at test time, within one net (book
# 6.4.3). The same dropout rate does not suit every net: $p = 0.5$ starves two layers of 100 units,
# while two layers of 500 have room to spare (Hands-On ML: larger layers take more dropout).
# `dropout-ensemble` compares, for each width, one plain net, an ensemble of plain nets and one
# dropout net. Here 20 epochs for each member (the dropout net and the one plain net: 30), 3
# members, 3 seeds (the lesson: 30 and 45 epochs, 5 members, 4 seeds).

# %%
run = run_lesson("dropout-ensemble", **dropout_ensemble.Config.NOTEBOOK)
show(run)

# %% [markdown]
# Predict: averaging several nets helps the narrow net too.

# %%
predict(
    run,
    Claim(
        "narrow-ensemble",
        "The ensemble beats its first member at width 100 too.",
        "our prediction",
        dropout_ensemble.ENSEMBLE_GAIN,
        a="100-100",
        expect=">",
        b=0.0,
    ),
)
