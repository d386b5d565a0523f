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
# # 1. Gradients by finite differences, and walking downhill
#
# *Deep Learning from Scratch, chapter 4.* A network learns by nudging each weight in the direction
# that lowers the loss. That direction is the negative gradient. Before any backpropagation, we can
# *measure* the gradient: wiggle one input a little, watch how much the function changes, and
# divide.
#
# In this notebook:
# 1. the central difference and why it is accurate;
# 2. the gradient drawn as a field of arrows;
# 3. gradient descent on a bowl, with a learning rate that is too small, right, and too large;
# 4. the same measurement used as a test of a real network's backward pass on MNIST digits.

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl
from trainlab.lab import landscapes
from trainlab.lab.claims import Claim
from trainlab.lab.notebook import predict, run_lesson, show
from trainlab.lessons import gradient_arrows, gradient_check, gradient_descent

# %% [markdown]
# ## The central difference
#
# For a function $f:\mathbb{R}^n\to\mathbb{R}$ the partial derivative along coordinate $i$ is the
# limit of a slope. With a small step $h$ and the unit vector $e_i$:
#
# $$\frac{\partial f}{\partial x_i}(x) \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}.$$
#
# Stepping to both sides cancels the second-order term of the Taylor expansion, so the error shrinks
# like $h^2$ rather than $h$. The step cannot be tiny either: $f(x+h e_i)$ and $f(x-h e_i)$ then
# agree in almost every digit and their difference is mostly rounding noise, which grows like $1/h$.
# trainlab's default $h = 10^{-5}$ sits between the two. Here is the whole implementation:

# %%
print(inspect.getsource(tl.numerical_gradient))

# %% [markdown]
# Let us check the error claim on $f(x) = \sin(x_0)\,e^{x_1}$, whose gradient we know exactly.


# %%
def f(x):
    return float(np.sin(x[0]) * np.exp(x[1]))


def exact_gradient(x):
    return np.array([np.cos(x[0]) * np.exp(x[1]), np.sin(x[0]) * np.exp(x[1])])


point = np.array([0.7, -0.3])
steps = np.logspace(-12, -1, 23)
errors = [
    np.linalg.norm(tl.numerical_gradient(f, point.copy(), eps=h) - exact_gradient(point))
    for h in steps
]
best = steps[int(np.argmin(errors))]

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.loglog(steps, errors, "o-")
ax.axvline(1e-5, color="0.6", linestyle="--", label="trainlab's default h")
ax.set(
    xlabel="step h",
    ylabel="error of the central difference",
    title="Truncation (right) vs rounding (left)",
)
ax.legend()
plt.show()
print(
    f"smallest error {min(errors):.2g} at h = {best:.1g}; at h = 1e-5 the error is "
    f"{errors[int(np.argmin(abs(np.log10(steps) + 5)))]:.2g}; at h = 1e-1 it is {errors[-1]:.2g}"
)
large, small = steps >= 1e-4, steps <= 1e-8
slope_large = np.polyfit(np.log10(steps[large]), np.log10(np.array(errors)[large]), 1)[0]
slope_small = np.polyfit(np.log10(steps[small]), np.log10(np.array(errors)[small]), 1)[0]
print(
    f"slope of log(error) against log(h): {slope_large:.2f} for h >= 1e-4, {slope_small:.2f} for h "
    "<= 1e-8"
)

# %% [markdown]
# The fitted slopes say it: to the right of the minimum the error grows like $h^{2}$ (slope near 2),
# to the left like $h^{-1}$ (slope near -1), the two effects described above.
#
# ## The gradient as arrows
#
# On the bowl $f(x_0, x_1) = x_0^2 + x_1^2$ the gradient $(2x_0, 2x_1)$ points straight away from
# the minimum, and is longer the farther we are. Drawing $-\nabla f$ at each point of a grid shows
# every arrow heading to the bottom of the bowl: that is the direction gradient descent follows.
#
# The book adds a warning: what $-\nabla f$ really points to is the direction in which $f$ falls
# *fastest* at that place, which need not be the way to the minimum. The lesson `gradient-arrows`
# draws both the book's bowl and the valley $x^2/20 + y^2$ (twenty times flatter along $x$),
# measures the angle between each arrow and the straight way to the minimum, and, from $f$ itself,
# how fast $f$ falls along each of the two directions. Its claims are the book's statements, each
# with its verdict; five seeds move the grid and the checked points about the plane.

# %%
arrows = run_lesson("gradient-arrows", **gradient_arrows.Config.NOTEBOOK)
show(arrows)

# %% [markdown]
# On the valley the arrows point almost straight at the floor $y = 0$, up to 65° off the way to the
# minimum: the gradient is steep across the valley and shallow along it. Following the arrows is
# still downhill, and fastest downhill, just not the shortest way home. This is why plain gradient
# descent zig-zags on such a surface (the optimizers notebook shows it).

# %% [markdown]
# ## Gradient descent
#
# Repeat $x \leftarrow x - \eta\,\nabla f(x)$. The learning rate $\eta$ decides everything: on this
# bowl each step multiplies $x$ by $(1 - 2\eta)$, so $0 < \eta < 1$ converges, $\eta > 1$ makes
# every step overshoot by more than it corrects, and a tiny $\eta$ hardly moves. trainlab's version
# records the path:

# %%
print(inspect.getsource(landscapes.gradient_descent))

# %% [markdown]
# The lesson `gradient-descent` runs the book's three learning rates for 100 steps: seed 0 from the
# book's $(-3, 4)$, four more seeds from other points at the same distance, so that each claim has
# an estimate of its noise. The log-scale panel shows each walk's distance to the minimum at every
# step.

# %%
descent = run_lesson("gradient-descent", **gradient_descent.Config.NOTEBOOK)
show(descent)

# %% [markdown]
# The verdicts are computed from the final points, not written in advance. The factor $(1 - 2\eta)$
# predicts them: after 100 steps the distance to the minimum should be $|1-2\eta|^{100}$ times the
# start's distance, 5.

# %%
config = descent.config
for setting in descent.runs.settings:
    lr = gradient_descent.rate(config, setting)
    path = np.array(descent.runs.get(setting, 0)["path"])
    with np.errstate(over="ignore"):
        predicted = 5 * abs(1 - 2 * lr) ** config.steps
    print(
        f"η = {lr:g}: measured distance {np.linalg.norm(path[-1]):.4g}, predicted {predicted:.4g}"
    )
far = np.array(descent.runs.get("too-large", 0)["path"][-1])
print(
    f"numerical gradient at the diverged point {far}: "
    f"{tl.numerical_gradient(landscapes.function_2, far.copy())}"
)

# %% [markdown]
# The diverging run stopped far short of the prediction, and the last line shows why: once $|x|$ is
# around $10^{11}$, $x \pm h$ rounds back to $x$ in float64, both sides of the difference are equal
# and the *measured* gradient is zero, so the walk freezes. A finite difference is only as good as
# the floating-point numbers it subtracts; backpropagation, which never subtracts nearby values, has
# no such floor.

# %% [markdown]
# ## The same measurement as a test of backpropagation
#
# A network's gradient has tens of thousands of entries, far too many to measure one by one in
# training. Backpropagation computes them all in one backward pass, and the central difference is
# how we know the backward pass is right: on a few real MNIST digits, in float64, the two agree to
# about $10^{-9}$ (relative error; trainlab's check passes a parameter below $10^{-6}$). The lesson
# `gradient-check` does this for the book's two-layer net, with the book's measure, and for a model
# holding every layer type trainlab has.

# %%
check = run_lesson("gradient-check", **gradient_check.Config.NOTEBOOK)
show(check)

# %% [markdown]
# Where a parameter of the every-layer check fails, suspect a *kink* before a bug: ReLU and its
# relatives have a corner at 0, and a central difference that straddles it averages two slopes,
# which is no derivative. A wrong backward pass fails for every seed; a kink only where an input
# lies within $h$ of a corner.

# %% [markdown]
# ## Try this
#
# - Use `eps=1e-9` or `eps=1e-2` in `tl.numerical_gradient` on `f` above and compare with
#   `exact_gradient(point)`. Which side of the error curve are you on?
# - Predict first, then run: with $\eta = 0.5$ the factor $(1 - 2\eta)$ is 0, so one step should
#   land on the minimum; with $\eta = 1$ it is $-1$, so the point should jump to its mirror image
#   and back, forever as far from the minimum as it started. A prediction is a claim like the
#   book's, tested with the same statistics on the same five starts.

# %%
tried = run_lesson("gradient-descent", suitable_lr=0.5, large_lr=1.0, steps=4)
predict(
    tried,
    Claim(
        "one-step",
        "With η = 0.5 the walk lands on the minimum (closer than 1e-9 of the start's distance).",
        "this notebook",
        gradient_descent.DISTANCE,
        a="suitable",
        expect="<",
        b=-9.0,
    ),
)
predict(
    tried,
    Claim(
        "mirror",
        "With η = 1 the walk stays exactly as far from the minimum as it started.",
        "this notebook",
        gradient_descent.DISTANCE,
        a="too-large",
        expect="in",
        b=(-0.001, 0.001),
    ),
)
print(np.array(tried.runs.get("too-large", 0)["path"]))
