"""Learning-rate schedules (Hands-On ML 11.3): the learning-rate curves and what they do to one MLP."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

import trainlab as tl
from trainlab.figures import accuracy_axis
from trainlab.lab.common import (
    compare,
    departures,
    hold_out,
    learned_accuracy,
    load_data,
    mlp,
    pm,
    progress,
    seed_list,
    settings_note,
)
from trainlab.lab.legacy import ExperimentConfig, Summary, option

NAME = "lr-schedules"
TITLE = "Learning-rate schedules"
BOOK = "Hands-On Machine Learning"
SECTION = "11.3 Learning rate scheduling"
FIGURE = ""
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "exponential, performance and 1cycle scheduling can speed up convergence considerably; exponential "
    "scheduling is preferred for being easy to tune."
)
DESCRIPTION = (
    "Hands-On ML 11.3 ('Learning Rate Scheduling', figure 11-8 for 1cycle's curve): one 784-300-100-10 ReLU net "
    "(He initialization) is trained on Fashion-MNIST (55,000 training and 5,000 validation images, the book's "
    "split) for the book's 25 epochs with momentum optimization (β = 0.9, batches of 32) under each schedule, "
    "all from η0 = 0.01 and from three seeds: a constant rate (the baseline); power scheduling η0/(1 + t/s) with "
    "s = 10,000 steps (Keras's decay = 1e-4, the book's); exponential scheduling η0·0.1^(t/s) with s = 20 epochs "
    "(the book's); piecewise-constant 0.01, 0.005 from epoch 5, 0.001 from epoch 15 (the book's); performance "
    "scheduling (η halved when the validation loss has not improved for 5 epochs, the book's patience); and "
    "1cycle (up to 0.05 and down again, the momentum cycled between 0.95 and 0.85). The book says that "
    "exponential, performance and 1cycle scheduling can speed up convergence considerably."
)
# Where this differs from the book: the book's examples use SELU/LeCun on standardized pixels, plain SGD for
# power, exponential and piecewise scheduling and batches of 128 for 1cycle; here every schedule drives the
# same ReLU/He net with the same momentum optimizer and batch size, so that only the schedule differs.
BOOK_DIFFERENCE = ("Unlike the book's examples, every schedule here drives the same ReLU/He net on raw pixels with "
                   "momentum 0.9 and batches of 32, so that only the schedule differs.")
SCHEDULES = ("constant", "power", "exponential", "piecewise", "performance", "1cycle")
BOOK_FASTER = ("exponential", "performance", "1cycle")  # "can speed up convergence considerably"


@dataclass
class Config(ExperimentConfig):
    dataset: str = "fashion-mnist"
    train_samples: int | None = option(None, ge=1, meaning="every training image not held out")
    validation_samples: int = option(5000, ge=1)
    hidden: tuple[int, ...] = option((300, 100), ge=1)
    lr: float = option(0.01, gt=0)  # η0 of every schedule
    momentum: float = option(0.9, ge=0, lt=1)
    batch_size: int = option(32, ge=1)
    epochs: int = option(25, ge=1)
    schedules: tuple[str, ...] = option(SCHEDULES, choices=SCHEDULES)
    power_steps: int = option(10000, ge=1)  # s of power scheduling: Keras's decay = 1/s = 1e-4
    exponential_epochs: float = option(20.0, gt=0)  # s of exponential scheduling, in epochs
    piecewise_epochs: tuple[int, ...] = option((5, 15), ge=1, length=2, increasing=True)  # η0/2, then η0/10
    plateau_factor: float = option(0.5, gt=0, lt=1)
    plateau_patience: int = option(5, ge=1)
    one_cycle_max_lr: float = option(0.05, gt=0)
    seeds: int = option(3, ge=1)  # the book runs one; three measure the seed-to-seed noise

    QUICK: ClassVar[dict] = {"train_samples": 1500, "validation_samples": 500, "epochs": 4, "power_steps": 100,
                             "exponential_epochs": 3.0, "piecewise_epochs": (1, 3), "plateau_patience": 1,
                             "seeds": 1}


@dataclass
class Run:
    """One schedule's training run from one seed."""

    schedule: str
    seed: int
    status: str
    lr_curve: list[float]  # the learning rate at the steps in Result.lr_steps
    lr_per_epoch: list[float]  # at the end of each epoch
    train_loss: list[float]  # mean training-mode batch loss per epoch
    val_loss: list[float]
    val_accuracy: list[float]
    test_accuracy: float


@dataclass
class Result:
    dataset: str
    train_samples: int
    validation_samples: int
    test_samples: int
    epochs: int
    steps_per_epoch: int
    lr_steps: list[int]  # the steps at which the learning-rate curves are sampled
    descriptions: dict[str, str]  # schedule -> its formula with the numbers
    changed: list[str]  # settings that differ from the full-size ones
    runs: list[Run]  # per seed, per schedule

    def of(self, schedule: str) -> list[Run]:
        return [r for r in self.runs if r.schedule == schedule]

    def final(self, schedule: str, what: str = "val_accuracy") -> list[float]:
        return [getattr(r, what)[-1] if getattr(r, what) else math.nan for r in self.of(schedule)]

    def failed(self, schedule: str) -> bool:
        return any(r.status == "diverged" or not learned_accuracy(r.test_accuracy) for r in self.of(schedule))


def make_schedule(name: str, config: Config, steps_per_epoch: int) -> tuple[list[tl.Callback], str]:
    """The callbacks that apply schedule ``name``, and a description of it."""
    lr = config.lr
    if name == "constant":
        return [], f"η = {lr:g}"
    if name == "power":
        s = config.power_steps
        return [tl.LearningRateScheduler(tl.PowerDecay(lr, s), per="step")], f"η0 / (1 + t/s), s = {s} steps"
    if name == "exponential":
        s = config.exponential_epochs * steps_per_epoch
        return ([tl.LearningRateScheduler(tl.ExponentialDecay(lr, s, rate=0.1), per="step")],
                f"η0 · 0.1^(t/s), s = {config.exponential_epochs:g} epochs")
    if name == "piecewise":
        first, second = config.piecewise_epochs
        schedule = tl.PiecewiseConstant([first, second], [lr, lr / 2, lr / 10])
        return ([tl.LearningRateScheduler(schedule, per="epoch")],
                f"{lr:g}, {lr / 2:g} from epoch {first}, {lr / 10:g} from epoch {second}")
    if name == "performance":
        callback = tl.ReduceLROnPlateau(monitor="val_loss", factor=config.plateau_factor,
                                        patience=config.plateau_patience)
        return [callback], (f"η · {config.plateau_factor:g} after {config.plateau_patience} epochs without a "
                            "lower validation loss")
    if name == "1cycle":
        schedule = tl.OneCycle(config.one_cycle_max_lr)
        return ([tl.LearningRateScheduler(schedule, per="step")],
                f"{schedule.start_lr:g} → {config.one_cycle_max_lr:g} → {schedule.final_lr:g}, momentum "
                f"{schedule.max_momentum:g} ↔ {schedule.min_momentum:g}")
    raise ValueError(f"unknown schedule {name!r}; choose from {', '.join(SCHEDULES)}")


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir)
    x_train, y_train, x_valid, y_valid = hold_out(data.x_train, data.y_train, config.validation_samples)
    if config.train_samples is not None:
        x_train, y_train = x_train[: config.train_samples], y_train[: config.train_samples]
    steps_per_epoch = math.ceil(len(x_train) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    lr_steps = list(range(0, total_steps, max(1, total_steps // 400)))
    runs, descriptions = [], {}
    jobs = [(name, seed) for seed in seed_list(config.seed, config.seeds) for name in config.schedules]
    for name, seed in progress(jobs, "schedules"):
        callbacks, descriptions[name] = make_schedule(name, config, steps_per_epoch)
        model = mlp(config.hidden, init="he_normal", seed=seed)
        model.compile("momentum", lr=config.lr, momentum=config.momentum, metrics=["accuracy"])
        history = model.fit(x_train, y_train, epochs=config.epochs, batch_size=config.batch_size,
                            validation_data=(x_valid, y_valid), evaluate_train=False, callbacks=callbacks,
                            verbose=0)
        runs.append(Run(
            schedule=name, seed=seed, status=history.status,
            lr_curve=[history.step_lr[i] for i in lr_steps if i < len(history.step_lr)],
            lr_per_epoch=history.metrics.get("lr", []), train_loss=history.metrics.get("loss", []),
            val_loss=history.metrics.get("val_loss", []), val_accuracy=history.metrics.get("val_accuracy", []),
            test_accuracy=model.accuracy(data.x_test, data.y_test),
        ))
    return Result(data.name, len(x_train), len(x_valid), len(data.x_test), config.epochs,
                  steps_per_epoch, lr_steps, descriptions, departures(config), runs)


# -- summary -----------------------------------------------------------------------------------------------------
def epochs_to(run: Run, target: float) -> float:
    """The first epoch (1-based) whose validation accuracy reached ``target``; inf if none did."""
    return next((i + 1.0 for i, a in enumerate(run.val_accuracy) if a >= target), math.inf)


def table(result: Result) -> tuple[list[str], list[list]]:
    target = float(np.mean(result.final("constant"))) if result.of("constant") else math.nan
    rows = []
    for name in dict.fromkeys(r.schedule for r in result.runs):
        runs = result.of(name)
        if result.failed(name):
            rows.append([name, result.descriptions[name], "diverged" if any(r.status == "diverged" for r in runs)
                         else "did not learn", "", "", "", ""])
            continue
        reach = [epochs_to(r, target) for r in runs]
        rows.append([name, result.descriptions[name], pm(result.final(name), 4), pm(result.final(name, "val_loss"), 3),
                     pm([r.test_accuracy for r in runs], 4), "never" if math.inf in reach else pm(reach, 2),
                     f"{np.mean([r.lr_per_epoch[-1] for r in runs]):.3g}"])
    return ["schedule", "learning rate", "validation accuracy", "validation loss", "test accuracy",
            "epochs to the constant rate's final accuracy", "final η"], rows


def failures(result: Result) -> list[str]:
    return [f"With {name} scheduling training " + ("diverged (the loss became NaN or inf)"
                                                  if any(r.status == "diverged" for r in result.of(name))
                                                  else "did not learn (test accuracy near the 10 % of guessing)")
            + ", so it is left out of the comparisons." for name in dict.fromkeys(r.schedule for r in result.runs)
            if result.failed(name)]


def against_constant(result: Result) -> list[str]:
    """Each schedule against the constant rate: how soon it reached the constant rate's final validation
    accuracy (against how soon the constant rate itself did), and where it ended; weighed against the noise."""
    if not result.of("constant") or result.failed("constant"):
        return []
    target = float(np.mean(result.final("constant")))
    constant_reach = [epochs_to(r, target) for r in result.of("constant")]
    lines = []
    for name in dict.fromkeys(r.schedule for r in result.runs):
        if name == "constant" or result.failed(name):
            continue
        accuracy = compare(result.final(name), result.final("constant"))
        reach = [epochs_to(r, target) for r in result.of(name)]
        if math.inf in reach:
            speed, faster = "never reached the constant rate's final validation accuracy", False
        else:
            c = compare(reach, constant_reach) if math.inf not in constant_reach else None
            faster = c is not None and c.sign < 0
            speed = (f"reached the constant rate's final validation accuracy ({target:.4f}) after {pm(reach, 2)} "
                     f"epochs, where the constant rate took {pm(constant_reach, 2)}"
                     + (f" ({c.words(' epochs')})" if c is not None else ""))
        claim = ""
        if name in BOOK_FASTER:
            book = "the book's 'can speed up convergence considerably'"
            if faster and accuracy.sign >= 0:
                claim = f"; this supports {book}"
            elif math.inf in reach or c is None or c.sign != 0:
                claim = f"; this does not support {book}"
            else:  # the epochs to the target differ within the noise
                claim = f"; the speed-up is within the noise, so {book} is not tested by a run of this size"
        lines.append(f"{name[0].upper()}{name[1:]} scheduling {speed}, and ended "
                     f"{accuracy.relation('above', 'below', 'level with')} it after {result.epochs} epochs: "
                     f"{pm(result.final(name), 4)} against {pm(result.final('constant'), 4)} ({accuracy.words()})"
                     f"{claim}.")
    return lines


def plateau(result: Result) -> list[str]:
    runs = [r for r in result.of("performance") if r.status == "completed"]
    if not runs:
        return []
    cuts = [sum(b < a for a, b in zip(r.lr_per_epoch, r.lr_per_epoch[1:], strict=False)) for r in runs]
    return [f"Performance scheduling ({result.descriptions['performance']}) cut the learning rate {pm(cuts, 2)} "
            f"times in {result.epochs} epochs."]


def summarize(result: Result) -> Summary:
    headers, rows = table(result)
    conclusions = [*failures(result), *against_constant(result), *plateau(result)]
    notes = [f"{result.train_samples:,} training, {result.validation_samples:,} validation and "
             f"{result.test_samples:,} test images; {result.steps_per_epoch} steps per epoch. {BOOK_DIFFERENCE}"]
    return Summary(headers, rows, conclusions, notes + settings_note(result.changed))


# -- figures -----------------------------------------------------------------------------------------------------
def plot(result: Result) -> dict[str, Figure]:
    colors = dict(zip(SCHEDULES, matplotlib.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    names = list(dict.fromkeys(r.schedule for r in result.runs))
    first = {name: result.of(name)[0] for name in names}  # the learning-rate curves of the first seed
    lr_figure = Figure(figsize=(12, 4.2), layout="constrained")
    axes = lr_figure.subplots(1, 2)
    for name, r in first.items():
        x = np.array(result.lr_steps[: len(r.lr_curve)]) / result.steps_per_epoch
        for ax in axes:
            ax.plot(x, r.lr_curve, label=name, color=colors.get(name))
    axes[0].set(title="Learning rate during training (first seed)", xlabel="epochs", ylabel="learning rate η")
    axes[1].set(title="The same on a log scale", xlabel="epochs", ylabel="learning rate η (log)", yscale="log")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend()

    seeds = len({r.seed for r in result.runs})
    figure = Figure(figsize=(15, 4.2), layout="constrained")
    axes = figure.subplots(1, 3)
    for name in names:
        done = [r for r in result.of(name) if r.status == "completed"]
        if not done:
            continue
        style = {"label": name, "color": colors.get(name), "marker": "o", "markersize": 3}
        for ax, what in zip(axes, ("val_accuracy", "val_loss", "train_loss"), strict=True):
            curve = np.mean([getattr(r, what) for r in done], axis=0)
            ax.plot(np.arange(1, len(curve) + 1), curve, **style)
    axes[0].set(title="Validation accuracy", xlabel="epochs")
    accuracy_axis(axes[0], [line.get_ydata() for line in axes[0].get_lines()], label="accuracy")
    axes[1].set(title="Validation loss", xlabel="epochs", ylabel="loss")
    axes[2].set(title="Training loss (mean over the epoch's batches)", xlabel="epochs", ylabel="loss")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    if axes[0].get_legend_handles_labels()[0]:  # none when every schedule diverged
        axes[0].legend()
    figure.suptitle(f"One MLP trained with each schedule ({result.dataset}, {result.train_samples:,} training images; "
                    f"mean of {seeds} seed{'s' * (seeds > 1)})")
    return {"learning_rates": lr_figure, "validation": figure}
