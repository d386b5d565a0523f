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
# # 3. Update rules: SGD, Momentum, AdaGrad, Adam and friends
#
# *Deep Learning from Scratch, 6.1.* Backpropagation gives the gradient $g = \nabla_\theta L$; an
# *optimizer* decides how far to move along it. Plain SGD takes the same fraction $\eta$ of every gradient.
# The others remember something about past gradients: a running direction (momentum), or a running size
# per parameter (AdaGrad, RMSProp), or both (Adam). Here we watch them on a valley where plain SGD
# struggles, drag their learning rates with sliders, then race them on MNIST.

# %%
import inspect

import ipywidgets as widgets
import numpy as np
from IPython.display import Markdown

import trainlab as tl
from trainlab.lab import landscapes
from trainlab.lessons import optimizers, optimizers_2d
from trainlab.liveplot import show_figures
from trainlab.widgets import interact

# %% [markdown]
# ## The rules
#
# | optimizer | state | update |
# |---|---|---|
# | SGD | none | $\theta \leftarrow \theta - \eta g$ |
# | Momentum | velocity $v$ | $v \leftarrow \beta v - \eta g,\ \theta \leftarrow \theta + v$ |
# | AdaGrad | sum of squares $h$ | $h \leftarrow h + g \odot g,\ \theta \leftarrow \theta - \eta\, g / (\sqrt h + \epsilon)$ |
# | Adam | moments $m, v$ | $m \leftarrow \beta_1 m + (1-\beta_1) g,\ v \leftarrow \beta_2 v + (1-\beta_2) g\odot g,$ then bias-corrected $\hat m, \hat v$ and $\theta \leftarrow \theta - \eta \hat m/(\sqrt{\hat v}+\epsilon)$ |
#
# Momentum behaves like a heavy ball: consistent gradients add up, alternating ones cancel. AdaGrad divides
# by the history of each parameter's gradient, so steep directions take small steps and flat ones large
# steps, but since $h$ only grows, its steps shrink forever. Adam keeps exponential averages of both the
# gradient and its square. Each rule is a `rule` method of a few lines, updating one parameter $\theta$ in
# place from its gradient $g$ and its state arrays (`work` is scratch space of $\theta$'s shape):

# %%
for cls in (tl.SGD, tl.Momentum, tl.AdaGrad, tl.Adam):
    print(inspect.getsource(cls.rule))
print(inspect.getsource(tl.Adam.descend))

# %% [markdown]
# ## A valley twenty times flatter one way than the other
#
# $f(x, y) = x^2/20 + y^2$ has its minimum at the origin. From $(-7, 2)$ the gradient points mostly along
# $y$, the steep direction, and barely along $x$, where the long way to go is. The experiment
# `optimizers-2d` runs each optimizer for 30 steps with the book's learning rates.

# %%
config = optimizers_2d.Config()
result = optimizers_2d.run(config)
summary = optimizers_2d.summarize(result)
show_figures(optimizers_2d.plot(result))
for line in summary.conclusions:
    print("-", line)

# %% [markdown]
# ## Drag the learning rates
#
# One slider per optimizer (logarithmic). Try raising SGD's until it diverges, or lowering Adam's until it
# crawls. The figure and the table are recomputed from the run each time.

# %%
def show_paths(**learning_rates):
    names = list(learning_rates)
    run = optimizers_2d.run(optimizers_2d.Config(optimizers=tuple(names),
                                                 learning_rates=tuple(learning_rates.values())))
    show_figures(optimizers_2d.plot(run))
    for one in run.runs:
        print(f"{one.optimizer:9s} η = {one.lr:<8.3g} f after 30 steps = {landscapes.elongated_bowl(*one.path[-1]):.3g}")


sliders = {name: widgets.FloatLogSlider(value=lr, base=10, min=-3, max=1, step=0.05, description=name,
                                        continuous_update=False)
           for name, lr in zip(config.optimizers, config.learning_rates)}
interact(show_paths, **sliders);

# %% [markdown]
# ## On MNIST
#
# The same rules on a real problem: a 784-100-100-100-100-10 ReLU net, batches of 128, each optimizer with
# the learning rate the experiment `optimizers` uses. The curves are the training loss per step, smoothed
# over 11 steps. (600 steps here on 8,000 digits; `trainlab run optimizers` does the book's 2,000 on MNIST.)

# %%
mnist_config = optimizers.Config(dataset="mnist-mini", iterations=600, final_window=50, seeds=1,
                                 optimizers=("sgd", "momentum", "adagrad", "adam"),
                                 learning_rates=(0.01, 0.01, 0.01, 0.001))
mnist_result = optimizers.run(mnist_config)
mnist_summary = optimizers.summarize(mnist_result)
show_figures(optimizers.plot(mnist_result))
for line in mnist_summary.conclusions:
    print("-", line)

# %% [markdown]
# The numbers behind those sentences, as the experiment tabulates them:

# %%
Markdown(mnist_summary.table_markdown())

# %% [markdown]
# ## Try this
#
# - AdaGrad's steps shrink because $h$ only grows. Compare it with RMSProp, which forgets old gradients
#   (add `"rmsprop"` with `0.001` to the MNIST run above).
# - Momentum with $\beta = 0.99$ on the valley: does the ball overshoot more?

# %%
path = landscapes.optimizer_path(tl.Momentum(lr=0.1, momentum=0.99), steps=30)
print(f"f after 30 steps with β = 0.99: {landscapes.elongated_bowl(*path[-1]):.3g} "
      f"(β = 0.9: {landscapes.elongated_bowl(*landscapes.optimizer_path(tl.Momentum(lr=0.1), steps=30)[-1]):.3g})")

# %% [markdown]
# - Write your own rule: subclass `tl.Optimizer` and implement `rule(self, theta, g, *, work)` in place
#   (for instance signSGD, $\theta \leftarrow \theta - \eta\,\operatorname{sign}(g)$), then pass it to
#   `landscapes.optimizer_path`.

# %%
class SignSGD(tl.Optimizer):
    def rule(self, theta, g, *, work):
        theta -= self.lr * np.sign(g, out=work)


print(landscapes.optimizer_path(SignSGD(lr=0.5), steps=30)[-1])
