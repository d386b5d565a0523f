"""Activation histograms of a deep net before any training, for several weight scales and
activations.

No training: one unit is one forward pass of the book's 1000 random inputs through its 5 layers of
100 units, measured layer by layer. Seeds draw new inputs and weights; one seed gives every setting
the same draw, rescaled, so settings pair by seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from trainlab.activations import ACTIVATIONS, get_activation
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.inits import check_init, init_label, parse_init
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.settings import LessonConfig, option

LESSON = Lesson(
    name="init-histograms", title="Weight initialisation: activation histograms", book=DLFS,
    section="6.2.2-6.2.3 Activations of the hidden layers", figure="Figures 6-10 to 6-14",
    description=(
        "The book's experiment: {samples} inputs drawn from N(0, 1) pass through {layers} layers "
        "of {units} units (weights only, no biases, as in the book's script), and each layer's "
        "activations are counted in {bins} bins. Each setting pairs an activation with the "
        "weights' standard deviation: sigmoid with std 1 (Figure 6-10), 0.01 (6-11) and Xavier's "
        "1/√n (6-13); ReLU with 0.01, Xavier and He's √(2/n) (6-14); tanh with Xavier (the book's "
        "remedy for sigmoid's lopsided deep layers); n = {units} inputs per unit. Saturated: "
        "within {margin} of the activation's bounds (0 and 1 for sigmoid, ±1 for tanh). Each of "
        "the {seeds} seeds draws new inputs and weights, the same for every setting up to scale."),
)

SETTINGS = ("sigmoid:1", "sigmoid:0.01", "sigmoid:xavier", "relu:0.01", "relu:xavier", "relu:he",
            "tanh:xavier")
RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # histogram range (ReLU: the book's 0 to 2)
BOUNDED = ("sigmoid", "tanh")


def check_setting(text: str) -> None:
    activation, _, init = text.partition(":")
    if activation not in ACTIVATIONS.names() or not init:
        raise ValueError("write activation:init, e.g. sigmoid:0.01 or relu:he")
    check_init(init)


@dataclass
class Config(LessonConfig):
    cases: tuple[str, ...] = option(SETTINGS, check=check_setting)  # "activation:init", init a std or name
    layers: int = option(5, ge=1)
    units: int = option(100, ge=1)
    samples: int = option(1000, ge=1)
    bins: int = option(30, ge=2)
    margin: float = option(0.05, gt=0)
    # The book's pictures differ by factors (67 % saturated against 0.1 %, a spread 10 times
    # smaller); a draw changes them by a few percent. 5 seeds measure that noise; a unit takes
    # milliseconds.
    seeds: int = option(5, ge=1)

    QUICK: ClassVar[dict] = {"samples": 300}
    NOTEBOOK: ClassVar[dict] = {"seeds": 5}  # the full size: milliseconds


def settings(config: Config) -> tuple[str, ...]:
    return config.cases


def label(setting: str) -> str:
    activation, _, init = setting.partition(":")
    return f"{activation}, {init_label(init)}"


def scale(init: str, units: int) -> float:
    """The weights' standard deviation: a number as given; He √(2/n), Xavier (any other name) 1/√n
    (n: the inputs of a unit, as in the book's script)."""
    value = parse_init(init)
    if isinstance(value, float):
        return value
    return math.sqrt(2 / units) if value == "he_normal" else 1 / math.sqrt(units)


def train(config: Config, setting: str, seed: int) -> dict:
    """The forward pass of the book's script, measured layer by layer."""
    activation, _, init = setting.partition(":")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((config.samples, config.units))
    low, high = RANGES.get(activation, (0.0, 2.0))
    phi = get_activation(activation)
    layers = []
    with np.errstate(over="ignore", invalid="ignore"):  # an absurd scale overflows to NaN
        for _ in range(config.layers):
            W = rng.standard_normal((config.units, config.units)) * scale(init, config.units)
            x = phi.forward(x @ W)
            drawn = x[x > 0] if activation == "relu" else x  # ReLU's zeros would dwarf the rest
            finite = np.isfinite(drawn).all()
            counts = np.histogram(drawn, config.bins, range=(low, high))[0] if finite else []
            edge = (x <= low + config.margin) | (x >= high - config.margin)
            layers.append({"std": float(x.std()), "counts": [int(c) for c in counts], "skew": skewness(x),
                           "saturated": float(np.mean(edge)) if activation in BOUNDED else math.nan,
                           "zeros": float(np.mean(x == 0))})
    return {"range": [low, high], "layers": layers}


def skewness(x: np.ndarray) -> float:
    """E[(x - μ)³] / σ³: 0 for a symmetric histogram (NaN where values overflowed or are equal)."""
    sd = x.std()
    return float(np.mean((x - x.mean()) ** 3) / sd**3) if np.isfinite(sd) and sd > 0 else math.nan


def bins_filled(counts: list[int]) -> float:
    """2 to the histogram's entropy: how many bins it fills as evenly as it fills them (1: one)."""
    p = np.asarray(counts, dtype=float)
    p = p[p > 0] / p.sum() if p.sum() else p
    return float(2 ** -(p * np.log2(p)).sum()) if p.size else math.nan


def per_layer(key: str, run: dict) -> list[float]:
    return [layer[key] for layer in run["layers"]]


def mean_over_layers(key: str, transform: Callable[[float], float] = float
                     ) -> Callable[[dict, Config], float]:
    return lambda run, c: float(np.mean([transform(v) for v in per_layer(key, run)]))


SATURATED = Measure("the share of the activations within {margin} of the bounds (mean over the "
                    "layers)",
                    mean_over_layers("saturated"), percent=True, short="saturated")
SPREAD = Measure("the standard deviation of the activations (mean over the layers)",
                 mean_over_layers("std"),
                 short="std (mean over layers)")
LAST_STD = Measure("the standard deviation of the last layer's activations",
                   lambda run, c: per_layer("std", run)[-1],
                   short="std of the last layer")
RATIO = Measure("the standard deviation of the last layer's activations over the first's",
                lambda run, c: per_layer("std", run)[-1] / per_layer("std", run)[0],
                short="std: last / first layer")
BINS = Measure("the bins of {bins} the histogram fills (2 to its entropy, mean over the layers)",
               lambda run, c: float(np.mean([bins_filled(layer["counts"]) for layer in run["layers"]])),
               short="bins filled")
SKEW = Measure("the skewness of the activations, in size (mean over the layers)",
               mean_over_layers("skew", abs),
               short="|skewness|")
ZEROS = Measure("the share of the activations that are exactly 0 (mean over the layers)",
                mean_over_layers("zeros"),
                percent=True, short="zeros")
TABLE = (SPREAD, RATIO, SATURATED, BINS, SKEW, ZEROS)

CLAIMS = (
    Claim("std-1-saturates", "With sigmoid and weights of std 1 the activations pile up at 0 and "
          "1, where the gradient vanishes.",
          "DLfS 6.2.2, Figure 6-10", SATURATED, a="sigmoid:1", expect=">",
          b=("sigmoid:0.01", "sigmoid:xavier")),
    Claim("std-0.01-collapses", "With std 0.01 the activations crowd around 0.5: the units all say "
          "nearly the same, and the layer's power of expression is lost.",
          "DLfS 6.2.2, Figure 6-11", SPREAD,
          a="sigmoid:0.01", expect="<", b=("sigmoid:1", "sigmoid:xavier")),
    Claim("xavier-spreads", "Xavier's std 1/√n spreads the activations over the range, neither "
          "piled at the ends nor crowded in the middle.",
          "DLfS 6.2.2, Figure 6-13", BINS, a="sigmoid:xavier", expect=">",
          b=("sigmoid:1", "sigmoid:0.01")),
    Claim("tanh-symmetric", "The deeper sigmoid layers come out somewhat lopsided with Xavier; "
          "tanh, symmetric about the origin, gives symmetric bell-shaped histograms.",
          "DLfS 6.2.2, Figure 6-13", SKEW,
          a="tanh:xavier", expect="<", b="sigmoid:xavier"),
    Claim("relu-0.01-vanishes", "With ReLU and std 0.01 the activations are tiny in every layer, "
          "so little flows back and learning hardly moves.",
          "DLfS 6.2.3, Figure 6-14", LAST_STD, a="relu:0.01",
          expect="<", b=("relu:xavier", "relu:he")),
    Claim("relu-xavier-fades", "With ReLU, Xavier's activations lean towards 0 more with every "
          "layer; He's do not.",
          "DLfS 6.2.3, Figure 6-14", RATIO, a="relu:xavier", expect="<", b="relu:he"),
    Claim("relu-he-even", "With ReLU and He's √(2/n) every layer's activations have the same "
          "spread (here: the last layer's std within a factor 2 of the first's).",
          "DLfS 6.2.3, Figure 6-14", RATIO, a="relu:he",
          expect="in", b=(0.5, 2.0)),
)


def notes(runs) -> list[str]:
    broken = [label(s) for s in runs.settings
              if any(not math.isfinite(layer["std"]) for run in runs.of(s) for layer in run["layers"])]
    return [f"With {', '.join(broken)} the activations overflowed to inf or NaN: such a weight "
            "scale makes the net unusable before any training."] if broken else []


def plot(runs) -> dict:
    config, figures = runs.config, {}
    for activation in dict.fromkeys(s.partition(":")[0] for s in runs.settings):
        shown = [s for s in runs.settings if s.startswith(activation)]
        figures[f"histograms_{activation}"] = histograms(runs, shown)
    figure, axes = plots.figure(2, width=6.0, height=4.4)
    left, right = axes.flat
    depth = np.arange(1, config.layers + 1)
    colours = plots.styles(runs.settings)
    for setting in runs.settings:
        curves = np.array([per_layer("std", run) for run in runs.of(setting)])
        plots.mean_curve(left, curves, x=depth, label=label(setting), markevery=1, **colours[setting])
        if setting.partition(":")[0] in BOUNDED:
            saturated = np.array([per_layer("saturated", r) for r in runs.of(setting)])
            plots.mean_curve(right, saturated, x=depth, label=label(setting), markevery=1,
                             **colours[setting])
    left.set(title="Spread of the activations", xlabel="layer", ylabel="standard deviation (log scale)",
             yscale="log", xticks=depth)
    right.set(title=f"Saturated: within {config.margin:g} of a bound", xlabel="layer",
              ylabel="share of the activations", ylim=(-0.02, 1.02), xticks=depth)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        plots.legend_outside(ax, fontsize="small")
    figure.suptitle(f"Per layer: mean of {config.seeds} seeds and their range")
    figures["layer_statistics"] = figure
    return figures


def histograms(runs, settings: list[str]):
    """The book's picture: a row of per-layer histograms for each setting (the first seed's)."""
    config = runs.config
    figure, axes = plots.figure(config.layers, len(settings), width=2.5, height=2.1)
    grid = np.array(axes).reshape(len(settings), config.layers)
    for row, setting in zip(grid, settings, strict=True):
        run = runs.of(setting)[0]
        low, high = run["range"]
        edges = np.linspace(low, high, config.bins + 1)
        for layer, ax in enumerate(row):
            data = run["layers"][layer]
            if data["counts"]:
                ax.bar(edges[:-1], data["counts"], width=np.diff(edges), align="edge", color="#0072B2",
                       edgecolor="white", linewidth=0.3)
            else:
                ax.text(0.5, 0.5, "overflowed", transform=ax.transAxes, ha="center")
            ax.set_xlim(low, high)
            ax.text(0.97, 0.95, f"std {data['std']:.2g}", transform=ax.transAxes, ha="right", va="top",
                    fontsize="small", bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none"})
            ax.set_title(f"layer {layer + 1}" if setting == settings[0] else "", fontsize="small")
            ax.tick_params(labelsize="small")
        row[0].set_ylabel(label(setting), fontsize="small")
    extra = " (zeros not drawn)" if settings[0].startswith("relu") else ""
    figure.suptitle(f"Activations of {config.layers} layers of {config.units} units for "
                    f"{config.samples} inputs ~ N(0, 1), first seed{extra}")
    return figure
