"""The gradient as arrows: -∇f points where f falls fastest, at the minimum only on a round bowl.

The book draws -∇f of x0² + x1² on a grid: each arrow points at the minimum and grows with the
distance from it; the gradient points where f falls most, it adds, not always at the minimum. On the
valley x²/20 + y² (the book's optimizer figure) the two part ways: the lesson measures the angle
between -∇f and the way to the minimum, and how fast f falls along each (differences of f itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from trainlab.gradcheck import numerical_gradient, relative_error
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.landscapes import elongated_bowl, elongated_bowl_gradient
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.settings import LessonConfig, option

LESSON = Lesson(
    name="gradient-arrows", title="The gradient as a field of arrows", book=DLFS,
    section="4.4 Gradient", figure="Figure 4-9",
    description=(
        "The numerical gradient (central differences, the book's step h = {h}) of the book's bowl "
        "f(x0, x1) = x0² + x1² and of the valley x²/20 + y², against the exact one, at the book's "
        "points (3, 4), (0, 2) and (3, 0); then -∇f as arrows on the book's grid (-2 to 2.5 in "
        "steps of {grid_step}), each arrow's angle off the straight way to the minimum, and how "
        "fast f falls along each direction (a finite difference of f). Seed 0 takes the book's "
        "points and grid; each other seed ({seeds} in all) three points drawn in [-4, 4]² and the "
        "grid shifted by a random fraction of a step."),
)

SURFACES = {  # f of a point, and its exact gradient
    "bowl": (lambda p: float(p[0] ** 2 + p[1] ** 2), lambda p: 2.0 * np.asarray(p)),
    "elongated": (lambda p: float(elongated_bowl(p[0], p[1])),
                  lambda p: np.array(elongated_bowl_gradient(*p))),
}
LABELS = {"bowl": "x0² + x1² (the book's)", "elongated": "x²/20 + y²"}
label = plots.labeller(LABELS)
SHORT = {"bowl": "x0² + x1²", "elongated": "x²/20 + y²"}
BOOK_POINTS = ((3.0, 4.0), (0.0, 2.0), (3.0, 0.0))


@dataclass
class Config(LessonConfig):
    h: float = option(1e-4, gt=0)  # the book's step here (trainlab's gradient checks use 1e-5)
    grid_step: float = option(0.25, gt=0, le=1)
    # Every claim is decided by orders of magnitude (angles of 0° against tens of degrees, errors of
    # 1e-11 against 1e-6); the seeds add other points of the plane. Five cost milliseconds.
    seeds: int = option(5, ge=1)

    QUICK: ClassVar[dict] = {"grid_step": 0.5, "seeds": 3}
    NOTEBOOK: ClassVar[dict] = {"seeds": 5}  # notebooks/01_gradients.py: the full size (instant)


def settings(config: Config) -> tuple[str, ...]:
    return tuple(SURFACES)


def train(config: Config, setting: str, seed: int) -> dict:
    f, exact = SURFACES[setting]
    rng = np.random.default_rng(seed)
    points = np.array(BOOK_POINTS) if seed == 0 else rng.uniform(-4.0, 4.0, size=(3, 2))
    offset = 0.0 if seed == 0 else rng.uniform(0.0, config.grid_step, size=2)
    axis = np.arange(-2.0, 2.5, config.grid_step)
    grid = np.array([(a, b) for a in axis for b in axis]) + offset
    grid = grid[np.linalg.norm(grid, axis=1) > 1e-9]  # the minimum itself has no direction

    def gradient(point) -> np.ndarray:
        return numerical_gradient(f, np.array(point, dtype=np.float64), eps=config.h)

    numeric = np.array([gradient(p) for p in points])
    arrows = -np.array([gradient(p) for p in grid])
    towards = -grid / np.linalg.norm(grid, axis=1, keepdims=True)
    steepest = arrows / np.linalg.norm(arrows, axis=1, keepdims=True)
    cosines = np.clip(np.sum(towards * steepest, axis=1), -1.0, 1.0)

    def fall(point, direction, eps=1e-4) -> float:  # how fast f falls along a unit direction
        return (f(point - eps * direction) - f(point + eps * direction)) / (2 * eps)

    falls = [fall(p, s) / fall(p, t) for p, s, t in zip(grid, steepest, towards, strict=True)]
    return {"points": points.tolist(), "numeric": numeric.tolist(),
            "error": relative_error(np.array([exact(p) for p in points]), numeric),
            "grid": grid.tolist(), "arrows": arrows.tolist(),
            "angles": np.degrees(np.arccos(cosines)).tolist(), "fall_ratio": falls}


ERROR = Measure("log10 of the relative error ‖numerical - exact‖ / (‖numerical‖ + ‖exact‖) at the "
                "three points", lambda run, c: float(np.log10(max(run["error"], 1e-300))),
                short="log10 relative error")
ANGLE = Measure("the largest angle between -∇f and the straight way to the minimum, over the grid",
                lambda run, c: max(run["angles"]), unit="°", short="largest angle off the minimum")
MEDIAN_ANGLE = Measure("the median angle between -∇f and the way to the minimum",
                       lambda run, c: float(np.median(run["angles"])), unit="°", short="median angle")
GROWS = Measure("the correlation of an arrow's length with its distance from the minimum",
                lambda run, c: float(np.corrcoef(np.linalg.norm(run["arrows"], axis=1),
                                                 np.linalg.norm(run["grid"], axis=1))[0, 1]),
                short="length-distance correlation")
FALLS = Measure("the median, over the grid, of how much faster f falls along -∇f than along the "
                "straight way to the minimum (a ratio of slopes of f)",
                lambda run, c: float(np.median(run["fall_ratio"])),
                short="slope along -∇f / towards the minimum")
TABLE = (ERROR, ANGLE, MEDIAN_ANGLE, GROWS, FALLS)

CLAIMS = (
    Claim("numerical-is-exact", "The central difference with h = 1e-4 gives the gradient of x0² + "
          "x1²: (6, 8) at (3, 4), (0, 4) at (0, 2) and (6, 0) at (3, 0), up to rounding in the last "
          "digits (we ask for a relative error below 1e-6, trainlab's gradient-check tolerance).",
          "DLfS 4.4", ERROR, a="bowl", expect="<", b=-6.0),
    Claim("arrows-point-to-minimum", "Drawn as arrows, -∇f of x0² + x1² points to the minimum "
          "everywhere (we ask for within 1°).", "DLfS 4.4, Figure 4-9", ANGLE, a="bowl", expect="<", b=1.0),
    Claim("arrows-grow-with-distance", "The farther from the minimum, the longer the arrow (we ask "
          "for a correlation of length and distance above 0.9).",
          "DLfS 4.4, Figure 4-9", GROWS, a="bowl", expect=">", b=0.9),
    Claim("not-always-at-minimum", "The gradient does not always point at the minimum: on the "
          "elongated valley some arrows miss it (by more than 1°).",
          "DLfS 4.4", ANGLE, a="elongated", expect=">", b=1.0),
    Claim("falls-fastest", "What -∇f does point to is the direction in which f falls fastest: "
          "there f falls faster than along the straight way to the minimum.",
          "DLfS 4.4", FALLS, a="elongated", expect=">", b=1.0),
)


def plot(runs) -> dict:
    figure, (axes,) = plots.figure(3, width=5.0, height=4.6)
    X, Y = np.meshgrid(np.linspace(-2.3, 2.8, 100), np.linspace(-2.3, 2.8, 100))
    for ax, setting in zip(axes, runs.settings, strict=False):
        run, f, book = runs.get(setting, runs.seeds[0]), SURFACES[setting][0], setting == "bowl"
        grid, arrows = np.array(run["grid"]), np.array(run["arrows"])
        ax.contour(X, Y, np.vectorize(lambda a, b, f=f: f((a, b)))(X, Y), levels=8, colors="0.85",
                   linewidths=0.8)
        quiver = ax.quiver(grid[:, 0], grid[:, 1], arrows[:, 0], arrows[:, 1], run["angles"],
                           angles="xy", cmap="viridis", clim=(0, 70))
        ax.plot(0, 0, "+", color="#D55E00", markersize=14, markeredgewidth=2)
        ax.set(title=f"-∇f on {SHORT[setting]}\nlargest angle {max(run['angles']):.2g}°",
               xlabel="x0" if book else "x", ylabel="x1" if book else "y", aspect="equal")
    figure.colorbar(quiver, ax=list(axes[:2]), shrink=0.7, label="angle off the minimum (°)")
    for setting, colour in plots.styles(runs.settings).items():
        run = runs.get(setting, runs.seeds[0])
        axes[2].plot(np.linalg.norm(run["grid"], axis=1), np.linalg.norm(run["arrows"], axis=1),
                     linestyle="none", markersize=3, alpha=0.6, label=label(setting), **colour)
    plots.finish(axes[2], title="arrow length |∇f|", xlabel="distance from the minimum", ylabel="|∇f|")
    book = ": the book's grid" if runs.seeds[0] == 0 else ""
    figure.suptitle(f"The gradient as arrows (seed {runs.seeds[0]}{book}; numerical gradients, "
                    f"h = {runs.config.h:g}); colour: how far each arrow points off the minimum")
    return {"gradient_arrows": figure}
