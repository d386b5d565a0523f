"""Gradient descent on f(x0, x1) = x0² + x1² at a suitable, a too large and a too small rate.

A step x ← x - η·2x multiplies the point by (1 - 2η): 0.8 at the book's suitable rate (a walk to the
minimum), -19 (ever larger overshoots) and 1 - 2e-10 (no visible move) at the others, wherever it
starts; so the measures are relative to the start's distance from the minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.landscapes import function_2, gradient_descent
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.settings import LessonConfig, option

LESSON = Lesson(
    name="gradient-descent", title="Gradient descent and the learning rate", book=DLFS,
    section="4.4.1 Gradient descent", figure="Figure 4-10",
    description=(
        "Gradient descent x ← x - η·∇f(x) with numerical gradients (central differences) on f(x0, x1) "
        "= x0² + x1², {steps} steps at a suitable (η = {suitable_lr}), a too large ({large_lr}) and a "
        "too small ({small_lr}) rate. Seed 0 starts at the book's (-3, 4), the others ({seeds} seeds in "
        "all) at points drawn on the circle of radius {radius} around the minimum, alike for each rate."),
)

BOOK_START = (-0.6, 0.8)  # the direction of the book's start (-3, 4), 5 from the minimum
LABELS = {"suitable": "suitable rate", "too-large": "too large rate", "too-small": "too small rate"}
label = plots.labeller(LABELS)


@dataclass
class Config(LessonConfig):
    suitable_lr: float = option(0.1, gt=0)
    large_lr: float = option(10.0, gt=0)
    small_lr: float = option(1e-10, gt=0)
    steps: int = option(100, ge=1)
    radius: float = option(5.0, gt=0)  # the starts' distance from the minimum (the book's: 5)
    # Claims orders of magnitude from their levels, noise only from rounding: 5 starts (instant).
    seeds: int = option(5, ge=1)

    QUICK: ClassVar[dict] = {"seeds": 3}
    NOTEBOOK: ClassVar[dict] = {"seeds": 5}  # notebooks/01_gradients.py: the full size (instant)


def settings(config: Config) -> tuple[str, ...]:
    return ("suitable", "too-large", "too-small")


def rate(config: Config, setting: str) -> float:
    return {"suitable": config.suitable_lr, "too-large": config.large_lr,
            "too-small": config.small_lr}[setting]


def start(config: Config, seed: int) -> np.ndarray:
    """The book's start for seed 0; for the others a point on its circle at an angle from the seed."""
    if seed == 0:
        return config.radius * np.array(BOOK_START)
    angle = np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi)
    return config.radius * np.array([np.cos(angle), np.sin(angle)])


def train(config: Config, setting: str, seed: int) -> dict:
    lr, steps = rate(config, setting), config.steps
    return {"path": gradient_descent(function_2, start(config, seed), lr=lr, step_num=steps).tolist()}


def distance(point) -> float:
    """|point|, with an overflowed point (inf or NaN) counted as 1e300 and the minimum as 1e-300."""
    value = float(np.linalg.norm(np.asarray(point, dtype=np.float64)))
    return min(max(value, 1e-300), 1e300) if not np.isnan(value) else 1e300  # each has a logarithm


def distances(run) -> np.ndarray:
    return np.array([distance(point) for point in run["path"]])


def log_ratio(run, point) -> float:
    """log10 of |point| over the start's distance from the minimum."""
    return float(np.log10(distance(point) / distance(run["path"][0])))


DISTANCE = Measure(
    "log10 of the distance to the minimum after {steps} steps over the start's (-6: a millionth)",
    lambda run, c: log_ratio(run, run["path"][-1]), digits=3, short="log10 distance to the minimum / start's")
MOVED = Measure(
    "log10 of the distance moved in {steps} steps over the start's distance to the minimum",
    lambda run, c: log_ratio(run, np.subtract(run["path"][-1], run["path"][0])), digits=3,
    short="log10 distance moved / start's")
TABLE = (DISTANCE, MOVED)

CLAIMS = (
    Claim("suitable-converges", "With a suitable learning rate (η = 0.1) 100 steps walk to the "
          "minimum: the book ends at about (-6.1e-10, 8.1e-10) from (-3, 4), a ten-billionth of "
          "the way away (we ask for closer than a millionth of the start's distance).",
          "DLfS 4.4.1", DISTANCE, a="suitable", expect="<", b=-6.0),
    Claim("too-large-diverges", "With a too large learning rate (η = 10) gradient descent diverges:"
          " the book ends at about (-2.6e13, -1.3e12), farther from the minimum than it started.",
          "DLfS 4.4.1", DISTANCE, a="too-large", expect=">", b=0.0),
    Claim("too-small-barely-moves", "With a too small learning rate (η = 1e-10) the point barely "
          "moves: the book ends at (-2.99999994, 3.99999992) (we ask for a move below a millionth "
          "of the start's distance).", "DLfS 4.4.1", MOVED, a="too-small", expect="<", b=-6.0),
)


def notes(runs) -> list[str]:
    """Where the diverging walk stopped growing: the numerical gradient's limit, not the maths'."""
    far = [distances(run) for run in runs.of("too-large")]
    if not far or runs.config.large_lr <= 1.0:
        return []
    stalled = [int(np.argmax(d >= d.max() * (1 - 1e-9))) for d in far]
    when = f"{min(stalled)}" + (f" to {max(stalled)}" if min(stalled) < max(stalled) else "")
    return [f"With η = {runs.config.large_lr:g} the distance stopped growing at about "
            f"{np.median([d.max() for d in far]):.1g} after {when} steps: there f(x + h) and f(x - "
            "h) differ by less than their rounding, so the numerical gradient is lost (zero or "
            "noise; the book's walk stops near 1e13 for the same reason)."]


def plot(runs) -> dict:
    config, box = runs.config, 1.2 * runs.config.radius
    figure, (axes,) = plots.figure(4, width=4.8, height=4.6)
    X, Y = np.meshgrid(np.linspace(-box, box, 200), np.linspace(-box, box, 200))
    colours = plots.styles(runs.settings)
    ticks = np.linspace(-0.8, 0.8, 5) * config.radius  # inside the box: no two tick labels meet
    for ax, setting in zip(axes, runs.settings, strict=False):
        ax.contour(X, Y, X**2 + Y**2, levels=10, colors="0.85", linewidths=0.8)
        shown = [plots.path_2d(ax, run["path"], (-box, box, -box, box), **colours[setting],
                               linewidth=1.3 if i == 0 else 0.8, markersize=3 if i == 0 else 2,
                               alpha=1.0 if i == 0 else 0.45)
                 for i, run in enumerate(runs.of(setting))]
        ax.plot(0, 0, "+", color="black", markersize=12)
        left = [n for n, run in zip(shown, runs.of(setting), strict=True) if n < len(run["path"])]
        title = f"η = {rate(config, setting):g} ({label(setting)})"
        title += f"\noff the plot at step {min(left)}" if left else ""
        ax.set(title=title, xlabel="x0", ylabel="x1", aspect="equal", xlim=(-box, box),
               ylim=(-box, box), xticks=ticks, yticks=ticks)
    for setting, colour in colours.items():
        plots.mean_curve(axes[3], np.array([distances(run) for run in runs.of(setting)]), **colour,
                         x=np.arange(config.steps + 1), label=f"η = {rate(config, setting):g}")
    plots.finish(axes[3], yscale="log", title="distance to the minimum per step", xlabel="step",
                 ylabel="distance (log scale)")
    figure.suptitle(f"Gradient descent on x0² + x1², {config.steps} steps: seed 0 from the book's "
                    f"(-3, 4) (bold), the others from the circle of radius {config.radius:g}; a "
                    "cross: where a walk runs off the plot")
    return {"paths": figure}
