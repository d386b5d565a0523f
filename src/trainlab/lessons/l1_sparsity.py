"""L1 makes weights sparse, L2 only small (Hands-On ML 11.4.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl
from trainlab.lab.common import departures, load_data, progress, settings_note
from trainlab.lab.legacy import ExperimentConfig, Summary, option
from trainlab.lab.noise import Spread, compare, order, seeds

NAME = "l1-sparsity"
TITLE = "L1 regularization makes weights sparse"
BOOK = "Hands-On Machine Learning"
SECTION = "11.4.1 L1 and L2 regularization"
FIGURE = ""
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "an L1 penalty on the weights gives a sparse model, many weights exactly 0, while an L2 penalty only keeps "
    "them small; it gives no numbers for this."
)
DESCRIPTION = (
    "Hands-On ML 11.4.1: an L1 penalty λ·Σ|W| pulls every weight towards 0 by the same amount λ·η per step, "
    "so weights the data does not need end at (or oscillate tightly around) 0: the model becomes sparse. An "
    "L2 penalty λ·ΣW² pulls in proportion to the weight, so weights shrink but rarely reach 0. The MLP "
    "784-100-100-10 (ReLU, He init) is trained by SGD (η = 0.1, batches of 128, 10 epochs) with no "
    "penalty, with L1 (λ = 3e-4) and with L2 (λ = 1e-3, Keras's convention without the ½) on every weight "
    "matrix, strengths at which the test accuracies match. Measured: the fraction of weights with "
    "|w| < 1e-3 in each layer and their histograms; several seeds. The first layer's weights on pixels "
    "that are 0 in every image get no gradient from the data, so the hidden layer (100x100) is the fair "
    "measure."
)

SETTINGS = ("none", "l1", "l2")


@dataclass
class Config(ExperimentConfig):
    hidden: tuple[int, ...] = option((100, 100), ge=1)
    l1: float = option(3e-4, gt=0)
    l2: float = option(1e-3, gt=0)
    lr: float = option(0.1, gt=0)
    batch_size: int = option(128, ge=1)
    epochs: int = option(10, ge=1)
    threshold: float = option(1e-3, gt=0)
    repeats: int = option(3, ge=1)
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    QUICK: ClassVar[dict[str, Any]] = dict(hidden=(32, 32), l1=1e-3, epochs=3, repeats=2, train_samples=2000,
                                           test_samples=500)


@dataclass
class Run:
    setting: str
    seed: int
    near_zero: list[float]  # per Dense layer: fraction of |w| < threshold
    histograms: list[list[int]]  # per Dense layer: counts of log10|w| in BINS
    test_accuracy: float


@dataclass
class Result:
    dataset: str
    hidden: list[int]
    l1: float
    l2: float
    threshold: float
    epochs: int
    bins: list[float]
    runs: list[Run]
    changed: list[str] = field(default_factory=list)  # settings that differ from the full-size ones


BINS = np.linspace(-8, 0.5, 35)  # log10 |w|; smaller values are counted in the first bin


def regularizer(setting: str, config: Config) -> tl.Regularizer | None:
    return {"l1": tl.L1(config.l1), "l2": tl.L2(config.l2)}.get(setting)


def build(setting: str, config: Config, seed: int) -> tl.Sequential:
    layers: list[tl.Layer] = []
    for units in config.hidden:
        layers += [tl.Dense(units, init="he_normal", regularizer=regularizer(setting, config)), tl.ReLU()]
    layers.append(tl.Dense(10, init="he_normal", regularizer=regularizer(setting, config)))
    return tl.Sequential(layers, input_dim=784, seed=seed)


def train(setting: str, seed: int, config: Config, data) -> Run:
    model = build(setting, config, seed).compile("sgd", lr=config.lr)
    model.fit(data.x_train, data.y_train, epochs=config.epochs, batch_size=config.batch_size, evaluate_train=False,
              verbose=0)
    weights = [layer.params["W"] for layer in model.layers if isinstance(layer, tl.Dense)]
    logs = [np.log10(np.maximum(np.abs(W).ravel(), 10.0 ** BINS[0])) for W in weights]
    return Run(setting, seed, [float(np.mean(np.abs(W) < config.threshold)) for W in weights],
               [np.histogram(v, BINS)[0].tolist() for v in logs], model.accuracy(data.x_test, data.y_test))


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    runs = [train(setting, seed, config, data)
            for seed in progress(seeds(config.seed, config.repeats), "seeds") for setting in SETTINGS]
    return Result(data.name, list(config.hidden), config.l1, config.l2, config.threshold, config.epochs,
                  BINS.tolist(), runs, changed=departures(config))


def runs_of(result: Result, setting: str) -> list[Run]:
    return [r for r in result.runs if r.setting == setting]


def label(result: Result, setting: str) -> str:
    return {"none": "no penalty", "l1": f"L1 λ={result.l1:g}", "l2": f"L2 λ={result.l2:g}"}[setting]


def summarize(result: Result) -> Summary:
    layers = len(result.hidden) + 1
    rows = [[label(result, s)] + [Spread.of([r.near_zero[i] for r in runs_of(result, s)]).text(3)
                                  for i in range(layers)]
            + [Spread.of([r.test_accuracy for r in runs_of(result, s)]).text()] for s in SETTINGS]
    hidden = 1  # the first hidden-to-hidden layer: every weight there sees data
    near = {s: [r.near_zero[hidden] for r in runs_of(result, s)] for s in SETTINGS}
    accuracy = {s: [r.test_accuracy for r in runs_of(result, s)] for s in SETTINGS}
    conclusions = [compare(label(result, "l1"), near["l1"], label(result, other), near[other],
                           f"Fraction of hidden-layer weights with |w| < {result.threshold:g}", better="sparser")
                   for other in ("l2", "none")]
    for other in ("l2", "none"):
        matched = order(accuracy["l1"], accuracy[other]) == 0
        conclusions.append(
            ("Accuracies match: " if matched else "Accuracies do not match, so the sparsity comes at a price: ")
            + compare(label(result, "l1"), accuracy["l1"], label(result, other), accuracy[other], "test accuracy"))
    conclusions.append(sparsity_verdict(result, near))
    headers = ["penalty"] + [f"|w| < {result.threshold:g} in layer {i + 1}" for i in range(layers)] + ["test accuracy"]
    return Summary(headers, rows, conclusions, settings_note(result.changed))


def sparsity_verdict(result: Result, near: dict[str, list[float]]) -> str:
    """The book: L1 makes weights sparse, L2 only small; L1's near-zero fraction against L2's."""
    numbers = (f"{Spread.of(near['l1']).text(3)} of the hidden-layer weights within {result.threshold:g} of 0 with "
               f"{label(result, 'l1')} against {Spread.of(near['l2']).text(3)} with {label(result, 'l2')} and "
               f"{Spread.of(near['none']).text(3)} with no penalty")
    verdict = order(near["l1"], near["l2"])
    if verdict > 0:
        return f"As in the book, L1 made the weights sparse and L2 did not: {numbers}."
    if verdict < 0:
        return (f"Unlike the book, L2 left more weights near 0 than L1: {numbers}, beyond the seed-to-seed noise; "
                f"likely cause: λ = {result.l1:g} is too weak for L1 to pull weights to 0 within the training.")
    return (f"L1 and L2 leave as many weights near 0 within the seed-to-seed noise ({numbers}): the book's claim "
            "is not tested by a run this size.")


def plot(result: Result) -> dict[str, plt.Figure]:
    layers = len(result.hidden) + 1
    figure, axes = plt.subplots(1, layers, figsize=(5.2 * layers, 4.3), layout="constrained", squeeze=False)
    centres = (np.array(result.bins[:-1]) + np.array(result.bins[1:])) / 2
    for layer, ax in enumerate(axes[0]):
        for index, setting in enumerate(SETTINGS):
            counts = np.mean([r.histograms[layer] for r in runs_of(result, setting)], axis=0)
            ax.step(centres, counts / counts.sum(), where="mid", color=f"C{index}", label=label(result, setting))
        ax.axvline(np.log10(result.threshold), color="0.5", linestyle=":", linewidth=1)
        ax.set(xlabel="log10 |w| (first bin: everything smaller)", ylabel="fraction of weights",
               title=f"Layer {layer + 1} weights after {result.epochs} epochs")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    figure.suptitle(f"MLP 784-{'-'.join(map(str, result.hidden))}-10 on {result.dataset} (mean over seeds)")
    return {"weight_histograms": figure}
