"""Gradient clipping (Hands-On ML 11.1.4): a net that explodes without it, clipped by norm and by
value. Whether clipping keeps the net trainable is counted, not averaged: the share of failed runs
(diverged, or ended below a test accuracy fixed before the run), compared seed by seed. The
threshold of clipping by value is swept, since the book leaves it to be tuned."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import trainlab as tl
from trainlab.figures import accuracy_axis
from trainlab.lab import plots, training
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import data_of
from trainlab.lab.lesson import HOML, Lesson, finite_or_nan
from trainlab.lab.nets import shape
from trainlab.lab.settings import DataConfig, option
from trainlab.lab.training import rounded

LESSON = Lesson(
    name="gradient-clipping", title="Gradient clipping: by norm and by value", book=HOML,
    section="11.1.4 Gradient clipping", figure="",
    description=(
        "A deep ReLU net (hidden layers {hidden}; He init; at full size 784-100x10-10, about "
        "170,000 weights) trained with momentum SGD at a learning rate too large for it (η = {lr}, "
        "β = 0.9, batches of {batch_size}, {epochs} epochs of the {dataset} training images) "
        "explodes in some seeds: the gradient norm grows by orders of magnitude and the loss "
        "becomes NaN, or the net ends dead at chance. The same runs (same start, same batches) are "
        "repeated with the gradients clipped by their global norm (g ← g·min(1, c/‖g‖), the book's "
        "clipnorm=1.0) and entry by entry to [-c, c] at the book's clipvalue=1.0 and smaller "
        "thresholds (the book leaves the threshold to be tuned). A run fails when it diverges or "
        "ends below {fail_below} test accuracy; the share of failed runs is counted over {seeds} "
        "seeds. Every {probe_every} steps the gradient of the batch is clipped aside to measure "
        "how much clipping turns it (the cosine between the clipped and the raw gradient)."),
)


@dataclass
class Config(DataConfig):
    hidden: tuple[int, ...] = option((100,) * 10, ge=1)
    lr: float = option(0.1, gt=0)
    clippings: tuple[str, ...] = option(("none", "norm@1", "value@1", "value@0.1", "value@0.01",
                                         "value@0.001"), check=lambda s: parse(s))
    batch_size: int = option(128, ge=1)
    epochs: int = option(2, ge=1)
    fail_below: float = option(0.5, gt=0, lt=1)  # halfway from chance (0.1) to a trained net (0.95)
    probe_every: int = option(10, ge=1)
    # About half the unclipped runs fail and clipping by norm fails none: a difference of ~0.5 in
    # a share (paired sd ~0.5); 20 seeds put the interval's half-width near 0.25, so it settles.
    seeds: int = option(20, ge=1)

    QUICK: ClassVar[dict] = {"clippings": ("none", "norm@1", "value@1", "value@0.01"), "train_samples": 6000,
                             "test_samples": 2000, "lr": 0.3, "epochs": 3, "seeds": 3}
    NOTEBOOK: ClassVar[dict] = {**QUICK, "seeds": 4}


BREAKS = {"lr": 1e4}  # every setting diverges or ends dead


def parse(setting: str) -> tuple[str, float | None]:
    """("norm", 1.0) from "norm@1"; ("none", None) from "none"; a ValueError for anything else."""
    kind, _, threshold = setting.partition("@")
    if setting == "none":
        return "none", None
    if kind not in ("norm", "value") or not threshold:
        raise ValueError(f"{setting!r} is not a clipping; write none, norm@C or value@C (C > 0)")
    value = float(threshold)
    if not value > 0:
        raise ValueError(f"{setting!r}: the threshold must be > 0")
    return kind, value


def settings(config: Config) -> tuple[str, ...]:
    return config.clippings


def label(setting: str) -> str:
    kind, threshold = parse(setting)
    return "no clipping" if kind == "none" else f"clip by {kind} {threshold:g}"


def clipped(g: np.ndarray, kind: str, threshold: float) -> np.ndarray:
    """g clipped as the optimizer clips it: entry by entry to [-c, c], or scaled to a global norm of
    at most c."""
    if kind == "value":
        return np.clip(g, -threshold, threshold)
    return g * min(1.0, threshold / float(np.linalg.norm(g)))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def train(config: Config, setting: str, seed: int) -> dict:
    data = data_of(config)
    kind, threshold = parse(setting)
    model = tl.mlp(config.hidden, activation="relu", init="he_normal", seed=seed)
    optimizer = tl.get_optimizer("momentum", lr=config.lr,
                                 **({f"clip_{kind}": threshold} if threshold else {}))
    rng = np.random.default_rng(seed)
    steps = len(data.x_train) // config.batch_size
    norms, losses, cosines, acted, status = [], [], [], [], "completed"
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(config.epochs * steps):
            if step % steps == 0:
                order = rng.permutation(len(data.x_train))
            index = order[(step % steps) * config.batch_size:(step % steps + 1) * config.batch_size]
            x, t = data.x_train[index], data.y_train[index]
            if threshold and step % config.probe_every == 0:  # how much clipping turns the gradient
                g = np.concatenate([v.ravel() for v in model.gradient(x, t).values()]).astype(np.float64)
                if np.all(np.isfinite(g)) and not np.array_equal(c := clipped(g, kind, threshold), g):
                    cosines.append(cosine(g, c))
                    acted.append(step)
            try:
                losses.append(tl.train_step(model, optimizer, x, t))
            except tl.DivergenceError:
                status = "diverged"
                break
            norms.append(optimizer.grad_norm)
    accuracy = model.accuracy(data.x_test, data.y_test) if status == "completed" else math.nan
    return {"status": status, "test_accuracy": accuracy, "grad_norm": rounded(norms, 4),
            "loss": rounded(losses, 4), "cosines": cosines, "clipped_at": acted,
            "failed": float(status == "diverged" or not accuracy >= config.fail_below)}


FAILED = Measure("the share of runs that failed (diverged, or ended below {fail_below} test "
                 "accuracy)", lambda run, c: run["failed"], percent=True, short="failed runs")
TURN = Measure("the mean cosine between the clipped and the raw gradient, over the probed steps "
               "where clipping acted",
               lambda run, c: float(np.mean(run["cosines"])) if run["cosines"] else math.nan,
               digits=4, short="cosine clipped/raw when clipping")
ACCURACY = Measure("test accuracy of the runs that did not diverge",
                   lambda run, c: finite_or_nan(run["test_accuracy"]), percent=True, short="test accuracy")
PEAK = Measure("log10 of the largest global gradient norm before clipping",
               lambda run, c: math.log10(max(run["grad_norm"], default=math.nan)),
               short="log10 largest gradient norm")
TABLE = (FAILED, ACCURACY, TURN, PEAK)

CLAIMS = (
    Claim("clipping-keeps-it-trainable",
          "Clipping the gradients mitigates exploding gradients: clipped by norm (clipnorm=1.0) "
          "the net that explodes without clipping stays trainable.", "HOML 11.1.4", FAILED,
          a="norm@1", expect="<", b="none"),
    Claim("clip-value-works",
          "Clipping every entry to [-1, 1] (clipvalue=1.0) works well in practice (read here: at "
          "most one run in ten fails).", "HOML 11.1.4", FAILED, a="value@1", expect="<", b=0.1,
          why="With about 170,000 weights a gradient can be large (a norm of 10 to 100) while "
          "every entry stays below 1: clipping each entry at 1 acted on only a few of the probed "
          "steps and left such steps almost whole. In the full-size run no net diverged, but 13 of "
          "20 ended dead at chance, while at 0.1 and below every seed trained. The book leaves the "
          "threshold to be tuned on a validation set."),
    Claim("value-turns-the-gradient",
          "Clipping by value may change the orientation of the gradient vector ((0.9, 100.0) "
          "becomes (0.9, 1.0)); clipping by norm keeps it ((0.9, 100.0) becomes (0.0090, 0.9999)).",
          "HOML 11.1.4", TURN, a="value@1", expect="<", b="norm@1"),
)


def notes(runs) -> list[str]:
    return training.failure_notes(runs, label, lambda run, c: run["failed"] == 1,
                                  f"test accuracy below {runs.config.fail_below:g}")


def plot(runs) -> dict:
    config = runs.config
    figure, axes = plots.figure(3, width=5.2, height=4.4)
    share, curves, dots = axes.flat
    colours = plots.styles(runs.settings)
    for i, setting in enumerate(runs.settings):
        failed = runs.values(setting, "failed")
        share.bar(i, failed.mean(), color=colours[setting]["color"])
        share.annotate(f"{int(failed.sum())}/{len(failed)}", (i, failed.mean()), ha="center",
                       va="bottom", xytext=(0, 2), textcoords="offset points", fontsize="small")
        accuracy = runs.values(setting, lambda run: finite_or_nan(run["test_accuracy"]))
        dots.plot(np.full(len(accuracy), i) + np.linspace(-0.2, 0.2, len(accuracy)), accuracy,
                  linestyle="none", alpha=0.6, **colours[setting])
        # the book's three; the swept thresholds are in the table
        if setting in ("none", "norm@1", "value@1"):
            plots.mean_curve(curves, runs.curves(setting, "grad_norm"), label=label(setting),
                             window=9, band=False, **colours[setting])
    names = [label(s) for s in runs.settings]
    share.set_xticks(range(len(names)), names, rotation=90)
    plots.finish(share, legend=False, which="both", ylabel="share of failed runs", ylim=(0, 1.05),
                 title=f"Failed runs out of {config.seeds} seeds")
    plots.finish(curves, which="both", yscale="log", xlabel="step", title="Gradient norm (x: a seed "
                 "diverged)", ylabel="gradient norm before clipping (mean of the seeds)")
    dots.set_xticks(range(len(names)), names, rotation=90)
    accuracy_axis(dots, [line.get_ydata() for line in dots.get_lines()], chance=True,
                  label="test accuracy (a dot per seed)")
    dots.axhline(config.fail_below, color="0.5", linestyle=":", linewidth=1)
    plots.finish(dots, legend=False, which="both",
                 title="Runs that did not diverge; dead nets end at chance")
    figure.suptitle(f"784-{shape(config.hidden)}-10 on {config.dataset}, momentum SGD η = "
                    f"{config.lr:g}, {config.seeds} seeds")
    return {"gradient_clipping": figure}
