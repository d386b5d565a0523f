"""SGD, Momentum, AdaGrad and Adam (and the other optimizers) training the same MNIST network.

Speed: the iterations until a run's recent batch losses (the mean of the last 100, each before its
update, on a batch not yet trained on) reach a level fixed before the run. The book's figure plots
the loss after the update, crediting what a step has just fitted to its batch; the AdaGrad claim,
read off that figure, is measured that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import ClassVar

import trainlab as tl
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import data_of, final_mean, steps_to
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.settings import DataConfig, option
from trainlab.lab.training import failure_notes, random_batches, rounded
from trainlab.optimizers import OPTIMIZERS

LESSON = Lesson(
    name="optimizers", title="Optimizers on MNIST: training-loss curves", book=DLFS,
    section="6.1.8 Comparing the update methods on MNIST (and Hands-On ML 11.3)", figure="Figure 6-9",
    description=(
        "The book's comparison of update rules: one 784-{hidden}-10 ReLU net (He initialisation) "
        "trained {iterations} iterations on batches of {batch_size} drawn at random (with "
        "replacement) from the {dataset} training images, once per optimizer and seed ({seeds} "
        "seeds); for one seed all start from the same weights and see the same batches, so runs "
        "pair by seed. Rates: the book's for its four (SGD, Momentum and AdaGrad 0.01, Adam "
        "0.001); for Hands-On ML 11.3's others the book's snippets or the usual defaults (Nesterov "
        "as Momentum; RMSProp, Nadam and AdaMax 0.001 as in the book's Keras code; Adadelta 1.0; "
        "AMSGrad and RAdam as Adam; Lion 0.0003 as its paper advises). Each step records the "
        "batch's loss before and after the update (after: what the book plots, smoothed)."),
)

BOOK_FOUR = ("sgd", "momentum", "adagrad", "adam")
label = plots.labeller(plots.OPTIMIZER_LABELS)
notes = partial(failure_notes, label=label)  # "... diverged in k of n seeds." where any did


@dataclass
class Config(DataConfig):
    optimizers: tuple[str, ...] = option(
        ("sgd", "momentum", "adagrad", "adam", "nesterov", "rmsprop", "adamax", "nadam", "adadelta",
         "amsgrad", "radam", "lion"), choices=OPTIMIZERS.names)
    learning_rates: tuple[float, ...] = option(
        (0.01, 0.01, 0.01, 0.001, 0.01, 0.001, 0.001, 0.001, 1.0, 0.001, 0.001, 0.0003), gt=0,
        length_of="optimizers")
    hidden: tuple[int, ...] = option((100, 100, 100, 100), ge=1)
    batch_size: int = option(128, ge=1)
    iterations: int = option(2000, ge=1)
    # Speed gaps of a tenth of the iterations; Nesterov's (39 of 714, paired sd 55) needs 16 seeds.
    seeds: int = option(16, ge=1)
    window: int = option(100, ge=1)  # the trailing mean the speed and final-loss measures take
    level: float = option(0.3, gt=0)  # the level for the book's four (all reach it but SGD, maybe)
    fast_level: float = option(0.15, gt=0)  # for Nesterov/Momentum and Nadam/Adam (all reach it)
    smoothing: int = option(11, ge=1, training=False)  # the figure's moving average (smooth_curve)

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "iterations": 150, "window": 20, "seeds": 2,
                             "level": 1.0, "fast_level": 0.8}


# training fails (every rule diverges at η = 10): the tests, and a reader, can watch it
BREAKS = {"learning_rates": (10.0,) * 12, "iterations": 40}


def settings(config: Config) -> tuple[str, ...]:
    return config.optimizers


def train(config: Config, setting: str, seed: int) -> dict:
    """The book's loop: draw a batch, one training step, and the same batch's loss once more."""
    data = data_of(config)
    lr = dict(zip(config.optimizers, config.learning_rates, strict=True))[setting]
    model = tl.mlp(config.hidden, activation="relu", init="he_normal", seed=seed)
    optimizer = tl.get_optimizer(setting, lr=lr)
    before, after, status = [], [], "completed"
    for index in random_batches(len(data.x_train), config.iterations, config.batch_size, seed):
        x, t = data.x_train[index], data.y_train[index]
        try:
            before.append(tl.train_step(model, optimizer, x, t))
        except tl.DivergenceError:
            status = "diverged"
            break
        after.append(model.loss(x, t))
    return {"status": status, "loss_before": rounded(before), "loss_after": rounded(after),
            "test_accuracy": model.accuracy(data.x_test, data.y_test)}


def steps_to_level(level: str) -> Measure:
    return Measure(f"the iterations until the mean of the last {{window}} batch losses (before the "
                   f"update) reaches {{{level}}}", unit="iterations",
                   short=f"iterations to a loss of {{{level}}}",
                   of=lambda r, c: steps_to(r["loss_before"], getattr(c, level), window=c.window,
                                            budget=c.iterations))


TO_LEVEL, TO_FAST_LEVEL = steps_to_level("level"), steps_to_level("fast_level")
FINAL_AFTER = Measure("the mean of the last {window} batch losses after the update (the book's measure)",
                      lambda r, c: final_mean(r["loss_after"], c.window), short="final loss after the update")
FINAL_BEFORE = Measure("the mean of the last {window} batch losses before the update",
                       lambda run, c: final_mean(run["loss_before"], c.window),
                       short="final loss before the update")
ACCURACY = Measure("test accuracy", lambda run, c: run["test_accuracy"], percent=True)
TABLE = (TO_LEVEL, TO_FAST_LEVEL, FINAL_AFTER, FINAL_BEFORE, ACCURACY)

CLAIMS = (
    Claim("sgd-slowest", "SGD learns slowest of the four update rules; Momentum, AdaGrad and Adam "
          "all learn faster.", "DLfS 6.1.8, Figure 6-9", TO_LEVEL, a="sgd", expect=">",
          b=("momentum", "adagrad", "adam")),
    Claim("adagrad-a-little-faster", "AdaGrad seems to learn a little faster than the others (its "
          "curve lies lowest in Figure 6-9, which plots each batch's loss after the update).",
          "DLfS 6.1.8, Figure 6-9", FINAL_AFTER, a="adagrad", expect="<", b=("momentum", "adam"),
          why="Measured before the update (on batches not yet trained on), Adam ends below "
              "AdaGrad: the book's measure credits what a step has just fitted to its own batch, "
              "and AdaGrad's large early steps fit a batch more."),
    Claim("nesterov-faster", "Nesterov accelerated gradient is generally faster than plain momentum.",
          "HOML 11.3.2", TO_FAST_LEVEL, a="nesterov", expect="<", b="momentum"),
    Claim("nadam-faster", "Nadam (Adam with the Nesterov trick) often converges slightly faster "
          "than Adam.", "HOML 11.3.5", TO_FAST_LEVEL, a="nadam", expect="<", b="adam"),
    Claim("adam-beats-adamax", "AdaMax can be more stable than Adam, but in general Adam performs "
          "better.", "HOML 11.3.5", FINAL_BEFORE, a="adam", expect="<", b="adamax"),
)


def plot(runs) -> dict:
    config = runs.config
    lrs = dict(zip(config.optimizers, config.learning_rates, strict=True))
    four = [s for s in BOOK_FOUR if s in runs.settings]
    panels = [("The book's four: loss after the update (the book's measure)", four, "loss_after"),
              ("Every optimizer: loss before the update, log scale", runs.settings, "loss_before")]
    figure, axes = plots.figure(2, width=6.4, height=4.6)
    colours = plots.styles(runs.settings)
    for ax, (title, names, key), log in zip(axes.flat, panels, (False, True), strict=True):
        for name in names:
            plots.mean_curve(ax, runs.curves(name, key), window=config.smoothing, band=not log,
                             label=f"{label(name)} (η = {lrs[name]:g})", **colours[name])
        ylim = None if log else (0, min(2.5, max(1.0, ax.get_ylim()[1])))
        plots.finish(ax, title=title, xlabel="iteration", yscale="log" if log else "linear", ylim=ylim,
                     ylabel="training loss" + (" (log scale)" if log else ""))
        ax.axhline(config.level, color="0.6", linestyle=":", linewidth=1)
    figure.suptitle(f"Training loss, smoothed over {config.smoothing} steps; mean of "
                    f"{config.seeds} seeds and their range; MLP "
                    f"784-{'-'.join(map(str, config.hidden))}-10, {config.dataset}; dotted: the "
                    f"level {config.level:g} the speed is measured at")
    return {"loss_curves": figure}
