"""Finding the learning rate (Hands-On ML 11.3) with ``tl.find_lr``'s sweep, then 1cycle."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import trainlab as tl
from trainlab.figures import accuracy_axis
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.fitting import epoch_curves, failure_notes, split_of, sweep_bottom
from trainlab.lab.lesson import HOML, Lesson
from trainlab.lab.settings import DataConfig, option
from trainlab.lab.training import rounded

LESSON = Lesson(
    name="lr-finder", title="Finding the learning rate, then 1cycle", book=HOML,
    section="11.3 Learning Rate Scheduling (finding the rate, 1cycle)", figure="",
    description=(
        "Train a copy of an MLP (hidden layers of {hidden} units, ReLU, He init) by plain SGD "
        "for one epoch of {dataset} (batches of {batch_size}; the last {validation_samples} "
        "training images held out for validation) while η grows exponentially from {min_lr} to "
        "{max_lr}, and read two rates off the loss: a constant rate 10 times below the turn-up "
        "of the smoothed loss (tl.find_lr's suggestion, the book's rule of thumb), and 1cycle's "
        "peak at the bottom of the loss curve (where the book's code reads it: the lowest "
        "running median of the batch losses, over a centred window as wide as the sweep's moving "
        "average of factor β = {finder_beta}, which does not lag). Then the same budget of "
        "{epochs} epochs, three ways: 1cycle (from a tenth of the peak up to it and down, then "
        "annihilated), the found rate constant, and the constant η = {hand_lr} a reader would "
        "pick by hand. {seeds} seeds, each with its own sweep; 1cycle's rate averages about half "
        "its peak; a seed gives every way the same initial weights and batches."),
)

LABELS = {"1cycle": "1cycle, peak at the bottom of the curve",
          "found": "constant, 10x below the turn-up", "hand": "constant, picked by hand"}


@dataclass
class Config(DataConfig):
    validation_samples: int = option(5000, ge=1)
    hidden: tuple[int, ...] = option((300, 100), ge=1)
    batch_size: int = option(128, ge=1)  # the book's 1cycle example
    min_lr: float = option(1e-5, gt=0)
    max_lr: float = option(10.0, gt=0)
    finder_beta: float = option(0.98, gt=0, lt=1)  # tl.find_lr's smoothing of the batch losses
    hand_lr: float = option(0.01, gt=0)  # Keras's default SGD rate, the one a reader reaches for
    epochs: int = option(10, ge=1)
    # 1cycle against the found rate: about +0.5 point, paired seed-to-seed noise about 0.2 points:
    # 5 seeds put the 95 % interval at about ±0.25 points.
    seeds: int = option(5, ge=1)

    QUICK: ClassVar[dict] = {"hidden": (64,), "train_samples": 2000, "validation_samples": 400,
                             "seeds": 2, "finder_beta": 0.9, "test_samples": 1000, "batch_size": 32,
                             "epochs": 3}


BREAKS = {"hand_lr": 1e4}  # a setting at which training fails: the hand-picked rate diverges


def settings(config: Config) -> tuple[str, ...]:
    return tuple(LABELS)


def label(setting: str) -> str:
    return LABELS.get(setting, setting)


def train(config: Config, setting: str, seed: int) -> dict:
    """The seed's sweep (the same for every setting of the seed), then one way of training."""
    data = split_of(config)
    model = tl.mlp(config.hidden, init="he_normal", seed=seed)
    model.compile("sgd", lr=config.hand_lr, metrics=["accuracy"])
    found = tl.find_lr(model, data.x_train, data.y_train, min_lr=config.min_lr,
                       max_lr=config.max_lr, batch_size=config.batch_size, beta=config.finder_beta)
    bottom = sweep_bottom(found.lrs, found.losses, config.finder_beta)
    lr = {"1cycle": bottom, "found": found.suggested_lr, "hand": config.hand_lr}[setting]
    model.optimizer.lr = lr
    history = model.fit(data.x_train, data.y_train, epochs=config.epochs, batch_size=config.batch_size,
                        validation_data=(data.x_valid, data.y_valid), evaluate_train=False, verbose=0,
                        callbacks=[tl.OneCycle(bottom)] if setting == "1cycle" else [])
    return {"status": history.status, "lr": lr, "turn_lr": found.turn_lr, "bottom_lr": bottom,
            "suggested_lr": found.suggested_lr, "turned_up": found.turned_up,
            "val_accuracy": epoch_curves(history, ["val_accuracy"])["val_accuracy"],
            "test_accuracy": model.accuracy(data.x_test, data.y_test),
            "sweep": {key: rounded(getattr(found, key), 4) for key in ("lrs", "losses", "smoothed")}}


ACCURACY = Measure("test accuracy after the budget of {epochs} epochs",
                   lambda run, c: math.nan if run["status"] == "diverged" else run["test_accuracy"],
                   percent=True, short="test accuracy after {epochs} epochs")
RATE = Measure("the learning rate (1cycle: its peak)", lambda run, c: run["lr"], short="η (1cycle: peak)")
TABLE = (RATE, ACCURACY)

CLAIMS = (
    Claim("found-rate-beats-guess",
          "A good learning rate lies about 10 times below the rate at which the loss turns up in "
          "a sweep of growing rates; trained at it, the net learns faster than at a rate picked "
          "without looking (Keras's default 0.01 for SGD).", "HOML 10.3 (learning rate), 11.3",
          ACCURACY, a="found", expect=">", b="hand"),
    Claim("1cycle-beats-constant",
          "1cycle, its peak taken from the same sweep, often speeds training up considerably and "
          "reaches a better net than a constant rate (Smith's CIFAR-10 run: 91.9 % in 100 epochs "
          "against 90.3 % in 800).", "HOML 11.3", ACCURACY, a="1cycle", expect=">", b="found"),
)


def notes(runs) -> list[str]:
    sweeps = runs.of("found") or runs.of("1cycle")
    lines = failure_notes(runs, label)
    if sweeps:
        turns = ", ".join(f"{run['turn_lr']:.3g}" for run in sweeps)
        bottoms = ", ".join(f"{run['bottom_lr']:.3g}" for run in sweeps)
        lines.append(f"The smoothed loss of the {len(sweeps)} sweeps turned up at η = {turns}; the "
                     f"bottom of the loss curve (1cycle's peak) lay at η = {bottoms}.")
        if flat := sum(not run["turned_up"] for run in sweeps):
            lines.append(f"In {flat} sweep(s) the loss never turned up: raise max_lr to find the " "turn.")
    return lines


def plot(runs) -> dict:
    config = runs.config
    figure, axes = plots.figure(2, width=6.2, height=4.6)
    left, right = axes[0]
    sweeps = runs.of("found") or runs.of("1cycle")
    for index, run in enumerate(sweeps):
        colour, sweep = plots.style(index)["color"], run["sweep"]
        left.semilogx(sweep["lrs"], sweep["losses"], color=colour, alpha=0.25, linewidth=0.8)
        left.semilogx(sweep["lrs"], sweep["smoothed"], color=colour, label=f"seed {runs.seeds[index]}")
        for key, line in (("turn_lr", ":"), ("bottom_lr", "-."), ("suggested_lr", "--")):
            left.axvline(run[key], color=colour, linestyle=line, linewidth=1)
    if sweeps:
        left.set_ylim(0, 1.3 * max((run["sweep"]["smoothed"] or [2.5])[0] for run in sweeps))
    for line, words in ((":", "turn-up of the smoothed loss"), ("-.", "bottom: 1cycle's peak"),
                        ("--", "10x below the turn-up")):
        left.plot([], [], color="0.4", linestyle=line, label=words)
    left.set(xlabel="learning rate (log scale)", ylabel="training loss", title="One epoch of growing η")
    plots.finish(left, fontsize="small")
    left.grid(alpha=0.3, which="both")
    accuracy_axis(right, plots.setting_curves(right, runs, "val_accuracy", label),
                  label="validation accuracy")
    right.set(xlabel="epoch", title=f"{config.epochs} epochs of plain SGD")
    plots.finish(right, fontsize="small")
    figure.suptitle(f"Learning-rate finder and 1cycle on {config.dataset} (MLP "
                    f"784-{'-'.join(map(str, config.hidden))}-10, batches of {config.batch_size}); "
                    f"mean of {len(runs.seeds)} seeds and their range")
    return {"lr_finder": figure}
