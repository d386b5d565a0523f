"""Figure helpers the lessons share: a colour and a marker for each of up to 12 settings, curves averaged
over seeds with their spread, and legends that stay off the data.

Colours: the Okabe-Ito palette (:data:`trainlab.figures.OKABE_ITO`, safe for the common forms of colour
blindness) without its yellow, which is faint on white, then five of Paul Tol's "muted" colours; markers
differ too, so that curves stay apart in grey print.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from trainlab.figures import OKABE_ITO
from trainlab.lab.data import smooth

COLORS = (*(c for c in OKABE_ITO if c != "#F0E442"), "#882255", "#44AA99", "#999933", "#AA4499", "#661100")
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*", "h", "<", ">", "p")


def style(index: int) -> dict[str, Any]:
    """The colour and marker of the ``index``-th setting (12 distinct ones, then they repeat)."""
    return {"color": COLORS[index % len(COLORS)], "marker": MARKERS[index % len(MARKERS)]}


def styles(settings: Sequence[str]) -> dict[str, dict[str, Any]]:
    """:func:`style` for each setting, in order."""
    return {setting: style(i) for i, setting in enumerate(settings)}


def figure(columns: int = 1, rows: int = 1, *, width: float = 6.0, height: float = 4.2) -> tuple[Figure, Any]:
    """A figure of ``rows`` × ``columns`` panels (constrained layout) and its axes."""
    fig = Figure(figsize=(width * columns, height * rows), layout="constrained")
    return fig, fig.subplots(rows, columns, squeeze=False) if rows * columns > 1 else fig.subplots()


def mean_curve(ax: Any, curves: np.ndarray, *, x: np.ndarray | None = None, window: int = 1, label: str = "",
               markevery: int | None = None, band: bool = True, **line: Any) -> None:
    """The mean over seeds of ``curves`` (one row per seed), smoothed over ``window`` points, with the range
    of the seeds as a faint band. A seed that broke off (its row ends in NaN: it diverged) ends the mean
    there, and its last finite point is marked with a cross, so a diverging run stays visible."""
    curves = np.atleast_2d(np.asarray(curves, dtype=np.float64))
    if curves.size == 0:
        return
    x = np.arange(1, curves.shape[1] + 1) if x is None else np.asarray(x)
    rows = np.array([smooth(row, window) for row in curves])
    with warnings.catch_warnings():  # columns where every seed has broken off are NaN: nothing to draw there
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = rows.mean(axis=0)
        low, high = np.nanmin(rows, axis=0), np.nanmax(rows, axis=0)
    count = max(1, len(mean) // 12)
    drawn = ax.plot(x, mean, label=label, markevery=markevery or count, markersize=4, linewidth=1.4, **line)
    colour = drawn[0].get_color()
    if band and len(rows) > 1:
        ax.fill_between(x, low, high, alpha=0.15, linewidth=0, color=colour)
    for row in curves:
        finite = np.flatnonzero(np.isfinite(row))
        if len(finite) and finite[-1] < len(row) - 1:  # broke off before the end
            ax.plot(x[finite[-1]], row[finite[-1]], marker="x", markersize=9, linestyle="none", color=colour)
        elif not len(finite):  # diverged at the first step: a cross at the start
            ax.plot(x[0], np.nanmax(curves) if np.isfinite(curves).any() else 0.0, marker="x", markersize=9,
                    linestyle="none", color=colour)


def legend_outside(ax: Any, **options: Any) -> None:
    """The legend to the right of the axes, where it hides no data."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, frameon=False, **options)


def panels(count: int, columns: int, *, width: float = 3.2, height: float = 2.6) -> tuple[Figure, list[Any]]:
    """A figure of ``count`` panels, ``columns`` to a row (fewer if there are fewer panels), and its first
    ``count`` axes in reading order; the cells left over in the last row are hidden."""
    columns = max(1, min(columns, count))
    fig = Figure(figsize=(width * columns, height * -(-count // columns)), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(-(-count // columns), columns, squeeze=False)).ravel())
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, axes[:count]
