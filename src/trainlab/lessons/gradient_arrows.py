"""The gradient as a picture (Deep Learning from Scratch 4.4): arrows of -∇f, and a 2x3 net's numerical gradient."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl
from trainlab.gradcheck import relative_error
from trainlab.lab.landscapes import function_2
from trainlab.lab.legacy import ExperimentConfig, Summary, option

NAME = "gradient-arrows"
TITLE = "The gradient as a field of arrows"
BOOK = "Deep Learning from Scratch"
SECTION = "4.4 Gradient"
FIGURE = "Figure 4-9"
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "the central-difference gradient of x0² + x1² is (6, 8) at (3, 4), (0, 4) at (0, 2) and (6, 0) at (3, 0), "
    "up to rounding in the last digits; drawn as arrows, -∇f points towards the minimum everywhere and grows "
    "with the distance from it (on other functions it points where f falls fastest, not always at a minimum)."
)
TOLERANCE = 1e-6  # the largest difference from 2·x that still counts as rounding, for h = 1e-4
ANGLE = 1.0  # degrees an arrow may point off the way to the origin
DESCRIPTION = (
    "Deep Learning from Scratch 4.4: the numerical gradient (central differences with the book's step "
    "h = 1e-4) of f(x0, x1) = x0² + x1² at (3, 4), (0, 2) and (3, 0), against the exact 2·x; then -∇f on a "
    "grid of the plane as arrows, which all point to the minimum at the origin and grow with the distance "
    "from it (the steepest way down, not always straight to a minimum on other functions). Last, the "
    "book's simple net: one 2x3 weight matrix W (random, from the seed), input x = (0.6, 0.9), label 2, "
    "softmax cross-entropy loss; the numerical dL/dW against the one backpropagation gives, x·(softmax(xW) - t)."
)


@dataclass
class Config(ExperimentConfig):
    h: float = option(1e-4, gt=0)  # the book's step for this chapter (trainlab's gradient checks use 1e-5)
    points: tuple[float, ...] = option((3.0, 4.0, 0.0, 2.0, 3.0, 0.0))  # x0, x1 pairs
    grid_low: float = -2.0
    grid_high: float = option(2.5, gt=-2.0)
    grid_step: float = option(0.25, gt=0)
    net_input: tuple[float, ...] = option((0.6, 0.9), length=2)
    net_label: int = option(2, ge=0, le=2)

    # no QUICK: already instant


@dataclass
class Result:
    h: float
    points: list[list[float]]
    numeric: list[list[float]]  # the numerical gradient at each point
    exact: list[list[float]]
    grid: list[list[float]]  # (x0, x1) of every arrow
    arrows: list[list[float]]  # -∇f there (numerical)
    worst_angle: float  # the largest angle (degrees) between an arrow and the way to the origin
    W: list[list[float]]
    net_loss: float
    net_numeric: list[list[float]]
    net_backprop: list[list[float]]
    net_error: float  # relative error numeric vs backprop


def numeric_gradient(x: np.ndarray, h: float) -> np.ndarray:
    return tl.numerical_gradient(function_2, np.array(x, dtype=np.float64), eps=h)


def arrow_field(config: Config) -> tuple[np.ndarray, np.ndarray]:
    axis = np.arange(config.grid_low, config.grid_high, config.grid_step)
    grid = np.array([(a, b) for a in axis for b in axis])
    return grid, np.array([-numeric_gradient(point, config.h) for point in grid])


def worst_angle(grid: np.ndarray, arrows: np.ndarray) -> float:
    """The largest angle between -∇f and the direction to the origin, over the points away from it."""
    away = np.linalg.norm(grid, axis=1) > 1e-9
    towards = -grid[away] / np.linalg.norm(grid[away], axis=1, keepdims=True)
    unit = arrows[away] / np.linalg.norm(arrows[away], axis=1, keepdims=True)
    return float(np.degrees(np.arccos(np.clip(np.min(np.sum(towards * unit, axis=1)), -1, 1))))


def simple_net(config: Config) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """(W, loss, numerical dL/dW with step h, backprop dL/dW) for the book's 2x3 net."""
    model = tl.Sequential([tl.Dense(3, bias=False, init=1.0)], input_dim=2, seed=config.seed, dtype="float64")
    x, t = np.array([config.net_input]), np.array([config.net_label])
    W = model.params["dense1.W"]
    numeric = tl.numerical_gradient(lambda _: model.loss(x, t), W, eps=config.h)
    backprop = model.gradient(x, t)["dense1.W"].copy()
    return W.copy(), model.loss(x, t), numeric, backprop


def run(config: Config) -> Result:
    if len(config.points) % 2:
        raise ValueError(f"points={config.points!r} has an odd number of values; give x0,x1 pairs")
    points = np.array(config.points).reshape(-1, 2)
    grid, arrows = arrow_field(config)
    W, loss, net_numeric, net_backprop = simple_net(config)
    return Result(config.h, points.tolist(), [numeric_gradient(p, config.h).tolist() for p in points],
                  (2 * points).tolist(), grid.tolist(), arrows.tolist(), worst_angle(grid, arrows), W.tolist(),
                  loss, net_numeric.tolist(), net_backprop.tolist(), relative_error(net_backprop, net_numeric))


def summarize(result: Result) -> Summary:
    rows = [[f"({p[0]:g}, {p[1]:g})", f"({n[0]:.15g}, {n[1]:.15g})", f"({e[0]:g}, {e[1]:g})",
             float(np.max(np.abs(np.subtract(n, e))))]
            for p, n, e in zip(result.points, result.numeric, result.exact, strict=True)]
    worst = max(row[-1] for row in rows)
    norms = np.linalg.norm(result.arrows, axis=1) / np.maximum(np.linalg.norm(result.grid, axis=1), 1e-12)
    conclusions = [
        f"With h = {result.h:g} the numerical gradient differs from the exact 2·x by at most {worst:.2g} at these "
        "points (rounding in f(x ± h); for this quadratic the central difference has no truncation error).",
        f"Every arrow -∇f on the grid points to the origin, the minimum (largest angle off that direction: "
        f"{result.worst_angle:.2g}°), and its length is {np.median(norms):.3g} times the distance to it.",
        f"For the 2x3 net (loss {result.net_loss:.4f}) the numerical dL/dW with h = {result.h:g} agrees with "
        f"backpropagation to a relative error of {result.net_error:.2g}.",
    ]
    conclusions += book_verdicts(result, worst)
    return Summary(["point", f"numerical gradient (h = {result.h:g})", "exact 2·x", "largest difference"], rows,
                   conclusions)


def book_verdicts(result: Result, worst: float) -> list[str]:
    """The book's printed gradients and its arrow picture, against rounding-sized tolerances (no seeds here)."""
    lines = []
    if worst <= TOLERANCE:
        lines.append(f"As in the book, the numerical gradients are the exact ones up to rounding: at most {worst:.2g} "
                     f"off 2·x (tolerance {TOLERANCE:g}).")
    else:
        lines.append(f"Unlike the book, the numerical gradient is {worst:.2g} off 2·x, more than rounding "
                     f"(tolerance {TOLERANCE:g}): the step h = {result.h:g} is too large or too small for float64.")
    lengths = np.linalg.norm(result.arrows, axis=1)
    distances = np.linalg.norm(result.grid, axis=1)
    grows = bool(np.all(np.diff(lengths[np.argsort(distances)]) >= -TOLERANCE))
    if result.worst_angle <= ANGLE and grows:
        lines.append(f"As in the book's figure 4-9, every arrow points to the minimum (within "
                     f"{result.worst_angle:.2g}°) and the arrows grow with the distance from it.")
    else:
        lines.append(f"Unlike the book's figure 4-9, some arrow points {result.worst_angle:.2g}° off the way to the "
                     f"minimum, or a farther arrow is shorter (arrows grow with distance: {grows}).")
    return lines


def plot(result: Result) -> dict[str, plt.Figure]:
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5.2), layout="constrained",
                                         gridspec_kw={"width_ratios": [1.2, 1]})
    grid, arrows = np.array(result.grid), np.array(result.arrows)
    left.quiver(grid[:, 0], grid[:, 1], arrows[:, 0], arrows[:, 1], angles="xy", color="#666666")
    left.plot(0, 0, "o", color="C3")
    left.set(xlabel="x0", ylabel="x1", aspect="equal", title="-∇f of f(x0, x1) = x0² + x1² (numerical)")
    left.grid(alpha=0.3)
    numeric, backprop = np.array(result.net_numeric), np.array(result.net_backprop)
    image = right.imshow(numeric, cmap="coolwarm", vmin=-np.abs(numeric).max(), vmax=np.abs(numeric).max())
    for (i, j), value in np.ndenumerate(numeric):
        right.text(j, i, f"{value:.5f}\n({backprop[i, j]:.5f})", ha="center", va="center", fontsize="small")
    right.set(xticks=range(3), yticks=range(2), xlabel="output j", ylabel="input i",
              title="2x3 net: numerical dL/dW (backprop)")
    figure.colorbar(image, ax=right, shrink=0.6)
    return {"gradient_arrows": figure}
