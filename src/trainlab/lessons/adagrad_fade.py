"""AdaGrad's steps fade, RMSProp's do not: on the book's MNIST net, on the book's bowl, and on a
stream of gradients whose scale falls tenfold (how fast RMSProp's rho lets the step follow it)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import trainlab as tl
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import CHANCE_LOSS, data_of, final_mean, steps_to
from trainlab.lab.landscapes import elongated_bowl, optimizer_path
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.settings import DataConfig, option
from trainlab.lab.training import failure_notes, random_batches, rounded, train_steps

LESSON = Lesson(
    name="adagrad-fade", title="AdaGrad steps fade, RMSProp steps do not", book=DLFS,
    section="6.1.5 AdaGrad (and Hands-On ML 11.3.3-4, AdaGrad and RMSProp)", figure="Figure 6-8",
    description=(
        "AdaGrad divides η by √h, where h sums every squared gradient so far, so its steps can "
        "only shrink; RMSProp lets h forget (h ← rho·h + (1 - rho)·g²), so its steps follow the "
        "recent gradients. Three tests, {seeds} seeds, no rate tuned (each is a book's). (1) The "
        "book's MNIST net (ReLU, hidden layers of {hidden}, He init, batches of {batch_size} drawn "
        "at random from {dataset}, {iterations} iterations, the same batches for every optimizer): "
        "AdaGrad at the textbook's η = 0.01 and at Hands-On ML's 0.001, RMSProp at Hands-On ML's η "
        "= 0.001 and rho = 0.9; how far the weights move per step (every {record_every} steps) and "
        "the training loss. (2) Figure 6-8's bowl x²/20 + y², {steps_2d} steps from (-7, 2) (other "
        "seeds: a start drawn near it): AdaGrad at the figure's η = {lr_2d}, RMSProp at the η that "
        "makes its first step as long, {lr_2d}·√(1 - rho). (3) {stream_steps} random gradients "
        "N(0, s²) on 1000 coordinates, s falling from 1 to 1/{drop} halfway: the steps RMSProp's "
        "median step η/(√h + ε) takes to grow √{drop} times, for rho = 0.5, 0.9 and 0.99 "
        "(AdaGrad's never grows)"),
)

# setting -> the optimizer and its book rate on MNIST; "mnist": False arms run only the bowl and the
# stream, "probes": False arms only MNIST (AdaGrad's bowl and stream do not depend on η: the first
# arm has them)
ARMS = {
    "adagrad": {"name": "adagrad", "lr": 0.01},  # DLfS's η (Figure 6-9; the textbook's default)
    "adagrad-homl": {"name": "adagrad", "lr": 0.001, "probes": False},  # HOML 11.3.3's Keras code
    "rmsprop": {"name": "rmsprop", "lr": 0.001, "rho": 0.9},  # Hands-On ML 11.3.4's Keras code
    "rmsprop-rho-0.99": {"name": "rmsprop", "lr": 0.001, "rho": 0.99, "mnist": False},  # DLfS's rho
    "rmsprop-rho-0.5": {"name": "rmsprop", "lr": 0.001, "rho": 0.5, "mnist": False},  # study notes
}
LABELS = {"adagrad": "AdaGrad", "adagrad-homl": "AdaGrad at HOML's η", "rmsprop": "RMSProp rho 0.9",
          "rmsprop-rho-0.99": "RMSProp rho 0.99", "rmsprop-rho-0.5": "RMSProp rho 0.5"}
BOOK_START = (-7.0, 2.0)


@dataclass
class Config(DataConfig):
    arms: tuple[str, ...] = option(tuple(ARMS), choices=ARMS.keys)
    lr_scale: float = option(1.0, gt=0)  # multiplies every MNIST rate (1: the books')
    hidden: tuple[int, ...] = option((100, 100, 100, 100), ge=1)
    batch_size: int = option(128, ge=1)
    iterations: int = option(10000, ge=1)  # about 21 epochs: long enough for a stall to show
    record_every: int = option(100, ge=1)
    window: int = option(200, ge=1)  # the final loss: the mean of the last `window` batch losses
    lr_2d: float = option(1.5, gt=0)  # AdaGrad's η in Figure 6-8
    steps_2d: int = option(100, ge=1)
    stream_steps: int = option(1000, ge=2)
    drop: float = option(10.0, gt=1)
    # Every effect here is tenfold or more (step ratios 0.05 against 0.4, losses 0.14 against 0.01),
    # the seed-to-seed noise a few percent: 3 paired seeds settle each.
    seeds: int = option(3, ge=1)

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "hidden": (50, 50), "iterations": 600,
                             "record_every": 20, "window": 50}
    NOTEBOOK: ClassVar[dict] = {"dataset": "mnist-mini", "iterations": 2000, "window": 100}


BREAKS = {"lr_scale": 10000.0, "iterations": 40}  # AdaGrad at η = 100, RMSProp at 10: loss soars


def settings(config: Config) -> tuple[str, ...]:
    return config.arms


def label(setting: str) -> str:
    return LABELS.get(setting, setting)


def cost(config: Config, setting: str) -> float:
    return 1.0 if ARMS[setting].get("mnist", True) else 0.02


def optimizer(arm: dict, lr: float) -> tl.Optimizer:
    return tl.get_optimizer(arm["name"], lr=lr, **({"rho": arm["rho"]} if "rho" in arm else {}))


def train(config: Config, setting: str, seed: int) -> dict:
    arm = ARMS[setting]
    lr_2d = config.lr_2d * (math.sqrt(1 - arm["rho"]) if "rho" in arm else 1.0)  # same first step
    start = BOOK_START
    if seed != 0:
        start = tuple(np.add(BOOK_START, np.random.default_rng(seed).uniform(-1, 1, 2) * (1.0, 0.5)))
    run = {}
    if arm.get("probes", True):
        run = {"path": optimizer_path(optimizer(arm, lr_2d), config.steps_2d, start).tolist(),
               "stream": rounded(stream(optimizer(arm, 1.0), config, seed))}
    if arm.get("mnist", True):
        run |= mnist(config, optimizer(arm, arm["lr"] * config.lr_scale), seed)
    return run


def mnist(config: Config, rule: tl.Optimizer, seed: int) -> dict:
    """The textbook's loop; every ``record_every`` steps, how far the weights moved per step since
    the last."""
    data = data_of(config)
    model = tl.mlp(config.hidden, activation="relu", init="he_normal", seed=seed)
    weights = lambda: np.concatenate([p.ravel() for p in model.params.values()])  # noqa: E731
    last, travel = [weights()], []

    def record(step: int) -> None:
        if step % config.record_every == 0:
            now = weights()
            travel.append(float(np.linalg.norm(now - last[0])) / config.record_every)
            last[0] = now

    batches = random_batches(len(data.x_train), config.iterations, config.batch_size, seed)
    steps = train_steps(model, rule, data.x_train, data.y_train, batches, after=record)
    return {"status": steps.status, "loss": rounded(steps.losses), "travel": travel,
            "test_accuracy": model.accuracy(data.x_test, data.y_test)}


def stream(rule: tl.Optimizer, config: Config, seed: int) -> list[float]:
    """The median over 1000 coordinates of the step per unit of η, 1/(√h + ε), after each of
    ``stream_steps`` updates with gradients N(0, s²), s = 1, then 1/drop from halfway: the
    optimizer's state, probed (no model is trained, so the update is called directly, as on the
    bowl)."""
    rng, theta, steps = np.random.default_rng(seed), {"w": np.zeros(1000)}, []
    half = config.stream_steps // 2
    for t in range(config.stream_steps):
        rule.update(theta, {"w": rng.standard_normal(1000) / (1.0 if t < half else config.drop)})
        steps.append(float(np.median(1.0 / (np.sqrt(rule.state["w"]["h"]) + rule.eps))))
    return steps


def follow(run: dict, c: Config) -> float:
    """The steps after the drop until the median step has grown √drop times (budget + 1: never)."""
    half = c.stream_steps // 2
    after = np.asarray(run["stream"][half:]) / run["stream"][half - 1]
    return steps_to(after, math.sqrt(c.drop), above=True, budget=len(after))


def measured(key: str, of):
    """``of(run, config)`` where the run has ``key`` (and did not diverge), else NaN."""
    return lambda run, c: of(run, c) if key in run and run.get("status") != "diverged" else math.nan


FADE = Measure("the distance the weights move per step over the last {record_every} steps, over "
               "that of the first", short="step: last / first",
               of=measured("loss", lambda r, c: r["travel"][-1] / r["travel"][0] if r["travel"]
                           else math.nan))
FINAL = Measure("the mean of the last {window} batch losses", short="final training loss",
                of=measured("loss", lambda run, c: final_mean(run["loss"], c.window)))
ACCURACY = Measure("test accuracy", measured("loss", lambda run, c: run["test_accuracy"]),
                   percent=True)
BOWL = Measure("the distance to the minimum after {steps_2d} steps on x²/20 + y²",
               measured("path", lambda run, c: float(np.hypot(*run["path"][-1]))),
               short="distance after {steps_2d} steps")
FOLLOW = Measure("the steps after the gradients shrink {drop} times until the median step has "
                 "grown √{drop} times",
                 measured("stream", follow), unit="steps", short="steps to follow the drop")
TABLE = (FADE, FINAL, ACCURACY, BOWL, FOLLOW)

CLAIMS = (
    Claim("adagrad-steps-fade", "AdaGrad's h only grows, so its steps keep shrinking (trained long "
          "enough, to nothing); RMSProp forgets old gradients, so its steps do not fade.",
          "DLfS 6.1.5; HOML 11.3.4", FADE,
          a="adagrad", expect="<", b="rmsprop"),
    Claim("adagrad-stops-early", "AdaGrad often stops too early when training neural networks: its "
          "learning rate shrinks so fast that it never reaches the optimum, where RMSProp keeps "
          "going.", "HOML 11.3.3-4", FINAL,
          a="adagrad-homl", expect=">", b="rmsprop",
          why="Both run at Hands-On ML's η = 0.001; at the textbook's 0.01 AdaGrad's steps stay "
              "large enough for this run (the notes give its numbers)."),
    Claim("adagrad-fine-on-a-bowl", "On a simple quadratic bowl AdaGrad does well (Figure 6-8's "
          "path heads straight for the minimum), while a constant-step rule keeps jumping about "
          "it.",
          "HOML 11.3.3; DLfS 6.1.5, Figure 6-8", BOWL, a="adagrad", expect="<", b="rmsprop"),
    Claim("small-rho-follows-faster", "A small rho weighs the recent gradients more: RMSProp's "
          "step follows a change in the gradients' scale sooner.",
          "DLfS 6.1.5 (RMSProp); HOML 11.3.4", FOLLOW,
          a="rmsprop-rho-0.5", expect="<", b=("rmsprop", "rmsprop-rho-0.99")),
)


def notes(runs) -> list[str]:
    lines = failure_notes(runs, label, lambda run, c: FINAL.of(run, c) > CHANCE_LOSS,
                          f"its final loss above ln 10 = {CHANCE_LOSS:.2f}, a uniform guess's")
    if {"adagrad", "rmsprop"} <= set(runs.settings):
        ada, rms = (runs.values(s, lambda r: FINAL.of(r, runs.config)) for s in ("adagrad", "rmsprop"))
        lines.append("At the textbook's η = 0.01 AdaGrad's final training loss was "
                     f"{np.nanmean(ada):.3g}, against RMSProp's {np.nanmean(rms):.3g} (means of "
                     f"{len(ada)} seeds): whether AdaGrad stops early depends on its η.")
    return lines


def plot(runs) -> dict:
    config = runs.config
    figure, axes = plots.figure(2, 2, width=6.2, height=4.3)
    (loss_ax, travel_ax), (stream_ax, bowl_ax) = axes
    colours = plots.styles(list(ARMS))
    trained = [s for s in runs.settings if ARMS[s].get("mnist", True)]
    steps = np.arange(1, config.iterations // config.record_every + 1) * config.record_every
    for setting in trained:
        named = f"{label(setting)}, η {ARMS[setting]['lr'] * config.lr_scale:g}"
        colour = colours[setting]
        plots.mean_curve(loss_ax, runs.curves(setting, "loss"), window=101, label=named, **colour)
        travel = runs.curves(setting, "travel")
        plots.mean_curve(travel_ax, travel, x=steps[: travel.shape[1]], label=named, **colour)
    loss_ax.set(xlabel="iteration", ylabel="training loss (log scale)", yscale="log",
                title=f"Batch loss on {config.dataset}, smoothed over 101 steps")
    travel_ax.set(xlabel="iteration", ylabel="‖Δθ‖ per step (log scale)", yscale="log",
                  title="How far the weights move per step")
    probed = [s for s in runs.settings if ARMS[s].get("probes", True)]
    for setting in probed:
        curve = runs.curves(setting, "stream")
        plots.mean_curve(stream_ax, curve / curve[:, [config.stream_steps // 2 - 1]],
                         label=label(setting), **colours[setting])
    stream_ax.axvline(config.stream_steps // 2, color="0.6", linestyle=":")
    stream_ax.set(xlabel="step", ylabel="median step per η, relative (log scale)", yscale="log",
                  title=f"Gradients shrink {config.drop:g}x at the dotted line")
    x, y = np.meshgrid(np.linspace(-8, 8, 200), np.linspace(-3, 3, 120))
    bowl_ax.contour(x, y, elongated_bowl(x, y), levels=12, colors="0.85", linewidths=0.6)
    for setting in probed:
        path = np.array(runs.of(setting)[0]["path"])
        bowl_ax.plot(path[:, 0], path[:, 1], linewidth=0.9, markersize=3, label=label(setting),
                     **colours[setting])
        bowl_ax.plot(*path[-1], marker="X", markersize=9, color=colours[setting]["color"],
                     linestyle="none")
    bowl_ax.plot(0, 0, "+", color="black", markersize=10)
    bowl_ax.set(xlabel="x", ylabel="y", title=f"{config.steps_2d} steps on x²/20 + y² (first seed; "
                                              "X: the end)")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        plots.legend_outside(ax, fontsize="small")
    figure.suptitle(f"Mean of {config.seeds} seed{'s' * (config.seeds != 1)} and their range")
    return {"adagrad_fade": figure}
