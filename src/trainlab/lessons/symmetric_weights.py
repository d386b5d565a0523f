"""Symmetric initial weights fail (Deep Learning from Scratch 6.2.1): equal units stay equal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl
from trainlab.activations import ACTIVATIONS
from trainlab.figures import accuracy_axis
from trainlab.lab.common import departures, load_data, mlp, progress, settings_note
from trainlab.lab.legacy import ExperimentConfig, Summary, option
from trainlab.lab.noise import Spread, compare, order, seeds

NAME = "symmetric-weights"
TITLE = "Symmetric initial weights: every hidden unit stays the same"
BOOK = "Deep Learning from Scratch"
SECTION = "6.2.1 Initial weights of zero"
FIGURE = ""
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "with all weights 0, or all equal, every unit of a layer gets the same value forward and the same update "
    "backward, so the weights stay equal and the many units are worth one; learning fails, and the weights "
    "must start random to break the symmetry."
)
DESCRIPTION = (
    "Deep Learning from Scratch 6.2.1: if every weight starts at the same value, every unit of a layer "
    "computes the same output, receives the same gradient and makes the same update, so the units stay "
    "copies of each other and a layer of 100 units works like a single one. The sigmoid net 784-100-100-10 "
    "is trained by SGD (η = 0.1, batches of 100, 5 epochs) from all-zero weights, from all weights 0.05, and "
    "from Xavier's random weights (biases start at 0 in every case). After every epoch the experiment "
    "measures, per hidden layer, the spread of the units' incoming weights (the standard deviation across "
    "units, averaged over the inputs) and the number of distinct units (weight vectors more than 1e-6 "
    "apart), and the test accuracy; over several seeds."
)

INITS = {"zeros": "all weights 0", "constant": "all weights 0.05", "xavier": "Xavier (random)"}


@dataclass
class Config(ExperimentConfig):
    inits: tuple[str, ...] = option(("zeros", "constant", "xavier"), choices=INITS.keys)
    constant: float = option(0.05, gt=0)
    hidden: tuple[int, ...] = option((100, 100), ge=1)
    activation: str = option("sigmoid", choices=ACTIVATIONS.names)
    lr: float = option(0.1, gt=0)
    batch_size: int = option(100, ge=1)
    epochs: int = option(5, ge=1)
    repeats: int = option(2, ge=1)
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    QUICK: ClassVar[dict[str, Any]] = dict(hidden=(16, 16), lr=1.0, epochs=3, train_samples=1500, test_samples=500)


@dataclass
class Run:
    init: str
    seed: int
    spread: list[list[float]]  # [epoch 0..E][hidden layer]: std across units of the incoming weights
    distinct: list[list[int]]  # [epoch 0..E][hidden layer]: units whose weights differ from every earlier one
    test_accuracy: list[float]  # epoch 0..E


@dataclass
class Result:
    dataset: str
    hidden: list[int]
    epochs: int
    inits: list[str]
    runs: list[Run]
    changed: list[str] = field(default_factory=list)  # settings that differ from the full-size ones


def initializer(name: str, constant: float) -> tl.Initializer | str:
    return tl.Constant(constant) if name == "constant" else name


def hidden_weights(model: tl.Sequential) -> list[np.ndarray]:
    dense = [layer for layer in model.layers if isinstance(layer, tl.Dense)]
    return [layer.params["W"] for layer in dense[:-1]]


def spread(W: np.ndarray) -> float:
    """The standard deviation across units (columns) of their incoming weights, averaged over the inputs."""
    return float(np.mean(np.std(W, axis=1)))


def distinct_units(W: np.ndarray, tolerance: float = 1e-6) -> int:
    """The number of different weight vectors among the units (columns), equal within ``tolerance``."""
    kept: list[np.ndarray] = []
    for column in W.T:
        if all(np.max(np.abs(column - other)) > tolerance for other in kept):
            kept.append(column)
    return len(kept)


def measure(model: tl.Sequential, run: Run, data) -> None:
    weights = hidden_weights(model)
    run.spread.append([spread(W) for W in weights])
    run.distinct.append([distinct_units(W) for W in weights])
    run.test_accuracy.append(model.accuracy(data.x_test, data.y_test))


def train(name: str, seed: int, config: Config, data) -> Run:
    model = mlp(config.hidden, activation=config.activation, init=initializer(name, config.constant), seed=seed)
    model.compile("sgd", lr=config.lr)
    run = Run(name, seed, [], [], [])
    measure(model, run, data)
    for _ in range(config.epochs):
        model.fit(data.x_train, data.y_train, epochs=1, batch_size=config.batch_size, evaluate_train=False, verbose=0)
        measure(model, run, data)
    return run


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    runs = [train(name, seed, config, data)
            for seed in progress(seeds(config.seed, config.repeats), "seeds") for name in config.inits]
    return Result(data.name, list(config.hidden), config.epochs, list(config.inits), runs, changed=departures(config))


def runs_of(result: Result, init: str) -> list[Run]:
    return [r for r in result.runs if r.init == init]


def symmetry_verdict(result: Result, init: str) -> str:
    """The book: equal starting weights stay equal and the net learns far less than from random weights."""
    runs = runs_of(result, init)
    copies = max(max(d) for r in runs for d in r.distinct) == 1
    equal, random = ([r.test_accuracy[-1] for r in runs_of(result, i)] for i in (init, "xavier"))
    numbers = (f"test accuracy {Spread.of(equal).text()} from {INITS.get(init, init)} against "
               f"{Spread.of(random).text()} from Xavier")
    verdict = order(random, equal)
    if copies and verdict > 0:
        return (f"As in the book, from {INITS.get(init, init)} the units of each layer stayed copies and the net "
                f"learned far less: {numbers}.")
    if not copies or verdict < 0:
        return (f"Unlike the book, from {INITS.get(init, init)} the units {'stayed' if copies else 'did not stay'} "
                f"copies and {numbers}; likely cause: unequal biases or a random layer broke the symmetry.")
    return (f"From {INITS.get(init, init)} the units stayed copies, but {numbers} is within the seed-to-seed noise: "
            "the book's claim that learning fails is not tested by a run this size.")


def summarize(result: Result) -> Summary:
    rows, conclusions = [], []
    for init in result.inits:
        runs = runs_of(result, init)
        most = max(max(d) for r in runs for d in r.distinct)
        rows.append([INITS.get(init, init), most, float(np.max([r.spread[-1] for r in runs])),
                     Spread.of([r.test_accuracy[-1] for r in runs]).text()])
        if most == 1:
            conclusions.append(f"From {INITS.get(init, init)} every hidden layer kept a single distinct unit through "
                               f"all {result.epochs} epochs in every seed: its {result.hidden[0]} units stayed "
                               "copies of each other.")
        else:
            conclusions.append(f"From {INITS.get(init, init)} the hidden layers had up to {most} distinct units "
                               f"(of {max(result.hidden)}).")
    symmetric = [i for i in result.inits if i != "xavier"]
    if "xavier" in result.inits:
        random = [r.test_accuracy[-1] for r in runs_of(result, "xavier")]
        for init in symmetric:
            conclusions.append(compare("Xavier", random, INITS.get(init, init),
                                       [r.test_accuracy[-1] for r in runs_of(result, init)],
                                       f"Test accuracy after {result.epochs} epochs"))
        conclusions += [symmetry_verdict(result, init) for init in symmetric]
    return Summary(["initial weights", "most distinct units in a hidden layer", "largest final spread",
                    f"test accuracy after {result.epochs} epochs"], rows, conclusions, settings_note(result.changed))


def plot(result: Result) -> dict[str, plt.Figure]:
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    epochs = np.arange(result.epochs + 1)
    for index, init in enumerate(result.inits):
        runs = runs_of(result, init)
        style = dict(color=f"C{index}", marker="os^v"[index % 4], label=INITS.get(init, init))
        left.plot(epochs, np.mean([np.mean(r.distinct, axis=1) for r in runs], axis=0), **style)
        right.plot(epochs, np.mean([r.test_accuracy for r in runs], axis=0), **style)
    left.set(xlabel="epoch", ylabel="distinct units per hidden layer (mean)", yscale="log",
             title=f"Distinct hidden units (of {result.hidden[0]})")
    right.set(xlabel="epoch", title="Test accuracy")
    accuracy_axis(right, [np.mean([r.test_accuracy for r in runs_of(result, init)], axis=0) for init in result.inits],
                  label="test accuracy (mean over seeds)")
    for ax in (left, right):
        ax.set_xticks(epochs)
        ax.grid(alpha=0.3)
        ax.legend()
    figure.suptitle(f"Sigmoid net 784-{'-'.join(map(str, result.hidden))}-10 on {result.dataset}")
    return {"symmetric_weights": figure}
