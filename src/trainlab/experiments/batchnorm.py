"""Batch normalization against the weight scale: the book's 4x4 grid of training-accuracy curves."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import trainlab as tl
from trainlab.experiments.base import ExperimentConfig, Summary, option
from trainlab.experiments.common import ExperimentData, load_data, mlp, progress

NAME = "batchnorm"
TITLE = "Batch normalization and the initial weight scale"
DESCRIPTION = (
    "Two copies of a 784-100x5-10 ReLU net, one with batch norm after every hidden affine layer and one "
    "without, are trained on the same 1,000 training images with SGD (η = 0.01, batches of 100 drawn "
    "i.i.d. as in the book; both nets see the same batches) for 20 epochs, starting from weights drawn "
    "with standard deviation 10^0 ... 10^-4 (16 scales); batch norm uses the book's ε = 10e-7. The grid "
    "shows the training accuracy (inference mode) after each epoch; epoch 0 is before training. Batch norm "
    "learns at almost every scale; without it the net learns only in a narrow band of scales, and at the "
    "largest ones its loss overflows (reported as diverged)."
)


@dataclass
class Config(ExperimentConfig):
    train_samples: int = option(1000, ge=1)
    hidden: tuple[int, ...] = option((100, 100, 100, 100, 100), ge=1)
    scales: int = option(16, ge=1)  # weight scales np.logspace(0, -4, scales)
    lr: float = option(0.01, gt=0)
    batch_size: int = option(100, ge=1)
    epochs: int = option(20, ge=1)
    # the book's 10e-7 (trainlab's default, 1e-5, stalls the smallest scales)
    batchnorm_epsilon: float = option(1e-6, gt=0)

    def quick(self) -> Config:
        return dataclasses.replace(self, train_samples=500, epochs=6)


@dataclass
class Curve:
    """One training run: its accuracy per epoch (epoch 0 = before training) and how it ended."""

    accuracy: list[float]
    status: str  # "completed" or "diverged"
    diverged_epoch: int | None  # 1-based epoch in which the loss became NaN/inf
    stop_reason: str


@dataclass
class Result:
    dataset: str
    note: str
    epochs: int
    weight_scales: list[float]
    with_batchnorm: list[Curve]  # one per weight scale
    without_batchnorm: list[Curve]


def train(config: Config, data: ExperimentData, scale: float, batchnorm: bool) -> Curve:
    """Train one net from weights of standard deviation ``scale``; the book's loop, via ``fit``."""
    model = mlp(config.hidden, init=scale, batchnorm=batchnorm, seed=config.seed)
    for layer in model.layers:
        if isinstance(layer, tl.BatchNorm):
            layer.epsilon = config.batchnorm_epsilon
    model.compile("sgd", lr=config.lr, metrics=["accuracy"])
    before = model.evaluate(data.x_train, data.y_train)["accuracy"]
    history = model.fit(data.x_train, data.y_train, epochs=config.epochs, batch_size=config.batch_size,
                        sampling="iid", verbose=0)
    epoch = None
    if history.status == "diverged":
        steps_per_epoch = math.ceil(len(data.x_train) / config.batch_size)
        epoch = history.diverged_at // steps_per_epoch + 1
    return Curve([before, *history.metrics.get("accuracy", [])], history.status, epoch, history.stop_reason)


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, train_samples=config.train_samples)
    scales = np.logspace(0, -4, config.scales).tolist()
    with_bn, without_bn = [], []
    for scale in progress(scales, "weight scales"):
        with_bn.append(train(config, data, scale, batchnorm=True))
        without_bn.append(train(config, data, scale, batchnorm=False))
    return Result(data.name, data.note, config.epochs, scales, with_bn, without_bn)


def outcome(curve: Curve) -> str:
    if curve.status == "diverged":
        return f"diverged in epoch {curve.diverged_epoch}"
    return f"{curve.accuracy[-1]:.3f}"


def scale_list(scales: list[float]) -> str:
    texts = [f"{s:.3g}" for s in scales]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def learned(scales: list[float], curves: list[Curve], threshold: float = 0.5) -> list[float]:
    """The scales at which a run completed with a final training accuracy of at least ``threshold``."""
    return [s for s, c in zip(scales, curves, strict=True) if c.status != "diverged" and c.accuracy[-1] >= threshold]


def summarize(result: Result) -> Summary:
    rows = []
    wins = ties = 0
    for scale, bn, plain in zip(result.weight_scales, result.with_batchnorm, result.without_batchnorm, strict=True):
        difference = bn.accuracy[-1] - plain.accuracy[-1]
        if bn.status == plain.status == "diverged":
            winner = "both diverged"
        elif plain.status == "diverged" or (bn.status != "diverged" and difference > 0):
            winner, wins = "batch norm", wins + 1
        elif bn.status != "diverged" and difference == 0:
            winner, ties = "tie", ties + 1
        else:
            winner = "without"
        shown = "" if "diverged" in (bn.status, plain.status) else round(difference, 4)
        rows.append([scale, outcome(bn), outcome(plain), shown, winner])
    n = len(result.weight_scales)
    conclusions = [
        f"With batch norm, training accuracy after {result.epochs} epochs was higher at {wins} of {n} weight "
        f"scales" + (f" (equal at {ties})." if ties else ".")
    ]
    diverged = [s for s, c in zip(result.weight_scales, result.without_batchnorm, strict=True)
                if c.status == "diverged"]
    bn_diverged = [s for s, c in zip(result.weight_scales, result.with_batchnorm, strict=True)
                   if c.status == "diverged"]
    if diverged:
        epochs = sorted({c.diverged_epoch for c in result.without_batchnorm if c.status == "diverged"})
        conclusions.append(
            f"Without batch norm, training diverged at weight scale{'s' if len(diverged) > 1 else ''} "
            f"{scale_list(diverged)} (the loss overflowed to NaN/inf in epoch "
            f"{' or '.join(map(str, epochs))}); with batch norm "
            + ("no run diverged." if not bn_diverged else f"runs diverged at {scale_list(bn_diverged)}.")
        )
    else:
        conclusions.append("No run diverged, with or without batch norm." if not bn_diverged else
                           f"With batch norm, training diverged at {scale_list(bn_diverged)}.")
    bn_learned = learned(result.weight_scales, result.with_batchnorm)
    plain_learned = learned(result.weight_scales, result.without_batchnorm)
    text = (f"Training accuracy reached 0.5 at {len(bn_learned)} of {n} scales with batch norm and at "
            f"{len(plain_learned)} without it")
    if len(plain_learned) > 1:
        text += f" (from {min(plain_learned):.3g} to {max(plain_learned):.3g})"
    elif plain_learned:
        text += f" (at {plain_learned[0]:.3g})"
    if len(bn_learned) > len(plain_learned):
        text += ": with batch norm, training depends far less on the initial weight scale"
    conclusions.append(text + ".")
    notes = [result.note] if result.note else []
    return Summary(["weight scale (std)", "accuracy with batch norm", "accuracy without",
                    "difference", "higher"], rows, conclusions, notes)


def plot(result: Result) -> dict[str, plt.Figure]:
    n = len(result.weight_scales)
    columns = 4 if n >= 4 else n
    rows = int(np.ceil(n / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.6 * rows), sharex=True, sharey=True,
                                squeeze=False)
    for ax, scale, bn, plain in zip(axes.flat, result.weight_scales, result.with_batchnorm,
                                    result.without_batchnorm, strict=False):
        ax.plot(range(len(bn.accuracy)), bn.accuracy, color="tab:blue", label="Batch Normalization")
        ax.plot(range(len(plain.accuracy)), plain.accuracy, "--", color="tab:orange",
                label="Normal (without BatchNorm)")
        title = f"W: {scale:.3g}"
        if plain.status == "diverged":
            end = len(plain.accuracy) - 1
            ax.plot(end, plain.accuracy[-1], "x", color="tab:red", markersize=9, markeredgewidth=2,
                    label="diverged (without)")
            ax.text(0.97, 0.06, f"without BN: diverged\nin epoch {plain.diverged_epoch}", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=8, color="tab:red")
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, 1.0)
        ax.set_xlim(0, result.epochs)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy")
    for ax in axes[-1, :]:
        ax.set_xlabel("epochs")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles, labels = [], []
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    figure.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False,
                  bbox_to_anchor=(0.5, -0.02))
    figure.suptitle(f"Training accuracy with and without batch norm for {n} initial weight scales "
                    f"({result.dataset})")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    return {"accuracy_grid": figure}
