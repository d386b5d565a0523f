"""The paths of the update rules on the elongated bowl f(x, y) = x²/20 + y² (the book's Figure 6-8).

The book describes each path in words; each word becomes a measure of the path:
- zig-zag: how far it travels across the valley (along y) for the height |y₀| it has to descend;
- inefficient or straight: its length over the straight distance from its start to its end;
- rolls like a ball, speeding up along the flat x direction: its largest x step over its first;
- where it ends: f after the steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import trainlab as tl
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.landscapes import elongated_bowl, optimizer_path
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.settings import LessonConfig, option
from trainlab.optimizers import OPTIMIZERS

LESSON = Lesson(
    name="optimizers-2d", title="Optimizer paths on x²/20 + y²", book=DLFS,
    section="6.1.7 Which update method to use", figure="Figure 6-8",
    description=(
        "Each update rule takes {steps} steps on f(x, y) = x²/20 + y², a valley twenty times "
        "flatter along x than along y, at the book's rates (SGD 0.95, Momentum 0.1, AdaGrad 1.5, "
        "Adam 0.3; Hands-On ML 11.3's others at rates of that size). Seed 0 starts at the book's "
        "(-7, 2), the others ({seeds} seeds) at x in [-9, -5], y in [1, 3] (drawn), each rule alike."),
)

label = plots.labeller(plots.OPTIMIZER_LABELS)
BOX = (-10.0, 10.0, -5.0, 5.0)  # the figure's axes, as in the book's figure


@dataclass
class Config(LessonConfig):
    steps: int = option(30, ge=1)
    optimizers: tuple[str, ...] = option(
        ("sgd", "momentum", "adagrad", "adam", "nesterov", "rmsprop", "adamax", "nadam"),
        choices=OPTIMIZERS.names)
    learning_rates: tuple[float, ...] = option((0.95, 0.1, 1.5, 0.3, 0.1, 0.1, 0.3, 0.3), gt=0,
                                               length_of="optimizers")
    # Deterministic paths; only the start varies. The book's contrasts are large (SGD's sway 18
    # against 1-5), some closer (Adam's sway against Momentum's, f after 30 steps): ten free starts.
    seeds: int = option(10, ge=1)

    QUICK: ClassVar[dict] = {"seeds": 4}


def settings(config: Config) -> tuple[str, ...]:
    return config.optimizers


def start(seed: int) -> tuple[float, float]:
    if seed == 0:
        return (-7.0, 2.0)
    x, y = np.random.default_rng(seed).uniform((-9.0, 1.0), (-5.0, 3.0))
    return (float(x), float(y))


def train(config: Config, setting: str, seed: int) -> dict:
    lr = dict(zip(config.optimizers, config.learning_rates, strict=True))[setting]
    with np.errstate(over="ignore", invalid="ignore"):
        path = optimizer_path(tl.get_optimizer(setting, lr=lr), config.steps, start(seed))
    return {"path": path.tolist()}


def finite_path(run) -> np.ndarray | None:
    path = np.asarray(run["path"], dtype=np.float64)
    return path if np.all(np.isfinite(path)) else None


def measure(name: str, short: str, of) -> Measure:
    """A measure ``of`` a path (an array of points); NaN for a path that overflowed."""
    def value(run, config) -> float:
        path = finite_path(run)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return float(of(path)) if path is not None else float("nan")
    return Measure(name, value, short=short)


SWAY = measure("the distance travelled along y (across the valley) over the height |y₀| to descend",
               "sway across the valley", lambda p: np.sum(np.abs(np.diff(p[:, 1]))) / abs(p[0, 1]))
DETOUR = measure("the path's length over the straight distance from its start to its end",
                 "length / straight distance",
                 lambda p: np.sum(np.linalg.norm(np.diff(p, axis=0), axis=1)) / np.linalg.norm(p[-1] - p[0]))
SPEED_UP = measure("its largest step along x over its first step along x", "largest x-step / first",
                   lambda p: np.max(np.abs(np.diff(p[:, 0]))) / abs(p[1, 0] - p[0, 0]))
FINAL = measure("log10 of f after {steps} steps", "log10 f at the end",
                lambda p: np.log10(max(elongated_bowl(*p[-1]), 1e-300)))
CROSSINGS = measure("crossings of the valley floor y = 0", "crossings of y = 0",
                    lambda p: np.sum(np.diff(np.sign(p[:, 1])) != 0))
TABLE = (FINAL, SWAY, DETOUR, SPEED_UP, CROSSINGS)

OTHERS, FIG = ("momentum", "adagrad", "adam"), "DLfS 6.1.2, 6.1.7, Figure 6-8"
CLAIMS = (
    Claim("sgd-zigzags", "SGD zig-zags across the valley: on a function whose slope differs by "
          "direction its path swings from side to side.", FIG, SWAY, a="sgd", expect=">", b=OTHERS),
    Claim("sgd-inefficient", "SGD's path to the minimum is inefficient: longer than the others'.",
          FIG, DETOUR, a="sgd", expect=">", b=OTHERS),
    Claim("momentum-accelerates", "Momentum rolls like a ball in a bowl: along x the force is "
          "small but always the same way, so it speeds up, which SGD does not.",
          "DLfS 6.1.4, Figure 6-5", SPEED_UP, a="momentum", expect=">", b="sgd"),
    Claim("adagrad-straight", "AdaGrad's steps along y shrink quickly, so its zig-zag fades and it "
          "heads to the minimum on a straighter path.", "DLfS 6.1.5, Figure 6-6", DETOUR,
          a="adagrad", expect="<", b=("sgd", "momentum")),
    Claim("adam-sways-less", "Adam moves like a ball in a bowl, as Momentum does, but rocks less "
          "from side to side.", "DLfS 6.1.6, Figure 6-7", SWAY, a="adam", expect="<", b="momentum"),
    Claim("adagrad-best-here", "From this figure alone AdaGrad looks best (the book adds that this "
          "depends on the problem): it ends lowest of the four.", "DLfS 6.1.7, Figure 6-8", FINAL,
          a="adagrad", expect="<", b=("sgd", "momentum", "adam")),
)


def notes(runs) -> list[str]:
    off = {s: sum(finite_path(r) is None or elongated_bowl(*r["path"][-1]) > elongated_bowl(*r["path"][0])
                  for r in runs.of(s)) for s in runs.settings}
    return [f"{label(s)} diverged (it ended higher up the bowl than it started, or overflowed) in "
            f"{n} of {len(runs.of(s))} starts." for s, n in off.items() if n]


def plot(runs) -> dict:
    config, n = runs.config, len(runs.settings) + 1
    figure, axes = plots.panels(n, 3, width=4.4, height=3.0)
    X, Y = np.meshgrid(np.linspace(BOX[0], BOX[1], 200), np.linspace(BOX[2], BOX[3], 200))
    colours = plots.styles(runs.settings)
    lrs = dict(zip(config.optimizers, config.learning_rates, strict=True))
    for ax, setting in zip(axes, runs.settings, strict=False):
        ax.contour(X, Y, elongated_bowl(X, Y), levels=np.geomspace(0.05, 30, 12), colors="0.85",
                   linewidths=0.8)
        for i, run in enumerate(runs.of(setting)):
            plots.path_2d(ax, run["path"], BOX, **colours[setting], linewidth=1.4 if i == 0 else 0.7,
                          markersize=3 if i == 0 else 0, alpha=1.0 if i == 0 else 0.35)
        ax.plot(0, 0, "+", color="black", markersize=10)
        ax.set(title=f"{label(setting)} (η = {lrs[setting]:g})", xlim=BOX[:2], ylim=BOX[2:],
               xlabel="x", ylabel="y")
    for setting, colour in colours.items():
        values = [[elongated_bowl(*point) for point in run["path"]] for run in runs.of(setting)]
        plots.mean_curve(axes[-1], np.array(values, dtype=np.float64), label=label(setting),
                         x=np.arange(config.steps + 1), band=False, **colour)
    plots.finish(axes[-1], yscale="log", title="f per step (mean of the starts)", xlabel="step",
                 ylabel="f (log scale)")
    figure.suptitle(f"{config.steps} steps on f(x, y) = x²/20 + y²: seed {runs.seeds[0]}'s path "
                    f"bold, the other {len(runs.seeds) - 1} starts faint; a cross marks the last "
                    "point inside where a path runs off")
    return {"paths": figure}
