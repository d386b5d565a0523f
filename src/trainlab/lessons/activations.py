"""Activation functions and vanishing/exploding gradients in a 20-layer net (Hands-On ML 11.1, 11.1.2)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import trainlab as tl
from trainlab.activations import ACTIVATIONS
from trainlab.figures import accuracy_axis
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import data_of, hold_out, standardize
from trainlab.lab.inits import init_text, parse_init
from trainlab.lab.lesson import HOML, Lesson, finite_or_nan
from trainlab.lab.nets import dead_fraction, grad_norms
from trainlab.lab.settings import DataConfig, option

LESSON = Lesson(
    name="activations", title="Activation functions and vanishing/exploding gradients", book=HOML,
    section="11.1 The vanishing/exploding gradients problems, 11.1.1 Glorot and He initialization, "
    "11.1.2 Nonsaturating activation functions", figure="",
    description=(
        "A deep net, 784-{units}x{depth}-10 (the 20 hidden layers of 100 units of the chapter's "
        "exercise 8), with each activation and the initialization Table 11-1 pairs it with (Glorot "
        "for the logistic sigmoid and tanh, He for the ReLU family and ELU, LeCun for SELU), and "
        "the logistic with the N(0, 1) start the book says made deep nets fail before 2010 "
        "(sigmoid@1). Leaky ReLU has the book's 'huge leak' alpha = 0.2; PReLU learns its slopes "
        "(from 0.25); RReLU draws them from U(1/8, 1/3) in training. Inputs are standardized "
        "({train_samples} {dataset} training images, the last {validation} held out for "
        "validation). Before training the norm of dL/dW of every layer is measured on "
        "{probe_samples} images. Each net then trains with Nadam (the exercise's optimizer), "
        "batches of {batch_size}, once per rate of the grid {learning_rates} (the tuning budget: "
        "one run per rate), stopped when the validation accuracy has not improved for {patience} "
        "epochs (at most {epochs}) and set back to its best epoch; the rate with the best "
        "validation accuracy is chosen, never by the test set, and its test accuracy is what the "
        "ranking compares. Runs of one seed start from the same draws and see the same batches "
        "({seeds} seeds)."),
)

INITS = {"sigmoid": "glorot_normal", "tanh": "glorot_normal", "selu": "lecun_normal"}  # others: He
MAKERS = {"leaky_relu": lambda: tl.LeakyReLU(0.2)}  # the book's "huge leak"
BOOK_ORDER = ("selu", "elu", "leaky_relu", "relu", "tanh", "sigmoid")  # HOML 11.1.2: best first


def spec(setting: str) -> tuple[str, str | float]:
    """("relu", "he_normal") from "relu"; "sigmoid@1" gives ("sigmoid", 1.0), a start N(0, 1)."""
    name, _, init = setting.partition("@")
    return name, parse_init(init) if init else INITS.get(name, "he_normal")


SEVEN = ("sigmoid@1", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu")  # quick runs, the notebook


@dataclass
class Config(DataConfig):
    activations: tuple[str, ...] = option(
        ("sigmoid@1", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "rrelu", "elu", "selu"),
        check=lambda s: (ACTIVATIONS.create(spec(s)[0], "activations"),
                         tl.get_initializer(spec(s)[1], "activations")))
    depth: int = option(20, ge=3)
    units: int = option(100, ge=1)
    learning_rates: tuple[float, ...] = option((3e-4, 1e-3, 3e-3), gt=0)  # Nadam's 1e-3, x3 either way
    batch_size: int = option(64, ge=1)
    epochs: int = option(20, ge=1)
    patience: int = option(3, ge=1)
    validation: int = option(2500, ge=1)
    probe_samples: int = option(1000, ge=1)
    train_samples: int | None = option(15000, ge=1, meaning="the whole training set")
    # Gradients and the sigmoids differ by orders of magnitude, ReLU and tanh by ~1 point: 5 seeds.
    # SELU, ELU, leaky ReLU and ReLU differed by 0.1 to 0.4 points, paired sd near 1 (5 seeds): 40
    # seeds put the 95 % interval at about ±0.32 points, enough for a gap of 0.3 points or more.
    seeds: int = option(40, ge=1)

    QUICK: ClassVar[dict] = {"activations": SEVEN, "depth": 8, "units": 32, "learning_rates": (1e-3, 3e-3),
                             "epochs": 4, "patience": 2, "validation": 500, "probe_samples": 200,
                             "train_samples": 3000, "test_samples": 2000, "seeds": 2}
    NOTEBOOK: ClassVar[dict] = {"activations": SEVEN, "train_samples": 2500,
                                "validation": 500, "test_samples": 3000, "probe_samples": 500,
                                "learning_rates": (1e-3,), "epochs": 5, "patience": 2, "seeds": 3}


# every rate diverges: nothing to compare
BREAKS = {"learning_rates": (1e6,), "activations": ("relu", "sigmoid")}


def settings(config: Config) -> tuple[str, ...]:
    return config.activations


def label(setting: str) -> str:
    return f"{spec(setting)[0]} ({init_text(spec(setting)[1])})" if "@" in setting else setting


def deep_net(setting: str, config: Config, seed: int) -> tl.Sequential:
    name, init = spec(setting)
    make = MAKERS.get(name, lambda: tl.get_activation(name))
    layers = [layer for _ in range(config.depth) for layer in (tl.Dense(config.units, init=init), make())]
    return tl.Sequential([*layers, tl.Dense(10, init="glorot_uniform")], input_dim=784, seed=seed)


def train(config: Config, setting: str, seed: int) -> dict:
    """Gradients at the start, then an early-stopped run per rate; the best on validation counts."""
    data = data_of(config)
    x, x_test = standardize(data.x_train, data.x_test)  # SELU needs inputs of mean 0 and std 1
    x_train, y_train, x_valid, y_valid = hold_out(x, data.y_train, config.validation)
    probe = (x_train[: config.probe_samples], y_train[: config.probe_samples])
    start = deep_net(setting, config, seed)
    run = {"grad_norms": grad_norms(start, *probe), "dead_before": dead_fraction(start, probe[0]),
           "curves": [], "status": []}
    best, best_val = None, -math.inf
    for lr in config.learning_rates:
        model = deep_net(setting, config, seed).compile(tl.Nadam(lr=lr), metrics=["accuracy"])
        stop = tl.EarlyStopping(monitor="val_accuracy", patience=config.patience, restore_best=True)
        history = model.fit(x_train, y_train, epochs=config.epochs, batch_size=config.batch_size,
                            verbose=0, validation_data=(x_valid, y_valid), evaluate_train=False,
                            callbacks=[stop])
        curve = [float(v) for v in history.metrics.get("val_accuracy", [])]
        run["curves"], run["status"] = [*run["curves"], curve], [*run["status"], history.status]
        if history.status != "diverged" and curve and max(curve) > best_val:
            best, best_val, run["lr"] = model, max(curve), lr
    if best is None:  # every rate diverged: nothing to measure
        return {**run, "lr": math.nan, "val_accuracy": math.nan, "test_accuracy": math.nan,
                "dead_after": math.nan, "chosen_curve": []}
    return {**run, "val_accuracy": best_val, "test_accuracy": best.accuracy(x_test, data.y_test),
            "dead_after": dead_fraction(best, probe[0]),
            "chosen_curve": run["curves"][config.learning_rates.index(run["lr"])]}


def log_ratio(run: dict, config: Config) -> float:
    """log10 ‖dL/dW₂‖/‖dL/dW_last hidden‖: < 0 when the gradient shrinks towards the input (layer 2,
    not 1, whose 784 inputs make its gradient larger whatever happens)."""
    norms = run["grad_norms"]
    return math.log10(norms[1] / norms[-2]) if norms[1] > 0 and norms[-2] > 0 else math.nan


GRADIENTS = Measure("log10 of ‖dL/dW‖ of hidden layer 2 over that of the last hidden layer, before "
                    "training", log_ratio, short="log10 ‖∇W₂‖/‖∇W_last‖ at the start")
ACCURACY = Measure("test accuracy at the learning rate chosen on the validation split, at its best "
                   "epoch", lambda run, c: finite_or_nan(run["test_accuracy"]), percent=True,
                   short="test accuracy")
DEAD = Measure("the fraction of hidden units dead (derivative 0 on every probe image) after "
               "training", lambda run, c: finite_or_nan(run["dead_after"]), percent=True,
               short="dead units after training")
CHOSEN = Measure("the rate chosen on the validation split", lambda run, c: finite_or_nan(run["lr"]),
                 short="rate")
TABLE = (GRADIENTS, ACCURACY, DEAD, CHOSEN)

WHY = {  # the top of the ranking at full size, where it does not go the book's way (40 seeds)
    "selu": "Trained to convergence, each rate tuned on validation, the ReLU family, ELU and SELU end "
            "within 0.3 points (93.7 to 94.0 %). SELU's conditions hold (standardized inputs, LeCun's "
            "start, only dense layers) and it starts with the best-kept gradients (log10 ratio -0.06; "
            "ELU -0.50), yet it ends 0.28 points behind ELU. The book adds 'your mileage will vary'.",
    "leaky_relu": "Level, as are PReLU and RReLU (+0.04 and +0.07 points over ReLU): a gap of 0.14 "
                  "points with a paired sd of 0.62 would take about 80 seeds to settle (3.7 CPU-hours "
                  "of this lesson), one of 0.1 about 150: too small to choose an activation by.",
}


def ranked(better: str, worse: str) -> Claim:
    return Claim(f"{better}-beats-{worse}",
                 "In general SELU > ELU > leaky ReLU (and its variants) > ReLU > tanh > logistic: "
                 f"here {label(better)} beats {label(worse)} in a deep net.", "HOML 11.1.2",
                 ACCURACY, a=better, expect=">", b=worse, why=WHY.get(better, ""))


CLAIMS = (
    Claim("sigmoid-gradients-vanish", "With the logistic activation and weights drawn from N(0, "
          "1), the gradients get smaller and smaller on the way down to the lower layers (more "
          "than with ReLU and He's start).", "HOML 11.1", GRADIENTS, a="sigmoid@1", expect="<",
          b="relu"),
    Claim("glorot-keeps-sigmoid-gradients", "Glorot initialization (Equation 11-1, for the "
          "logistic activation) keeps the variance of the gradients equal before and after each "
          "layer: from the last hidden layer down to the second they keep their size within a "
          "factor 10.", "HOML 11.1.1, Equation 11-1", GRADIENTS, a="sigmoid", expect="in",
          b=(-1.0, 1.0),
          why="Glorot's variance 1/fan_avg assumes an activation of slope 1 at 0; the logistic's "
          "slope there is 1/4, so each layer divides the backward signal by about 4 (4^-18 is "
          "about 1.5e-11). Glorot and Bengio's own rule for the logistic multiplies the weights "
          "by 4."),
    Claim("he-keeps-relu-gradients", "He initialization keeps the gradients of a ReLU net the "
          "same size through the layers (within a factor 10 from the last hidden layer down to "
          "the second).", "HOML 11.1.1, Table 11-1", GRADIENTS, a="relu", expect="in",
          b=(-1.0, 1.0)),
    Claim("glorot-speeds-up-sigmoid", "Glorot initialization speeds up the training of the "
          "logistic net considerably (against the N(0, 1) start).", "HOML 11.1.1", ACCURACY,
          a="sigmoid", expect=">", b="sigmoid@1",
          why="At 20 layers Glorot's start leaves the logistic net's lower layers a gradient 1e-12 "
          "times the top's (glorot-keeps-sigmoid-gradients): it stays at chance, while the N(0, 1) "
          "start, saturated as the book describes, still learns slowly."),
    Claim("relu-units-die", "ReLU units can die (output 0 for every input) during training; leaky "
          "ReLU cannot.", "HOML 11.1.2", DEAD, a="relu", expect=">", b="leaky_relu"),
    *(ranked(better, worse) for better, worse in itertools.pairwise(BOOK_ORDER)),
)


def notes(runs) -> list[str]:
    lines = []
    for setting in runs.settings:
        statuses = [s for run in runs.of(setting) for s in run["status"]]
        stuck = int(np.sum(runs.values(setting, lambda run: finite_or_nan(run["test_accuracy"])) < 0.2))
        diverged = statuses.count("diverged")
        lines += [f"{label(setting)} diverged (the loss became NaN or inf) in {diverged} of "
                  f"{len(statuses)} runs (seeds x rates)."] * (diverged > 0)
        lines += [f"{label(setting)} did not learn (test accuracy below 0.2, chance 0.1) in "
                  f"{stuck} of {len(runs.of(setting))} seeds."] * (stuck > 0)
    return lines


def plot(runs) -> dict:
    config, colours, learned, missing = runs.config, plots.styles(runs.settings), [], []
    figure, axes = plots.figure(3, width=5.4, height=4.6)
    left, middle, right = axes.flat
    for setting in runs.settings:
        mean = np.exp(np.log(np.maximum([run["grad_norms"] for run in runs.of(setting)],
                                        1e-300)).mean(axis=0))
        left.semilogy(np.arange(1, mean.size + 1), mean, label=label(setting), markersize=4,
                      **colours[setting])
        accuracy = runs.values(setting, lambda run: finite_or_nan(run["test_accuracy"]))
        mean = float(np.mean(accuracy[np.isfinite(accuracy)])) if np.isfinite(accuracy).any() else math.nan
        if mean >= 0.5:
            curves = [run["chosen_curve"] for run in runs.of(setting)]
            width = max(map(len, curves))
            plots.mean_curve(middle, 1 - np.array([c + [max(c)] * (width - len(c)) for c in curves]),
                             band=False, label=label(setting), **colours[setting])
            right.plot([len(learned)] * len(accuracy), accuracy, linestyle="none", alpha=0.5,
                       **colours[setting])
            right.plot(len(learned), mean, marker="_", markersize=18, color="k")
            learned.append((setting, accuracy))
        else:
            missing.append(f"{label(setting)} {mean:.2f}")
    left.set(xlabel="Dense layer (1 = next to the input)", ylabel="‖dL/dW‖ (geometric mean over seeds)",
             title="Gradient size per layer before training")
    middle.set(xlabel="epoch", ylabel="validation error (log scale)", yscale="log",
               title="Validation error at the chosen rate\n(mean; a stopped run keeps its best)")
    right.set_xticks(range(len(learned)), [label(s) for s, _ in learned], rotation=60, ha="right")
    accuracy_axis(right, [a for _, a in learned], label="test accuracy (dots: seeds; bar: mean)")
    right.set_title("At convergence" + (f"\n(off the axis: {', '.join(missing)})" if missing else ""))
    for ax in (left, middle, right):
        ax.grid(alpha=0.3, which="both")
        ax.xaxis.get_major_locator().set_params(**{"integer": True} if ax is not right else {})
    plots.legend_outside(left, fontsize="small")
    figure.suptitle(f"784-{config.units}x{config.depth}-10 on {config.dataset}, Nadam with the "
                    "rate chosen on validation from "
                    f"{', '.join(f'{lr:g}' for lr in config.learning_rates)}; {config.seeds} seeds")
    return {"gradients": figure}
