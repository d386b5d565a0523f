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
# # 10. Faster optimizers and learning-rate schedules
#
# *Hands-On Machine Learning, chapter 11.3.* Two ways to train faster. A better **update rule** uses
# more than the current gradient: momentum accumulates a direction, Nesterov looks one step ahead
# before measuring, RMSProp and the Adam family scale each parameter's step by its recent gradient
# size. A **schedule** changes the learning rate during training: large early to make progress,
# small late to settle into a minimum.

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl
from trainlab.lab.notebook import Claim, predict, run_lesson, show
from trainlab.lessons import lr_schedules

# %% [markdown]
# ## The update rules beyond the textbook's four
#
# | optimizer | what it adds |
# |---|---|
# | Nesterov | the gradient is taken at the look-ahead point $\theta + \beta v$: it corrects the momentum's overshoot earlier |
# | RMSProp | AdaGrad with a *decaying* sum, $h \leftarrow \rho h + (1-\rho) g\odot g$, so old gradients are forgotten and steps do not shrink forever |
# | AdaMax | Adam with the $\ell_\infty$ norm: $u \leftarrow \max(\beta_2 u, \lvert g\rvert)$ instead of a mean of squares |
# | Nadam | Adam whose momentum term uses Nesterov's look-ahead |
# | AdamW | Adam plus weight decay applied to the weights directly, not mixed into the adaptive gradient |
#
# Each docstring states its formula; the code follows it line by line:

# %%
for cls in (tl.Nesterov, tl.RMSProp, tl.Nadam):
    print(cls.__doc__.split("\n\n")[0], "\n")
    print(inspect.getsource(cls.rule))

# %% [markdown]
# ## The race on Fashion-MNIST
#
# The lesson `optimizers` trains the same 784-100×4-10 ReLU net from the same weights and the same
# batches with each rule (batches of 128), here for 400 steps on Fashion-MNIST from 3 seeds, and
# measures speed as speed: the steps until the mean of the last 50 batch losses reaches a level
# fixed before the run (0.7 for the book's four, 0.5 for Nesterov against Momentum and Nadam against
# Adam). Every verdict below comes from the lesson's declared claims, weighed against the
# seed-to-seed noise.

# %%
race = run_lesson(
    "optimizers",
    dataset="fashion-mnist",
    iterations=400,
    window=50,
    level=0.7,
    fast_level=0.5,
    seeds=3,
    optimizers=("sgd", "momentum", "adagrad", "adam", "nesterov", "nadam"),
    learning_rates=(0.01, 0.01, 0.01, 0.001, 0.01, 0.001),
)
show(race)

# %% [markdown]
# ## Schedules
#
# A schedule is a function of the step $t$. trainlab has the classic ones:
#
# - power: $\eta(t) = \eta_0 / (1 + t/s)^c$
# - exponential: $\eta(t) = \eta_0 \cdot 0.1^{t/s}$
# - piecewise constant: fixed values on chosen intervals
# - performance: divide $\eta$ when the validation loss stops improving (`ReduceLROnPlateau`)
# - 1cycle: up linearly to $\eta_{\max}$, back down, then a short annihilation; momentum moves the
#   other way
#
# Here is 1cycle, whose formula is in its docstring:

# %%
print(inspect.getsource(tl.OneCycle.lr_at))

# %%
steps = np.arange(1000)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
for label, schedule in [
    ("power, s=250", tl.PowerDecay(0.01, 250)),
    ("exponential, s=800", tl.ExponentialDecay(0.01, 800, rate=0.1)),
    ("piecewise", tl.PiecewiseConstant([300, 700], [0.01, 0.005, 0.001])),
    ("1cycle, max 0.05", tl.OneCycle(0.05, total_steps=1000)),
]:
    left.plot(steps, schedule.curve(len(steps)), label=label)
one_cycle = tl.OneCycle(0.05, total_steps=1000)
right.plot(steps, [one_cycle.momentum(int(t)) for t in steps], color="tab:red")
left.set(xlabel="step", ylabel="learning rate", yscale="log", title="Schedules")
left.legend(fontsize=8)
right.set(xlabel="step", ylabel="momentum (β1)", title="1cycle's momentum")
plt.show()

# %% [markdown]
# ## Do schedules speed training up?
#
# The book says exponential decay, performance scheduling and 1cycle can considerably speed up
# convergence. Speed is measured as speed: the lesson `lr-schedules` runs every schedule in full for
# the same budget of epochs and measures the net it leaves on the test set. Each schedule's
# constants are the book's as fractions of its 25-epoch run (exponential: s = 0.8 of the run;
# piecewise: cuts at 0.2 and 0.6 of it; performance: patience 0.2 of the epochs), so a shorter run
# keeps the book's shapes. Here 3,000 training images, 5 epochs, 3 seeds (the full lesson: 55,000
# images, 10 epochs, 5 seeds).

# %%
schedules = run_lesson("lr-schedules", **lr_schedules.Config.NOTEBOOK)
show(schedules)

# %% [markdown]
# ## Try this
#
# - **Predict:** a schedule that decays too fast stops learning early. Exponential decay with half
#   the book's $s$ reaches η0/10 after 40 % of the run instead of 80 %: its training loss at the end
#   should stay above that of the book's $s$. The cell tests the prediction on the run above, with
#   the same statistics.
# - Give SGD a schedule in any `fit`:
#   `model.fit(..., callbacks=[tl.ExponentialDecay(0.01, 2000, rate=0.1)])` (a schedule in
#   `callbacks` is applied every step).
# - `tl.ReduceLROnPlateau(factor=0.5, patience=2)` is the performance schedule; try it on the net
#   below.
# - Change 1cycle's peak: `run_lesson("lr-schedules", one_cycle_max_lr=0.5, seeds=3, ...)`: too
#   high, and it diverges at the top of the cycle.

# %%
predict(
    schedules,
    Claim(
        "too-fast-decay",
        "Exponential decay with s halved ends with a higher training loss.",
        "try this",
        lr_schedules.TRAINING_LOSS,
        a="exponential s/2",
        expect=">",
        b="exponential",
    ),
)
# %%
data = tl.load_dataset("fashion-mnist")
model = tl.Sequential(
    [tl.Dense(100, activation="relu", init="he_normal"), tl.Dense(10)], input_dim=784, seed=0
)
model.compile("momentum", lr=0.05, metrics=["accuracy"])
history = model.fit(
    data.x_train[:3000],
    data.y_train[:3000],
    epochs=6,
    batch_size=32,
    validation_split=0.2,
    callbacks=[tl.ReduceLROnPlateau(factor=0.5, patience=1)],
    verbose=0,
)
print("learning rate per epoch:", history["lr"])
print("validation loss per epoch:", [round(v, 3) for v in history["val_loss"]])
