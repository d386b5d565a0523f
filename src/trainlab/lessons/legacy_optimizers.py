"""SGD, Momentum, AdaGrad and Adam (and the other optimizers) training the same MNIST network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from matplotlib.figure import Figure

from trainlab.lab.common import (
    ExperimentData,
    compare,
    departures,
    join_words,
    learned,
    learned_loss,
    load_data,
    loss_text,
    mlp,
    pm,
    progress,
    seed_list,
    settings_note,
    smooth,
)
from trainlab.lab.legacy import ExperimentConfig, Summary, option
from trainlab.optimizers import OPTIMIZERS
from trainlab.step import DivergenceError, train_step

NAME = "optimizers"
TITLE = "Optimizers on MNIST: training-loss curves"
BOOK = "Deep Learning from Scratch"
SECTION = "6.1.8 Comparing the update methods on MNIST"
FIGURE = "Figure 6-9"
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "SGD learns slowest and the other three faster, AdaGrad a little faster than the rest; a run of the "
    "book's script prints batch losses at iteration 1900 of SGD 0.149, Momentum 0.097, AdaGrad 0.020, "
    "Adam 0.042."
)
DESCRIPTION = (
    "The book's comparison of update rules (Deep Learning from Scratch 6.1.8, figure 6-9): one network, "
    "784-100-100-100-100-10 with ReLU and He initialisation, trained for 2000 iterations on mini-batches of "
    "128 drawn at random with replacement from MNIST's 60,000 training images, once per optimizer and seed. "
    "For one seed every optimizer starts from the same weights and sees the same batches, so the curves "
    "differ only by the update rule. Learning rates are the book's for its four (SGD 0.01, Momentum 0.01, "
    "AdaGrad 0.01, Adam 0.001); for the others of Hands-On ML's chapter 11 the usual defaults: Nesterov 0.01 "
    "(as Momentum), RMSProp and Nadam 0.001 (Keras's, Adam's rate, so that Nadam against Adam compares the "
    "rules alone), AdaMax 0.002 (its paper's), Adadelta 1.0 (PyTorch's scale of Zeiler's step), AMSGrad and "
    "RAdam 0.001 (Adam's), Lion 0.0003 (a third of Adam's, as its paper advises). Every step records two "
    "losses of its mini-batch: before the update (what trainlab's fit records: the net has not yet trained on "
    "that batch) and after it (what the book's script records). The book's figure plots the second, smoothed "
    "over 11 steps."
)

BOOK_FOUR = ("sgd", "momentum", "adagrad", "adam")
LABELS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad", "rmsprop": "RMSProp",
          "adam": "Adam", "adamax": "AdaMax", "nadam": "Nadam", "adamw": "AdamW", "adadelta": "Adadelta",
          "amsgrad": "AMSGrad", "radam": "RAdam", "lion": "Lion"}
MARKERS = {"sgd": "o", "momentum": "x", "adagrad": "s", "adam": "D", "nesterov": "+", "rmsprop": "v",
           "adamax": "^", "nadam": "P", "adamw": "*", "adadelta": "<", "amsgrad": ">", "radam": "h", "lion": "X"}
# Hands-On ML 11.3's claims that one pair of runs can test: (faster, slower, the book's words)
BOOK_PAIRS = (("nesterov", "momentum", "Nesterov momentum is generally faster than plain momentum"),
              ("nadam", "adam", "Nadam often converges slightly faster than Adam"))


def label(name: str) -> str:
    return LABELS.get(name, name)


@dataclass
class Config(ExperimentConfig):
    optimizers: tuple[str, ...] = option(
        ("sgd", "momentum", "adagrad", "adam", "nesterov", "rmsprop", "adamax", "nadam", "adadelta", "amsgrad",
         "radam", "lion"), choices=OPTIMIZERS.names)
    # the book's rates for its four; Nadam at Adam's 0.001 (Keras's), so that the two compare the rules alone
    learning_rates: tuple[float, ...] = option((0.01, 0.01, 0.01, 0.001, 0.01, 0.001, 0.002, 0.001, 1.0, 0.001,
                                                 0.001, 0.0003), gt=0, length_of="optimizers")
    hidden: tuple[int, ...] = option((100, 100, 100, 100), ge=1)
    batch_size: int = option(128, ge=1)
    iterations: int = option(2000, ge=1)
    seeds: int = option(3, ge=1)  # the book runs one; three give the noise every comparison is weighed against
    final_window: int = option(100, ge=1)  # the final loss is the mean of the last `final_window` step losses
    smoothing: int = option(11, ge=1)  # window of the moving average in the figure (the book's smooth_curve: 11)
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "iterations": 150, "final_window": 20, "seeds": 2}


@dataclass
class Run:
    """One network trained with one optimizer from one seed."""

    optimizer: str
    lr: float
    seed: int
    status: str  # "completed" or "diverged"
    loss_before: list[float]  # per step: the mini-batch's loss before the update (trainlab's fit records this)
    loss_after: list[float]  # the same mini-batch's loss after the update (the book's script records this)
    test_accuracy: float


def train(data: ExperimentData, optimizer: str, lr: float, *, hidden: Sequence[int], iterations: int,
          batch_size: int, seed: int, init: str | float = "he_normal") -> Run:
    """The book's loop: draw a batch, compute the gradient, update, and measure the batch's loss again.

    The seed fixes the initial weights and the batches, so runs of one seed differ only by the optimizer.
    """
    model = mlp(hidden, activation="relu", init=init, seed=seed)
    model.compile(optimizer, lr=lr)
    update = model.optimizer
    batches = np.random.default_rng(seed).integers(0, len(data.x_train), size=(iterations, batch_size))
    before, after, status = [], [], "completed"
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # divergence is reported, not warned
        for index in batches:
            x, t = data.x_train[index], data.y_train[index]
            try:
                before.append(train_step(model, update, x, t))  # the loss before the update
            except DivergenceError:  # a NaN/inf loss or gradient: nothing was updated
                status = "diverged"
                break
            after.append(float(model.loss(x, t)))  # the same batch's loss after it (the book's)
        accuracy = model.accuracy(data.x_test, data.y_test)
    return Run(optimizer, float(lr), seed, status, before, after, accuracy)


def train_all(data: ExperimentData, config: Config) -> list[Run]:
    if len(config.optimizers) != len(config.learning_rates):
        raise ValueError(f"optimizers ({len(config.optimizers)}) and learning_rates ({len(config.learning_rates)}) "
                         "must have the same length")
    repeated = [name for name in dict.fromkeys(config.optimizers) if config.optimizers.count(name) > 1]
    if repeated:  # the runs are told apart by the optimizer's name
        raise ValueError(f"optimizers={','.join(config.optimizers)} names {', '.join(repeated)} more than once; each "
                         "optimizer may appear once (compare its learning rates in separate runs with --set)")
    jobs = [(name, lr, seed) for seed in seed_list(config.seed, config.seeds)
            for name, lr in zip(config.optimizers, config.learning_rates, strict=True)]
    return [train(data, name, lr, hidden=config.hidden, iterations=config.iterations, batch_size=config.batch_size,
                  seed=seed) for name, lr, seed in progress(jobs, "optimizers")]


def final_loss(losses: Sequence[float], status: str, window: int) -> float:
    """The mean of the last ``window`` step losses; inf for a run that diverged."""
    if status == "diverged" or not losses:
        return math.inf
    with np.errstate(over="ignore"):
        return float(np.mean(losses[-window:]))


@dataclass
class Result:
    dataset: str
    optimizers: list[str]
    learning_rates: list[float]
    hidden: list[int]
    iterations: int
    batch_size: int
    final_window: int
    smoothing: int
    changed: list[str]  # settings that differ from the full-size ones
    runs: list[Run]  # per seed, per optimizer

    def of(self, optimizer: str) -> list[Run]:
        return [r for r in self.runs if r.optimizer == optimizer]

    def finals(self, optimizer: str, measure: str = "loss_after") -> list[float]:
        return [final_loss(getattr(r, measure), r.status, self.final_window) for r in self.of(optimizer)]

    def learned(self, optimizer: str) -> bool:
        """Whether every seed of ``optimizer`` learned (see :func:`trainlab.lab.common.learned`)."""
        return all(learned(loss, r.test_accuracy) for loss, r in zip(self.finals(optimizer, "loss_before"),
                                                                     self.of(optimizer), strict=True))


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, config.train_samples, config.test_samples)
    return Result(dataset=data.name, optimizers=list(config.optimizers),
                  learning_rates=[float(v) for v in config.learning_rates], hidden=list(config.hidden),
                  iterations=config.iterations, batch_size=config.batch_size, final_window=config.final_window,
                  smoothing=config.smoothing, changed=departures(config), runs=train_all(data, config))


# -- summary: a table, then one function per conclusion ------------------------------------------------------
def table(result: Result) -> tuple[list[str], list[list]]:
    window = result.final_window
    headers = ["optimizer", "learning rate", f"loss after the update (book; mean of last {window})",
               f"loss before the update (mean of last {window})", "test accuracy", "runs diverged"]
    rows = []
    for name, lr in zip(result.optimizers, result.learning_rates, strict=True):
        runs = result.of(name)
        diverged = sum(r.status == "diverged" for r in runs)
        rows.append([label(name), lr, finals_text(result.finals(name)), finals_text(result.finals(name, "loss_before")),
                     pm([r.test_accuracy for r in runs], 4, percent=True), f"{diverged} of {len(runs)}"])
    return headers, rows


def finals_text(values: Sequence[float]) -> str:
    """Mean ± sd of final losses, or what went wrong in one of the seeds."""
    if all(learned_loss(v) or (math.isfinite(v) and v < 10) for v in values):
        return pm(values)
    return loss_text(max(values, key=lambda v: v if math.isfinite(v) else math.inf))


def failures(result: Result) -> list[str]:
    """Optimizers that diverged or did not learn, named, so that no ranking below includes them."""
    lines = []
    for name, lr in zip(result.optimizers, result.learning_rates, strict=True):
        runs = result.of(name)
        diverged = [r.seed for r in runs if r.status == "diverged"]
        if diverged:
            lines.append(f"{label(name)} (η = {lr:g}) diverged (the loss became NaN or inf) with seed"
                         f"{'s' * (len(diverged) > 1)} {join_words([str(s) for s in diverged])}, so it is left out "
                         "of every comparison.")
        elif not result.learned(name):
            worst = max(result.finals(name, "loss_before"))
            lines.append(f"{label(name)} (η = {lr:g}) did not learn: its final loss was {loss_text(worst)}, not "
                         f"below a uniform guess's ln 10 = {math.log(10):.3f}, so it is left out of every comparison.")
    return lines


def sgd_slowest(result: Result) -> list[str]:
    """The book's lesson: SGD is the slowest of its four."""
    others = [n for n in BOOK_FOUR[1:] if n in result.optimizers and result.learned(n)]
    if "sgd" not in result.optimizers or not result.learned("sgd") or not others:
        return []
    fastest_other_slowest = max(others, key=lambda n: np.mean(result.finals(n)))
    c = compare(result.finals("sgd"), result.finals(fastest_other_slowest))
    seeds = len(result.of("sgd"))
    if c.real and c.difference > 0:
        return [f"As in the book, SGD was the slowest of its four: after {result.iterations} iterations its loss (the "
                f"book's measure, after the update; mean of the last {result.final_window} steps over {seeds} "
                f"seeds) was {pm(result.finals('sgd'))}, above {label(fastest_other_slowest)}'s "
                f"{pm(result.finals(fastest_other_slowest))}, the highest of the other three ({c.words()})."]
    return [f"Unlike the book, SGD was not clearly the slowest of its four: its final loss {pm(result.finals('sgd'))} "
            f"against {label(fastest_other_slowest)}'s {pm(result.finals(fastest_other_slowest))} ({c.words()})."]


def measure_flip(result: Result) -> list[str]:
    """AdaGrad against Adam by both measures: the book's (after the update) and trainlab's (before it)."""
    if not all(n in result.optimizers and result.learned(n) for n in ("adagrad", "adam")):
        return []
    lines, signs = [], []
    for measure, words in (("loss_after", "By the book's measure (the batch's loss after the update)"),
                           ("loss_before", "Measured before the update (on a batch the net has not trained on)")):
        adagrad, adam = result.finals("adagrad", measure), result.finals("adam", measure)
        c = compare(adagrad, adam)
        below = sum(a < b for a, b in zip(adagrad, adam, strict=True))
        low, high, count = ("AdaGrad", "Adam", below) if c.difference < 0 else ("Adam", "AdaGrad", len(adam) - below)
        lines.append(f"{words}, {low} ended below {high} in {count} of {len(adam)} seeds: AdaGrad {pm(adagrad)}, "
                     f"Adam {pm(adam)} ({c.words()}).")
        signs.append(np.sign(c.difference) if c.real else 0)
    if signs[0] and signs[1] and signs[0] != signs[1]:
        lines.append("So the ranking of AdaGrad and Adam flips with the moment the loss is measured: the loss after "
                     "the update also credits what the step has just fitted to that very batch. The book's figure "
                     "(AdaGrad lowest) uses that measure; on batches not yet trained on Adam is ahead.")
    return lines


def book_pairs(result: Result) -> list[str]:
    """Hands-On ML's claims about Nesterov and Nadam, tested on the loss before the update."""
    lines = []
    for fast, slow, claim in BOOK_PAIRS:
        if not all(n in result.optimizers and result.learned(n) for n in (fast, slow)):
            continue
        c = compare(result.finals(fast, "loss_before"), result.finals(slow, "loss_before"))
        if c.real:
            verdict = "agrees" if c.difference < 0 else "disagrees"
            outcome = f"{label(fast)} ended {'below' if c.difference < 0 else 'above'} {label(slow)}"
        else:
            verdict, outcome = "does not confirm it", f"{label(fast)} and {label(slow)} ended level"
        lines.append(f"Hands-On ML says {claim}; this run {verdict}: {outcome} after {result.iterations} "
                     f"iterations ({pm(result.finals(fast, 'loss_before'))} against "
                     f"{pm(result.finals(slow, 'loss_before'))}, before the update; {c.words()}).")
    return lines


def accuracy_range(result: Result) -> list[str]:
    learned = [n for n in result.optimizers if result.learned(n)]
    if not learned:
        return ["No optimizer learned with these settings."]
    means = {n: float(np.mean([r.test_accuracy for r in result.of(n)])) for n in learned}
    low, high = min(means, key=means.get), max(means, key=means.get)
    return [f"Test accuracy on the {result.dataset} test set after the last step ranged from {means[low]:.1%} "
            f"({label(low)}) to {means[high]:.1%} ({label(high)}), mean of the seeds."]


def same_start(result: Result) -> list[str]:
    firsts = {round(r.loss_before[0], 6) for r in result.runs if r.loss_before and r.seed == result.runs[0].seed}
    if len(firsts) != 1:
        return []
    return [f"For one seed every optimizer started from the same weights on the same first batch: the first loss "
            f"was {firsts.pop():.3f} for all {len(result.optimizers)}."]


def summarize(result: Result) -> Summary:
    headers, rows = table(result)
    conclusions = [*same_start(result), *failures(result), *sgd_slowest(result), *measure_flip(result),
                   *book_pairs(result), *accuracy_range(result)]
    return Summary(headers, rows, conclusions, settings_note(result.changed))


# -- figure ------------------------------------------------------------------------------------------------------
def mean_curve(result: Result, optimizer: str, measure: str) -> np.ndarray:
    """The smoothed loss averaged over the seeds that completed (empty if none did)."""
    curves = [smooth(getattr(r, measure), result.smoothing) for r in result.of(optimizer)
              if r.status == "completed" and r.loss_before]
    return np.mean(curves, axis=0) if curves else np.array([])


def plot_curves(ax, result: Result, names: Sequence[str], measure: str, log: bool = False) -> None:
    """Mean smoothed loss curves of ``names``; the y axis from 0 to 1 as in the book, or a log scale."""
    ends = []
    for name in names:
        curve = mean_curve(result, name, measure)
        lr = result.learning_rates[result.optimizers.index(name)]
        if not len(curve):
            ax.plot([], [], label=f"{label(name)} (η = {lr:g}): diverged")
            continue
        ends.append(curve[-1])
        ax.plot(np.arange(len(curve)), curve, marker=MARKERS.get(name, "."), markevery=max(1, len(curve) // 20),
                markersize=5, linewidth=1.2, label=f"{label(name)} (η = {lr:g})")
    if log:
        ax.set(xlabel="iterations", ylabel="loss (log scale)", yscale="log")
        ax.legend(loc="lower left", fontsize="small")
    else:
        top = float(np.clip(1.15 * max(ends, default=0.0), 1.0, 2.5))
        ax.set(xlabel="iterations", ylabel="loss", ylim=(0, top))
        ax.legend(loc="upper right", fontsize="small")


def plot(result: Result) -> dict[str, Figure]:
    seeds = len({r.seed for r in result.runs})
    four = [name for name in BOOK_FOUR if name in result.optimizers]
    panels = [("The book's four (the book's measure: loss after the update)", four, "loss_after", False)] if four \
        else []
    panels.append(("All optimizers, loss before the update, log scale", result.optimizers, "loss_before", True))
    figure = Figure(figsize=(6.8 * len(panels), 4.8), layout="constrained")
    for ax, (title, names, measure, log) in zip(figure.subplots(1, len(panels), squeeze=False).flat, panels,
                                                strict=True):
        plot_curves(ax, result, names, measure, log)
        ax.set_title(title, fontsize="medium")
    layers = "-".join(str(n) for n in [784, *result.hidden, 10])
    figure.suptitle(f"Training loss (smoothed over {result.smoothing} steps, mean of {seeds} seed"
                    f"{'s' * (seeds > 1)}), MLP {layers} ReLU, batch {result.batch_size}, on {result.dataset}")
    return {"loss_curves": figure}
