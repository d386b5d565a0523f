"""Training a deep ReLU net on MNIST from three weight initialisations: std 0.01, Xavier and He.

Speed is measured as speed: the iterations until the mean of the last 100 batch losses (each
measured before its update) reaches a level fixed before the run; "learns nothing" as the final loss
against ln 10, the loss of a uniform guess among the 10 digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import trainlab as tl
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import CHANCE_LOSS, data_of, final_mean, steps_to
from trainlab.lab.inits import check_init, init_label, parse_init
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.settings import DataConfig, option
from trainlab.lab.training import failure_notes, random_batches, rounded, train_steps
from trainlab.optimizers import OPTIMIZERS

LESSON = Lesson(
    name="init-compare", title="Weight initialisation: training-loss curves", book=DLFS,
    section="6.2.4 Comparing weight initializations on MNIST", figure="Figure 6-15",
    description=(
        "The book's comparison of initial weight scales: a ReLU network with hidden layers of "
        "{hidden} units, trained by {optimizer} (η = {lr}) for {iterations} iterations on batches "
        "of {batch_size} drawn at random (with replacement) from the {dataset} training images, "
        "from weights of std 0.01, Xavier's 1/√n and He's √(2/n) (n: the inputs of a unit; biases "
        "0), {seeds} seeds. For one seed every run starts from the same random draw up to its "
        "scale and sees the same batches. Each step records the batch's loss before the update "
        "(the book plots it after the update; the difference is one step's progress)."),
)


@dataclass
class Config(DataConfig):
    inits: tuple[str, ...] = option(("0.01", "xavier", "he"), check=check_init)  # a std or a name
    hidden: tuple[int, ...] = option((100, 100, 100, 100), ge=1)
    optimizer: str = option("sgd", choices=OPTIMIZERS.names)
    lr: float = option(0.01, gt=0)
    batch_size: int = option(128, ge=1)
    iterations: int = option(2000, ge=1)
    window: int = option(100, ge=1)  # the trailing mean the speed and final-loss measures take
    level: float = option(0.5, gt=0)  # the loss the speed is measured at (Xavier and He reach it)
    # He reaches the level about twice as fast as Xavier (hundreds of iterations apart) where seeds
    # differ by tens; 5 paired seeds resolve it, at 2 s a unit.
    seeds: int = option(5, ge=1)
    smoothing: int = option(11, ge=1, training=False)  # the figure's moving average (smooth_curve)

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "iterations": 400, "window": 20, "seeds": 3,
                             "level": 1.5}
    NOTEBOOK: ClassVar[dict] = {"dataset": "mnist-mini", "iterations": 500, "window": 50,
                                "level": 1.5, "seeds": 3}


# training fails: at η = 10 every initialisation diverges
BREAKS = {"lr": 10.0, "iterations": 40}


def settings(config: Config) -> tuple[str, ...]:
    return config.inits


def label(setting: str) -> str:
    return init_label(setting)


def train(config: Config, setting: str, seed: int) -> dict:
    """The book's loop: draw a batch, one training step; the same batches for each initialisation."""
    data = data_of(config)
    model = tl.mlp(config.hidden, activation="relu", init=parse_init(setting), seed=seed)
    batches = random_batches(len(data.x_train), config.iterations, config.batch_size, seed)
    optimizer = tl.get_optimizer(config.optimizer, lr=config.lr)
    steps = train_steps(model, optimizer, data.x_train, data.y_train, batches)
    return {"status": steps.status, "loss": rounded(steps.losses),
            "test_accuracy": model.accuracy(data.x_test, data.y_test)}


def final_loss(run, c) -> float:
    return final_mean(run["loss"], c.window) if run["status"] == "completed" else float("nan")


TO_LEVEL = Measure("the iterations until the mean of the last {window} batch losses reaches {level}",
                   lambda run, c: steps_to(run["loss"], c.level, window=c.window,
                                           budget=c.iterations),
                   unit="iterations", short="iterations to a loss of {level}")
FINAL = Measure("the mean of the last {window} batch losses", final_loss, short="final loss")
FIRST = Measure("the first batch's loss",
                lambda run, c: run["loss"][0] if run["loss"] else float("nan"), short="first loss")
ACCURACY = Measure("test accuracy", lambda run, c: run["test_accuracy"], percent=True)
TABLE = (FIRST, TO_LEVEL, FINAL, ACCURACY)

CLAIMS = (
    Claim("std-0.01-learns-nothing", "With weights of std 0.01 the net does not learn at all: its "
          f"loss stays at ln 10 = {CHANCE_LOSS:.2f}, a uniform guess (here: within 0.05 of it).",
          "DLfS 6.2.4, Figure 6-15",
          FINAL, a="0.01", expect="in", b=(CHANCE_LOSS - 0.05, CHANCE_LOSS + 0.05)),
    Claim("xavier-and-he-learn", "With Xavier's and He's initial weights the net learns where std "
                                 "0.01 does not.",
          "DLfS 6.2.4, Figure 6-15", FINAL, a="0.01", expect=">", b=("xavier", "he")),
    Claim("he-faster", "He's initialisation learns faster than Xavier's in this ReLU net.",
          "DLfS 6.2.4, Figure 6-15", TO_LEVEL, a="he", expect="<", b="xavier"),
)


def notes(runs) -> list[str]:
    return failure_notes(runs, label, lambda run, c: final_loss(run, c) > CHANCE_LOSS - 0.05,
                         f"its final loss stayed within 0.05 of ln 10 = {CHANCE_LOSS:.3f}, a "
                         "uniform guess")


def plot(runs) -> dict:
    config = runs.config
    figure, ax = plots.figure(width=7.5, height=4.6)
    colours = plots.styles(runs.settings)
    for setting in runs.settings:
        plots.mean_curve(ax, runs.curves(setting, "loss"), window=config.smoothing,
                         label=label(setting), **colours[setting])
    ax.axhline(CHANCE_LOSS, color="0.5", linestyle=":", linewidth=1)
    ax.annotate("ln 10: a uniform guess", (0.5 * config.iterations, CHANCE_LOSS), xytext=(0, 4),
                textcoords="offset points", fontsize="small", color="0.4", ha="center")
    ax.axhline(config.level, color="0.7", linestyle="--", linewidth=1)
    ax.set(xlabel="iteration", ylabel="training loss (before the update)", ylim=(0, 2.5))
    ax.grid(alpha=0.3)
    plots.legend_outside(ax)
    ax.set_title(f"Loss smoothed over {config.smoothing} steps, mean of {config.seeds} seeds and "
                 f"their range;\nMLP 784-{'-'.join(map(str, config.hidden))}-10 ReLU, "
                 f"{config.optimizer} η = {config.lr:g}, batch {config.batch_size}, "
                 f"{config.dataset}; dashed: the level {config.level:g}",
                 fontsize="medium")
    return {"loss_curves": figure}
