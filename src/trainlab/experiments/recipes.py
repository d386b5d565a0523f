"""Hands-On ML's default deep-net configuration against its self-normalizing one (chapter 11's summary)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

import trainlab as tl
from trainlab.activations import Activation
from trainlab.experiments.base import ExperimentConfig, Summary, option
from trainlab.experiments.common import hold_out, load_data, progress, standard_error, standardize

NAME = "recipes"
TITLE = "Default and self-normalizing deep-net recipes"
DESCRIPTION = (
    "The two configurations Hands-On ML recommends at the end of chapter 11, on the same deep net of 20 "
    "hidden layers of 100 units trained on Fashion-MNIST (standardized pixels; 5,000 training images held "
    "out for validation): the default one (He initialization, ELU, batch norm before every activation) "
    "and the self-normalizing one (LeCun initialization, SELU, no batch norm, alpha dropout 0.1 before the "
    "output layer). Both use momentum optimization with a 1cycle schedule (η up to 0.05 and back, momentum "
    "0.95 ↔ 0.85), batches of 128, and early stopping on the validation loss (patience 5, best weights "
    "restored). The run is 10 epochs, to stay under ten minutes on two CPU cores. After training, the "
    "mean and standard deviation of every hidden layer's activations on 1,000 test images tell whether "
    "the activations stayed normalized; they are also shown at initialization (where batch norm uses the "
    "batch's statistics)."
)

CONFIGURATIONS = ("default", "self-normalizing")


@dataclass
class Config(ExperimentConfig):
    dataset: str = "fashion-mnist"
    # None: every training image not held out for validation
    train_samples: int | None = option(None, ge=1, meaning="every training image not held out")
    validation_samples: int = option(5000, ge=1)
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")  # None: the whole test set
    depth: int = option(20, ge=1)
    units: int = option(100, ge=1)
    max_lr: float = option(0.05, gt=0)  # 1cycle's peak; it starts and ends at a tenth of it
    batch_size: int = option(128, ge=1)
    epochs: int = option(10, ge=1)
    patience: int = option(5, ge=1)
    alpha_dropout: float = option(0.1, ge=0, lt=1)
    stats_samples: int = option(1000, ge=1)  # test images on which the activations' statistics are measured

    def quick(self) -> Config:
        return dataclasses.replace(self, train_samples=2000, validation_samples=500, test_samples=1000, depth=8,
                                   epochs=3, patience=2, stats_samples=500)


@dataclass
class LayerStats:
    mean: list[float]  # per hidden layer: the mean of its activations on the test batch
    std: list[float]


@dataclass
class ConfigurationRun:
    name: str
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


@dataclass
class Result:
    dataset: str
    note: str
    train_samples: int
    test_samples: int
    depth: int
    runs: list[ConfigurationRun]

    def __post_init__(self) -> None:
        # Wall-clock training seconds per configuration. Deliberately not a field: metrics.json holds the
        # fields and must be the same for the same seed; the summary shows the times of this run.
        self.seconds: dict[str, float] = {}


def build(name: str, config: Config) -> tuple[tl.Sequential, str]:
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
    return tl.Sequential(layers, input_dim=784, seed=config.seed), description


def activation_stats(model: tl.Sequential, x: np.ndarray, batch_statistics: bool = False) -> LayerStats:
    """Mean and standard deviation of each hidden layer's output (after its activation), in inference mode.

    With ``batch_statistics`` batch norm normalizes with the batch's own statistics, as in training (its
    running averages mean nothing before training); a copy of the model is used, so nothing changes.
    """
    if batch_statistics:
        model = model.clone()
    means, stds = [], []
    out = model.check_input(x)
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
    runs, seconds = [], {}
    for name in progress(CONFIGURATIONS, "configurations"):
        model, description = build(name, config)
        initial = activation_stats(model, probe, batch_statistics=True)
        model.compile("momentum", lr=config.max_lr / 10, metrics=["accuracy"])
        callbacks = [tl.OneCycle(config.max_lr), tl.EarlyStopping("val_loss", patience=config.patience)]
        started = time.perf_counter()
        history = model.fit(x_train, y_train, epochs=config.epochs, batch_size=config.batch_size,
                            validation_data=(x_valid, y_valid), evaluate_train=False, callbacks=callbacks,
                            verbose=0)
        seconds[name] = time.perf_counter() - started
        runs.append(ConfigurationRun(
            name=name, description=description, epochs=len(history.epochs),
            restored_epoch=None if history.restored_epoch is None else history.restored_epoch + 1,
            status=history.status, train_loss=history["loss"], val_loss=history["val_loss"],
            val_accuracy=history["val_accuracy"], final_val_accuracy=model.accuracy(x_valid, y_valid),
            test_accuracy=model.accuracy(x_test, data.y_test), initial=initial,
            trained=activation_stats(model, probe),
        ))
    result = Result(data.name, data.note, len(x_train), len(x_test), config.depth, runs)
    result.seconds = seconds
    return result


def summarize(result: Result) -> Summary:
    seconds = getattr(result, "seconds", {})
    rows = []
    for r in result.runs:
        time_text = f"{seconds[r.name]:.1f}" if r.name in seconds else "n/a"
        rows.append([r.name, r.description, r.epochs, r.restored_epoch, r.final_val_accuracy, r.test_accuracy,
                     time_text, round(r.trained.mean[-1], 3), round(r.trained.std[-1], 3),
                     f"{min(r.trained.std):.2f} to {max(r.trained.std):.2f}",
                     "yes" if normalized(r.trained) else "no"])
    conclusions = []
    if len(result.runs) >= 2:
        best, other = sorted(result.runs, key=lambda r: r.test_accuracy, reverse=True)[:2]
        difference = best.test_accuracy - other.test_accuracy
        noise = 3 * standard_error(other.test_accuracy, result.test_samples)
        conclusions.append(f"The {best.name} configuration reached the higher test accuracy: {best.test_accuracy:.4f} "
                           f"against {other.test_accuracy:.4f} ({difference:+.4f}, "
                           + ("more than" if difference > noise else "within")
                           + f" the noise of about {noise:.4f}: three standard errors on {result.test_samples} "
                           "test images).")
    for r in result.runs:
        state = ("stayed normalized" if normalized(r.trained)
                 else "did not stay normalized (some layer left |mean| ≤ 0.5, 0.5 ≤ std ≤ 2)")
        conclusions.append(
            f"In the {r.name} net the activations {state}: after training, the last hidden layer's have mean "
            f"{r.trained.mean[-1]:.3f} and std {r.trained.std[-1]:.3f} on a test batch, and the {result.depth} "
            f"layers' stds range from {min(r.trained.std):.2f} to {max(r.trained.std):.2f} (at initialization "
            f"{min(r.initial.std):.2f} to {max(r.initial.std):.2f})."
        )
        if r.status == "stopped":
            conclusions.append(f"Early stopping ended the {r.name} run after epoch {r.epochs} and restored epoch "
                               f"{r.restored_epoch}.")
    if len(seconds) == len(result.runs) >= 2:
        fast = min(result.runs, key=lambda r: seconds[r.name])
        slow = max(result.runs, key=lambda r: seconds[r.name])
        if fast is not slow:
            conclusions.append(f"Training the {fast.name} net took {seconds[fast.name]:.1f} s, "
                               f"{seconds[slow.name] / seconds[fast.name]:.1f} times faster than the {slow.name} "
                               f"net ({seconds[slow.name]:.1f} s) for the same number of epochs."
                               if fast.epochs == slow.epochs else
                               f"Training took {seconds[fast.name]:.1f} s for the {fast.name} net ({fast.epochs} "
                               f"epochs) and {seconds[slow.name]:.1f} s for the {slow.name} net ({slow.epochs}).")
    notes = [result.note] if result.note else []
    notes.append("Times are wall-clock seconds of this run (not stored in metrics.json, which must be the same "
                 "for the same seed).")
    return Summary(["configuration", "recipe", "epochs", "restored epoch", "validation accuracy", "test accuracy",
                    "training seconds", "last hidden mean", "last hidden std", "hidden stds", "normalized"],
                   rows, conclusions, notes)


def plot(result: Result) -> dict[str, plt.Figure]:
    colors = {"default": "tab:blue", "self-normalizing": "tab:orange"}
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for r in result.runs:
        epochs = np.arange(1, len(r.val_accuracy) + 1)
        style = {"color": colors.get(r.name), "marker": "o", "markersize": 3, "label": r.name}
        axes[0].plot(epochs, r.val_accuracy, **style)
        axes[1].plot(epochs, r.val_loss, **style)
        axes[2].plot(epochs, r.train_loss, **style)
        if r.restored_epoch is not None:
            for ax in axes[:2]:
                ax.axvline(r.restored_epoch, color=colors.get(r.name), linestyle=":", linewidth=1)
    axes[0].set(title="Validation accuracy", xlabel="epochs", ylabel="accuracy")
    axes[1].set(title="Validation loss (dotted: restored epoch)", xlabel="epochs", ylabel="loss")
    axes[2].set(title="Training loss (mean over the epoch's batches)", xlabel="epochs", ylabel="loss")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    figure.suptitle(f"{result.depth} hidden layers of 100 units on {result.dataset} "
                    f"({result.train_samples} training images)")
    figure.tight_layout()

    stats_figure, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for r in result.runs:
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
    axes[1].legend(fontsize=8)
    stats_figure.suptitle("Activations on a batch of test images in inference mode (at initialization, batch norm "
                          "uses the batch's statistics)")
    stats_figure.tight_layout()
    return {"curves": figure, "activations": stats_figure}
