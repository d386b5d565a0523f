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
# # 7. Searching for hyperparameters
#
# *Deep Learning from Scratch, 6.5.* The learning rate and the weight decay are not learned by gradient
# descent: we choose them. Choosing well is itself an experiment, and it has one rule that must never be
# broken: **judge the candidates on a validation set carved from the training data, never on the test
# set.** A test score that was used to pick the settings is no longer an honest estimate of anything.

# %%
import inspect

import numpy as np

from trainlab.lessons import hyperparameter_search
from trainlab.liveplot import show_figures
from trainlab.tune import narrow

# %% [markdown]
# ## Random search on a log scale
#
# Sensible learning rates span several orders of magnitude, so we sample their *exponent* uniformly:
# $\eta = 10^{u}$ with $u \sim U(-6, -2)$, and likewise $\lambda = 10^{v}$, $v \sim U(-8, -4)$. Random
# sampling beats a grid when only some of the parameters matter: with $n$ trials a grid tries only
# $\sqrt n$ distinct values of each parameter, random search $n$.
#
# After a first round, the ranges are narrowed to the values the best trials used, and searched again.
# trainlab's search runs on Optuna; `narrow` is the narrowing step:

# %%
print(inspect.getsource(narrow))

# %% [markdown]
# ## The experiment
#
# Each trial trains the book's 784-100×6-10 net by SGD on 500 MNIST digits for 50 epochs and is scored by
# its accuracy on a 20% validation split of those 500 (the test set is not touched). 20 trials, then 10 in
# the narrowed ranges (the book: 100 trials).

# %%
config = hyperparameter_search.Config(dataset="mnist-mini", trials=20, stage2_trials=10, best=12, top_k=5)
result = hyperparameter_search.run(config)
summary = hyperparameter_search.summarize(result)
show_figures(hyperparameter_search.plot(result))
for line in summary.conclusions:
    print("-", line)

# %% [markdown]
# ## Reading the search
#
# Which learning rates worked? Group the first stage's trials by the decade of their learning rate:

# %%
trials = [t for t in result.stage1["trials"] if t["value"] is not None]
decades = np.floor(np.log10([t["params"]["lr"] for t in trials])).astype(int)
for decade in sorted(set(decades)):
    scores = [t["value"] for t, d in zip(trials, decades) if d == decade]
    print(f"lr in [1e{decade}, 1e{decade + 1}): {len(scores):2d} trials, best validation accuracy "
          f"{max(scores):.3f}, median {np.median(scores):.3f}")
wd_corr = np.corrcoef(np.log10([t["params"]["weight_decay"] for t in trials]), [t["value"] for t in trials])[0, 1]
print(f"\ncorrelation of log10(weight decay) with the score: {wd_corr:+.2f} "
      f"({'weak' if abs(wd_corr) < 0.3 else 'noticeable'}: in this range the learning rate decides)")

# %% [markdown]
# ## Try this
#
# - Use more trials and epochs (`trials=60, epochs=50`); does stage 2's median rise further above stage 1's?
# - Search a wider learning-rate range, `lr_range=(1e-6, 1.0)`: where does training start to diverge?
# - The command line runs the same search in parallel processes:
#   `trainlab tune --trials 100 --workers 2` (see docs/tune.md).
