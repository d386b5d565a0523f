"""Hands-On ML's default deep-net configuration against its self-normalizing one (chapter 11's summary)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

import trainlab as tl
from trainlab.activations import Activation
from trainlab.figures import accuracy_axis
from trainlab.lab.common import (
    compare,
    departures,
    hold_out,
    learned_accuracy,
    load_data,
    pm,
    progress,
    seed_list,
    settings_note,
    standardize,
)
from trainlab.lab.legacy import ExperimentConfig, Summary, option

NAME = "recipes"
TITLE = "Default and self-normalizing deep-net recipes"
BOOK = "Hands-On Machine Learning"
SECTION = "11.5 Summary and practical guidelines"
FIGURE = "Tables 11-3 and 11-4"
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "the default configuration (He, ELU, batch norm) works well in most cases; the self-normalizing one "
    "(LeCun, SELU) keeps the activations normalized without batch norm and trains faster per epoch."
)
DESCRIPTION = (
    "The two configurations Hands-On ML recommends at the end of chapter 11 (table 11-3 and the "
    "self-normalizing alternative), on the same deep net of 20 "
    "hidden layers of 100 units trained on Fashion-MNIST (standardized pixels; 5,000 training images held "
    "out for validation): the default one (He initialization, ELU, batch norm before every activation) "
    "and the self-normalizing one (LeCun initialization, SELU, no batch norm, alpha dropout 0.1 before the "
    "output layer). Both use momentum optimization with a 1cycle schedule (η up to 0.05 and back, momentum "
    "0.95 ↔ 0.85), batches of 128, and early stopping on the validation loss (patience 5, best weights "
    "restored), from three seeds. The run is 10 epochs, to stay within a few minutes on two CPU cores (the book "
    "gives no run of its own to compare with). After training, the "
    "mean and standard deviation of every hidden layer's activations on 1,000 test images tell whether "
    "the activations stayed normalized; they are also shown at initialization (where batch norm uses the "
    "batch's statistics)."
)

CONFIGURATIONS = ("default", "self-normalizing")


@dataclass
class Config(ExperimentConfig):
    dataset: str = "fashion-mnist"
    train_samples: int | None = option(None, ge=1, meaning="every training image not held out")
    validation_samples: int = option(5000, ge=1)
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")
    depth: int = option(20, ge=1)
    units: int = option(100, ge=1)
    max_lr: float = option(0.05, gt=0)  # 1cycle's peak; it starts and ends at a tenth of it
    batch_size: int = option(128, ge=1)
    epochs: int = option(10, ge=1)  # the book gives no run length; 10 keep the run within minutes
    patience: int = option(5, ge=1)
    alpha_dropout: float = option(0.1, ge=0, lt=1)
    stats_samples: int = option(1000, ge=1)  # test images on which the activations' statistics are measured
    seeds: int = option(3, ge=1)  # three measure the seed-to-seed noise

    QUICK: ClassVar[dict] = {"train_samples": 2000, "validation_samples": 500, "test_samples": 1000, "depth": 8,
                             "epochs": 3, "patience": 2, "stats_samples": 500, "seeds": 1}


@dataclass
class LayerStats:
    mean: list[float]  # per hidden layer: the mean of its activations on the test batch
    std: list[float]


@dataclass
class ConfigurationRun:
    name: str
    seed: int
    description: str
    epochs: int  # trained
    restored_epoch: int | None  # 1-based
    status: str
    train_loss: list[float]
    val_loss: list[float]
    val_accuracy: list[float]
    final_val_accuracy: float  # of the returned (restored) weights
    test_accuracy: float
    initial: LayerStats
    trained: LayerStats

    @property
    def failed(self) -> bool:
        return self.status == "diverged" or not learned_accuracy(self.test_accuracy)


@dataclass
class Result:
    dataset: str
    train_samples: int
    test_samples: int
    depth: int
    changed: list[str]  # settings that differ from the full-size ones
    runs: list[ConfigurationRun]  # per seed, per configuration

    def __post_init__(self) -> None:
        # Wall-clock training seconds per configuration, summed over the seeds. Deliberately not a field:
        # metrics.json holds the fields and must be the same for the same seed; the summary shows this run's.
        self.seconds: dict[str, float] = {}

    def of(self, name: str) -> list[ConfigurationRun]:
        return [r for r in self.runs if r.name == name]

    def names(self) -> list[str]:
        return list(dict.fromkeys(r.name for r in self.runs))


def build(name: str, config: Config, seed: int) -> tuple[tl.Sequential, str]:
    layers: list[tl.Layer] = []
    if name == "default":
        for _ in range(config.depth):
            layers += [tl.Dense(config.units, init="he_normal"), tl.BatchNorm(), tl.ELU()]
        layers.append(tl.Dense(10, init="glorot_uniform"))
        description = "He init, ELU, batch norm, early stopping, momentum + 1cycle"
    elif name == "self-normalizing":
        for _ in range(config.depth):
            layers += [tl.Dense(config.units, init="lecun_normal"), tl.SELU()]
        layers += [tl.AlphaDropout(config.alpha_dropout), tl.Dense(10, init="lecun_normal")]
        description = (f"LeCun init, SELU, alpha dropout {config.alpha_dropout:g}, early stopping, "
                       "momentum + 1cycle")
    else:
        raise ValueError(f"unknown configuration {name!r}; choose from {', '.join(CONFIGURATIONS)}")
    return tl.Sequential(layers, input_dim=784, seed=seed), description


def activation_stats(model: tl.Sequential, x: np.ndarray, batch_statistics: bool = False) -> LayerStats:
    """Mean and standard deviation of each hidden layer's output (after its activation), in inference mode.

    With ``batch_statistics`` batch norm normalizes with the batch's own statistics, as in training (its
    running averages mean nothing before training); a copy of the model is used, so nothing changes.
    """
    if batch_statistics:
        model = model.clone()
    means, stds = [], []
    out = model.check_input(x)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged net's activations overflow: NaN says so
        for layer in model.layers:
            out = layer.forward(out, training=batch_statistics and isinstance(layer, tl.BatchNorm))
            if isinstance(layer, Activation):
                means.append(float(out.mean()))
                stds.append(float(out.std()))
    return LayerStats(means, stds)


def normalized(stats: LayerStats) -> bool:
    """Whether every hidden layer's activations kept a mean within ±0.5 and a std between 0.5 and 2."""
    return all(abs(m) <= 0.5 and 0.5 <= s <= 2.0 for m, s in zip(stats.mean, stats.std, strict=True))


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, test_samples=config.test_samples)
    x_train, y_train, x_valid, y_valid = hold_out(data.x_train, data.y_train, config.validation_samples)
    if config.train_samples is not None:
        x_train, y_train = x_train[: config.train_samples], y_train[: config.train_samples]
    x_train, x_valid, x_test = standardize(x_train, x_valid, data.x_test)
    probe = x_test[: config.stats_samples]
    runs, seconds = [], dict.fromkeys(CONFIGURATIONS, 0.0)
    jobs = [(name, seed) for seed in seed_list(config.seed, config.seeds) for name in CONFIGURATIONS]
    for name, seed in progress(jobs, "configurations"):
        model, description = build(name, config, seed)
        initial = activation_stats(model, probe, batch_statistics=True)
        model.compile("momentum", lr=config.max_lr / 10, metrics=["accuracy"])
        callbacks = [tl.OneCycle(config.max_lr), tl.EarlyStopping("val_loss", patience=config.patience)]
        started = time.perf_counter()
        history = model.fit(x_train, y_train, epochs=config.epochs, batch_size=config.batch_size,
                            validation_data=(x_valid, y_valid), evaluate_train=False, callbacks=callbacks,
                            verbose=0)
        seconds[name] += time.perf_counter() - started
        runs.append(ConfigurationRun(
            name=name, seed=seed, description=description, epochs=len(history.epochs),
            restored_epoch=None if history.restored_epoch is None else history.restored_epoch + 1,
            status=history.status, train_loss=history.metrics.get("loss", []),
            val_loss=history.metrics.get("val_loss", []), val_accuracy=history.metrics.get("val_accuracy", []),
            final_val_accuracy=model.accuracy(x_valid, y_valid), test_accuracy=model.accuracy(x_test, data.y_test),
            initial=initial, trained=activation_stats(model, probe),
        ))
    result = Result(data.name, len(x_train), len(x_test), config.depth, departures(config), runs)
    result.seconds = seconds
    return result


# -- summary -----------------------------------------------------------------------------------------------------
def table(result: Result) -> tuple[list[str], list[list]]:
    seconds = getattr(result, "seconds", {})
    rows = []
    for name in result.names():
        runs = result.of(name)
        r = runs[0]
        if any(run.failed for run in runs):
            rows.append([name, r.description, "diverged" if any(run.status == "diverged" for run in runs) else
                         "did not learn", "", "", "", "", "", "", ""])
            continue
        stds = [s for run in runs for s in run.trained.std]
        rows.append([name, r.description, pm([run.epochs for run in runs], 2),
                     pm([run.restored_epoch or run.epochs for run in runs], 2),
                     pm([run.final_val_accuracy for run in runs], 4), pm([run.test_accuracy for run in runs], 4),
                     f"{seconds[name]:.1f}" if name in seconds else "n/a",
                     pm([run.trained.std[-1] for run in runs], 3), f"{min(stds):.2f} to {max(stds):.2f}",
                     "yes" if all(normalized(run.trained) for run in runs) else "no"])
    return ["configuration", "recipe", "epochs", "restored epoch", "validation accuracy", "test accuracy",
            "training seconds (all seeds)", "last hidden std", "hidden stds", "normalized"], rows


def accuracy(result: Result) -> list[str]:
    ok = [n for n in result.names() if not any(r.failed for r in result.of(n))]
    lines = [f"The {n} net " + ("diverged (the loss became NaN or inf)." if any(r.status == "diverged"
                                                                             for r in result.of(n))
                                else "did not learn (test accuracy near the 10 % of guessing).")
             for n in result.names() if n not in ok]
    if len(ok) == 2:
        a, b = ([r.test_accuracy for r in result.of(n)] for n in ok)
        c = compare(a, b)
        lines.append(f"The {ok[0]} configuration's test accuracy {pm(a, 4)} is "
                     f"{c.relation('above', 'below', 'level with')} the {ok[1]} one's {pm(b, 4)} ({c.words()}).")
    return lines


def normalization(result: Result) -> list[str]:
    lines = []
    for name in result.names():
        runs = [r for r in result.of(name) if not r.failed]
        if not runs:
            continue
        stays = all(normalized(r.trained) for r in runs)
        state = ("stayed normalized" if stays
                 else "did not stay normalized (some layer left |mean| ≤ 0.5, 0.5 ≤ std ≤ 2)")
        trained = [s for r in runs for s in r.trained.std]
        initial = [s for r in runs for s in r.initial.std]
        lines.append(f"In the {name} net the activations {state}: after training the {result.depth} hidden layers' "
                     f"stds range from {min(trained):.2f} to {max(trained):.2f} on a test batch (at initialization "
                     f"{min(initial):.2f} to {max(initial):.2f}).")
        stopped = [r for r in runs if r.status == "stopped"]
        if stopped:
            lines.append(f"Early stopping ended {len(stopped)} of the {len(runs)} {name} runs early (restored epoch "
                         f"{pm([r.restored_epoch or r.epochs for r in stopped], 2)}).")
    return lines


def self_normalizing(result: Result) -> list[str]:
    """The book: SELU with LeCun init keeps every layer's outputs at mean 0 and std 1 without batch norm."""
    runs = [r for r in result.of("self-normalizing") if not r.failed] if "self-normalizing" in result.names() else []
    if not runs:
        return []
    trained = [s for r in runs for s in r.trained.std]
    if all(normalized(r.trained) for r in runs):
        return [f"As in the book, the self-normalizing net kept its activations normalized without batch norm in "
                f"every seed (hidden stds {min(trained):.2f} to {max(trained):.2f} after training)."]
    initial = [s for r in runs for s in r.initial.std]
    when = ("at initialization it was normalized (stds "
            f"{min(initial):.2f} to {max(initial):.2f}), so the likely cause is training: the book's guarantee "
            "needs weights of mean 0 and variance 1/fan-in, and training moves them away from that"
            if all(normalized(r.initial) for r in runs) else "even at initialization it was not")
    return [f"Unlike the book, the self-normalizing net did not keep its activations normalized (hidden stds "
            f"{min(trained):.2f} to {max(trained):.2f} after training); {when}."]


def timing(result: Result) -> list[str]:
    seconds = getattr(result, "seconds", {})
    names = [n for n in result.names() if seconds.get(n) and not any(r.failed for r in result.of(n))]
    if len(names) < 2:
        return []
    fast, slow = sorted(names, key=seconds.get)[:2]
    epochs = {n: sum(r.epochs for r in result.of(n)) for n in names}
    per_epoch = {n: seconds[n] / max(epochs[n], 1) for n in names}
    text = (f"An epoch of the {slow} net took {per_epoch[slow]:.1f} s and one of the {fast} net "
            f"{per_epoch[fast]:.1f} s ({per_epoch[slow] / per_epoch[fast]:.1f} times as long; wall-clock, this run)")
    return [text + (", the runtime price of batch norm that the book mentions." if slow == "default" else ".")]


def summarize(result: Result) -> Summary:
    headers, rows = table(result)
    notes = ["Times are wall-clock seconds of this run (not stored in metrics.json, which must be the same "
             "for the same seed)."]
    return Summary(headers, rows, [*accuracy(result), *normalization(result), *self_normalizing(result),
                                   *timing(result)],
                   notes + settings_note(result.changed))


def plot(result: Result) -> dict[str, Figure]:
    colors = {"default": "tab:blue", "self-normalizing": "tab:orange"}
    figure = Figure(figsize=(15, 4.2), layout="constrained")
    axes = figure.subplots(1, 3)
    first = [result.of(name)[0] for name in result.names()]  # the curves of the first seed
    for r in first:
        epochs = np.arange(1, len(r.val_accuracy) + 1)
        style = {"color": colors.get(r.name), "marker": "o", "markersize": 3, "label": r.name}
        axes[0].plot(epochs, r.val_accuracy, **style)
        axes[1].plot(epochs, r.val_loss, **style)
        axes[2].plot(epochs, r.train_loss, **style)
        if r.restored_epoch is not None:
            for ax in axes[:2]:
                ax.axvline(r.restored_epoch, color=colors.get(r.name), linestyle=":", linewidth=1)
    axes[0].set(title="Validation accuracy", xlabel="epochs")
    accuracy_axis(axes[0], [r.val_accuracy for r in first], label="accuracy")
    axes[1].set(title="Validation loss (dotted: restored epoch)", xlabel="epochs", ylabel="loss")
    axes[2].set(title="Training loss (mean over the epoch's batches)", xlabel="epochs", ylabel="loss")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    figure.suptitle(f"{result.depth} hidden layers of 100 units on {result.dataset} "
                    f"({result.train_samples:,} training images; first seed)")

    stats_figure = Figure(figsize=(12, 4.2), layout="constrained")
    axes = stats_figure.subplots(1, 2)
    for r in first:
        layers = np.arange(1, len(r.trained.mean) + 1)
        for stats, style, when in ((r.initial, "--", "at initialization"), (r.trained, "-", "after training")):
            axes[0].plot(layers, stats.mean, style, color=colors.get(r.name), marker=".", label=f"{r.name}, {when}")
            axes[1].plot(layers, stats.std, style, color=colors.get(r.name), marker=".", label=f"{r.name}, {when}")
    axes[0].axhline(0, color="0.6", linewidth=0.8)
    axes[1].axhline(1, color="0.6", linewidth=0.8)
    axes[0].set(title="Mean of each hidden layer's activations", xlabel="hidden layer", ylabel="mean")
    axes[1].set(title="Standard deviation of each hidden layer's activations", xlabel="hidden layer",
                ylabel="standard deviation")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize="small")
    stats_figure.suptitle("Activations on a batch of test images in inference mode (at initialization, batch norm "
                          "uses the batch's statistics)")
    return {"curves": figure, "activations": stats_figure}
