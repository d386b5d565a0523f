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
# # 7. Searching for hyperparameters
#
# *Deep Learning from Scratch, 6.5.* The learning rate and the weight decay are not learned by
# gradient descent: we choose them. Choosing well is itself an experiment, and it has one rule that
# must never be broken: **judge the candidates on a validation set carved from the training data,
# never on the test set.** A test score that was used to pick the settings is no longer an honest
# estimate of anything.

# %%
import inspect

import numpy as np

from trainlab.lab import search
from trainlab.lab.notebook import Claim, predict, run_lesson, show
from trainlab.lessons import hyperparameter_search, random_vs_grid

# %% [markdown]
# ## Random search on a log scale
#
# Sensible learning rates span several orders of magnitude, so we sample their *exponent* uniformly:
# $\eta = 10^{u}$ with $u \sim U(-6, -2)$, and likewise $\lambda = 10^{v}$, $v \sim U(-8, -4)$.
# Random sampling beats a grid when only some of the parameters matter: with $n$ trials a grid tries
# only $\sqrt n$ distinct values of each parameter, random search $n$.
#
# After a first round, the ranges are narrowed to the values the best trials used, and searched
# again. One trial is the book's: the 784-100×6-10 net trained for 50 epochs and scored on the
# validation split:

# %%
print(inspect.getsource(search.trial))

# %% [markdown]
# ## The experiment
#
# `hyperparameter-search` runs the book's search: each trial trains the 784-100×6-10 net by SGD on
# 500 MNIST digits less a 20 % validation split, and is scored on that split (the test set is not
# touched). The ranges are then narrowed to those of the best five trials and searched again. After
# the search, and never to choose, every trial is also scored on the test set, in slices: choosing
# the trial that scores best on one slice is tuning on the test set, and its score there overstates
# its accuracy on the other slices. Here 20 trials of 30 epochs, then 8, and 3 whole searches (the
# book: one search of 100 trials of 50 epochs).

# %%
print(hyperparameter_search.Config.NOTEBOOK)
run = run_lesson("hyperparameter-search", **hyperparameter_search.Config.NOTEBOOK)
show(run)

# %% [markdown]
# ## Reading the search
#
# Which learning rates worked? Group the first stage's trials of every search by the decade of their
# learning rate:

# %%
trials = [t for stages in run.runs.of("stage 1") for t in stages["trials"]]
decades = np.floor(np.log10([t["lr"] for t in trials])).astype(int)
for decade in sorted(set(decades)):
    scores = [t["val"][-1] for t, d in zip(trials, decades) if d == decade]
    print(
        f"lr in [1e{decade}, 1e{decade + 1}): {len(scores):2d} trials, best validation accuracy "
        f"{max(scores):.3f}, median {np.median(scores):.3f}"
    )

# %% [markdown]
# ## Try this: predict before you look
#
# The best of the trials was chosen *because* its validation score was high, partly by luck. Predict
# that its validation score overstates its test accuracy:

# %%
predict(
    run,
    Claim(
        "chosen-is-lucky",
        "The chosen trial's validation score is above its test accuracy.",
        "our prediction",
        hyperparameter_search.OPTIMISM,
        a="stage 1",
        expect=">",
        b=0.0,
    ),
)
# %% [markdown]
# ## Random against grid search
#
# With $n$ trials a grid tries only $\sqrt n$ distinct values of each parameter, random search $n$:
# when only one parameter matters, random search samples it $\sqrt n$ times more finely.
# `random-vs-grid` runs both with the same budget, the grid shifted by a random fraction of its step
# in every repeat (so that no grid is lucky by where its points fall), scores the trials on 2,000
# validation images and tests the chosen net. Here 9 trials per search (a 3×3 grid), 30 epochs, 8
# repeats.

# %%
run = run_lesson("random-vs-grid", **random_vs_grid.Config.NOTEBOOK)
show(run)

# %% [markdown]
# Predict why random search can win: it tries more distinct learning rates than the grid, at the
# same budget.

# %%
predict(
    run,
    Claim(
        "more-rates",
        "Random search tries more distinct learning rates.",
        "our prediction",
        random_vs_grid.DISTINCT,
        a="random",
        expect=">",
        b="grid",
    ),
)

# %% [markdown]
# - Use more trials and epochs (`trials=60, epochs=50`); does stage 2's median rise further above
#   stage 1's?
# - Search a wider learning-rate range, `lr_range=(-6, 0)`: where does training start to diverge?
# - The command line runs a search on Optuna, in parallel processes:
#   `trainlab tune --trials 100 --workers 2` (see docs/tune.md).
