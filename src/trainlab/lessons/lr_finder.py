"""Finding the learning rate (Hands-On ML 11.3): the loss-vs-rate sweep of ``tl.find_lr``, then 1cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl
from trainlab.figures import accuracy_axis
from trainlab.lab.common import departures, hold_out, load_data, mlp, progress, settings_note
from trainlab.lab.legacy import ExperimentConfig, Summary, option
from trainlab.lab.noise import Spread, compare, order, seeds

NAME = "lr-finder"
TITLE = "Finding the learning rate, then 1cycle"
BOOK = "Hands-On Machine Learning"
SECTION = "11.3 Learning rate scheduling (finding the rate, 1cycle)"
FIGURE = ""
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "grow the learning rate exponentially over a few hundred steps, watch the loss fall and then shoot up, and "
    "take a rate about 10 times below the turning point; a good rate found this way beats a guessed one, and "
    "1cycle (the rate rising to that peak, falling back, then dropping well below for the last epochs) trains "
    "faster and ends better than a constant rate."
)
DESCRIPTION = (
    "Hands-On ML 11.3 (learning rate scheduling): train for one epoch while the learning rate grows "
    "exponentially from 1e-5 to 10, plot the loss against the rate, and take a rate about 10 times below "
    "the point where the loss turns up (tl.find_lr; the loss is smoothed by a moving average, the turn-up "
    "is its minimum). The MLP 784-300-100-10 (ReLU, He init) is then trained by plain SGD with batches of "
    "128 for 10 epochs in three ways: 1cycle with the found rate as its peak (from a tenth of it up and "
    "down, then annihilated), a constant found rate, and the constant η = 0.01 a reader would pick by "
    "hand. The last 5,000 training images are held out for validation; several seeds, each with its own "
    "sweep."
)


@dataclass
class Config(ExperimentConfig):
    hidden: tuple[int, ...] = option((300, 100), ge=1)
    batch_size: int = option(128, ge=1)
    min_lr: float = option(1e-5, gt=0)
    max_lr: float = option(10.0, gt=0)
    hand_lr: float = option(0.01, gt=0)  # the SGD default a reader reaches for
    epochs: int = option(10, ge=1)
    validation_samples: int = option(5000, ge=1)
    repeats: int = option(3, ge=1)
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    QUICK: ClassVar[dict[str, Any]] = dict(hidden=(32,), epochs=2, repeats=2, train_samples=1200,
                                           validation_samples=200, test_samples=500, batch_size=32)


@dataclass
class Sweep:
    seed: int
    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    turn_lr: float
    suggested_lr: float
    turned_up: bool


@dataclass
class Run:
    """One way of training from one seed."""

    arm: str
    seed: int
    lr: float  # the constant rate, or 1cycle's peak
    val_accuracy: list[float]  # per epoch
    test_accuracy: float
    status: str


@dataclass
class Result:
    dataset: str
    hidden: list[int]
    epochs: int
    batch_size: int
    sweeps: list[Sweep]
    runs: list[Run]
    changed: list[str] = field(default_factory=list)  # settings that differ from the full-size ones


ARMS = ("1cycle at the found rate", "constant found rate", "constant hand-picked rate")


def model_for(config: Config, seed: int) -> tl.Sequential:
    return mlp(config.hidden, init="he_normal", seed=seed).compile("sgd", lr=config.hand_lr)


def sweep(config: Config, seed: int, x: np.ndarray, y: np.ndarray) -> Sweep:
    found = tl.find_lr(model_for(config, seed), x, y, min_lr=config.min_lr, max_lr=config.max_lr,
                       batch_size=config.batch_size)
    return Sweep(seed, found.lrs, found.losses, found.smoothed, found.turn_lr, found.suggested_lr, found.turned_up)


def train(config: Config, arm: str, found: Sweep, data: tuple[np.ndarray, ...]) -> Run:
    x_train, y_train, x_valid, y_valid, x_test, y_test = data
    model = model_for(config, found.seed)
    lr = config.hand_lr if arm == ARMS[2] else found.suggested_lr
    model.optimizer.lr = lr
    callbacks = [tl.OneCycle(max_lr=lr)] if arm == ARMS[0] else []
    history = model.fit(x_train, y_train, epochs=config.epochs, batch_size=config.batch_size, verbose=0,
                        validation_data=(x_valid, y_valid), evaluate_train=False, callbacks=callbacks)
    accuracy = list(history.metrics.get("val_accuracy", []))
    accuracy += [accuracy[-1] if accuracy else 0.0] * (config.epochs - len(accuracy))  # a diverged run stays
    return Run(arm, found.seed, lr, accuracy, model.accuracy(x_test, y_test), history.status)


def run(config: Config) -> Result:
    loaded = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    x_train, y_train, x_valid, y_valid = hold_out(loaded.x_train, loaded.y_train, config.validation_samples)
    data = (x_train, y_train, x_valid, y_valid, loaded.x_test, loaded.y_test)
    sweeps, runs = [], []
    for seed in progress(seeds(config.seed, config.repeats), "seeds"):
        sweeps.append(sweep(config, seed, x_train, y_train))
        runs += [train(config, arm, sweeps[-1], data) for arm in ARMS]
    return Result(loaded.name, list(config.hidden), config.epochs, config.batch_size, sweeps, runs,
                  changed=departures(config))


def accuracies(result: Result, arm: str) -> list[float]:
    return [r.test_accuracy for r in result.runs if r.arm == arm]


def summarize(result: Result) -> Summary:
    rows = [[f"sweep, seed {s.seed}", s.turn_lr, s.suggested_lr, "" if s.turned_up else "never turned up"]
            for s in result.sweeps]
    rows += [[arm, "", Spread.of([r.lr for r in result.runs if r.arm == arm]).text(4),
              Spread.of(accuracies(result, arm)).text()] for arm in ARMS]
    turns = [s.turn_lr for s in result.sweeps]
    middle = float(np.exp(np.mean(np.log(turns))))
    conclusions = [
        f"The smoothed loss turned up at η = {', '.join(f'{t:.3g}' for t in turns)} in the {len(turns)} one-epoch "
        f"sweeps (geometric mean {middle:.3g}), so the suggested rate is about {middle / 10:.3g}, ten times lower.",
        compare(ARMS[0], accuracies(result, ARMS[0]), ARMS[2], accuracies(result, ARMS[2]),
                f"Test accuracy after {result.epochs} epochs"),
        compare(ARMS[0], accuracies(result, ARMS[0]), ARMS[1], accuracies(result, ARMS[1]),
                "The schedule itself (same peak rate)"),
    ]
    conclusions += [finder_verdict(result), one_cycle_verdict(result)]
    if not all(s.turned_up for s in result.sweeps):
        conclusions.append("In some sweeps the loss never turned up: raise max_lr to find the turn.")
    diverged = [f"{r.arm} (seed {r.seed})" for r in result.runs if r.status == "diverged"]
    if diverged:
        conclusions.append(f"Training diverged: {', '.join(diverged)}.")
    return Summary(["sweep / training", "loss turns up at η", "suggested η / η used (1cycle: peak)",
                    f"test accuracy after {result.epochs} epochs"], rows, conclusions, settings_note(result.changed))


def finder_verdict(result: Result) -> str:
    """The book: the rate found by the sweep beats one picked by hand (both constant)."""
    found, hand = accuracies(result, ARMS[1]), accuracies(result, ARMS[2])
    numbers = f"test accuracy {Spread.of(found).text()} with {ARMS[1]} against {Spread.of(hand).text()} with {ARMS[2]}"
    verdict = order(found, hand)
    if verdict > 0:
        return f"As in the book, the rate the sweep found beat the hand-picked one: {numbers}."
    if verdict < 0:
        return (f"Unlike the book, the hand-picked rate did better than the found one: {numbers}, beyond the "
                "seed-to-seed noise; likely cause: the sweep's turn-up point is noisy with one epoch.")
    return (f"The found and the hand-picked rate are within the seed-to-seed noise ({numbers}): the book's advice "
            "is not tested by a run this size.")


def one_cycle_verdict(result: Result) -> str:
    """The book: 1cycle ends better than a constant rate; here at the same (peak) rate and epochs."""
    cycle, constant = accuracies(result, ARMS[0]), accuracies(result, ARMS[1])
    numbers = f"{ARMS[0]} {Spread.of(cycle).text()} against {ARMS[1]} {Spread.of(constant).text()}"
    verdict = order(cycle, constant)
    if verdict > 0:
        return f"As in the book, 1cycle ended above the constant rate: {numbers}."
    if verdict < 0:
        return (f"Unlike the book, the constant rate ended above 1cycle: {numbers}, beyond the seed-to-seed noise. "
                f"Likely cause: 1cycle's rate averages about half its peak, so in {result.epochs} epochs of plain "
                "SGD (no momentum to cycle) it travels less far than the constant found rate.")
    return (f"1cycle and the constant rate are within the seed-to-seed noise ({numbers}): the book's claim is not "
            "tested by a run this size.")


def plot(result: Result) -> dict[str, plt.Figure]:
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
    for index, found in enumerate(result.sweeps):
        color = f"C{index}"
        left.semilogx(found.lrs, found.losses, color=color, alpha=0.25, linewidth=0.8)
        left.semilogx(found.lrs, found.smoothed, color=color, label=f"seed {found.seed} (smoothed)")
        left.axvline(found.turn_lr, color=color, linestyle=":", linewidth=1)
        left.axvline(found.suggested_lr, color=color, linestyle="--", linewidth=1)
    start = result.sweeps[0].smoothed[0]
    left.set(xlabel="learning rate (log scale)", ylabel="training loss", ylim=(0, 2 * start),
             title="One epoch of growing η:\nturn-up (dotted) and 10x below it (dashed)")
    left.legend()
    left.grid(alpha=0.3, which="both")
    epochs = np.arange(1, result.epochs + 1)
    bands = []
    for arm, marker in zip(ARMS, "os^", strict=True):
        curves = np.array([r.val_accuracy for r in result.runs if r.arm == arm])
        mean, sd = curves.mean(axis=0), curves.std(axis=0)
        right.plot(epochs, mean, marker=marker, label=arm)
        right.fill_between(epochs, mean - sd, mean + sd, alpha=0.2)
        bands += [mean - sd, mean + sd]
    right.set(xlabel="epoch", title=f"SGD, batch {result.batch_size}, MLP 784-{'-'.join(map(str, result.hidden))}-10")
    accuracy_axis(right, bands, label="validation accuracy (mean ± sd over seeds)")
    right.set_xticks(epochs)
    right.legend(loc="lower right")
    right.grid(alpha=0.3)
    figure.suptitle(f"Learning-rate finder and 1cycle on {result.dataset}")
    return {"lr_finder": figure}
