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
# # 3. Update rules: SGD, Momentum, AdaGrad, Adam and friends
#
# *Deep Learning from Scratch, 6.1; Hands-On ML, 11.3.* Backpropagation gives the gradient
# $g = \nabla_\theta L$; an *optimizer* decides how far to move along it. Plain SGD takes the same
# fraction $\eta$ of every gradient. The others remember something about past gradients: a running
# direction (momentum), or a running size per parameter (AdaGrad, RMSProp), or both (Adam). Here we
# watch them on a valley where plain SGD struggles, drag their learning rates with sliders, then
# race them on MNIST.
#
# Every conclusion printed below comes from a lesson's declared claims: `show(run)` prints each
# claim of the book with its verdict (agrees, contradicts, unsettled within the seed-to-seed noise,
# or untested), measured over 3 seeds that pair (the same seed gives every optimizer the same
# starting weights and batches).

# %%
import inspect

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

import trainlab as tl
from trainlab.lab import landscapes
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.notebook import predict, run_lesson, show
from trainlab.lessons import adagrad_fade, optimizer_table
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
# | RMSProp | average of squares $h$ | $h \leftarrow \rho h + (1-\rho)\, g \odot g,\ \theta \leftarrow \theta - \eta\, g / (\sqrt h + \epsilon)$ |
# | Adam | moments $m, v$ | $m \leftarrow \beta_1 m + (1-\beta_1) g,\ v \leftarrow \beta_2 v + (1-\beta_2) g\odot g,$ then bias-corrected $\hat m, \hat v$ and $\theta \leftarrow \theta - \eta \hat m/(\sqrt{\hat v}+\epsilon)$ |
#
# Momentum behaves like a heavy ball: consistent gradients add up, alternating ones cancel. AdaGrad
# divides by the history of each parameter's gradient, so steep directions take small steps and flat
# ones large steps, but since $h$ only grows, its steps shrink forever. RMSProp lets $h$ forget, so
# its steps follow the recent gradients. Adam keeps exponential averages of both the gradient and
# its square. Each rule is a `rule` method of a few lines, updating one parameter $\theta$ in place
# from its gradient $g$ and its state arrays (`work` is scratch space of $\theta$'s shape):

# %%
for cls in (tl.SGD, tl.Momentum, tl.AdaGrad, tl.RMSProp, tl.Adam):
    print(inspect.getsource(cls.rule))
print(inspect.getsource(tl.Adam.descend))

# %% [markdown]
# ## A valley twenty times flatter one way than the other
#
# $f(x, y) = x^2/20 + y^2$ has its minimum at the origin. From $(-7, 2)$ the gradient points mostly
# along $y$, the steep direction, and barely along $x$, where the long way to go is. The lesson
# `optimizers-2d` runs each optimizer for 30 steps with the book's learning rates (Figure 6-8).

# %%
paths = run_lesson("optimizers-2d")
show(paths)

# %% [markdown]
# ## Drag the learning rates
#
# One slider per optimizer (logarithmic). Try raising SGD's until it diverges, or lowering Adam's
# until it crawls. The paths are recomputed with `landscapes.optimizer_path` each time.

# %%
BOOK_RATES = {"sgd": 0.95, "momentum": 0.1, "adagrad": 1.5, "adam": 0.3}  # Figure 6-8's


def show_paths(**learning_rates):
    figure = Figure(figsize=(7, 4), layout="constrained")
    ax = figure.subplots()
    x, y = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-5, 5, 100))
    ax.contour(x, y, landscapes.elongated_bowl(x, y), levels=15, colors="0.85", linewidths=0.6)
    for name, lr in learning_rates.items():
        with np.errstate(over="ignore", invalid="ignore"):
            path = landscapes.optimizer_path(tl.get_optimizer(name, lr=lr), steps=30)
        ax.plot(path[:, 0], path[:, 1], marker="o", markersize=3, label=f"{name} η = {lr:.3g}")
        print(
            f"{name:9s} η = {lr:<8.3g} f after 30 steps = "
            f"{landscapes.elongated_bowl(*path[-1]):.3g}"
        )
    ax.set(xlim=(-10, 10), ylim=(-5, 5), xlabel="x", ylabel="y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    show_figures([figure])


sliders = {
    name: widgets.FloatLogSlider(
        value=lr, base=10, min=-3, max=1, step=0.05, description=name, continuous_update=False
    )
    for name, lr in BOOK_RATES.items()
}
interact(show_paths, **sliders)
# %% [markdown]
# ## On MNIST
#
# The same rules on a real problem: a 784-100-100-100-100-10 ReLU net, batches of 128, each
# optimizer at the book's rate, 3 seeds. Speed is measured as speed: the iterations until the mean
# of the last 50 batch losses reaches a level (0.5 for the book's four, 0.3 for Nesterov against
# Momentum and Nadam against Adam). Here 600 steps on 8,000 digits; `trainlab run optimizers` does
# the book's 2,000 on MNIST.

# %%
mnist = run_lesson(
    "optimizers",
    dataset="mnist-mini",
    iterations=600,
    window=50,
    level=0.5,
    fast_level=0.3,
    seeds=3,
    optimizers=("sgd", "momentum", "adagrad", "adam", "nesterov", "nadam"),
    learning_rates=(0.01, 0.01, 0.01, 0.001, 0.01, 0.001),
)
show(mnist)

# %% [markdown]
# ## Hands-On ML's table of optimizers, measured
#
# Table 11-2 rates each optimizer's convergence *speed* and the *quality* it converges to with one
# to three stars. The lesson `optimizer-table` measures both: speed as the iterations to a loss
# level, quality as the test accuracy at the epoch of the best validation accuracy, each run
# training until its validation accuracy stops improving. Here on 7,000 digits (1,000 held out), at
# most 20 epochs, a patience of 4.

# %%
table = run_lesson("optimizer-table", **optimizer_table.Config.NOTEBOOK)
show(table)

# %% [markdown]
# ## AdaGrad's steps fade; RMSProp's follow the gradients
#
# AdaGrad's $h$ only grows, so each parameter's step $\eta/(\sqrt h + \epsilon)$ only shrinks:
# Hands-On ML warns that it often stops too early on neural networks, though it does well on a
# simple bowl. RMSProp's $\rho$ sets how fast $h$ forgets: a small $\rho$ follows a change in the
# gradients' scale within a few steps. The lesson `adagrad-fade` measures all of it (here 2,000
# steps on 8,000 digits).

# %%
fade = run_lesson("adagrad-fade", **adagrad_fade.Config.NOTEBOOK)
show(fade)

# %% [markdown]
# ## Try this
#
# - Predict before you run: RMSProp with $\rho = 0.99$ averages over about 100 steps, so after the
#   gradients shrink tenfold its step should take longer to follow than with $\rho = 0.9$ (about 10
#   steps). The cell states the prediction as a claim and tests it on the runs above, with the same
#   statistics.

# %%
follow = adagrad_fade.FOLLOW  # the measure the lesson's rho claim uses
predict(
    fade,
    Claim(
        "rho-0.99-slower",
        "RMSProp with rho 0.99 follows the drop later than with rho 0.9.",
        "this notebook",
        follow,
        a="rmsprop-rho-0.99",
        expect=">",
        b="rmsprop",
    ),
)

# %% [markdown]
# - AdaGrad at Hands-On ML's rate, η = 0.001, against the textbook's 0.01: the smaller rate's steps
#   fade from a smaller start, so after 2,000 steps its training loss should still be higher.

# %%
final_loss = Measure(
    "the mean of the last 100 batch losses", lambda run, c: float(np.mean(run["loss"][-100:]))
)
predict(
    fade,
    Claim(
        "small-eta-behind",
        "AdaGrad at η = 0.001 ends with a higher training loss than at 0.01.",
        "this notebook",
        final_loss,
        a="adagrad-homl",
        expect=">",
        b="adagrad",
    ),
)

# %% [markdown]
# - Momentum with $\beta = 0.99$ on the valley: does the ball overshoot more?

# %%
path = landscapes.optimizer_path(tl.Momentum(lr=0.1, momentum=0.99), steps=30)
path_09 = landscapes.optimizer_path(tl.Momentum(lr=0.1), steps=30)
print(
    f"f after 30 steps with β = 0.99: {landscapes.elongated_bowl(*path[-1]):.3g} "
    f"(β = 0.9: {landscapes.elongated_bowl(*path_09[-1]):.3g})"
)

# %% [markdown]
# - Write your own rule: subclass `tl.Optimizer` and implement `rule(self, theta, g, *, work)` in
#   place (for instance signSGD, $\theta \leftarrow \theta - \eta\,\operatorname{sign}(g)$), then
#   pass it to `landscapes.optimizer_path`.


# %%
class SignSGD(tl.Optimizer):
    def rule(self, theta, g, *, work):
        theta -= self.lr * np.sign(g, out=work)


print(landscapes.optimizer_path(SignSGD(lr=0.5), steps=30)[-1])
