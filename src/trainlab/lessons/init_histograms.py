"""Activation histograms of a deep net at initialisation, for several weight scales and activations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

import trainlab as tl
from trainlab.activations import ACTIVATIONS
from trainlab.lab.legacy import ExperimentConfig, Summary, option

NAME = "init-histograms"
TITLE = "Weight initialisation: activation histograms"
BOOK = "Deep Learning from Scratch"
SECTION = "6.2.2-6.2.3 Activations of the hidden layers"
FIGURE = "Figures 6-10 to 6-14"
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "sigmoid with std 1 piles the activations up at 0 and 1, std 0.01 crowds them at 0.5, Xavier spreads "
    "them; with ReLU only He keeps every layer alike."
)
DESCRIPTION = (
    "The book's experiment of chapter 6.2: 1000 inputs drawn from N(0, 1) pass through 5 layers of 100 "
    "units, and the histogram of each layer's activations shows what the initial weight scale does. With "
    "sigmoid units and weights of std 1 the activations pile up at 0 and 1, where the gradient vanishes; "
    "with std 0.01 they crowd around 0.5, so all units say the same; Xavier's std 1/√n (n = 100 inputs "
    "per unit) spreads them. With ReLU, std 0.01 makes the activations shrink towards 0 layer after layer, "
    "Xavier shrinks them more slowly, and He's √(2/n) keeps every layer alike. Tanh with Xavier is shown "
    "too. Every setting uses the same input and, up to scale, the same random weights."
)

RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 2.0)}  # the histograms' ranges
NAMES = {"xavier": "Xavier", "sigmoid": "Xavier", "he": "He", "he_normal": "He", "relu": "He"}
MARGIN = 0.05  # "saturated": within this of a bound; "middle": within this of the centre of the range


def parse_init(text: str) -> str | float:
    """A float standard deviation ("0.01") or an initializer name ("xavier", "he")."""
    try:
        return float(text)
    except ValueError:
        return {"he": "he_normal"}.get(text, text)


def check_init(text: str) -> None:
    """Refuse an initialisation that is neither a positive standard deviation nor an initializer's name."""
    tl.get_initializer(parse_init(text), "inits")


def init_label(text: str) -> str:
    init = parse_init(text)
    return f"std={init:g}" if isinstance(init, float) else NAMES.get(str(init), str(init))


@dataclass
class Config(ExperimentConfig):
    # one setting per position: (activation, weight initialisation: a std or a name)
    activations: tuple[str, ...] = option(("sigmoid", "sigmoid", "sigmoid", "relu", "relu", "relu", "tanh"),
                                           choices=ACTIVATIONS.names)
    inits: tuple[str, ...] = option(("1", "0.01", "xavier", "0.01", "xavier", "he", "xavier"),
                                     check=check_init, length_of="activations")
    layers: int = option(5, ge=1)
    units: int = option(100, ge=1)
    samples: int = option(1000, ge=1)
    bins: int = option(30, ge=1)

    # no QUICK: already instant


@dataclass
class Run:
    """One setting (an activation and a weight initialisation), measured layer by layer."""

    label: str  # e.g. "sigmoid, std=1"
    activation: str
    init: str
    range: list[float]  # the histograms' range
    counts: list[list[int]]  # [layer][bin] (for ReLU: of the positive values)
    outside: list[float]  # per layer: the fraction of values outside the histogram's range
    mean: list[float]
    std: list[float]
    saturated: list[float]  # the fraction within MARGIN of the range's bounds (sigmoid, tanh; 0 for ReLU)
    middle: list[float]  # the fraction within MARGIN of the range's centre (sigmoid 0.5, tanh 0)
    zeros: list[float]  # the fraction exactly 0 (ReLU's dead outputs)

    @property
    def overflowed(self) -> bool:
        """Whether the activations overflowed (an absurd weight scale): no statistic of it means anything."""
        return not all(np.isfinite(self.std) & np.isfinite(self.mean))


@dataclass
class Result:
    units: int
    samples: int
    runs: list[Run]  # one per setting

    @property
    def layers(self) -> int:
        return len(self.runs[0].std)


def forward_layers(activation: str, init: str | float, config: Config) -> list[np.ndarray]:
    """The activations of each layer for the experiment's inputs."""
    model = tl.Sequential([tl.Dense(config.units, init=init, activation=activation) for _ in range(config.layers)],
                          input_dim=config.units, seed=config.seed, dtype="float64")
    x = np.random.default_rng(config.seed).standard_normal((config.samples, config.units))
    outputs = []
    with np.errstate(over="ignore", invalid="ignore"):  # absurd scales overflow: reported in words, not warned
        for layer in model.layers:
            x = layer.forward(x)
            outputs.append(x)
    return outputs


def measure(activation: str, init: str, config: Config) -> Run:
    low, high = RANGES.get(activation, (-1.0, 1.0))
    centre = (low + high) / 2
    bounded = activation in ("sigmoid", "tanh")
    outputs = forward_layers(activation, parse_init(init), config)
    # ReLU's zeros (about half of its outputs) would dwarf the rest: its histograms count the positive values
    drawn = [a[a > 0] if activation == "relu" else a for a in outputs]
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = [float(a.mean()) for a in outputs], [float(a.std()) for a in outputs]
    return Run(
        label=f"{activation}, {init_label(init)}", activation=activation, init=init, range=[low, high],
        counts=[np.histogram(a, config.bins, range=(low, high))[0].tolist() for a in drawn],
        outside=[float(np.mean((a < low) | (a > high))) for a in outputs], mean=mean, std=std,
        saturated=[float(np.mean((a < low + MARGIN) | (a > high - MARGIN))) if bounded else 0.0 for a in outputs],
        middle=[float(np.mean(np.abs(a - centre) < MARGIN)) if bounded else 0.0 for a in outputs],
        zeros=[float(np.mean(a == 0)) for a in outputs],
    )


def run(config: Config) -> Result:
    if len(config.activations) != len(config.inits):
        raise ValueError(f"activations ({len(config.activations)}) and inits ({len(config.inits)}) must have "
                         "the same length")
    return Result(config.units, config.samples, [measure(activation, init, config)
                                                 for activation, init in zip(config.activations, config.inits,
                                                                             strict=True)])


def usable(result: Result, activation: str, label: str) -> Run | None:
    """The setting ``activation`` with init label ``label`` ("std=1", "Xavier", "He"), unless absent or overflowed."""
    wanted = f"{activation}, {label}"
    return next((r for r in result.runs if r.label == wanted and not r.overflowed), None)


def table(result: Result) -> tuple[list[str], list[list]]:
    rows = []
    for r in result.runs:
        if r.overflowed:
            rows.append([r.label, "overflowed", "", "", "", "", ""])
            continue
        bounded = r.activation in ("sigmoid", "tanh")
        rows.append([r.label, r.std[0], r.std[-1], float(np.mean(r.std)),
                     f"{np.mean(r.saturated):.1%}" if bounded else "-", f"{np.mean(r.middle):.1%}" if bounded else "-",
                     f"{np.mean(r.zeros):.1%}"])
    return ["setting", "std layer 1", f"std layer {result.layers}", "std (mean over layers)", "saturated",
            "near the middle", "zeros"], rows


def sigmoid_lessons(result: Result) -> list[str]:
    lines = []
    wide, narrow, xavier = (usable(result, "sigmoid", name) for name in ("std=1", "std=0.01", "Xavier"))
    if wide is not None:
        saturated = float(np.mean(wide.saturated))
        verb = "pile up at 0 and 1, where the sigmoid's gradient vanishes, as in the book's figure 6-10" \
            if saturated > 0.5 else "do not pile up at 0 and 1, unlike the book's figure 6-10"
        lines.append(f"With sigmoid units and weights of std 1, {saturated:.0%} of the activations (mean over the "
                     f"{result.layers} layers) lie within {MARGIN} of 0 or 1: they {verb}.")
    if narrow is not None:
        middle, std = float(np.mean(narrow.middle)), float(np.mean(narrow.std))
        verb = ("crowd around 0.5, so all units say nearly the same, as in the book's figure 6-11" if middle > 0.9
                else "do not crowd around 0.5, unlike the book's figure 6-11")
        lines.append(f"With std 0.01 they {verb}: {middle:.0%} lie within {MARGIN} of 0.5 and their standard "
                     f"deviation is only {std:.3f}.")
    if xavier is not None:
        saturated, middle = float(np.mean(xavier.saturated)), float(np.mean(xavier.middle))
        spread = (wide is None or saturated < np.mean(wide.saturated)) and (
            narrow is None or middle < np.mean(narrow.middle))
        verdict = ("spreads them out, as in the book's figure 6-13" if spread else
                   "does not spread them better than the others, unlike the book's figure 6-13")
        lines.append(f"Xavier's std 1/√n {verdict}: standard deviation {np.mean(xavier.std):.3f}, "
                     f"{saturated:.0%} near 0 or 1 and {middle:.0%} near 0.5.")
    return lines


def relu_lessons(result: Result) -> list[str]:
    n, lines = result.layers, []
    relu = {name: usable(result, "relu", name) for name in ("std=0.01", "Xavier", "He")}
    ratios = {name: r.std[-1] / r.std[0] for name, r in relu.items() if r is not None}
    if not ratios:
        return []
    parts = [f"{name} from {relu[name].std[0]:.2g} to {relu[name].std[-1]:.2g} (a factor {ratio:.2g})"
             for name, ratio in ratios.items()]
    lines.append(f"With ReLU the standard deviation of the activations goes from layer 1 to layer {n}: "
                 f"{'; '.join(parts)}.")
    if "He" in ratios:
        he = relu["He"]
        alive = 0.5 <= ratios["He"] <= 2 and max(he.zeros) < 0.75
        per_layer = ", ".join(f"{s:.2f}" for s in he.std)
        verdict = ("keeps every layer alive, as in the book's figure 6-14" if alive else
                   "does not keep the layers alike, unlike the book's figure 6-14")
        lines.append(f"He's √(2/n) {verdict}: the standard deviation per layer is {per_layer}, and "
                     f"{min(he.zeros):.0%} to {max(he.zeros):.0%} of the outputs are zero, as expected of ReLU on "
                     "symmetric inputs.")
    shrinking = {name: ratio ** (1 / max(n - 1, 1)) for name, ratio in ratios.items() if ratio < 0.5}
    if shrinking:
        lines.append("The activations shrink layer by layer with " + " and with ".join(
            f"{name} (by a factor {factor:.2g} per layer)" for name, factor in shrinking.items())
            + ", which starves the deeper layers of signal and gradient.")
    return lines


def other_lessons(result: Result) -> list[str]:
    lines = []
    tanh = usable(result, "tanh", "Xavier")
    if tanh is not None:
        lines.append(f"Tanh with Xavier stays centred on 0 (mean {np.mean(tanh.mean):+.3f}) with a standard "
                     f"deviation from {tanh.std[0]:.2f} in layer 1 to {tanh.std[-1]:.2f} in layer "
                     f"{result.layers}, {np.mean(tanh.saturated):.0%} of values saturated.")
    bad = [r.label for r in result.runs if r.overflowed]
    if bad:
        lines.append(f"With {', '.join(bad)} the activations overflowed to inf or NaN: such a weight scale makes "
                     "the net unusable before any training, so no statistic of it is shown.")
    finite = [r for r in result.runs if not r.overflowed]
    if finite:
        low = min(finite, key=lambda r: r.std[-1])
        high = max(finite, key=lambda r: r.std[-1])
        lines.append(f"In the last layer the standard deviation of the activations ranged from "
                     f"{low.std[-1]:.2g} ({low.label}) to {high.std[-1]:.2g} ({high.label}).")
    return lines


def summarize(result: Result) -> Summary:
    headers, rows = table(result)
    return Summary(headers, rows, [*sigmoid_lessons(result), *relu_lessons(result), *other_lessons(result)])


def plot_histograms(result: Result, settings: list[int]) -> Figure:
    layers = result.layers
    figure = Figure(figsize=(2.6 * layers, 2.1 * len(settings)), layout="constrained")
    axes = figure.subplots(len(settings), layers, squeeze=False, sharey="row")
    for row, i in zip(axes, settings, strict=True):
        low, high = result.runs[i].range
        bins = len(result.runs[i].counts[0])
        edges = np.linspace(low, high, bins + 1)
        for layer, ax in enumerate(row):
            counts = np.array(result.runs[i].counts[layer])
            ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="tab:blue", edgecolor="white",
                   linewidth=0.3)
            ax.set_xlim(low, high)
            if result.runs[i].activation == "relu":
                note = f"zeros {result.runs[i].zeros[layer]:.0%}\nstd {result.runs[i].std[layer]:.2g}"
            else:
                note = f"std {result.runs[i].std[layer]:.2g}\nsat. {result.runs[i].saturated[layer]:.0%}"
            ax.text(0.97, 0.95, note, transform=ax.transAxes, ha="right", va="top", fontsize="small",
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none"})
            if row is axes[0]:
                ax.set_title(f"{layer + 1}-layer")
            if layer == 0:
                ax.set_ylabel(result.runs[i].label, fontsize="small")
            ax.tick_params(labelsize="small")
    activation = result.runs[settings[0]].activation
    extra = " (zeros and values above 2 not drawn)" if activation == "relu" else ""
    figure.suptitle(f"Activations of {layers} {activation} layers of {result.units} units for {result.samples} "
                    f"inputs ~ N(0, 1){extra}")
    return figure


def plot_layer_stats(result: Result) -> Figure:
    figure = Figure(figsize=(14, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2)
    layers = np.arange(1, result.layers + 1)
    styles = {"sigmoid": "-", "relu": "--", "tanh": ":"}
    for i, r in enumerate(result.runs):
        color = f"C{i}"
        left.plot(layers, r.std, styles.get(r.activation, "-."), color=color, marker="o", label=r.label)
        if r.activation in ("sigmoid", "tanh"):
            right.plot(layers, r.saturated, "-", color=color, marker="o", label=f"{r.label}: saturated")
            right.plot(layers, r.middle, "--", color=color, marker="s", label=f"{r.label}: near the middle")
    left.set(title="Standard deviation of the activations", xlabel="layer", ylabel="std (log scale)", yscale="log",
             xticks=layers)
    left.legend(fontsize="small", loc="lower left")
    right.set(title=f"Sigmoid and tanh: share within {MARGIN}\nof a bound or of the middle", xlabel="layer",
              ylabel="fraction of the activations", ylim=(-0.02, 1.02), xticks=layers)
    right.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return figure


def plot(result: Result) -> dict[str, Figure]:
    figures = {}
    for activation in dict.fromkeys(r.activation for r in result.runs):
        settings = [i for i, r in enumerate(result.runs) if r.activation == activation]
        figures[f"histograms_{activation}"] = plot_histograms(result, settings)
    figures["layer_statistics"] = plot_layer_stats(result)
    return figures
