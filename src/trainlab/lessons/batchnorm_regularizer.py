"""Batch norm as a regularizer and as a speed-up (Deep Learning from Scratch 6.3.1, Hands-On ML 11.1.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np

from trainlab.figures import accuracy_axis
from trainlab.lab.common import departures, hold_out, join_words, load_data, mlp, progress, settings_note
from trainlab.lab.legacy import ExperimentConfig, Summary, option
from trainlab.lab.noise import Spread, compare, order, seeds

NAME = "batchnorm-regularizer"
TITLE = "Batch norm as a regularizer and as a speed-up"
BOOK = "Deep Learning from Scratch"
SECTION = "6.3.1 Batch normalization (and Hands-On ML 11.1.3)"
FIGURE = ""
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "batch normalization lets a net learn faster (fewer epochs to a given accuracy, larger learning rates "
    "possible), makes it less dependent on the initial weights, and also acts as a regularizer: it reduces "
    "overfitting, so that dropout and other regularization are less needed."
)
DESCRIPTION = (
    "Two claims about batch normalization. As a regularizer (Deep Learning from Scratch 6.3.1, its third "
    "advantage; Hands-On ML 11.1.3): the book's overfitting setup, the 784-100x6-10 ReLU net (He init) "
    "trained on 300 images by SGD (η = 0.01, batches of 100 drawn at random) for 201 epochs, with and "
    "without a BatchNorm layer before every activation; the train-test accuracy gap is measured every 10 "
    "epochs on all test images. As a speed-up (Hands-On ML 11.1.3): the 784-100x4-10 ReLU net on the "
    "full training set (SGD, η = 0.01, batches of 128, up to 10 epochs), with and without batch norm: "
    "the epochs needed to reach 95% accuracy on the last 5,000 training images, held out. Several seeds."
)


@dataclass
class Config(ExperimentConfig):
    small_samples: int = option(300, ge=1)
    small_hidden: tuple[int, ...] = option((100,) * 6, ge=1)
    small_epochs: int = option(201, ge=1)
    small_batch: int = option(100, ge=1)
    eval_every: int = option(10, ge=1)
    hidden: tuple[int, ...] = option((100,) * 4, ge=1)
    lr: float = option(0.01, gt=0)
    batch_size: int = option(128, ge=1)
    epochs: int = option(10, ge=1)
    target: float = option(0.95, gt=0, lt=1)
    validation_samples: int = option(5000, ge=1)
    repeats: int = option(3, ge=1)
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    QUICK: ClassVar[dict[str, Any]] = dict(small_samples=100, small_hidden=(32,) * 3, small_epochs=21, eval_every=5,
                                           hidden=(32, 32), epochs=3, target=0.6, validation_samples=300, repeats=2,
                                           train_samples=1800, test_samples=500)


@dataclass
class Run:
    batchnorm: bool
    seed: int
    train_accuracy: list[float]  # the 300-image net, every eval_every epochs (epoch 0 first)
    test_accuracy: list[float]
    val_accuracy: list[float]  # the full-data net, after each epoch
    epochs_to_target: int | None  # None: never reached
    # "completed" or "diverged" (the loss became NaN or inf): the 300-image net, the full-data net
    overfit_status: str = "completed"
    speed_status: str = "completed"


@dataclass
class Result:
    dataset: str
    small_samples: int
    small_epochs: int
    eval_every: int
    epochs: int
    target: float
    runs: list[Run]
    changed: list[str] = field(default_factory=list)  # settings that differ from the full-size ones


def overfit(batchnorm: bool, seed: int, config: Config, data) -> tuple[list[float], list[float], str]:
    """Train and test accuracy of the small net every ``eval_every`` epochs, and how its training ended.

    A net that diverged trains no more: it is measured with the weights it had before the step that diverged.
    """
    x, y = data.x_train[: config.small_samples], data.y_train[: config.small_samples]
    model = mlp(config.small_hidden, init="he_normal", batchnorm=batchnorm, seed=seed).compile("sgd", lr=config.lr)
    train, test, status = [model.accuracy(x, y)], [model.accuracy(data.x_test, data.y_test)], "completed"
    for done in range(0, config.small_epochs, config.eval_every):
        if status != "diverged":
            status = model.fit(x, y, epochs=min(config.eval_every, config.small_epochs - done),
                               batch_size=config.small_batch, sampling="iid", evaluate_train=False, verbose=0).status
        train.append(model.accuracy(x, y))
        test.append(model.accuracy(data.x_test, data.y_test))
    return train, test, status


def speed(batchnorm: bool, seed: int, config: Config, data) -> tuple[list[float], int | None, str]:
    """Validation accuracy after each epoch, the first epoch at the target (None: never), how training ended.

    A fit that diverged records no epoch from the one it diverged in: those epochs count with the accuracy of
    the weights it was left with (those before the step that diverged), and it never reaches the target.
    """
    x_train, y_train, x_valid, y_valid = hold_out(data.x_train, data.y_train, config.validation_samples)
    model = mlp(config.hidden, init="he_normal", batchnorm=batchnorm, seed=seed).compile("sgd", lr=config.lr)
    history = model.fit(x_train, y_train, epochs=config.epochs, batch_size=config.batch_size, evaluate_train=False,
                        validation_data=(x_valid, y_valid), verbose=0)
    val = list(history.metrics.get("val_accuracy", []))
    reached = next((epoch + 1 for epoch, a in enumerate(val) if a >= config.target), None)
    val += [model.accuracy(x_valid, y_valid)] * (config.epochs - len(val))
    return val, reached, history.status


def train(batchnorm: bool, seed: int, config: Config, data) -> Run:
    train_accuracy, test_accuracy, overfit_status = overfit(batchnorm, seed, config, data)
    val, reached, speed_status = speed(batchnorm, seed, config, data)
    return Run(batchnorm, seed, train_accuracy, test_accuracy, val, reached, overfit_status, speed_status)


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    runs = [train(batchnorm, seed, config, data)
            for seed in progress(seeds(config.seed, config.repeats), "seeds") for batchnorm in (False, True)]
    return Result(data.name, config.small_samples, config.small_epochs, config.eval_every, config.epochs,
                  config.target, runs, changed=departures(config))


def runs_of(result: Result, batchnorm: bool) -> list[Run]:
    return [r for r in result.runs if r.batchnorm == batchnorm]


def gaps(result: Result, batchnorm: bool) -> list[float]:
    return [r.train_accuracy[-1] - r.test_accuracy[-1] for r in runs_of(result, batchnorm)]


def label(batchnorm: bool) -> str:
    return "with batch norm" if batchnorm else "without batch norm"


def speed_conclusion(result: Result) -> str:
    """Epochs to the target; a run that never reached it counts as epochs + 1 (said so)."""
    counts = {bn: [r.epochs_to_target or result.epochs + 1 for r in runs_of(result, bn)] for bn in (False, True)}
    missed = {bn: sum(r.epochs_to_target is None for r in runs_of(result, bn)) for bn in (False, True)}
    text = compare(label(True), counts[True], label(False), counts[False],
                   f"Epochs to {result.target:.0%} validation accuracy", higher_is_better=False, digits=1)
    if any(missed.values()):
        text += (f" Runs that never reached it within {result.epochs} epochs (counted as {result.epochs + 1}): "
                 f"{missed[True]} with and {missed[False]} without batch norm.")
    return text


def diverged_seeds(result: Result, batchnorm: bool, status: str) -> list[int]:
    """The seeds whose net (``status``: "overfit_status" or "speed_status") diverged."""
    return [r.seed for r in runs_of(result, batchnorm) if getattr(r, status) == "diverged"]


def divergence(result: Result) -> list[str]:
    """Which runs diverged, in words (none: no sentence)."""
    nets = {"overfit_status": f"the net trained on {result.small_samples} images",
            "speed_status": "the net trained on the full training set"}
    parts = []
    for status, net in nets.items():
        for bn in (False, True):
            seeds = diverged_seeds(result, bn, status)
            if seeds:
                parts.append(f"{net} {label(bn)} (seed{'s' * (len(seeds) > 1)} {join_words(map(str, seeds))})")
    if not parts:
        return []
    return [f"Training diverged (the loss became NaN or inf) for {'; '.join(parts)}. A diverged net is measured "
            "with the weights it had before the step that diverged, and never reaches the target."]


def regularizer_verdict(result: Result) -> str:
    """The books: batch norm also regularizes (a smaller train-test gap, test accuracy no lower)."""
    if any(diverged_seeds(result, bn, "overfit_status") for bn in (False, True)):
        return ("With diverged runs among them, the gaps say nothing about batch norm as a regularizer: no verdict "
                "is drawn.")
    tests = {bn: [r.test_accuracy[-1] for r in runs_of(result, bn)] for bn in (False, True)}
    gap_order, test_order = order(gaps(result, True), gaps(result, False)), order(tests[True], tests[False])
    numbers = (f"gap {Spread.of(gaps(result, True)).text()} with batch norm against "
               f"{Spread.of(gaps(result, False)).text()} without, test accuracy {Spread.of(tests[True]).text()} "
               f"against {Spread.of(tests[False]).text()}")
    if gap_order < 0 and test_order >= 0:
        return f"As in the book, batch norm acted as a regularizer: {numbers}."
    if gap_order < 0:
        return (f"The gap is smaller with batch norm only because the net fits its training images less well "
                f"({numbers}): this run does not support the book's claim that batch norm regularizes.")
    if gap_order > 0:
        return (f"Unlike the book, the gap is larger with batch norm in this setting ({numbers}, beyond the "
                f"seed-to-seed noise). Likely cause: with {result.small_samples} images the batch statistics vary "
                "little from batch to batch, so they add little noise, while the normalized net memorizes its "
                "training images faster and its moving averages describe those few images, not the test set.")
    return (f"The gaps differ by less than the seed-to-seed noise ({numbers}): the book's claim that batch norm "
            "regularizes is not tested by a run this size.")


def speed_verdict(result: Result) -> str:
    """Hands-On ML: batch norm lets the net reach a given accuracy in fewer epochs."""
    counts = {bn: [r.epochs_to_target or result.epochs + 1 for r in runs_of(result, bn)] for bn in (False, True)}
    numbers = (f"{Spread.of(counts[True]).text(1)} epochs to {result.target:.0%} with batch norm against "
               f"{Spread.of(counts[False]).text(1)} without")
    verdict = order(counts[True], counts[False])
    if verdict < 0:
        return f"As in the book, batch norm sped training up: {numbers}."
    if verdict > 0:
        return (f"Unlike the book, batch norm slowed training down: {numbers}, beyond the seed-to-seed noise "
                "(at this learning rate the plain net may already train as fast as it can).")
    return (f"{numbers[0].upper()}{numbers[1:]}, within the seed-to-seed noise: the book's speed-up is not tested by "
            "a run this size.")


def summarize(result: Result) -> Summary:
    rows = []
    for bn in (False, True):
        runs = runs_of(result, bn)
        reached = [r.epochs_to_target for r in runs if r.epochs_to_target is not None]
        rows.append([label(bn), Spread.of([r.train_accuracy[-1] for r in runs]).text(),
                     Spread.of([r.test_accuracy[-1] for r in runs]).text(), Spread.of(gaps(result, bn)).text(),
                     Spread.of(reached).text(1) if reached else "never",
                     f"{len(reached)}/{len(runs)}", Spread.of([r.val_accuracy[-1] for r in runs]).text()])
    conclusions = [
        *divergence(result),
        compare(label(True), gaps(result, True), label(False), gaps(result, False),
                f"Train-test gap after {result.small_epochs} epochs on {result.small_samples} images",
                higher_is_better=False),
        compare(label(True), [r.test_accuracy[-1] for r in runs_of(result, True)], label(False),
                [r.test_accuracy[-1] for r in runs_of(result, False)],
                f"Test accuracy of the net trained on {result.small_samples} images"),
        regularizer_verdict(result),
        speed_conclusion(result),
        speed_verdict(result),
    ]
    return Summary(["", f"train acc. ({result.small_samples} images)", "test acc.", "gap",
                    f"epochs to {result.target:.0%}", "runs reaching it", f"val. acc. after {result.epochs} epochs"],
                   rows, conclusions, settings_note(result.changed))


def plot(result: Result) -> dict[str, plt.Figure]:
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained")
    for index, bn in enumerate((False, True)):
        runs = runs_of(result, bn)
        ticks = np.arange(len(runs[0].train_accuracy)) * result.eval_every
        ticks[-1] = result.small_epochs
        color = f"C{index}"
        left.plot(ticks, np.mean([r.train_accuracy for r in runs], axis=0), color=color, linestyle="--",
                  label=f"train, {label(bn)}")
        left.plot(ticks, np.mean([r.test_accuracy for r in runs], axis=0), color=color, label=f"test, {label(bn)}")
        epochs = np.arange(1, result.epochs + 1)
        curves = np.array([r.val_accuracy for r in runs])
        right.plot(epochs, curves.mean(axis=0), color=color, marker="os"[index], label=label(bn))
        right.fill_between(epochs, curves.min(axis=0), curves.max(axis=0), color=color, alpha=0.2)
    right.axhline(result.target, color="0.5", linestyle=":", linewidth=1)
    left.set(xlabel="epoch", title=f"Regularizer? {result.small_samples} training images")
    accuracy_axis(left, [line.get_ydata() for line in left.get_lines()], label="accuracy (mean over seeds)")
    right.set(xlabel="epoch", title="Speed-up? The full training set")
    accuracy_axis(right, [r.val_accuracy for r in result.runs], label="validation accuracy (mean, range over seeds)")
    right.set_xticks(np.arange(1, result.epochs + 1))
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    figure.suptitle(f"Batch normalization on {result.dataset}")
    return {"batchnorm_regularizer": figure}
