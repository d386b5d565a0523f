"""The paths of the optimizers on the elongated bowl f(x, y) = x²/20 + y², as in the book's figure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

import trainlab as tl
from trainlab.lab.landscapes import elongated_bowl, optimizer_path
from trainlab.lab.legacy import ExperimentConfig, Summary, option
from trainlab.optimizers import OPTIMIZERS

NAME = "optimizers-2d"
TITLE = "Optimizer paths on x²/20 + y²"
BOOK = "Deep Learning from Scratch"
SECTION = "6.1.7 Which update method to use"
FIGURE = "Figure 6-8"
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "SGD zig-zags across the valley; Momentum rolls like a ball; AdaGrad, whose steps shrink, and Adam "
    "take straighter ways to the minimum."
)
DESCRIPTION = (
    "Each optimizer starts at (-7, 2) on f(x, y) = x²/20 + y², a valley twenty times flatter along x than "
    "along y, and takes 30 steps with the book's learning rates. SGD zig-zags across the steep direction "
    "while crawling along the flat one; momentum and the adaptive methods take a straighter way down."
)


@dataclass
class Config(ExperimentConfig):
    start: tuple[float, ...] = option((-7.0, 2.0), length=2)
    steps: int = option(30, ge=1)
    # the book's four with its learning rates, then the others of chapter 11
    optimizers: tuple[str, ...] = option(
        ("sgd", "momentum", "adagrad", "adam", "nesterov", "rmsprop", "adamax", "nadam"), choices=OPTIMIZERS.names)
    learning_rates: tuple[float, ...] = option((0.95, 0.1, 1.5, 0.3, 0.1, 0.1, 0.3, 0.3), gt=0,
                                                length_of="optimizers")

    # no QUICK: already instant


@dataclass
class Run:
    optimizer: str
    lr: float
    path: list[list[float]]  # steps + 1 points (x, y)


@dataclass
class Result:
    start: list[float]
    runs: list[Run]  # one per optimizer


def run(config: Config) -> Result:
    if len(config.optimizers) != len(config.learning_rates):
        raise ValueError(f"optimizers ({len(config.optimizers)}) and learning_rates "
                         f"({len(config.learning_rates)}) must have the same length")
    return Result(list(config.start), [
        Run(name, lr, optimizer_path(tl.get_optimizer(name, lr=lr), config.steps, config.start).tolist())
        for name, lr in zip(config.optimizers, config.learning_rates, strict=True)])


def path_length(path: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(np.linalg.norm(np.diff(path, axis=0), axis=1)))


def diverged(path: np.ndarray) -> bool:
    """Whether the path ran off: a non-finite point, or an end higher up the bowl than the start."""
    with np.errstate(over="ignore", invalid="ignore"):
        return not np.all(np.isfinite(path)) or not elongated_bowl(*path[-1]) <= elongated_bowl(*path[0])


def summarize(result: Result) -> Summary:
    rows, ran_off = [], []
    for r in result.runs:
        path = np.array(r.path)
        if diverged(path):
            ran_off.append(f"{r.optimizer} (η = {r.lr:g})")
            rows.append([r.optimizer, r.lr, "diverged", "", ""])
            continue
        flips = int(np.sum(np.diff(np.sign(path[:, 1])) != 0))  # crossings of the valley floor y = 0
        rows.append([r.optimizer, r.lr, float(elongated_bowl(*path[-1])), path_length(path), flips])
    steps = len(result.runs[0].path) - 1
    conclusions = []
    if ran_off:
        conclusions.append(f"{', '.join(ran_off)} diverged: the steps overshoot further each time and the path "
                           "leaves the valley, so it is left out of the comparison.")
    kept = [row for row in rows if row[2] != "diverged"]
    if kept:
        best = min(kept, key=lambda row: row[2])
        conclusions.append(f"After {steps} steps {best[0]} is lowest (f = {best[2]:.3g}).")
    sgd = next((row for row in kept if row[0] == "sgd"), None)
    others = [row for row in kept if row[0] != "sgd"]
    if sgd is not None and others:
        ratios = [sgd[3] / row[3] for row in others]
        conclusions.append(
            f"{'As in the book, ' if sgd[4] > max(row[4] for row in others) else 'Unlike the book, '}SGD "
            f"{'zig-zags' if sgd[4] > max(row[4] for row in others) else 'does not zig-zag more than the others'} "
            f"across the valley: it crossed y = 0 {sgd[4]} times in {steps} steps, and its path "
            f"({sgd[3]:.3g} long) is {min(ratios):.1f} to {max(ratios):.1f} times as long as the others', which "
            f"cross at most {max(row[4] for row in others)} times."
        )
    return Summary(["optimizer", "learning rate", "f after the last step", "path length",
                    "crossings of y = 0"], rows, conclusions)


def plot(result: Result) -> dict[str, Figure]:
    n = len(result.runs)
    columns = 4 if n > 4 else n
    rows = int(np.ceil(n / columns))
    figure = Figure(figsize=(4 * columns, 3.2 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    X, Y = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-5, 5, 200))
    Z = elongated_bowl(X, Y)
    for ax, r in zip(axes.flat, result.runs, strict=False):
        path = np.array(r.path)
        ax.contour(X, Y, Z, levels=np.geomspace(0.05, 30, 12), colors="0.8", linewidths=0.8)
        ax.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=3, linewidth=1)
        ax.plot(0, 0, "+", color="black", markersize=10)
        ax.set(title=f"{r.optimizer} (η = {r.lr:g})", xlim=(-10, 10), ylim=(-5, 5), xlabel="x", ylabel="y")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    figure.suptitle(f"{len(result.runs[0].path) - 1} steps on f(x, y) = x²/20 + y² from {tuple(result.start)}")
    return {"paths": figure}
