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
# # 1. Gradients by finite differences, and walking downhill
#
# *Deep Learning from Scratch, chapter 4.* A network learns by nudging each weight in the direction that
# lowers the loss. That direction is the negative gradient. Before any backpropagation, we can *measure* the
# gradient: wiggle one input a little, watch how much the function changes, and divide.
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
from trainlab.lessons import gradient_check, gradient_descent
from trainlab.liveplot import show_figures

# %% [markdown]
# ## The central difference
#
# For a function $f:\mathbb{R}^n\to\mathbb{R}$ the partial derivative along coordinate $i$ is the limit of a
# slope. With a small step $h$ and the unit vector $e_i$:
#
# $$\frac{\partial f}{\partial x_i}(x) \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}.$$
#
# Stepping to both sides cancels the second-order term of the Taylor expansion, so the error shrinks like
# $h^2$ rather than $h$. The step cannot be tiny either: $f(x+h e_i)$ and $f(x-h e_i)$ then agree in almost
# every digit and their difference is mostly rounding noise, which grows like $1/h$. trainlab's default
# $h = 10^{-5}$ sits between the two. Here is the whole implementation:

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
errors = [np.linalg.norm(tl.numerical_gradient(f, point.copy(), eps=h) - exact_gradient(point)) for h in steps]
best = steps[int(np.argmin(errors))]

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.loglog(steps, errors, "o-")
ax.axvline(1e-5, color="0.6", linestyle="--", label="trainlab's default h")
ax.set(xlabel="step h", ylabel="error of the central difference", title="Truncation (right) vs rounding (left)")
ax.legend()
plt.show()
print(f"smallest error {min(errors):.2g} at h = {best:.1g}; at h = 1e-5 the error is "
      f"{errors[int(np.argmin(abs(np.log10(steps) + 5)))]:.2g}; at h = 1e-1 it is {errors[-1]:.2g}")
large, small = steps >= 1e-4, steps <= 1e-8
slope_large = np.polyfit(np.log10(steps[large]), np.log10(np.array(errors)[large]), 1)[0]
slope_small = np.polyfit(np.log10(steps[small]), np.log10(np.array(errors)[small]), 1)[0]
print(f"slope of log(error) against log(h): {slope_large:.2f} for h >= 1e-4, {slope_small:.2f} for h <= 1e-8")

# %% [markdown]
# The fitted slopes say it: to the right of the minimum the error grows like $h^{2}$ (slope near 2), to the
# left like $h^{-1}$ (slope near -1), the two effects described above.
#
# ## The gradient as arrows
#
# On the bowl $f(x_0, x_1) = x_0^2 + x_1^2$ the gradient $(2x_0, 2x_1)$ points straight away from the
# minimum, and is longer the farther we are. Drawing $-\nabla f$ at each point of a grid shows every arrow
# heading to the bottom of the bowl: that is the direction gradient descent follows.

# %%
grid = np.linspace(-2, 2, 11)
X0, X1 = np.meshgrid(grid, grid)
G = np.array([[tl.numerical_gradient(landscapes.function_2, np.array([a, b])) for a, b in zip(r0, r1)]
              for r0, r1 in zip(X0, X1)])
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.quiver(X0, X1, -G[..., 0], -G[..., 1], angles="xy", color="tab:blue")
ax.plot(0, 0, "k+", markersize=12)
ax.set(xlabel="$x_0$", ylabel="$x_1$", title="$-\\nabla f$ for $f = x_0^2 + x_1^2$", aspect="equal")
plt.show()
print("largest disagreement with the exact gradient 2x:", float(np.max(abs(G - 2 * np.stack([X0, X1], -1)))))

# %% [markdown]
# ## Gradient descent
#
# Repeat $x \leftarrow x - \eta\,\nabla f(x)$. The learning rate $\eta$ decides everything: on this bowl
# each step multiplies $x$ by $(1 - 2\eta)$, so $0 < \eta < 1$ converges, $\eta > 1$ makes every step
# overshoot by more than it corrects, and a tiny $\eta$ hardly moves. trainlab's version records the path:

# %%
print(inspect.getsource(landscapes.gradient_descent))

# %% [markdown]
# The experiment `gradient-descent` runs three learning rates from $(-3, 4)$ for 100 steps.

# %%
config = gradient_descent.Config()
result = gradient_descent.run(config)
summary = gradient_descent.summarize(result)
show_figures(gradient_descent.plot(result))
for line in summary.conclusions:
    print("-", line)

# %% [markdown]
# The conclusions above are computed from the final points, not written in advance. The factor
# $(1 - 2\eta)$ predicts them: after 100 steps the distance to the minimum should be $|1-2\eta|^{100}$
# times the start's distance, 5.

# %%
for run in result.runs:
    predicted = 5 * abs(1 - 2 * run.lr) ** 100
    print(f"η = {run.lr:g}: measured distance {np.linalg.norm(run.path[-1]):.4g}, predicted {predicted:.4g}")
far = np.array(result.runs[1].path[-1])
print(f"numerical gradient at the diverged point {far}: {tl.numerical_gradient(landscapes.function_2, far.copy())}")

# %% [markdown]
# The diverging run stopped far short of the prediction, and the last line shows why: once $|x|$ is
# around $10^{11}$, $x \pm h$ rounds back to $x$ in float64, both sides of the difference are equal and the
# *measured* gradient is zero, so the walk freezes. A finite difference is only as good as the floating-point
# numbers it subtracts; backpropagation, which never subtracts nearby values, has no such floor.

# %% [markdown]
# ## The same measurement as a test of backpropagation
#
# A network's gradient has tens of thousands of entries, far too many to measure one by one in training.
# Backpropagation computes them all in one backward pass, and the central difference is how we know the
# backward pass is right: on a few real MNIST digits, in float64, the two must agree to about $10^{-7}$
# (relative error). The `gradient-check` experiment does this for a two-layer net and for a model holding
# every layer type trainlab has.

# %%
gc_config = gradient_check.Config(dataset="mnist-mini").quick()
gc_result = gradient_check.run(gc_config)
gc_summary = gradient_check.summarize(gc_result)
for line in gc_summary.conclusions:
    print("-", line)
show_figures(gradient_check.plot(gc_result))

# %% [markdown]
# ## Try this
#
# - Use `eps=1e-9` or `eps=1e-2` in `tl.numerical_gradient` on `f` above and compare with
#   `exact_gradient(point)`. Which side of the error curve are you on?
# - Run gradient descent with $\eta = 0.5$: the factor $(1 - 2\eta)$ is 0, so it should land on the
#   minimum in one step.

# %%
path = landscapes.gradient_descent(landscapes.function_2, [-3.0, 4.0], lr=0.5, step_num=3)
print(path)

# %% [markdown]
# - What happens at exactly $\eta = 1$? Predict it from $(1 - 2\eta)$ first, then run it.

# %%
print(landscapes.gradient_descent(landscapes.function_2, [-3.0, 4.0], lr=1.0, step_num=4))
