"""Gradient descent on f(x0, x1) = x0² + x1² with a suitable, a too large and a too small learning rate.

On this bowl one step x ← x - η·2x multiplies the point by (1 - 2η), wherever it starts: the book's three
rates give 0.8 (a walk to the minimum), -19 (each step overshoots further: divergence) and 1 - 2e-10 (no
visible move). The measures are therefore taken relative to the start's distance from the minimum, so that
every start (seed) measures the same thing.
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
        "Gradient descent x ← x - η·∇f(x), with numerical gradients (central differences), on f(x0, x1) = "
        "x0² + x1² for {steps} steps at three learning rates: a suitable one (η = {suitable_lr}), a too large "
        "one ({large_lr}) and a too small one ({small_lr}). The book starts at (-3, 4); so does seed 0, and "
        "each other seed starts at a point drawn on the circle of the same radius {radius} around the minimum "
        "({seeds} seeds), the same start for the three rates."),
)

BOOK_START = (-0.6, 0.8)  # the direction of the book's start (-3, 4), whose distance from the minimum is 5
LABELS = {"suitable": "suitable rate", "too-large": "too large rate", "too-small": "too small rate"}
FLOOR, CEILING = 1e-300, 1e300  # a distance of exactly 0 (or an overflow) still has a logarithm


@dataclass
class Config(LessonConfig):
    suitable_lr: float = option(0.1, gt=0)
    large_lr: float = option(10.0, gt=0)
    small_lr: float = option(1e-10, gt=0)
    steps: int = option(100, ge=1)
    radius: float = option(5.0, gt=0)  # the starts' distance from the minimum (the book's: |(-3, 4)| = 5)
    # The three claims are orders of magnitude from their levels and the rounding of the numerical gradient
    # is the only seed-to-seed noise (the bowl is round): 5 starts settle them; each costs milliseconds.
    seeds: int = option(5, ge=1)

    QUICK: ClassVar[dict] = {"seeds": 3}
    NOTEBOOK: ClassVar[dict] = {"seeds": 5}  # notebooks/01_gradients.py: the full size (instant)


def settings(config: Config) -> tuple[str, ...]:
    return ("suitable", "too-large", "too-small")


def label(setting: str) -> str:
    return LABELS.get(setting, setting)


def rate(config: Config, setting: str) -> float:
    return {"suitable": config.suitable_lr, "too-large": config.large_lr, "too-small": config.small_lr}[setting]


def start(config: Config, seed: int) -> np.ndarray:
    """The book's start for seed 0; for the others a point on the same circle, at an angle drawn from the seed."""
    if seed == 0:
        return config.radius * np.array(BOOK_START)
    angle = np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi)
    return config.radius * np.array([np.cos(angle), np.sin(angle)])


def train(config: Config, setting: str, seed: int) -> dict:
    path = gradient_descent(function_2, start(config, seed), lr=rate(config, setting), step_num=config.steps)
    return {"path": path.tolist()}


def distance(point) -> float:
    """|point|, with an overflowed point (inf or NaN) counted as 1e300 and the minimum itself as 1e-300."""
    value = float(np.linalg.norm(np.asarray(point, dtype=np.float64)))
    return min(max(value, FLOOR), CEILING) if not np.isnan(value) else CEILING


def distances(run) -> np.ndarray:
    return np.array([distance(point) for point in run["path"]])


def log_ratio(value: float, start_distance: float) -> float:
    return float(np.log10(value / start_distance))


DISTANCE = Measure(
    "log10 of the distance to the minimum after {steps} steps over the start's distance (-6: a millionth of it)",
    lambda run, c: log_ratio(distance(run["path"][-1]), distance(run["path"][0])), digits=3,
    short="log10 distance to the minimum / start's")
MOVED = Measure(
    "log10 of the distance moved in {steps} steps over the start's distance to the minimum",
    lambda run, c: log_ratio(distance(np.subtract(run["path"][-1], run["path"][0])), distance(run["path"][0])),
    digits=3, short="log10 distance moved / start's")
TABLE = (DISTANCE, MOVED)

CLAIMS = (
    Claim("suitable-converges", "With a suitable learning rate (η = 0.1), 100 steps walk to the minimum: the book "
          "ends at about (-6.1e-10, 8.1e-10) from (-3, 4), a ten-billionth of the way away (we ask for closer than "
          "a millionth of the start's distance).", "DLfS 4.4.1", DISTANCE, a="suitable", expect="<", b=-6.0),
    Claim("too-large-diverges", "With a too large learning rate (η = 10) gradient descent diverges: the book ends "
          "at about (-2.6e13, -1.3e12), farther from the minimum than it started.", "DLfS 4.4.1", DISTANCE,
          a="too-large", expect=">", b=0.0),
    Claim("too-small-barely-moves", "With a too small learning rate (η = 1e-10) the point barely moves: the book "
          "ends at (-2.99999994, 3.99999992) (we ask for a move below a millionth of the start's distance).",
          "DLfS 4.4.1", MOVED, a="too-small", expect="<", b=-6.0),
)


def notes(runs) -> list[str]:
    """Where the diverging walk stopped growing: the numerical gradient's own limit, not the maths'."""
    far = [distances(run) for run in runs.of("too-large")]
    if not far or runs.config.large_lr <= 1.0:
        return []
    stalled = [int(np.argmax(d >= d.max() * (1 - 1e-9))) for d in far]
    when = f"{min(stalled)}" if min(stalled) == max(stalled) else f"{min(stalled)} to {max(stalled)}"
    return [f"With η = {runs.config.large_lr:g} the distance stopped growing at about "
            f"{np.median([d.max() for d in far]):.1g} after {when} steps: there f(x + h) and f(x - h) differ by "
            "less than their rounding, so the numerical gradient is lost (zero or noise; the book's walk stops "
            "near 1e13 for the same reason)."]


def plot(runs) -> dict:
    config, box = runs.config, 1.2 * runs.config.radius
    figure, axes = plots.figure(4, width=4.8, height=4.6)
    axes = axes.flat
    grid = np.linspace(-box, box, 200)
    X, Y = np.meshgrid(grid, grid)
    colours = plots.styles(runs.settings)
    for ax, setting in zip(axes, runs.settings, strict=False):
        ax.contour(X, Y, X**2 + Y**2, levels=10, colors="0.85", linewidths=0.8)
        shown = [plots.path_2d(ax, run["path"], (-box, box, -box, box), linewidth=1.3 if i == 0 else 0.8,
                               markersize=3 if i == 0 else 2, alpha=1.0 if i == 0 else 0.45, **colours[setting])
                 for i, run in enumerate(runs.of(setting))]
        ax.plot(0, 0, "+", color="black", markersize=12)
        left = [n for n, run in zip(shown, runs.of(setting), strict=True) if n < len(run["path"])]
        title = f"η = {rate(config, setting):g} ({label(setting)})"
        if left:
            title += f"\noff the plot at step {min(left)}"
        ticks = np.linspace(-0.8, 0.8, 5) * config.radius  # inside the box: no corner where two tick labels meet
        ax.set(title=title, xlabel="x0", ylabel="x1", aspect="equal", xlim=(-box, box), ylim=(-box, box),
               xticks=ticks, yticks=ticks)
    ax = axes[3]
    steps = np.arange(config.steps + 1)
    for setting in runs.settings:
        plots.mean_curve(ax, np.array([distances(run) for run in runs.of(setting)]), x=steps,
                         label=f"η = {rate(config, setting):g}", **colours[setting])
    ax.set(yscale="log", title="distance to the minimum per step", xlabel="step", ylabel="distance (log scale)")
    ax.grid(alpha=0.3)
    plots.legend_outside(ax, fontsize="small")
    figure.suptitle(f"Gradient descent on x0² + x1², {config.steps} steps; seed 0 from the book's (-3, 4) (bold), "
                    f"the others from the circle of radius {config.radius:g}; a cross: the last point inside the "
                    "plot of a walk that runs off")
    return {"paths": figure}
