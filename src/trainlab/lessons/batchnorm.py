"""Batch normalization against the weight scale: the book's 4x4 grid of training-accuracy curves."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from matplotlib.figure import Figure

import trainlab as tl
from trainlab.figures import accuracy_axis
from trainlab.lab.common import (
    ExperimentData,
    compare,
    departures,
    load_data,
    mlp,
    pm,
    progress,
    seed_list,
    settings_note,
)
from trainlab.lab.legacy import ExperimentConfig, Summary, option

NAME = "batchnorm"
TITLE = "Batch normalization and the initial weight scale"
BOOK = "Deep Learning from Scratch"
SECTION = "6.3.3 The effect of batch normalization"
FIGURE = "Figure 6-19"
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "with batch norm learning progresses faster in almost every case, and without it the net does not "
    "learn at all at some scales."
)
DESCRIPTION = (
    "Deep Learning from Scratch 6.3.3 (figure 6-19): two copies of a 784-100x5-10 ReLU net, one with batch "
    "norm after every hidden affine layer and one without, are trained on the first 1,000 of MNIST's training "
    "images with SGD (η = 0.01, batches of 100 drawn i.i.d. as in the book; both nets see the same batches) "
    "for 20 epochs, starting from weights drawn with standard deviation 10^0 ... 10^-4 (16 scales), from three "
    "seeds; batch norm uses the book's ε = 10e-7. The grid shows the training accuracy (inference mode) after "
    "each epoch, mean of the seeds; epoch 0 is before training. The book says that with batch norm learning "
    "progresses faster in almost every case and depends far less on the initial scale. Speed here is the "
    "training accuracy averaged over the 20 epochs (the area under the curve)."
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
    seeds: int = option(3, ge=1)  # the book runs one; three measure the seed-to-seed noise

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "train_samples": 500, "epochs": 6, "seeds": 1}


@dataclass
class Run:
    """One training run: its accuracy per epoch (epoch 0 = before training) and how it ended."""

    scale: float
    batchnorm: bool
    seed: int
    accuracy: list[float]
    status: str  # "completed" or "diverged"
    diverged_epoch: int | None  # 1-based epoch in which the loss became NaN/inf

    @property
    def speed(self) -> float:
        """The training accuracy averaged over the epochs; a diverged run counts as guessing from then on."""
        return float(np.mean(self.accuracy[1:])) if self.status == "completed" else 0.1

    @property
    def final(self) -> float:
        return self.accuracy[-1] if self.status == "completed" else math.nan


@dataclass
class Result:
    dataset: str
    epochs: int
    weight_scales: list[float]
    changed: list[str]  # settings that differ from the full-size ones
    runs: list[Run]  # per seed, per scale, with and without batch norm

    def of(self, scale: float, batchnorm: bool) -> list[Run]:
        return [r for r in self.runs if r.scale == scale and r.batchnorm == batchnorm]


def train(config: Config, data: ExperimentData, scale: float, batchnorm: bool, seed: int) -> Run:
    """Train one net from weights of standard deviation ``scale``; the book's loop, via ``fit``."""
    model = mlp(config.hidden, init=scale, batchnorm=batchnorm, seed=seed)
    for layer in model.layers:
        if isinstance(layer, tl.BatchNorm):
            layer.epsilon = config.batchnorm_epsilon
    model.compile("sgd", lr=config.lr, metrics=["accuracy"])
    before = model.evaluate(data.x_train, data.y_train)["accuracy"]
    history = model.fit(data.x_train, data.y_train, epochs=config.epochs, batch_size=config.batch_size,
                        sampling="iid", verbose=0)
    epoch = None
    if history.status == "diverged":
        epoch = history.diverged_at // math.ceil(len(data.x_train) / config.batch_size) + 1
    return Run(scale, batchnorm, seed, [before, *history.metrics.get("accuracy", [])], history.status, epoch)


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, train_samples=config.train_samples)
    scales = np.logspace(0, -4, config.scales).tolist()
    jobs = [(s, bn, seed) for seed in seed_list(config.seed, config.seeds) for s in scales for bn in (True, False)]
    runs = [train(config, data, s, bn, seed) for s, bn, seed in progress(jobs, "weight scales")]
    return Result(data.name, config.epochs, scales, departures(config), runs)


# -- summary -----------------------------------------------------------------------------------------------------
def outcome(runs: list[Run]) -> str:
    diverged = [r for r in runs if r.status == "diverged"]
    if diverged:
        return f"diverged in epoch {diverged[0].diverged_epoch}" + (f" ({len(diverged)} of {len(runs)} seeds)"
                                                                     if len(runs) > 1 else "")
    return pm([r.final for r in runs])


def verdict(result: Result, scale: float) -> str:
    """"batch norm", "without" or "level": which learned faster beyond the noise at ``scale``."""
    bn, plain = result.of(scale, True), result.of(scale, False)
    if all(r.status == "diverged" for r in bn + plain):
        return "both diverged"
    if not any(r.status == "completed" and r.final >= 0.2 for r in bn + plain):
        return "neither learned"
    c = compare([r.speed for r in bn], [r.speed for r in plain])
    return c.relation("batch norm", "without", "level")


def table(result: Result) -> tuple[list[str], list[list]]:
    rows = []
    for scale in result.weight_scales:
        bn, plain = result.of(scale, True), result.of(scale, False)
        speed = compare([r.speed for r in bn], [r.speed for r in plain])
        rows.append([scale, outcome(bn), outcome(plain), speed.words(), verdict(result, scale)])
    return ["weight scale (std)", "final accuracy with batch norm", "final accuracy without",
            "mean accuracy over the epochs: with - without", "faster"], rows


def speed_up(result: Result) -> list[str]:
    verdicts = [verdict(result, s) for s in result.weight_scales]
    n = len(verdicts)
    ahead = verdicts.count("batch norm")
    text = (f"With batch norm the net learned faster (a higher training accuracy averaged over the {result.epochs} "
            f"epochs, beyond the seed-to-seed noise) at {ahead} of {n} weight scales")
    others = [f"level at {verdicts.count('level')}"] if "level" in verdicts else []
    behind = [s for s, v in zip(result.weight_scales, verdicts, strict=True) if v == "without"]
    if behind:
        others.append(f"slower at {len(behind)} ({', '.join(f'{s:.3g}' for s in behind)})")
    if "neither learned" in verdicts:
        others.append(f"neither learned at {verdicts.count('neither learned')}")
    text += f" ({', '.join(others)})" if others else ""
    book = ("as the book says ('in almost every case')" if ahead >= n - max(1, n // 8) else
            f"where the book says 'in almost every case': it is not faster at {n - ahead} scales")
    return [f"{text}, {book}."]


def divergence(result: Result) -> list[str]:
    diverged = sorted({r.scale for r in result.runs if r.status == "diverged" and not r.batchnorm}, reverse=True)
    bn_diverged = sorted({r.scale for r in result.runs if r.status == "diverged" and r.batchnorm}, reverse=True)
    if not diverged and not bn_diverged:
        return ["No run diverged, with or without batch norm."]
    text = (f"Without batch norm training diverged at weight scale{'s' * (len(diverged) > 1)} "
            f"{', '.join(f'{s:.3g}' for s in diverged)} (the loss overflowed to NaN or inf)" if diverged else
            "Without batch norm no run diverged")
    text += "; with batch norm " + ("no run diverged." if not bn_diverged else
                                    f"runs diverged at {', '.join(f'{s:.3g}' for s in bn_diverged)}.")
    return [text]


def independence(result: Result, threshold: float = 0.5) -> list[str]:
    """At how many scales each kind of net reached ``threshold`` training accuracy in every seed."""
    def count(batchnorm: bool) -> list[float]:
        return [s for s in result.weight_scales
                if all(r.status == "completed" and r.final >= threshold for r in result.of(s, batchnorm))]
    bn, plain = count(True), count(False)
    text = (f"Training accuracy reached {threshold:g} at {len(bn)} of {len(result.weight_scales)} scales with batch "
            f"norm and at {len(plain)} without it")
    if plain:
        text += f" (from {min(plain):.3g} to {max(plain):.3g})"
    if len(bn) > len(plain):
        text += ": as the book says, with batch norm training depends far less on the initial weight scale"
    return [text + "."]


def summarize(result: Result) -> Summary:
    headers, rows = table(result)
    return Summary(headers, rows, [*speed_up(result), *divergence(result), *independence(result)],
                   settings_note(result.changed))


# -- figure ------------------------------------------------------------------------------------------------------
def mean_curve(runs: list[Run]) -> np.ndarray:
    """The accuracy per epoch averaged over the seeds that completed (empty if none did)."""
    done = [r.accuracy for r in runs if r.status == "completed"]
    return np.mean(done, axis=0) if done else np.array([])


def plot(result: Result) -> dict[str, Figure]:
    n = len(result.weight_scales)
    columns = 4 if n >= 4 else n
    rows = int(np.ceil(n / columns))
    seeds = len({r.seed for r in result.runs})
    figure = Figure(figsize=(3.2 * columns, 2.6 * rows + 0.4), layout="constrained")
    axes = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    for ax, scale in zip(axes.flat, result.weight_scales, strict=False):
        for batchnorm, style, color, name in ((True, "-", "tab:blue", "Batch Normalization"),
                                              (False, "--", "tab:orange", "Normal (without BatchNorm)")):
            curve = mean_curve(result.of(scale, batchnorm))
            ax.plot(range(len(curve)), curve, style, color=color, label=name)
        diverged = [r for r in result.of(scale, False) if r.status == "diverged"]
        if diverged:
            ax.text(0.97, 0.06, f"without BN: diverged\nin epoch {diverged[0].diverged_epoch}", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize="small", color="tab:red")
        ax.set_title(f"W: {scale:.3g} ({verdict(result, scale)})", fontsize="small")
        ax.set(xlim=(0, result.epochs))
        ax.grid(alpha=0.3)
    shown = [line.get_ydata() for ax in axes.flat for line in ax.get_lines()]
    for ax in axes[:, 0]:  # the panels share their y axis: one scale, stated on the left
        accuracy_axis(ax, shown, label="accuracy")
    for ax in axes[-1, :]:
        ax.set_xlabel("epochs")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    figure.suptitle(f"Training accuracy with and without batch norm for {n} initial weight scales ({result.dataset}, "
                    f"mean of {seeds} seed{'s' * (seeds > 1)}; in brackets: which learned faster beyond the noise)")
    return {"accuracy_grid": figure}
