"""Learning-rate schedules (Hands-On ML 11.3) on one Fashion-MNIST MLP. Speed is measured as speed:
every schedule runs the same budget, its constants scaled to it, and the net it leaves is tested."""

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import trainlab as tl
from trainlab.figures import accuracy_axis
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.fitting import epoch_curves, failure_notes, split_of
from trainlab.lab.lesson import HOML, Lesson
from trainlab.lab.settings import DataConfig, option

LESSON = Lesson(
    name="lr-schedules", title="Learning-rate schedules", book=HOML,
    section="11.3 Learning Rate Scheduling", figure="",
    description=(
        "A ReLU net (hidden layers of {hidden} units; He init) on {dataset} (the last {validation_samples} "
        "images held out), by momentum (β = {momentum}, batches of {batch_size}) from η0 = {lr} under each "
        "schedule, run in full for {epochs} epochs ({seeds} seeds; a seed: the same weights and batches "
        "under every schedule). The book's constants for its 25 epochs, scaled to this run: power η0/(1 + "
        "t/s), s = {power_s} of the steps; exponential η0·0.1^(t/s), s = {exponential_s} of the run, and "
        "half and twice that; piecewise η0/2, then η0/10 from {piecewise} of the run; performance η times "
        "{plateau_factor} after {plateau_patience} of the epochs without a lower validation loss; 1cycle up "
        "to {one_cycle_max_lr} and down."),
)

SCHEDULES = ("constant", "power", "exponential", "piecewise", "performance", "1cycle")
TUNING = {"exponential s/2": 0.5, "exponential 2s": 2.0}  # exponential at other decay constants s


@dataclass
class Config(DataConfig):
    dataset: str = "fashion-mnist"
    validation_samples: int = option(5000, ge=1)
    hidden: tuple[int, ...] = option((300, 100), ge=1)
    lr: float = option(0.01, gt=0)  # η0 of every schedule (the book's)
    momentum: float = option(0.9, ge=0, lt=1)
    batch_size: int = option(32, ge=1)  # Keras's default, which the book's schedule examples use
    # The budget: 10 epochs (the book's run is 25) leave the constant rate short of convergence,
    # where a faster schedule shows, and keep 12 seeds of 8 schedules near 20 CPU-minutes.
    epochs: int = option(10, ge=1)
    schedules: tuple[str, ...] = option((*SCHEDULES, *TUNING), choices=(*SCHEDULES, *TUNING))
    # fractions of the run: the book's constants for its 25 epochs of 1,719 steps, scaled to ours
    power_s: float = option(0.23, gt=0)  # 10,000 steps (Keras's decay=1e-4)
    exponential_s: float = option(0.8, gt=0)  # 20 epochs
    piecewise: tuple[float, ...] = option((0.2, 0.6), gt=0, lt=1, length=2, increasing=True)  # 5, 15
    plateau_factor: float = option(0.5, gt=0, lt=1)
    plateau_patience: float = option(0.2, gt=0, le=1)  # 5 epochs
    one_cycle_max_lr: float = option(0.05, gt=0)  # the book's 1cycle example (5 η0)
    # Gains of 0.3 to 0.8 points of test accuracy against a paired sd of 0.2 to 0.5 (4 seeds at full
    # size): 12 paired seeds put the 95 % interval at ±0.13 to ±0.32 points.
    seeds: int = option(12, ge=1)
    QUICK: ClassVar[dict] = {"train_samples": 1500, "validation_samples": 500, "test_samples": 1000,
                             "epochs": 4, "seeds": 2}
    NOTEBOOK: ClassVar[dict] = {"train_samples": 3000, "validation_samples": 1000,
                                "test_samples": 2000, "epochs": 5, "seeds": 3}


BREAKS = {"lr": 10.0, "one_cycle_max_lr": 50.0}  # a setting at which every schedule diverges
notes = failure_notes  # which runs diverged or did not learn


def settings(config: Config) -> tuple[str, ...]:
    return config.schedules


def callbacks(config: Config, setting: str, steps: int) -> list:
    """The callback that applies ``setting`` to a run of ``steps`` steps (none: the constant rate)."""
    lr, patience = config.lr, max(1, round(config.plateau_patience * config.epochs))
    s = config.exponential_s * TUNING.get(setting, 1.0) * steps  # TUNING: the s/2 and 2s arms
    make = {
        "power": lambda: tl.PowerDecay(lr, config.power_s * steps),
        "exponential": lambda: tl.ExponentialDecay(lr, s, rate=0.1),
        "piecewise": lambda: tl.PiecewiseConstant([f * steps for f in config.piecewise],
                                                  [lr, lr / 2, lr / 10]),
        "performance": lambda: tl.ReduceLROnPlateau("val_loss", config.plateau_factor, patience),
        "1cycle": lambda: tl.OneCycle(config.one_cycle_max_lr),  # over the whole run, momentum too
    }
    name = setting.split(" ")[0]  # "exponential s/2" is exponential with another s
    return [make[name]()] if name in make else []


def train(config: Config, setting: str, seed: int) -> dict:
    """One schedule from one seed, run in full for the budget (``callbacks`` act every step)."""
    data = split_of(config)
    steps = math.ceil(len(data.x_train) / config.batch_size) * config.epochs
    model = tl.mlp(config.hidden, init="he_normal", seed=seed)
    model.compile("momentum", lr=config.lr, momentum=config.momentum, metrics=["accuracy"])
    history = model.fit(data.x_train, data.y_train, epochs=config.epochs, batch_size=config.batch_size,
                        validation_data=(data.x_valid, data.y_valid), evaluate_train=False,
                        callbacks=callbacks(config, setting, steps), verbose=0)
    every = max(1, steps // 200)  # the rate at 200 points of the run, for the figure
    return {"status": history.status, **epoch_curves(history), "step_lr": history.step_lr[::every],
            "lr_every": every, "steps_per_epoch": steps / config.epochs,
            "test_accuracy": model.accuracy(data.x_test, data.y_test)}


def last(key: str):  # the last epoch's value; NaN for a run that diverged in its first epoch
    return lambda run, c: run[key][-1] if run[key] else math.nan


ACCURACY = Measure("test accuracy when the budget of {epochs} epochs ends",
                   lambda run, c: math.nan if run["status"] == "diverged" else run["test_accuracy"],
                   percent=True, short="test accuracy after {epochs} epochs")
TRAINING_LOSS = Measure("the mean training loss of the last epoch", last("loss"),
                        short="training loss, last epoch")
TABLE = (ACCURACY, TRAINING_LOSS, Measure("the learning rate at the end", last("lr"), short="final η"))

SPEED = "Exponential decay, performance scheduling and 1cycle can considerably speed up convergence"
CLAIMS = (
    *(Claim(f"{name}-faster", f"{SPEED}: the {name} schedule against a constant rate.", "HOML 11.3",
            ACCURACY, a=name, expect=">", b="constant") for name in ("exponential", "performance", "1cycle")),
    Claim("1cycle-best", "Exponential and performance scheduling both do well, but 1cycle seems "
          "to do even better.", "HOML 11.3", ACCURACY, a="1cycle", expect=">",
          b=("exponential", "performance")),
    Claim("exponential-easy-to-tune", "Exponential scheduling is easy to tune: with its decay "
          "constant s halved or doubled it does about as well (here: within half a point of test "
          "accuracy).", "HOML 11.3", ACCURACY, a="exponential", expect="~", b=tuple(TUNING),
          margin=0.005,
          why="Doubling s is level (-0.08 points), but halving it costs 0.79 points (0.66 to 0.91, 12 "
              "seeds): s/2 divides η by 10 every 4 epochs, to 0.3 % of η0 at the end, when the steps "
              "barely move the weights. Easy to tune upwards, not downwards."),
)


def plot(runs) -> dict:
    config = runs.config
    figure, axes = plots.figure(3, width=5.2, height=4.4)
    rates, accuracy, loss = axes.flat
    for i, setting in enumerate(runs.settings):  # the first seed's rate at 200 points of its run
        run = runs.of(setting)[0]
        rates.plot(np.arange(len(run["step_lr"])) * run["lr_every"] / run["steps_per_epoch"],
                   run["step_lr"], label=setting, color=plots.style(i)["color"], linewidth=1.4)
    accuracy_axis(accuracy, plots.setting_curves(accuracy, runs, "val_accuracy"), label="accuracy")
    plots.setting_curves(loss, runs, "loss")
    plots.finish(rates, legend=False, title="Learning rate (first seed)", xlabel="epoch",
                 ylabel="η (log scale)", yscale="log")
    plots.finish(accuracy, legend=False, title="Validation accuracy", xlabel="epoch")
    plots.finish(loss, title="Training loss (mean over the epoch's batches)", xlabel="epoch",
                 ylabel="loss", yscale="log")
    figure.suptitle(f"Every schedule run in full for {config.epochs} epochs ({config.dataset}, "
                    f"momentum {config.momentum:g}, batches of {config.batch_size}); mean of "
                    f"{len(runs.seeds)} seeds and their range")
    return {"schedules": figure}
