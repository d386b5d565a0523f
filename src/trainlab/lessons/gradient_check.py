"""Gradient check: backpropagation against numerical differences, for the book's net and each layer.

Backpropagation is fast but easy to get wrong; the central difference (f(θ + h) - f(θ - h)) / 2h is
slow but simple: compared in float64 they check every hand-written backward pass. Like the book, the
lesson checks its two-layer net on three training images (the mean absolute difference of each
parameter's gradient), then every layer, activation and penalty of the library
(:func:`trainlab.gradcheck.run_gradcheck`), with each parameter's relative error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import matplotlib
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
    name="gradient-check", title="Gradient check: backprop against numerical differences", book=DLFS,
    section="5.7.3 Gradient check", figure="",
    description=(
        "Backpropagation's gradients against central differences (h = {eps}) in float64. The "
        "book's check: a 784-{hidden}-10 net ({activation}, weights from N(0, {init_std}²)) on "
        "{samples} {dataset} training images (the first for seed 0, as in the book; random for "
        "other seeds), each parameter's mean absolute gradient difference. Then trainlab's check "
        "of each layer type, activation and penalty on batches of {batch} random inputs: each "
        "parameter's relative error ‖g_backprop - g_numeric‖ / (‖g_backprop‖ + ‖g_numeric‖). Each "
        "seed ({seeds}) draws new weights and data."),
)

LABELS = {"book-net": "the book's two-layer net", "every-layer": "every layer of trainlab"}
label = plots.labeller(LABELS)


@dataclass
class Config(DataConfig):
    hidden: int = option(50, ge=1)
    activation: str = option("relu", choices=ACTIVATIONS.names)  # chapter 5's net
    init_std: float = option(0.01, gt=0)
    samples: int = option(3, ge=1)  # the book checks on x_train[:3]
    eps: float = option(1e-5, gt=0, le=0.1)  # the step h of the central differences
    batch: int = option(16, ge=1)  # the every-layer check's batch
    # Orders of magnitude decide (1e-12 against 1e-9; 1e-8 against 1e-6); seeds add weights, data.
    # Five, at a few seconds each (the book's net has 39,760 parameters).
    seeds: int = option(5, ge=1)

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "hidden": 10, "seeds": 3}
    NOTEBOOK: ClassVar[dict] = {"dataset": "mnist-mini", "seeds": 3}  # notebooks/01_gradients.py


def settings(config: Config) -> tuple[str, ...]:
    return ("book-net", "every-layer")


def book_net(config: Config, seed: int) -> dict:
    data = data_of(config)
    index = (np.arange(config.samples) if seed == 0 else
             np.random.default_rng(seed).choice(len(data.x_train), config.samples, replace=False))
    x, t = data.x_train[index].astype(np.float64), data.y_train[index]
    layers = [tl.Dense(config.hidden, init=config.init_std, activation=config.activation),
              tl.Dense(10, init=config.init_std)]
    net = tl.Sequential(layers, input_dim=x.shape[1], seed=seed, dtype="float64")
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


def largest(key: str, text: str, short: str) -> Measure:
    return Measure(f"log10 of the largest {text} over the parameters",
                   short=f"log10 largest {short}",
                   of=lambda run, c: float(np.log10(max(*run[key], 1e-300))) if key in run else np.nan)


LARGEST_DIFF = largest("mean_abs_diff", "mean absolute difference", "mean |difference|")
LARGEST_ERROR = largest("errors", "relative error", "relative error")
TABLE = (LARGEST_DIFF, LARGEST_ERROR)

CLAIMS = (
    Claim("book-net-agrees", "For the two-layer net on three training images the two gradients "
          "differ by almost nothing: the book prints mean absolute differences of about 1e-12 for "
          "W1, b1 and W2 and 1.2e-10 for b2 (we ask for at most 1e-9, ten times the largest).",
          "DLfS 5.7.3", LARGEST_DIFF, a="book-net", expect="<", b=-9.0),
    Claim("every-layer-agrees", "The same holds for every layer, activation and penalty of the "
          "library: each parameter's relative error stays below trainlab's gradient-check "
          f"tolerance ({TOLERANCE:g}).", "DLfS 5.7.3", LARGEST_ERROR, a="every-layer", expect="<",
          b=float(np.log10(TOLERANCE)), why="Where a parameter fails, look for a kink before a "
              "bug: a central difference across the corner of a ReLU-like unit (within h of its "
              "input, or exactly on it) averages two slopes, and is no derivative."),
)


def notes(runs) -> list[str]:
    lines = []
    for setting in runs.settings:
        failed = {(seed, name) for seed in runs.seeds if (run := runs.get(setting, seed))
                  for name, error in zip(run["parameters"], run["errors"], strict=True)
                  if error >= TOLERANCE}
        if failed:
            lines.append(f"{label(setting)}: {len(failed)} parameter(s) above the tolerance {TOLERANCE:g}: "
                         + ", ".join(f"{name} (seed {seed})" for seed, name in sorted(failed)) + ".")
    if (net := runs.get("book-net", runs.seeds[0])) is not None:
        lines.append(f"The numerical gradient of the book's net took {net['evaluations']:,} "
                     "evaluations of the loss; backpropagation gives them all from one forward "
                     "and one backward pass.")
    return lines


def plot(runs) -> dict:
    scale = matplotlib.rcParams["font.size"] / 10  # larger text (--style talk): room for its ticks
    figure = Figure(figsize=(16 * scale, 6 * scale), layout="constrained")
    axes = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 5]})
    shown = (("errors", "relative error", 0), ("mean_abs_diff", "mean |difference| (book's)", 1))
    for ax, setting in zip(axes, runs.settings, strict=False):
        names = runs.get(setting, runs.seeds[0])["parameters"]
        positions = np.arange(len(names))
        for key, text, colour in shown if setting == "book-net" else shown[:1]:
            for i, row in enumerate(runs.curves(setting, key)):  # one row per seed
                ax.plot(positions, np.maximum(row, 1e-17), linestyle="none", **plots.style(colour),
                        markersize=5 if i == 0 else 3, alpha=1.0 if i == 0 else 0.5,
                        label=None if i else text)
        ax.axhline(TOLERANCE, color="#D55E00", linestyle="--", label=f"tolerance {TOLERANCE:g}")
        ax.set_xticks(positions, names, rotation=90, fontsize="small")
        ax.set(title=label(setting), yscale="log", ylabel="difference (log scale)", ylim=(1e-17, 1.0))
        ax.grid(alpha=0.3, axis="y")
        plots.legend_outside(ax, fontsize="small")
    figure.suptitle(f"Backprop against numerical gradients (float64, h = {runs.config.eps:g}); "
                    f"seed {runs.seeds[0]} large, the other {len(runs.seeds) - 1} seeds small")
    return {"gradient_check": figure}
