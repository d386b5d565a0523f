"""Figures of a search: the book's Best-N curves grid, the (lr, weight decay) scatter, and
Optuna's own parameter-importance and optimization-history plots.

Each function returns a :class:`matplotlib.figure.Figure` that no pyplot state holds on to (Optuna
draws through pyplot: its figures are closed there at once), so nothing needs a display;
``figure.savefig(path)`` renders it with Agg.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import optuna
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from optuna.importance import PedAnovaImportanceEvaluator
from optuna.visualization import matplotlib as optuna_plots

from trainlab.figures import accuracy_axis
from trainlab.tune.results import SearchResult, as_optuna_study, best_trials
from trainlab.tune.space import FloatRange, IntRange


def plot_best_curves(result: SearchResult, n: int = 20, cols: int = 5) -> Figure:
    """The book's Best-N grid: one panel per trial, best first, validation (solid) and training
    (dashed) accuracy per epoch, from chance level to 1 (:func:`trainlab.figures.accuracy_axis`).
    One axes per trial shown (fewer than ``n`` if fewer finished).
    """
    best = best_trials(result, n)
    if not best:
        raise ValueError("plot_best_curves: the search has no complete trial")
    cols = max(1, min(cols, len(best)))
    rows = math.ceil(len(best) / cols)
    figure = Figure(figsize=(2.6 * cols, 1.9 * rows + 0.9), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    for index, ax in enumerate(axes.flat):
        if index >= len(best):
            ax.remove()
            continue
        trial = best[index]
        epochs = np.arange(1, len(trial.val_accuracy) + 1)
        ax.plot(epochs, trial.val_accuracy, color="C0")
        ax.plot(epochs[: len(trial.train_accuracy)], trial.train_accuracy, "--", color="C1")
        ax.set_title(f"Best-{index + 1} (val acc {trial.value:.3f})", fontsize="medium")
        ax.text(
            0.03,
            0.96,
            trial.describe_params().replace(" ", "\n"),
            transform=ax.transAxes,
            fontsize="small",
            va="top",
            color="0.3",
        )  # top left: the curves start low
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    shown = [(trial.val_accuracy, trial.train_accuracy) for trial in best]
    for ax in axes[:, 0]:  # the panels share their y axis: one scale, stated on the left
        accuracy_axis(ax, shown, label="accuracy")
    handles = [Line2D([], [], color="C0"), Line2D([], [], color="C1", linestyle="--")]
    figure.legend(
        handles, ["validation accuracy", "training accuracy"], loc="outside lower center", ncols=2
    )
    figure.suptitle(
        f"Best {len(best)} of {len(result.complete)} trials by final validation accuracy "
        f"(x: epoch)",
        fontsize="medium",
    )
    return figure


def plot_scatter(
    result: SearchResult, x: str | None = None, y: str | None = None, top_k: int = 5
) -> Figure:
    """Validation accuracy (colour) over two searched parameters, log axes for log ranges.

    ``x`` and ``y`` default to lr and weight_decay when searched, else the first numeric parameters.
    With one numeric parameter the y axis is the validation accuracy itself. Complete trials are
    dots, pruned ones crosses (coloured by the last accuracy measured); the ``top_k`` best are
    ringed in red.
    """
    space = result.space()
    numeric = [dim.name for dim in space.searched if isinstance(dim, (FloatRange, IntRange))]
    if not numeric:
        raise ValueError("plot_scatter: the space has no numeric range to plot")
    x = x or ("lr" if "lr" in numeric else numeric[0])
    others = [name for name in numeric if name != x]
    y = y or ("weight_decay" if "weight_decay" in others else (others[0] if others else None))
    for name in (x, y):
        if name is not None and name not in space:
            raise ValueError(
                f"plot_scatter: {name!r} is not searched; searched: {', '.join(numeric)}"
            )
    figure = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = figure.add_subplot()
    shown = [
        t
        for t in result.finished
        if t.value is not None and x in t.params and (y is None or y in t.params)
    ]
    ys = (lambda ts: [t.params[y] for t in ts]) if y else (lambda ts: [t.value for t in ts])
    colours = {"cmap": "viridis", "vmin": 0.0, "vmax": 1.0}
    dots = None
    for state, marker in (("complete", "o"), ("pruned", "x")):
        group = [t for t in shown if t.state == state]
        if group:
            points = ax.scatter(
                [t.params[x] for t in group],
                ys(group),
                c=[t.value for t in group],
                marker=marker,
                s=28,
                label=f"{state} ({len(group)})",
                **colours,
            )
            dots = dots or points
    best = [t for t in best_trials(result, top_k) if t in shown]
    if best:
        ax.scatter(
            [t.params[x] for t in best],
            ys(best),
            s=140,
            facecolors="none",
            edgecolors="red",
            linewidths=1.2,
            label=f"top {len(best)}",
        )
    for name, axis in ((x, ax.xaxis), (y, ax.yaxis)):
        if name is not None:
            show_range(ax, axis, space[name])
    if y is None:
        accuracy_axis(ax, [t.value for t in shown], label="validation accuracy")
    elif dots is not None:
        figure.colorbar(dots, ax=ax, label="validation accuracy")
    ax.legend(loc="best")
    ax.set_title(
        f"{len(shown)} trials: validation accuracy over {x}" + (f" and {y}" if y else ""),
        fontsize="medium",
    )
    return figure


def show_range(ax, axis, dim: FloatRange | IntRange) -> None:
    """Label ``axis`` with the parameter and span its whole searched range (log scale for a log range)."""
    which = "x" if axis is ax.xaxis else "y"
    getattr(ax, f"set_{which}label")(dim.name)
    getattr(ax, f"set_{which}scale")("log" if dim.log else "linear")
    if dim.log:
        low, high = dim.low / 1.25, dim.high * 1.25
    else:
        margin = (dim.high - dim.low) * 0.04
        low, high = dim.low - margin, dim.high + margin
    getattr(ax, f"set_{which}lim")(low, high)


def plot_importances(result: SearchResult) -> Figure:
    """Optuna's parameter-importance bars: the share of the validation accuracy's variation each
    searched parameter explains, estimated by PED-ANOVA (NumPy only; Optuna's default, fANOVA, needs
    scikit-learn). Needs two complete trials.
    """
    return _from_optuna(
        result,
        lambda study: optuna_plots.plot_param_importances(
            study, evaluator=PedAnovaImportanceEvaluator(), target_name="validation accuracy"
        ),
    )


def plot_optimization_history(result: SearchResult) -> Figure:
    """Optuna's optimization history: each complete trial's validation accuracy and the best so far."""
    figure = _from_optuna(
        result,
        lambda study: optuna_plots.plot_optimization_history(
            study, target_name="validation accuracy"
        ),
    )
    accuracy_axis(figure.axes[0], [t.value for t in result.complete], label="validation accuracy")
    return figure


def _from_optuna(result: SearchResult, draw: Callable[[optuna.Study], Any]) -> Figure:
    if len(result.complete) < 2:
        raise ValueError(
            f"Optuna's figures need two complete trials; the search has {len(result.complete)}"
        )
    with (
        warnings.catch_warnings(),
        matplotlib.rc_context(),
    ):  # Optuna switches to ggplot's style: undone after
        warnings.simplefilter(
            "ignore", optuna.exceptions.ExperimentalWarning
        )  # "experimental" figures
        warnings.filterwarnings("ignore", message="The number of trials is too small")
        axes = draw(as_optuna_study(result))
    figure = axes.figure
    plt.close(figure)  # out of pyplot's keeping: the caller owns it, as the other figures here
    figure.set_layout_engine("constrained")
    in_our_sizes(axes)
    return figure


def in_our_sizes(ax) -> None:
    """Optuna's texts in the sizes of the style in force (it draws them in ggplot's, whatever the style)."""
    rc = matplotlib.rcParams
    ax.title.set_fontsize(rc["axes.titlesize"])
    for label in (ax.xaxis.label, ax.yaxis.label):
        label.set_fontsize(rc["axes.labelsize"])
    ax.tick_params(axis="x", labelsize=rc["xtick.labelsize"])
    ax.tick_params(axis="y", labelsize=rc["ytick.labelsize"])
    for text in ax.texts:  # the importances written beside the bars
        text.set_fontsize("small")
    if ax.get_legend() is not None:
        for text in ax.get_legend().get_texts():
            text.set_fontsize(rc["legend.fontsize"])
