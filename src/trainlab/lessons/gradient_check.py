"""Gradient check: backpropagation's gradients against numerical differences, for the book's net and
every layer.

Backpropagation is fast but easy to get wrong; the central difference (f(θ + h) - f(θ - h)) / 2h is
slow but simple. Compared in float64, they check every hand-written backward pass. The book checks
its two-layer net on three training images and prints the mean absolute difference of each
parameter's gradient; the lesson does the same, then runs trainlab's own check of every layer
(:func:`trainlab.gradcheck.run_gradcheck`: whatever layers, activations and penalties the library
holds), with the relative error of each parameter's gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from matplotlib.figure import Figure

import trainlab as tl
from trainlab.activations import ACTIVATIONS
from trainlab.gradcheck import TOLERANCE, numerical_gradient, relative_error, run_gradcheck
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import data_of
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.settings import DataConfig, option

LESSON = Lesson(
    name="gradient-check", title="Gradient check: backprop against numerical differences",
                                 book=DLFS,
    section="5.7.3 Gradient check", figure="",
    description=(
        "Backpropagation's gradients against central differences (h = {eps}), in float64. The "
        "book's check: a 784-{hidden}-10 net ({activation}, weights from N(0, {init_std}²)) on "
        "{samples} {dataset} training images (the first ones for seed 0, as in the book; drawn at "
        "random for the other seeds), with the mean absolute difference of each parameter's "
        "gradient, the book's measure. Then trainlab's check of every layer type, activation and "
        "penalty it has, on batches of {batch} random inputs, with the relative error ‖g_backprop "
        "- g_numeric‖ / (‖g_backprop‖ + ‖g_numeric‖) of each parameter. Each seed ({seeds}) draws "
        "new weights and data."),
)

LABELS = {"book-net": "the book's two-layer net", "every-layer": "every layer of trainlab"}
BOOK_LARGEST = 1.2e-10  # the largest mean absolute difference the book prints (b2's; W1, b1, W2 about 1e-12)


@dataclass
class Config(DataConfig):
    hidden: int = option(50, ge=1)
    activation: str = option("relu", choices=ACTIVATIONS.names)  # chapter 5's net
    init_std: float = option(0.01, gt=0)
    samples: int = option(3, ge=1)  # the book checks on x_train[:3]
    eps: float = option(1e-5, gt=0, le=0.1)  # the step h of the central differences
    batch: int = option(16, ge=1)  # the every-layer check's batch
    # Agreement is decided by orders of magnitude (1e-12 against 1e-9; 1e-8 against 1e-6); what the
    # seeds add is other weights and data. Five, at a few seconds each (the book's net has 39,760
    # parameters).
    seeds: int = option(5, ge=1)

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "hidden": 10, "seeds": 3}
    NOTEBOOK: ClassVar[dict] = {"dataset": "mnist-mini", "seeds": 3}  # notebooks/01_gradients.py


def settings(config: Config) -> tuple[str, ...]:
    return ("book-net", "every-layer")


def label(setting: str) -> str:
    return LABELS.get(setting, setting)


def book_net(config: Config, seed: int) -> dict:
    data = data_of(config)
    index = (np.arange(config.samples) if seed == 0 else
             np.random.default_rng(seed).choice(len(data.x_train), config.samples, replace=False))
    x, t = data.x_train[index].astype(np.float64), data.y_train[index]
    net = tl.Sequential([tl.Dense(config.hidden, init=config.init_std, activation=config.activation),
                         tl.Dense(10, init=config.init_std)], input_dim=x.shape[1], seed=seed, dtype="float64")
    backprop = {name: grad.copy() for name, grad in net.gradient(x, t).items()}
    numeric = {name: numerical_gradient(lambda _: net.loss(x, t, training=True), param, config.eps)
               for name, param in net.params.items()}
    return {"parameters": list(backprop),
            "mean_abs_diff": [float(np.mean(np.abs(backprop[n] - numeric[n]))) for n in backprop],
            "errors": [relative_error(backprop[n], numeric[n]) for n in backprop],
            "evaluations": 2 * sum(param.size for param in net.params.values())}


def train(config: Config, setting: str, seed: int) -> dict:
    if setting == "book-net":
        return book_net(config, seed)
    rows = run_gradcheck(seed, config.batch)
    return {"parameters": [f"{row.model}: {row.parameter}" for row in rows],
            "errors": [row.relative_error for row in rows]}


def log_largest(key: str):
    return lambda run, c: float(np.log10(max(max(run[key]), 1e-300))) if key in run else float("nan")


LARGEST_DIFF = Measure("log10 of the largest mean absolute difference over the parameters (the "
                       "book's measure)",
                       log_largest("mean_abs_diff"), short="log10 largest mean |difference|")
LARGEST_ERROR = Measure("log10 of the largest relative error over the parameters",
                        log_largest("errors"),
                        short="log10 largest relative error")
TABLE = (LARGEST_DIFF, LARGEST_ERROR)

CLAIMS = (
    Claim("book-net-agrees", "For the two-layer net on three training images the two gradients "
          "differ by almost nothing: the book prints mean absolute differences of about 1e-12 for "
          "W1, b1 and W2 and 1.2e-10 for b2 (we ask for at most 1e-9, ten times the largest).",
          "DLfS 5.7.3", LARGEST_DIFF, a="book-net", expect="<",
          b=-9.0),
    Claim("every-layer-agrees", "The same holds for every layer, activation and penalty of the "
          "library: each parameter's relative error stays below trainlab's gradient-check "
          f"tolerance ({TOLERANCE:g}).",
          "DLfS 5.7.3", LARGEST_ERROR, a="every-layer", expect="<", b=float(np.log10(TOLERANCE)),
          why="Where a parameter fails, look for a kink before a bug: a central difference across "
              "the corner of a ReLU-like unit (within h of its input, or exactly on it) averages "
              "two slopes, and is no derivative."),
)


def notes(runs) -> list[str]:
    lines = []
    for setting in runs.settings:
        failed = {(seed, name) for seed in runs.seeds if (run := runs.get(setting, seed))
                  for name, error in zip(run["parameters"], run["errors"], strict=True) if error >= TOLERANCE}
        if failed:
            lines.append(f"{label(setting)}: {len(failed)} parameter(s) above the tolerance "
                         f"{TOLERANCE:g}: "
                         + ", ".join(f"{name} (seed {seed})" for seed, name in sorted(failed)) + ".")
    net = runs.get("book-net", runs.seeds[0])
    if net is not None:
        lines.append(f"The numerical gradient of the book's net took {net['evaluations']:,} "
                     "evaluations of the loss; backpropagation gives them all from one forward and "
                     "one backward pass.")
    return lines


def plot(runs) -> dict:
    figure = Figure(figsize=(16, 6), layout="constrained")
    axes = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 5]})
    for ax, setting in zip(axes, runs.settings, strict=False):
        names = runs.get(setting, runs.seeds[0])["parameters"]
        errors = runs.curves(setting, "errors")  # one row per seed
        positions = np.arange(len(names))
        for i, row in enumerate(errors):
            ax.plot(positions, np.maximum(row, 1e-17), linestyle="none", markersize=5 if i == 0 else 3,
                    alpha=1.0 if i == 0 else 0.5, label="relative error" if i == 0 else None, **plots.style(0))
        if setting == "book-net":
            for i, row in enumerate(runs.curves(setting, "mean_abs_diff")):
                ax.plot(positions, np.maximum(row, 1e-17), linestyle="none", markersize=5 if i == 0 else 3,
                        alpha=1.0 if i == 0 else 0.5, label="mean |difference| (the book's)" if i == 0 else None,
                        **plots.style(1))
        ax.axhline(TOLERANCE, color="#D55E00", linestyle="--", label=f"tolerance {TOLERANCE:g}")
        ax.set_yscale("log")
        ax.set_xticks(positions, names, rotation=90, fontsize="small")
        ax.set(title=label(setting), ylabel="difference (log scale)", ylim=(1e-17, 1.0))
        ax.grid(alpha=0.3, axis="y")
        plots.legend_outside(ax, fontsize="small")
    figure.suptitle(f"Backprop against numerical gradients (float64, h = {runs.config.eps:g}); seed "
                    f"{runs.seeds[0]} large, the other {len(runs.seeds) - 1} seeds small")
    return {"gradient_check": figure}
