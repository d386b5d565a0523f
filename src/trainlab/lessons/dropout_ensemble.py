"""Dropout as an ensemble (DLfS 6.4.3), and the dropout rate by width (HOML 11.4.2)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

import trainlab as tl
from trainlab.figures import accuracy_axis
from trainlab.lab import plots, training
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import data_of
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.nets import paired_mlp
from trainlab.lab.settings import DataConfig, option

LESSON = Lesson(
    name="dropout-ensemble", title="Dropout as an ensemble, and the dropout rate by width",
    book=DLFS, section="6.4.3 Dropout (ensemble learning; and Hands-On ML 11.4.2)", figure="",
    description=(
        "Dropout trains a different thinned net at every step and averages them all at test time "
        "within one net, as an ensemble averages the class probabilities of separately trained "
        "nets. Two hidden ReLU layers (He init) of each width in {widths} units learn the first "
        "{train_samples} {dataset} training images by SGD (η = {lr}, batches of {batch_size}): "
        "{members} plain nets from different seeds, {epochs} epochs each, averaged into an "
        "ensemble; the first trained on to {long_epochs} epochs (one plain net); and one net "
        "with (inverted) dropout {dropout} after each hidden layer, {long_epochs} epochs from "
        "the same start (the book trains its dropout net 1.5 times as long); the nets of a seed "
        "start alike where their shapes match and see the same batches. Dropout {dropout} needs "
        "a net wide enough not to be starved: Srivastava et al. (2014), whom the book follows, "
        "use hidden layers of 1,024 units and more, and advise n/p units where n do without "
        "dropout. Test accuracy; {seeds} seeds."),
)


@dataclass
class Config(DataConfig):
    train_samples: int | None = option(2000, ge=1, meaning="the whole training set")
    widths: tuple[int, ...] = option((100, 500), ge=1)  # units in each of the two hidden layers
    lr: float = option(0.05, gt=0)
    batch_size: int = option(100, ge=1)
    epochs: int = option(30, ge=1)  # each member of the ensemble
    long_epochs: int = option(45, ge=1)  # the dropout net and the one plain net (book: 301/201)
    members: int = option(5, ge=2)
    dropout: float = option(0.5, gt=0, lt=1)
    # Effects of 0.5-1 point, paired seed-to-seed sd near 0.2: 4 seeds give intervals of ±0.35.
    seeds: int = option(4, ge=1)

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "train_samples": 600, "test_samples": 1000,
                             "epochs": 6, "long_epochs": 9, "members": 3, "seeds": 2}
    NOTEBOOK: ClassVar[dict] = {"epochs": 20, "long_epochs": 30, "members": 3, "seeds": 3}


BREAKS = {"lr": 1e4, "epochs": 1, "long_epochs": 1}


def settings(config: Config) -> tuple[str, ...]:
    return tuple(f"{w}-{w}" for w in dict.fromkeys(config.widths))


def label(setting: str) -> str:
    return f"two hidden layers of {setting.split('-')[0]} units"


def train(config: Config, setting: str, seed: int) -> dict:
    """Test accuracy of the members, the ensemble, one plain net and the dropout net of one width."""
    data, width = data_of(config), int(setting.split("-")[0])

    def net(member: int, dropout: float = 0.0) -> tl.Sequential:
        return paired_mlp((width, width), seed=seed * 1000 + member, dropout=dropout).compile(
            "sgd", lr=config.lr)

    def fit(model: tl.Sequential, epochs: int) -> str:
        return model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=config.batch_size,
                         evaluate_train=False, verbose=0).status

    members, x, y = [net(m) for m in range(config.members)], data.x_test, data.y_test
    statuses = [fit(model, config.epochs) for model in members]
    ensemble, member_accuracy = tl.Ensemble(members).accuracy(x, y), [m.accuracy(x, y) for m in members]
    statuses.append(fit(members[0], config.long_epochs - config.epochs))  # as long as dropout's
    statuses.append(fit(dropout := net(0, config.dropout), config.long_epochs))
    return {"status": "diverged" if "diverged" in statuses else "completed", "members": member_accuracy,
            "ensemble": ensemble, "single": members[0].accuracy(x, y), "dropout": dropout.accuracy(x, y),
            "dropout_train": dropout.accuracy(data.x_train, data.y_train),
            "single_train": members[0].accuracy(data.x_train, data.y_train)}


def difference(a: str, b: str):
    first = (lambda run: run[b][0]) if b == "members" else (lambda run: run[b])
    return lambda run, c: run[a] - first(run) if run["status"] == "completed" else math.nan


ENSEMBLE_GAIN = Measure("the ensemble's test accuracy minus that of its first member alone (both "
                        "{epochs} epochs)", difference("ensemble", "members"), percent=True,
                        short="ensemble - one member")
DROPOUT_GAIN = Measure("the dropout net's test accuracy minus the plain net's (both {long_epochs} epochs)",
                       difference("dropout", "single"), percent=True, short="dropout - plain net")
AGAINST_ENSEMBLE = Measure("the dropout net's test accuracy minus the ensemble's",
                           difference("dropout", "ensemble"), percent=True, short="dropout - ensemble")
TABLE = (*(Measure(f"{what} test accuracy", lambda run, c, k=key: run[k], percent=True, short=short)
           for key, what, short in (("single", "one plain net's", "one plain net"),
                                    ("ensemble", "the ensemble's", "ensemble"),
                                    ("dropout", "the dropout net's", "dropout net"))),
         ENSEMBLE_GAIN, DROPOUT_GAIN, AGAINST_ENSEMBLE)

WIDE = "500-500"
CLAIMS = (
    Claim("ensemble-beats-one-net", "Averaging the outputs of several separately trained nets (an "
          "ensemble) raises the accuracy above that of a single net.", "DLfS 6.4.3", ENSEMBLE_GAIN,
          a=WIDE, expect=">", b=0.0),
    Claim("ensemble-few-percent", "The ensemble's gain is known from experiments to be a few "
          "percent (here: at least 2 points).", "DLfS 6.4.3", ENSEMBLE_GAIN, a=WIDE, expect=">", b=0.02,
          why="A single net already classifies about 95 % of these digits right; a gain of a few "
          "points would remove half of its errors. The book quotes the few percent from the "
          "literature, not from an experiment of its own."),
    Claim("dropout-beats-one-net", "Dropout gives a single net the ensemble's effect: it beats "
          "the same net trained without dropout.", "DLfS 6.4.3", DROPOUT_GAIN, a=WIDE, expect=">",
          b=0.0),
    Claim("dropout-as-good-as-ensemble", "One net with dropout does what the ensemble does: it is "
          "at least as accurate (here: not more than half a point below the ensemble of five).",
          "DLfS 6.4.3", AGAINST_ENSEMBLE, a=WIDE, expect=">", b=-0.005),
    Claim("wider-takes-more-dropout", "Wide layers take a higher dropout rate than narrow ones: "
          "the same rate that helps a wide net hurts (or helps less) a narrow one.", "HOML 11.4.2",
          DROPOUT_GAIN, a=WIDE, expect=">", b="100-100"),
)


notes = partial(training.failure_notes, label=label, did_not_learn=lambda run, c: run["ensemble"] < 0.2,
                meaning="test accuracy near the 10 % of guessing")


def plot(runs) -> dict:
    config = runs.config
    figure, ax = plots.figure(width=7.0, height=4.4)
    series = {"single": "one plain net", "ensemble": f"ensemble of {config.members}",
              "dropout": f"one net, dropout {config.dropout:g}"}
    shown = plots.setting_bars(ax, runs, series, lambda s: label(s).replace(" of ", "\nof "))
    accuracy_axis(ax, shown, label="test accuracy (mean, range of the seeds)")
    plots.finish(ax, grid="y", fontsize=None)
    ax.set_title(f"Dropout against an ensemble, {config.train_samples} {config.dataset} images, "
                 f"{len(runs.seeds)} seeds (members {config.epochs} epochs; the others "
                 f"{config.long_epochs})", fontsize="medium")
    return {"dropout_ensemble": figure}
