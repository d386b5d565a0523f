"""AdaGrad's steps fade, RMSProp's do not (Deep Learning from Scratch 6.1.5, Hands-On ML 11.3.3-4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

import trainlab as tl
from trainlab.lab.common import departures, load_data, mlp, progress, settings_note, smooth
from trainlab.lab.landscapes import optimizer_path
from trainlab.lab.legacy import ExperimentConfig, Summary, option
from trainlab.lab.noise import Spread, compare, order, seeds

NAME = "adagrad-fade"
TITLE = "AdaGrad steps fade, RMSProp steps do not"
BOOK = "Deep Learning from Scratch"
SECTION = "6.1.5 AdaGrad (and Hands-On ML 11.3.3-4, AdaGrad and RMSProp)"
FIGURE = ""
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "AdaGrad adds up every squared gradient, so its step size can only shrink and, trained long enough, it "
    "stops updating at all; RMSProp keeps a decaying average of recent squared gradients, so its steps do not "
    "fade. Hands-On ML rates AdaGrad fast to converge but poor in quality (it often stops too early, before the "
    "optimum) and advises against it for deep nets."
)
DESCRIPTION = (
    "AdaGrad divides η by √h, where h sums every squared gradient seen so far, so each parameter's "
    "effective step η/(√h + ε) can only shrink; RMSProp lets h forget (h ← rho·h + (1 - rho)·g²), so the step "
    "follows the recent gradients. Measured on the book's MNIST net (784-100x4-10 ReLU, He init, batches "
    "of 128 drawn at random, 2000 iterations, η = 0.01 for every optimizer, the textbook's defaults): the "
    "median effective step over all weights and the distance the weights travel per step, every 20 "
    "steps, for AdaGrad and RMSProp with rho = 0.9, 0.99 and the notes' 0.5, over several seeds. And on "
    "a long 2-D run: 1000 steps with η = 0.1 on the book's f(x, y) = x²/20 + y² from (-7, 2). Where a "
    "weight's gradients have become 0 (dead units, always-blank pixels), RMSProp's h decays to 0 and its "
    "effective step grows towards η/ε = 1e5: the distance the weights travel per step is the robust measure."
)

OPTIMIZERS = ("adagrad", "rmsprop:0.9", "rmsprop:0.99", "rmsprop:0.5")


def check_spec(spec: str) -> None:
    """Only AdaGrad and RMSProp keep the h whose effective step is measured."""
    name, _, rho = spec.partition(":")
    if name not in ("adagrad", "rmsprop") or (rho and not 0 <= float(rho) < 1) or (name == "adagrad" and rho):
        raise ValueError("use adagrad or rmsprop:rho with 0 <= rho < 1")


@dataclass
class Config(ExperimentConfig):
    optimizers: tuple[str, ...] = option(OPTIMIZERS, check=check_spec)  # "adagrad" or "rmsprop:ρ"
    hidden: tuple[int, ...] = option((100, 100, 100, 100), ge=1)
    lr: float = option(0.01, gt=0)
    batch_size: int = option(128, ge=1)
    iterations: int = option(2000, ge=1)
    record_every: int = option(20, ge=1)
    repeats: int = option(3, ge=1)
    final_window: int = option(100, ge=1)
    lr_2d: float = option(0.1, gt=0)
    steps_2d: int = option(1000, ge=1)
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    QUICK: ClassVar[dict[str, Any]] = dict(hidden=(32, 32), iterations=200, record_every=20, repeats=2,
                                           final_window=40, steps_2d=300, train_samples=2000, test_samples=500)


@dataclass
class Run:
    optimizer: str
    seed: int
    steps: list[int]  # when the measurements below were taken
    median_step: list[float]  # median over all weights of η/(√h + ε)
    travel: list[float]  # ‖θ_now - θ_before‖ / record_every: the distance moved per step
    step_loss: list[float]
    final_loss: float
    test_accuracy: float


@dataclass
class Result:
    dataset: str
    iterations: int
    lr: float
    lr_2d: float
    optimizers: list[str]
    runs: list[Run]
    paths: list[list[list[float]]]  # [optimizer][step] the (x, y) of the 2-D run
    changed: list[str] = field(default_factory=list)  # settings that differ from the full-size ones


def make_optimizer(spec: str, lr: float) -> tl.Optimizer:
    name, _, rho = spec.partition(":")
    return tl.get_optimizer(name, lr=lr, **({"rho": float(rho)} if rho else {}))


def label(spec: str) -> str:
    name, _, rho = spec.partition(":")
    return "AdaGrad" if name == "adagrad" else f"RMSProp rho={rho}" if rho else name


def median_step(optimizer: tl.Optimizer) -> float:
    """The median over every parameter entry of η/(√h + ε), h the optimizer's sum (or average) of g²."""
    h = np.concatenate([state["h"].ravel() for state in optimizer.state.values()])
    return float(np.median(optimizer.lr / (np.sqrt(h) + optimizer.eps)))


def train(spec: str, seed: int, config: Config, data) -> Run:
    """The textbook's loop (a batch drawn at random, gradient, update), measured every ``record_every`` steps."""
    model = mlp(config.hidden, init="he_normal", seed=seed)
    optimizer, params = make_optimizer(spec, config.lr), model.params
    batches = np.random.default_rng(seed)
    steps, medians, travel, losses = [], [], [], []
    before = np.concatenate([p.ravel() for p in params.values()])
    for step in range(1, config.iterations + 1):
        index = batches.choice(len(data.x_train), config.batch_size)
        losses.append(tl.train_step(model, optimizer, data.x_train[index], data.y_train[index]))
        if step % config.record_every == 0 or step == config.iterations:
            after = np.concatenate([p.ravel() for p in params.values()])
            travel.append(float(np.linalg.norm(after - before)) / (step - (steps[-1] if steps else 0)))
            steps.append(step)
            medians.append(median_step(optimizer))
            before = after
    final = float(np.mean(losses[-config.final_window:]))
    return Run(spec, seed, steps, medians, travel, losses, final, model.accuracy(data.x_test, data.y_test))


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    runs = [train(spec, seed, config, data)
            for seed in progress(seeds(config.seed, config.repeats), "seeds") for spec in config.optimizers]
    paths = [optimizer_path(make_optimizer(spec, config.lr_2d), config.steps_2d).tolist()
             for spec in config.optimizers]
    return Result(data.name, config.iterations, config.lr, config.lr_2d, list(config.optimizers), runs,
                  paths, changed=departures(config))


# -- summary ------------------------------------------------------------------------------------------------
def runs_of(result: Result, spec: str) -> list[Run]:
    return [r for r in result.runs if r.optimizer == spec]


def growth(run: Run) -> float:
    """The median effective step at the end over that at the first measurement (< 1: it faded)."""
    return run.median_step[-1] / run.median_step[0]


def distance(path: list[list[float]], step: int) -> float:
    return float(np.hypot(*path[min(step, len(path) - 1)]))


def fade_verdict(result: Result) -> list[str]:
    """The books: AdaGrad's effective step keeps shrinking, RMSProp's does not."""
    others = [s for s in result.optimizers if s != "adagrad"]
    if "adagrad" not in result.optimizers or not others:
        return []
    adagrad = [growth(r) for r in runs_of(result, "adagrad")]
    verdicts = {s: order(adagrad, [growth(r) for r in runs_of(result, s)]) for s in others}
    shrank = Spread.of(adagrad).text(3)
    if all(v < 0 for v in verdicts.values()) and max(adagrad) < 1:
        return [f"As in the book, AdaGrad's effective step shrank (to {shrank} of its first value) while that of "
                f"{', '.join(label(s) for s in others)} did not fall as far, beyond the seed-to-seed noise."]
    if any(v > 0 for v in verdicts.values()) or max(adagrad) >= 1:
        return [f"Unlike the book, AdaGrad's effective step (last / first {shrank}) did not shrink more than that "
                f"of {', '.join(label(s) for s, v in verdicts.items() if v >= 0)}."]
    return [f"AdaGrad's effective step shrank to {shrank} of its first value, but its difference from "
            f"{', '.join(label(s) for s, v in verdicts.items() if v == 0)} is within the seed-to-seed noise: the "
            "book's claim that only AdaGrad's step fades is not tested by a run this size."]


def stall_conclusions(result: Result) -> list[str]:
    """The books' warning that AdaGrad stops too early: on the MNIST net, and on the long 2-D run."""
    others = [s for s in result.optimizers if s != "adagrad"]
    if "adagrad" not in result.optimizers or not others:
        return []
    adagrad = [r.final_loss for r in runs_of(result, "adagrad")]
    beaten = [s for s in others if order(adagrad, [r.final_loss for r in runs_of(result, s)]) > 0]
    ahead = [s for s in others if order(adagrad, [r.final_loss for r in runs_of(result, s)]) < 0]
    lines = []
    if beaten:
        lines.append(f"As in the book, AdaGrad stalled on the MNIST net: its loss ended above that of "
                     f"{', '.join(label(s) for s in beaten)}, beyond the seed-to-seed noise.")
    if ahead:
        lines.append(f"Unlike the book, within {result.iterations} steps on the MNIST net AdaGrad's fading steps did "
                     f"not stall it: its loss ended below that of {', '.join(label(s) for s in ahead)} at the same "
                     f"η = {result.lr:g}, beyond the seed-to-seed noise. Likely cause: {result.iterations} steps are "
                     "too few for AdaGrad's sum h to stop it, while RMSProp's steps η/√(mean g²) stay large and "
                     "noisy at this η.")
    if not beaten and not ahead:
        lines.append(f"AdaGrad's final loss on the MNIST net is within the seed-to-seed noise of the others', so "
                     f"the book's warning that it stops too early is not tested by a run of {result.iterations} steps.")
    steps = len(result.paths[0]) - 1
    adagrad_2d = distance(result.paths[result.optimizers.index("adagrad")], steps)
    best = min(others, key=lambda s: distance(result.paths[result.optimizers.index(s)], steps))
    best_2d = distance(result.paths[result.optimizers.index(best)], steps)
    if adagrad_2d > 10 * best_2d:
        lines.append(f"As in the book, AdaGrad stalled on the long 2-D run: after {steps} steps it was still "
                     f"{adagrad_2d:.3g} from the minimum, where {label(best)} was {best_2d:.2g} from it.")
    else:
        lines.append(f"Unlike the book, AdaGrad did not stall on the long 2-D run: after {steps} steps it was "
                     f"{adagrad_2d:.3g} from the minimum, {label(best)} {best_2d:.2g} (η = {result.lr_2d:g} is large "
                     "enough for AdaGrad's shrinking steps to arrive).")
    return lines


def summarize(result: Result) -> Summary:
    rows, conclusions = [], []
    for spec, path in zip(result.optimizers, result.paths, strict=True):
        runs = runs_of(result, spec)
        rows.append([label(spec), Spread.of([growth(r) for r in runs]).text(3),
                     Spread.of([r.travel[-1] / r.travel[0] for r in runs]).text(3),
                     Spread.of([r.final_loss for r in runs]).text(), Spread.of([r.test_accuracy for r in runs]).text(),
                     distance(path, 100), distance(path, len(path) - 1)])
    growths = {spec: np.mean([growth(r) for r in runs_of(result, spec)]) for spec in result.optimizers}
    conclusions.append(
        f"Over {result.iterations} steps on {result.dataset} the median effective step η/(√h + ε) ended at "
        + ", ".join(f"{growths[s]:.3g} times its value at step {result.runs[0].steps[0]} with {label(s)}"
                    for s in result.optimizers) + " (mean over seeds)."
    )
    faded = [label(s) for s in result.optimizers if growths[s] < 1]
    if faded:
        conclusions.append(f"Only {', '.join(faded)} ended with smaller effective steps than it started with."
                           if len(faded) < len(result.optimizers) else "Every optimizer's effective step shrank.")
    steps_2d = len(result.paths[0]) - 1
    conclusions.append(
        f"On x²/20 + y² with η = {result.lr_2d:g} the distance to the minimum after {steps_2d} steps was "
        + ", ".join(f"{distance(p, steps_2d):.3g} with {label(s)}" for s, p in zip(result.optimizers, result.paths,
                                                                                    strict=True)) + "."
    )
    if "adagrad" in result.optimizers:
        adagrad = [r.final_loss for r in runs_of(result, "adagrad")]
        for spec in (s for s in result.optimizers if s != "adagrad"):
            conclusions.append(compare("AdaGrad", adagrad, label(spec), [r.final_loss for r in runs_of(result, spec)],
                                       f"Training loss (mean of the last steps) after {result.iterations} steps",
                                       higher_is_better=False))
    conclusions += fade_verdict(result) + stall_conclusions(result)
    headers = ["optimizer", "effective step: last / first", "distance per step: last / first", "final loss",
               "test accuracy", "2-D distance after 100 steps", f"after {steps_2d} steps"]
    return Summary(headers, rows, conclusions, settings_note(result.changed))


def plot(result: Result) -> dict[str, plt.Figure]:
    figure, axes = plt.subplots(1, 4, figsize=(20, 4.6), layout="constrained")
    for index, spec in enumerate(result.optimizers):
        runs = runs_of(result, spec)
        style = dict(color=f"C{index}", label=label(spec))
        axes[0].loglog(runs[0].steps, np.mean([r.median_step for r in runs], axis=0), **style)
        axes[1].loglog(runs[0].steps, np.mean([r.travel for r in runs], axis=0), **style)
        axes[2].plot(smooth(np.mean([r.step_loss for r in runs], axis=0), 51), **style)
        path = np.array(result.paths[index])
        axes[3].plot(path[:, 0], path[:, 1], marker=".", markersize=2, linewidth=0.8, **style)
    axes[0].set(xlabel="step", ylabel="median η/(√h + ε)", title="Effective step size (mean over seeds)")
    axes[1].set(xlabel="step", ylabel="‖Δθ‖ per step", title="Distance the weights travel per step")
    axes[2].set(xlabel="step", ylabel="training loss (smoothed)", title=f"Loss on {result.dataset}, η = {result.lr:g}",
                ylim=(0, 2.5))
    x, y = np.meshgrid(np.linspace(-8, 8, 200), np.linspace(-3, 3, 120))
    axes[3].contour(x, y, x**2 / 20 + y**2, levels=12, colors="0.8", linewidths=0.6)
    axes[3].set(xlabel="x", ylabel="y", title=f"{len(result.paths[0]) - 1} steps on x²/20 + y², η = {result.lr_2d:g}",
                yticks=range(-2, 3))  # no y tick label in the corner, where it would meet the first x tick label
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize="small")
    for axis in (axes[0].xaxis, axes[0].yaxis, axes[1].xaxis, axes[1].yaxis):
        axis.set_minor_formatter(NullFormatter())  # labelled minor ticks of a short log range run into each other
    return {"adagrad_fade": figure}
