"""Learning-rate schedules (Hands-On ML 11.3): the learning-rate curves and what they do to one MLP."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

import trainlab as tl
from trainlab.experiments.base import ExperimentConfig, Summary, option
from trainlab.experiments.common import hold_out, load_data, mlp, progress, standard_error

NAME = "lr-schedules"
TITLE = "Learning-rate schedules"
DESCRIPTION = (
    "One 784-300-100-10 ReLU net (He initialization) is trained on Fashion-MNIST (55,000 training and "
    "5,000 validation images, the split of Hands-On ML) with momentum optimization (β = 0.9, batches of "
    "32) under each schedule of Hands-On ML 11.3, all starting from η0 = 0.01: a constant rate (the "
    "baseline); power scheduling η0/(1 + t/s) with s a quarter of the run; exponential scheduling "
    "η0·0.1^(t/s) with s four fifths of the run; piecewise-constant η0, η0/2, η0/10 switching at 20 % and "
    "60 % of the epochs; performance scheduling (η halved when the validation loss has not improved for 2 "
    "epochs); and 1cycle (up to 0.05 and down again, with the momentum cycled between 0.95 and 0.85). The "
    "book trains for 25 epochs; to keep the six runs under ten minutes on two CPU cores this runs 10, and "
    "the schedules' lengths are scaled to the run as in the book (power decay reaches η0/5, exponential "
    "η0/18, as after 25 epochs there)."
)

SCHEDULES = ("constant", "power", "exponential", "piecewise", "performance", "1cycle")


@dataclass
class Config(ExperimentConfig):
    dataset: str = "fashion-mnist"
    # None: every training image not held out for validation
    train_samples: int | None = option(None, ge=1, meaning="every training image not held out")
    validation_samples: int = option(5000, ge=1)
    hidden: tuple[int, ...] = option((300, 100), ge=1)
    lr: float = option(0.01, gt=0)  # η0 of every schedule
    momentum: float = option(0.9, ge=0, lt=1)
    batch_size: int = option(32, ge=1)
    epochs: int = option(10, ge=1)
    schedules: tuple[str, ...] = option(SCHEDULES, choices=SCHEDULES)
    plateau_factor: float = option(0.5, gt=0, lt=1)
    plateau_patience: int = option(2, ge=1)
    one_cycle_max_lr: float = option(0.05, gt=0)

    def quick(self) -> Config:
        return dataclasses.replace(self, train_samples=1500, validation_samples=500, epochs=4)


@dataclass
class Run:
    """One schedule's training run."""

    schedule: str
    description: str
    lr_curve: list[float]  # the learning rate at the steps in Result.lr_steps
    lr_per_epoch: list[float]  # at the end of each epoch
    train_loss: list[float]  # mean training-mode batch loss per epoch
    val_loss: list[float]
    val_accuracy: list[float]
    test_accuracy: float
    status: str


@dataclass
class Result:
    dataset: str
    note: str
    train_samples: int
    validation_samples: int
    test_samples: int
    epochs: int
    steps_per_epoch: int
    lr_steps: list[int]  # the steps at which the learning-rate curves are sampled
    runs: list[Run]


def make_schedule(name: str, config: Config, total_steps: int) -> tuple[list[tl.Callback], str]:
    """The callbacks that apply schedule ``name`` to a run of ``total_steps`` steps, and a description."""
    lr, epochs = config.lr, config.epochs
    if name == "constant":
        return [], f"η = {lr:g}"
    if name == "power":
        s = total_steps / 4
        return [tl.LearningRateScheduler(tl.PowerDecay(lr, s), per="step")], f"η0 / (1 + t/s), s = {s:.0f} steps"
    if name == "exponential":
        s = 0.8 * total_steps
        return ([tl.LearningRateScheduler(tl.ExponentialDecay(lr, s, rate=0.1), per="step")],
                f"η0 · 0.1^(t/s), s = {s:.0f} steps")
    if name == "piecewise":
        first = round(0.2 * epochs)
        second = max(first + 1, round(0.6 * epochs))
        schedule = tl.PiecewiseConstant([first, second], [lr, lr / 2, lr / 10])
        return ([tl.LearningRateScheduler(schedule, per="epoch")],
                f"{lr:g}, {lr / 2:g} from epoch {first + 1}, {lr / 10:g} from epoch {second + 1}")
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
    runs = []
    for name in progress(config.schedules, "schedules"):
        callbacks, description = make_schedule(name, config, total_steps)
        model = mlp(config.hidden, init="he_normal", seed=config.seed)
        model.compile("momentum", lr=config.lr, momentum=config.momentum, metrics=["accuracy"])
        history = model.fit(x_train, y_train, epochs=config.epochs, batch_size=config.batch_size,
                            validation_data=(x_valid, y_valid), evaluate_train=False, callbacks=callbacks,
                            verbose=0)
        runs.append(Run(
            schedule=name, description=description,
            lr_curve=[history.step_lr[i] for i in lr_steps if i < len(history.step_lr)],
            lr_per_epoch=history["lr"], train_loss=history["loss"], val_loss=history["val_loss"],
            val_accuracy=history["val_accuracy"], test_accuracy=model.accuracy(data.x_test, data.y_test),
            status=history.status,
        ))
    return Result(data.name, data.note, len(x_train), len(x_valid), len(data.x_test), config.epochs,
                  steps_per_epoch, lr_steps, runs)


def join_words(words: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def summarize(result: Result) -> Summary:
    rows = []
    for r in result.runs:
        best = int(np.argmax(r.val_accuracy))
        rows.append([r.schedule, r.description, r.val_accuracy[-1], r.val_loss[-1], r.val_accuracy[best], best + 1,
                     r.test_accuracy, r.lr_per_epoch[-1]])
    conclusions = []
    best = max(result.runs, key=lambda r: r.val_accuracy[-1])
    baseline = next((r for r in result.runs if r.schedule == "constant"), None)
    text = (f"After {result.epochs} epochs {best.schedule} scheduling has the highest validation accuracy "
            f"({best.val_accuracy[-1]:.4f}")
    if baseline is not None and best is not baseline:
        text += f", {best.val_accuracy[-1] - baseline.val_accuracy[-1]:+.4f} against the constant rate"
    conclusions.append(text + ").")
    if baseline is not None:
        others = [r for r in result.runs if r is not baseline]
        higher = [r.schedule for r in others if r.val_accuracy[-1] > baseline.val_accuracy[-1]]
        lower_loss = [r.schedule for r in others if r.val_loss[-1] < baseline.val_loss[-1]]
        conclusions.append(
            f"{len(higher)} of {len(others)} schedules ended with a higher validation accuracy than the constant "
            f"rate η = {baseline.lr_per_epoch[0]:g} ({baseline.val_accuracy[-1]:.4f}) and {len(lower_loss)} with "
            f"a lower validation loss (the constant rate's: {baseline.val_loss[-1]:.4f})."
        )
        target = baseline.val_accuracy[-1]
        reached, never = [], []
        for r in others:
            epoch = next((i + 1 for i, a in enumerate(r.val_accuracy) if a >= target), None)
            if epoch is None:
                never.append(r.schedule)
            else:
                reached.append(f"{r.schedule} after {epoch}")
        text = f"The constant rate's final validation accuracy ({target:.4f} after {result.epochs} epochs) was "
        text += f"reached by {', '.join(reached)} epochs" if reached else "not reached by any other schedule"
        if reached and never:
            text += f"; {join_words(never)} never reached it"
        conclusions.append(text + ".")
    finals = [r.val_accuracy[-1] for r in result.runs]
    spread = max(finals) - min(finals)
    noise = 3 * standard_error(float(np.mean(finals)), result.validation_samples)
    text = (f"The final validation accuracies span {spread:.4f}; an accuracy measured on {result.validation_samples} "
            f"images has a standard error of about {noise / 3:.4f}, so ")
    text += ("all these differences are within the noise (below three standard errors, "
             f"{noise:.4f})." if spread < noise else
             f"only differences above about {noise:.4f} (three standard errors) stand out from the noise.")
    conclusions.append(text)
    plateau = next((r for r in result.runs if r.schedule == "performance"), None)
    if plateau is not None:
        cuts = sum(1 for a, b in zip(plateau.lr_per_epoch, plateau.lr_per_epoch[1:], strict=False) if b < a)
        conclusions.append(f"Performance scheduling lowered the learning rate {cuts} time{'s' * (cuts != 1)} "
                           f"(to {plateau.lr_per_epoch[-1]:.3g} at the end).")
    notes = [result.note] if result.note else []
    notes.append(f"{result.train_samples} training, {result.validation_samples} validation and "
                 f"{result.test_samples} test images; {result.steps_per_epoch} steps per epoch.")
    return Summary(["schedule", "learning rate", "validation accuracy", "validation loss", "best validation accuracy",
                    "at epoch", "test accuracy", "final η"], rows, conclusions, notes)


def plot(result: Result) -> dict[str, plt.Figure]:
    colors = dict(zip(SCHEDULES, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    lr_figure, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for r in result.runs:
        x = np.array(result.lr_steps[: len(r.lr_curve)]) / result.steps_per_epoch
        for ax in axes:
            ax.plot(x, r.lr_curve, label=r.schedule, color=colors.get(r.schedule))
    axes[0].set(title="Learning rate during training", xlabel="epochs", ylabel="learning rate η")
    axes[1].set(title="The same on a log scale", xlabel="epochs", ylabel="learning rate η (log)", yscale="log")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend()
    lr_figure.tight_layout()

    figure, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for r in result.runs:
        epochs = np.arange(1, len(r.val_accuracy) + 1)
        style = {"label": r.schedule, "color": colors.get(r.schedule), "marker": "o", "markersize": 3}
        axes[0].plot(epochs, r.val_accuracy, **style)
        axes[1].plot(epochs, r.val_loss, **style)
        axes[2].plot(epochs, r.train_loss, **style)
    axes[0].set(title="Validation accuracy", xlabel="epochs", ylabel="accuracy")
    axes[1].set(title="Validation loss", xlabel="epochs", ylabel="loss")
    axes[2].set(title="Training loss (mean over the epoch's batches)", xlabel="epochs", ylabel="loss")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].legend()
    figure.suptitle(f"One MLP trained with each schedule ({result.dataset}, {result.train_samples} training images)")
    figure.tight_layout()
    return {"learning_rates": lr_figure, "validation": figure}
