"""Activation functions and vanishing/exploding gradients in a 20-layer net (Hands-On ML 11.1)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl
from trainlab.activations import ACTIVATIONS, Activation, get_activation
from trainlab.figures import accuracy_axis
from trainlab.lab.common import departures, load_data, progress, settings_note, standardize
from trainlab.lab.inits import parse_init
from trainlab.lab.legacy import ExperimentConfig, Summary, option
from trainlab.lab.noise import Spread, compare, order, seeds

NAME = "activations"
TITLE = "Activation functions and vanishing/exploding gradients"
BOOK = "Hands-On Machine Learning"
SECTION = "11.1 The vanishing/exploding gradients problems"
FIGURE = ""
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "with sigmoid and a normal(0, 1) start the gradients shrink layer by layer on the way to the input; Glorot, "
    "He and LeCun initialization help, and non-saturating activations keep the gradients' size. Its rough "
    "ranking for deep nets: "
    "SELU > ELU > leaky ReLU (and its variants) > ReLU > tanh > sigmoid; ReLU units can die (output 0 for "
    "every input), the leaky variants and ELU cannot."
)
DESCRIPTION = (
    "Hands-On ML 11.1: a 20-layer net (784-100x20-10) with each activation and the initialization it calls "
    "for (Glorot for sigmoid and tanh, He for the ReLU family, ELU and GELU, LeCun for SELU; table 11-1), "
    "on the first 20,000 standardized MNIST training images (2 epochs of SGD, η = 0.01, batches of 128; "
    "the book gives no setting for this comparison). Before training and after every epoch the norm of "
    "dL/dW of every layer is measured on a fixed batch of 1,000 training images: where it shrinks layer by layer "
    "towards the input the gradients vanish, where it grows they explode. Units whose derivative is 0 on "
    "every image of that batch are dead (a ReLU that never fires; a sigmoid saturated to exactly 0 or 1). "
    "Leaky ReLU has the book's 'huge leak' alpha = 0.2; PReLU learns one slope per unit (from 0.25); RReLU "
    "draws its slope from U(1/8, 1/3) in training and uses the mean in inference. Several seeds; the "
    "book's ranking SELU > ELU > leaky ReLU > ReLU > tanh > sigmoid is checked pair by pair against the "
    "seed-to-seed noise."
)

INITS = {"sigmoid": "glorot_normal", "tanh": "glorot_normal", "selu": "lecun_normal"}  # others: He
FACTORIES = {"leaky_relu": lambda: tl.LeakyReLU(0.2)}
BOOK_ORDER = ("selu", "elu", "leaky_relu", "relu", "tanh", "sigmoid")  # Hands-On ML: best first


def check_spec(spec: str) -> None:
    """Refuse an activation that trainlab does not know, or an init that is neither a std nor a name."""
    name, init = split_spec(spec)
    ACTIVATIONS.create(name, "activations")
    tl.get_initializer(init, "activations")


def split_spec(spec: str) -> tuple[str, str | float]:
    """("relu", "he_normal") from "relu"; "sigmoid@1.0" gives ("sigmoid", 1.0), the std of a normal init."""
    name, _, init = spec.partition("@")
    return name, parse_init(init) if init else INITS.get(name, "he_normal")


@dataclass
class Config(ExperimentConfig):
    # "name" (with the init the book pairs it with) or "name@init" (an initializer name or a std)
    activations: tuple[str, ...] = option(
        ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "rrelu", "elu", "selu", "gelu"), check=check_spec)
    depth: int = option(20, ge=2)
    units: int = option(100, ge=1)
    lr: float = option(0.01, gt=0)
    batch_size: int = option(128, ge=1)
    epochs: int = option(2, ge=1)
    repeats: int = option(3, ge=1)
    probe_samples: int = option(1000, ge=1)
    # A third of MNIST and 2 epochs keep 9 activations x 3 seeds of a 20-layer net within minutes on one core;
    # the book gives no setting for this comparison, and the ranking shows early.
    train_samples: int | None = option(20000, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    QUICK: ClassVar[dict[str, Any]] = dict(activations=("sigmoid", "relu", "prelu", "rrelu", "selu"), depth=8,
                                           units=32, epochs=1, repeats=2, probe_samples=200, train_samples=1000,
                                           test_samples=500)


@dataclass
class Run:
    """One activation trained from one seed."""

    activation: str
    init: str
    seed: int
    grad_norms: list[list[float]]  # [measurement: before training, after each epoch][Dense layer] ‖dL/dW‖
    dead_fraction: list[float]  # of hidden units, before training and after the last epoch
    test_accuracy: list[float]  # before training and after each epoch
    status: str


@dataclass
class Result:
    dataset: str
    depth: int
    units: int
    epochs: int
    lr: float
    batch_size: int
    seeds: list[int]
    activations: list[str]
    runs: list[Run]
    changed: list[str] = field(default_factory=list)  # settings that differ from the full-size ones


def deep_net(activation: str, init: str | float, depth: int, units: int, seed: int) -> tl.Sequential:
    layers: list[tl.Layer] = []
    for _ in range(depth):
        layers += [tl.Dense(units, init=init), FACTORIES.get(activation, lambda: get_activation(activation))()]
    layers.append(tl.Dense(10, init="glorot_uniform"))
    return tl.Sequential(layers, input_dim=784, seed=seed)


def grad_norms(model: tl.Sequential, x: np.ndarray, y: np.ndarray) -> list[float]:
    """‖dL/dW‖ of every Dense layer, input side first."""
    grads = model.gradient(x, y)
    return [float(np.linalg.norm(grads[f"{layer.name}.W"])) for layer in model.layers if isinstance(layer, tl.Dense)]


def dead_fraction(model: tl.Sequential, x: np.ndarray) -> float:
    """The fraction of hidden units whose derivative is exactly 0 on every sample of ``x`` (inference mode)."""
    dead = total = 0
    for layer in model.layers:
        x = layer.forward(x, training=False)
        if isinstance(layer, Activation):
            derivative = layer.backward(np.ones_like(x))
            dead += int(np.sum(np.all(derivative == 0, axis=0)))
            total += derivative.shape[1]
    return dead / total


def train(spec: str, seed: int, config: Config, data: tuple[np.ndarray, ...]) -> Run:
    x_train, y_train, x_test, y_test, x_probe, y_probe = data
    name, init = split_spec(spec)
    model = deep_net(name, init, config.depth, config.units, seed)
    norms, dead = [grad_norms(model, x_probe, y_probe)], [dead_fraction(model, x_probe)]
    accuracy = [model.accuracy(x_test, y_test)]
    model.compile("sgd", lr=config.lr)
    status = "completed"
    for _ in range(config.epochs):
        if status != "diverged":  # a diverged run keeps its last measurements for the remaining epochs
            status = model.fit(x_train, y_train, epochs=1, batch_size=config.batch_size, verbose=0,
                               evaluate_train=False).status
        norms.append(norms[-1] if status == "diverged" else grad_norms(model, x_probe, y_probe))
        accuracy.append(accuracy[-1] if status == "diverged" else model.accuracy(x_test, y_test))
    dead.append(dead_fraction(model, x_probe))
    return Run(name if "@" not in spec else spec, str(init), seed, norms, dead, accuracy, status)


def run(config: Config) -> Result:
    loaded = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    x_train, x_test = standardize(loaded.x_train, loaded.x_test)  # SELU needs inputs of mean 0, std 1
    probe = min(config.probe_samples, len(x_train))
    data = (x_train, loaded.y_train, x_test, loaded.y_test, x_train[:probe], loaded.y_train[:probe])
    runs = [train(spec, seed, config, data)
            for seed in progress(seeds(config.seed, config.repeats), "seeds") for spec in config.activations]
    return Result(loaded.name, config.depth, config.units, config.epochs, config.lr, config.batch_size,
                  seeds(config.seed, config.repeats), [r.activation for r in runs[: len(config.activations)]], runs,
                  changed=departures(config))


# -- summary ------------------------------------------------------------------------------------------------
def runs_of(result: Result, activation: str) -> list[Run]:
    return [r for r in result.runs if r.activation == activation]


def ratio(norms: Sequence[float]) -> float:
    """‖dL/dW‖ of the first hidden layer over that of the last hidden layer: ≪ 1 vanishing, ≫ 1 exploding."""
    return norms[0] / norms[-2] if norms[-2] > 0 else float("inf")


def geometric_mean(values: Sequence[float]) -> float:
    return float(np.exp(np.mean(np.log(np.maximum(values, 1e-300)))))


def finals(result: Result, activation: str, index: int = -1) -> list[float]:
    """Test accuracy per seed after epoch ``index`` (a diverged run counts with its last measurement)."""
    return [r.test_accuracy[index] for r in runs_of(result, activation)]


def gradient_conclusions(result: Result) -> list[str]:
    """One sentence per verdict: the activations whose gradients vanish, explode, or keep their size."""
    groups: dict[str, list[str]] = {"vanish": [], "explode": [], "keep": []}
    for activation in result.activations:
        runs = runs_of(result, activation)
        before = geometric_mean([ratio(r.grad_norms[0]) for r in runs])
        verdict = "vanish" if before < 1e-2 else "explode" if before > 1e2 else "keep"
        groups[verdict].append(f"{activation} with {runs[0].init} ({before:.2g})")
    lines = []
    if groups["vanish"]:
        lines.append("Before training the gradients vanish on the way down to the input with "
                     + ", ".join(groups["vanish"]) + ": the first layer's ‖dL/dW‖ over the last hidden layer's.")
    if groups["explode"]:
        lines.append("Before training the gradients explode on the way down to the input with "
                     + ", ".join(groups["explode"]) + ": the first layer's ‖dL/dW‖ over the last hidden layer's.")
    if groups["keep"]:
        lines.append("The gradients keep their size through the layers (within a factor 100 between the last "
                     "hidden layer and the first) with " + ", ".join(groups["keep"]) + ".")
    return lines


def dead_conclusion(result: Result) -> str:
    parts = []
    for activation in result.activations:
        dead = [r.dead_fraction for r in runs_of(result, activation)]
        before, after = np.mean([d[0] for d in dead]), np.mean([d[-1] for d in dead])
        if before > 0 or after > 0:
            parts.append(f"{activation} {before:.1%} before and {after:.1%} after training")
    if not parts:
        return "No hidden unit was dead (derivative 0 on every probe image) with any activation."
    return ("Dead units (derivative 0 on every probe image, mean over seeds): " + ", ".join(parts)
            + "; the leaky variants, ELU, SELU and GELU cannot die, their derivative is never 0 everywhere.")


SATURATING = ("sigmoid", "tanh")  # bounded on both sides: their derivative goes to 0 for large |z|


def vanishing_verdict(result: Result) -> list[str]:
    """The book: sigmoid's gradients vanish towards the input, the non-saturating activations' keep their size.
    Judged per seed (every seed must agree), with a factor 100 between the first and the last hidden layer."""
    if "sigmoid" not in result.activations:
        return []
    sigmoid = [ratio(r.grad_norms[0]) for r in runs_of(result, "sigmoid")]
    others = [a for a in result.activations if a not in SATURATING]
    kept = [a for a in others if all(1e-2 <= ratio(r.grad_norms[0]) <= 1e2 for r in runs_of(result, a))]
    shrink = geometric_mean(sigmoid)
    if max(sigmoid) < 1e-2 and kept == others:
        return [f"As in the book, sigmoid's gradients vanish towards the input (first over last hidden layer "
                f"{shrink:.2g} before training, every seed) while those of {', '.join(others)} keep their size."]
    if max(sigmoid) >= 1e-2:
        return [f"Unlike the book, sigmoid's gradients did not vanish towards the input (first over last hidden "
                f"layer {shrink:.2g} before training); likely cause: a shallow net or a small initialization."]
    lost = ", ".join(a for a in others if a not in kept)
    return [f"Unlike the book, the gradients of {lost} did not keep their size (first over last hidden layer "
            "outside 0.01 to 100 in some seed); likely cause: an initialization that does not fit the activation."]


def dying_verdict(result: Result) -> list[str]:
    """The book: ReLU units can die (output 0 for every input); leaky ReLU and its variants, ELU and SELU cannot."""
    leaky = [a for a in ("leaky_relu", "prelu", "rrelu", "elu", "selu") if a in result.activations]
    if "relu" not in result.activations or not leaky:
        return []
    relu = [max(r.dead_fraction) for r in runs_of(result, "relu")]
    alive = [d for a in leaky for r in runs_of(result, a) for d in r.dead_fraction]
    numbers = f"ReLU {Spread.of(relu).text()} of its hidden units dead (most over the run, per seed)"
    if max(alive) > 0:
        return [f"Unlike the book, some units died with {', '.join(leaky)} ({max(alive):.1%}); {numbers}."]
    if min(relu) > 0:
        return [f"As in the book, ReLU units died and the leaky variants' did not: {numbers}, none with "
                f"{', '.join(leaky)}."]
    return [f"No ReLU unit died in some seed ({numbers}): that ReLU units die is not tested by a run this size."]


def book_order_conclusions(result: Result) -> list[str]:
    """The book's ranking, pair by pair: agreed, contradicted, or left open by the seed-to-seed noise."""
    present = [a for a in BOOK_ORDER if a in result.activations]
    return [pair_verdict(result, better, worse) for better, worse in itertools.pairwise(present)]


def pair_verdict(result: Result, better: str, worse: str) -> str:
    a, b = finals(result, better), finals(result, worse)
    what = f"test accuracy after {epochs(result.epochs)}"
    measured = compare(better, a, worse, b, what)
    verdict = order(a, b)
    if verdict > 0:
        return f"As in the book, {better} beat {worse}: {measured}"
    if verdict < 0:
        return (f"Unlike the book, {worse} beat {better}: {measured} The book ranks by how well each trains a "
                f"deep net in the long run; {epochs(result.epochs)} of plain SGD on a 20-layer net measure how "
                "fast each starts, where the ranking may differ.")
    return (f"{better} against {worse} is within the seed-to-seed noise, so the book's {better} > {worse} is "
            f"not tested by a run this size: {measured}")


def epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def summarize(result: Result) -> Summary:
    rows, conclusions = [], []
    for activation in result.activations:
        runs = runs_of(result, activation)
        rows.append([activation, runs[0].init, geometric_mean([ratio(r.grad_norms[0]) for r in runs]),
                     geometric_mean([ratio(r.grad_norms[-1]) for r in runs]),
                     float(np.mean([r.dead_fraction[0] for r in runs])),
                     float(np.mean([r.dead_fraction[-1] for r in runs])),
                     Spread.of(finals(result, activation, 1)).text(), Spread.of(finals(result, activation)).text(),
                     sum(r.status == "diverged" for r in runs)])
    conclusions += gradient_conclusions(result)
    conclusions.append(dead_conclusion(result))
    best = max(result.activations, key=lambda a: np.mean(finals(result, a)))
    runner_up = max((a for a in result.activations if a != best), key=lambda a: np.mean(finals(result, a)))
    conclusions.append(compare(best, finals(result, best), runner_up, finals(result, runner_up),
                               f"Highest test accuracy after {epochs(result.epochs)}"))
    conclusions += [*book_order_conclusions(result), *vanishing_verdict(result), *dying_verdict(result)]
    headers = ["activation", "init", "‖∇W₁‖/‖∇W_last‖ before", "after training", "dead units before",
               "dead after", "test acc. after epoch 1", f"after epoch {result.epochs}", "diverged runs"]
    return Summary(headers, rows, conclusions, settings_note(result.changed))


def plot(result: Result) -> dict[str, plt.Figure]:
    figure, axes = plt.subplots(1, 3, figsize=(16, 4.8), layout="constrained")
    markers = "os^vD<>ph*"
    for index, activation in enumerate(result.activations):
        runs = runs_of(result, activation)
        style = dict(marker=markers[index % len(markers)], markersize=4, label=activation,
                     color=plt.cm.tab10(index % 10))  # nine activations: more than the default palette's colors
        for ax, when in zip(axes[:2], (0, -1), strict=True):
            norms = np.exp(np.mean(np.log(np.maximum([r.grad_norms[when] for r in runs], 1e-30)), axis=0))
            ax.semilogy(np.arange(1, len(norms) + 1), norms, **style)
        accuracy = np.mean([r.test_accuracy for r in runs], axis=0)
        axes[2].plot(np.arange(len(accuracy)), accuracy, **style)
    for ax, when in zip(axes[:2], ("before training", f"after {epochs(result.epochs)}"), strict=True):
        ax.set(xlabel="Dense layer (1 = next to the input)", ylabel="‖dL/dW‖ (geometric mean over seeds)",
               title=f"Gradient norm per layer, {when}")
        ax.grid(alpha=0.3, which="both")
    axes[2].set(xlabel="epoch", title=f"Training speed, SGD η = {result.lr:g}, batch {result.batch_size}")
    accuracy_axis(axes[2], [line.get_ydata() for line in axes[2].get_lines()], label="test accuracy (mean over seeds)")
    axes[2].set_xticks(range(result.epochs + 1))
    axes[2].grid(alpha=0.3)
    axes[2].legend(fontsize="small", ncol=2)
    figure.suptitle(f"784-{result.units}x{result.depth}-10 on {result.dataset}, {len(result.seeds)} seeds")
    return {"gradients": figure}
