"""Plain gradient descent on f(x0, x1) = x0² + x1² with a good, a too large and a too small learning rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from trainlab.lab.landscapes import function_2, gradient_descent
from trainlab.lab.legacy import ExperimentConfig, Summary, option

NAME = "gradient-descent"
TITLE = "Gradient descent and the learning rate"
BOOK = "Deep Learning from Scratch"
SECTION = "4.4.1 Gradient descent"
FIGURE = "Figure 4-10"
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "a suitable rate (0.1) walks to the minimum; a too large one (10) diverges and a too small one "
    "(1e-10) hardly moves."
)
DESCRIPTION = (
    "Gradient descent x ← x - η·∇f(x) (numerical gradients) on f(x0, x1) = x0² + x1² from (-3, 4), as in "
    "the book's chapter 4: a suitable η walks to the minimum, a too large one overshoots further at every "
    "step and diverges, a too small one hardly moves."
)


BOOK_OUTCOMES = {0.1: "converged", 10.0: "diverged", 1e-10: "barely moved"}  # the book's three rates


@dataclass
class Config(ExperimentConfig):
    start: tuple[float, ...] = option((-3.0, 4.0), length=2)
    learning_rates: tuple[float, ...] = option((0.1, 10.0, 1e-10), gt=0)
    steps: int = option(100, ge=1)

    # no QUICK: already instant


@dataclass
class Run:
    lr: float
    path: list[list[float]]  # steps + 1 points
    final_value: float  # f at the last point


@dataclass
class Result:
    start: list[float]
    runs: list[Run]  # one per learning rate


def descend(config: Config, lr: float) -> Run:
    path = gradient_descent(function_2, config.start, lr=lr, step_num=config.steps)
    with np.errstate(over="ignore"):
        return Run(lr, path.tolist(), function_2(path[-1]))


def run(config: Config) -> Result:
    return Result(list(config.start), [descend(config, lr) for lr in config.learning_rates])


def verdict(start: np.ndarray, final: np.ndarray) -> str:
    """converged / diverged / barely moved, judged by how far the end lies from the minimum and the start."""
    if not np.all(np.isfinite(final)) or np.linalg.norm(final) > np.linalg.norm(start):
        return "diverged"
    if np.linalg.norm(final) < 1e-3 * np.linalg.norm(start):
        return "converged"
    if np.linalg.norm(final - start) < 1e-3 * np.linalg.norm(start):
        return "barely moved"
    return "approaching"


def summarize(result: Result) -> Summary:
    start = np.array(result.start)
    rows, conclusions = [], []
    for r in result.runs:
        final = np.array(r.path[-1])
        state = verdict(start, final)
        moved = float(np.linalg.norm(final - start))
        rows.append([r.lr, f"({final[0]:.4g}, {final[1]:.4g})", r.final_value, moved, state])
        book = BOOK_OUTCOMES.get(r.lr)
        agree = "" if book is None else (" As in the book." if book == state else f" Unlike the book ({book}).")
        conclusions.append(f"With η = {r.lr:g} gradient descent {state}: after {len(r.path) - 1} steps it stands at "
                           f"({final[0]:.3g}, {final[1]:.3g}), where f = {r.final_value:.3g} (it moved "
                           f"{moved:.3g}).{agree}")
    return Summary(["learning rate", "final point", "f(final)", "distance moved", "outcome"], rows, conclusions)


def plot(result: Result) -> dict[str, Figure]:
    figure = Figure(figsize=(4.2 * len(result.runs), 4), layout="constrained")
    axes = figure.subplots(1, len(result.runs), squeeze=False)[0]
    grid = np.linspace(-4.5, 4.5, 200)
    X, Y = np.meshgrid(grid, grid)
    for ax, r in zip(axes, result.runs, strict=True):
        path = np.array(r.path)
        shown = path[np.all(np.abs(path) < 4.5, axis=1)]
        ax.contour(X, Y, X**2 + Y**2, levels=12, colors="0.8", linewidths=0.8)
        ax.plot(shown[:, 0], shown[:, 1], "o-", color="tab:blue", markersize=3)
        ax.plot(0, 0, "+", color="black", markersize=12)
        ax.set(title=f"η = {r.lr:g}: {verdict(path[0], path[-1])}", xlabel="x0", ylabel="x1", aspect="equal")
    figure.suptitle("Gradient descent on x0² + x1² from (-3, 4)")
    return {"paths": figure}
