"""Figure helpers the lessons share: a colour and a marker for each of up to 12 settings, curves
averaged over seeds with their spread, and legends that stay off the data.

Colours: the Okabe-Ito palette (:data:`trainlab.figures.OKABE_ITO`, safe for the common forms of
colour blindness) without its yellow, which is faint on white, then five of Paul Tol's "muted"
colours; markers differ too, so that curves stay apart in grey print.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from trainlab.figures import OKABE_ITO
from trainlab.lab.data import smooth

COLORS = (
    *(c for c in OKABE_ITO if c != "#F0E442"),
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#661100",
)
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*", "h", "<", ">", "p")


def style(index: int) -> dict[str, Any]:
    """The colour and marker of the ``index``-th setting (12 distinct ones, then they repeat)."""
    return {"color": COLORS[index % len(COLORS)], "marker": MARKERS[index % len(MARKERS)]}


def styles(settings: Sequence[str]) -> dict[str, dict[str, Any]]:
    """:func:`style` for each setting, in order."""
    return {setting: style(i) for i, setting in enumerate(settings)}


def figure(
    columns: int = 1, rows: int = 1, *, width: float = 6.0, height: float = 4.2
) -> tuple[Figure, Any]:
    """A figure of ``rows`` × ``columns`` panels (constrained layout) and its axes."""
    fig = Figure(figsize=(width * columns, height * rows), layout="constrained")
    return fig, fig.subplots(rows, columns, squeeze=False) if rows * columns > 1 else fig.subplots()


def mean_curve(
    ax: Any,
    curves: np.ndarray,
    *,
    x: np.ndarray | None = None,
    window: int = 1,
    label: str = "",
    markevery: int | None = None,
    band: bool = True,
    **line: Any,
) -> None:
    """The mean over seeds of ``curves`` (one row per seed), smoothed over ``window`` points, with
    the range of the seeds as a faint band. A seed that broke off (its row ends in NaN: it diverged)
    ends the mean there, and its last finite point is marked with a cross, so a diverging run stays
    visible."""
    curves = np.atleast_2d(np.asarray(curves, dtype=np.float64))
    if curves.size == 0:
        return
    x = np.arange(1, curves.shape[1] + 1) if x is None else np.asarray(x)
    rows = np.array([smooth(row, window) for row in curves])
    with (
        warnings.catch_warnings()
    ):  # columns where every seed has broken off are NaN: nothing to draw there
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = rows.mean(axis=0)
        low, high = np.nanmin(rows, axis=0), np.nanmax(rows, axis=0)
    count = max(1, len(mean) // 12)
    drawn = ax.plot(
        x, mean, label=label, markevery=markevery or count, markersize=4, linewidth=1.4, **line
    )
    colour = drawn[0].get_color()
    if band and len(rows) > 1:
        ax.fill_between(x, low, high, alpha=0.15, linewidth=0, color=colour)
    for row in curves:
        finite = np.flatnonzero(np.isfinite(row))
        if len(finite) and finite[-1] < len(row) - 1:  # broke off before the end
            ax.plot(
                x[finite[-1]],
                row[finite[-1]],
                marker="x",
                markersize=9,
                linestyle="none",
                color=colour,
            )
        elif not len(finite):  # diverged at the first step: a cross at the start
            ax.plot(
                x[0],
                np.nanmax(curves) if np.isfinite(curves).any() else 0.0,
                marker="x",
                markersize=9,
                linestyle="none",
                color=colour,
            )


def legend_outside(ax: Any, **options: Any) -> None:
    """The legend to the right of the axes, where it hides no data."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, frameon=False, **options
        )


def path_2d(
    ax: Any, path: Any, box: tuple[float, float, float, float], *, label: str = "", **line: Any
) -> int:
    """A path of points (x, y) drawn on ``ax`` while it stays inside ``box`` = (x_min, x_max, y_min,
    y_max) and finite, plus the step that leaves the box (clipped at the axes' edge, so its
    direction shows); the last point inside is marked with a large cross when the path went on
    beyond it, so that a path that runs away (a diverging learning rate) stays visible. Returns how
    many of its points lie inside, in a row."""
    path = np.asarray(path, dtype=np.float64).reshape(-1, 2)
    finite = np.isfinite(path).all(axis=1)
    with np.errstate(invalid="ignore"):
        inside = (
            finite
            & (path[:, 0] >= box[0])
            & (path[:, 0] <= box[1])
            & (path[:, 1] >= box[2])
            & (path[:, 1] <= box[3])
        )
    shown = len(path) if inside.all() else int(np.argmin(inside))
    end = shown + 1 if shown < len(path) and finite[shown] else shown
    drawn = ax.plot(path[:end, 0], path[:end, 1], label=label, **line)
    if 0 < shown < len(path):
        ax.plot(
            *path[shown - 1],
            marker="x",
            markersize=11,
            markeredgewidth=2,
            linestyle="none",
            color=drawn[0].get_color(),
        )
    return shown


def plain_log_ticks(axis: Any, subs: Sequence[float] = (1.0,)) -> None:
    """Tick labels of a log-scale ``axis`` (``ax.xaxis``) as plain numbers (100, 1,000), not 10² or
    2×10¹, at ``subs`` times each power of ten ((1, 2, 5) for an axis that spans a decade or two),
    and no labels on the minor ticks, where they would run into each other."""
    axis.set_major_locator(LogLocator(subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.10g}"))
    axis.set_minor_formatter(NullFormatter())


def strip(
    ax: Any,
    values: dict[str, Sequence[float]],
    labels: dict[str, str],
    styles: dict[str, dict[str, Any]],
) -> None:
    """One column per setting: its seeds' values as dots and their mean as a bar (a measure's spread
    at a glance, where a claim compares settings); NaN values are left out."""
    for column, (setting, numbers) in enumerate(values.items()):
        numbers = np.asarray(numbers, dtype=float)
        ax.plot(
            np.full(len(numbers), column), numbers, linestyle="none", alpha=0.5, **styles[setting]
        )
        if np.isfinite(numbers).any():
            ax.plot(column, np.nanmean(numbers), marker="_", markersize=18, color="black")
    ax.set_xticks(range(len(values)), [labels[s] for s in values], rotation=45, ha="right")


def panels(
    count: int, columns: int, *, width: float = 3.2, height: float = 2.6
) -> tuple[Figure, list[Any]]:
    """A figure of ``count`` panels, ``columns`` to a row (fewer if there are fewer panels), and its
    first ``count`` axes in reading order; the cells left over in the last row are hidden."""
    columns = max(1, min(columns, count))
    fig = Figure(figsize=(width * columns, height * -(-count // columns)), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(-(-count // columns), columns, squeeze=False)).ravel())
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, axes[:count]


def range_bars(
    ax: Any, x: np.ndarray, values: Sequence[np.ndarray], **options: Any
) -> list[np.ndarray]:
    """Each array of ``values`` (one per x) as its mean with an error bar over its range (min to max); an
    empty array is a NaN mean. Returns the bars' lows and highs, for scaling the axis to what it shows."""
    means = np.array([v.mean() if v.size else np.nan for v in values])
    low = np.array([v.min() if v.size else np.nan for v in values])
    high = np.array([v.max() if v.size else np.nan for v in values])
    ax.errorbar(
        x,
        means,
        yerr=[np.nan_to_num(means - low), np.nan_to_num(high - means)],
        capsize=3,
        linestyle="none",
        **options,
    )
    return [low, high]


def setting_bars(
    ax: Any,
    runs: Any,
    series: dict[str, str],
    label: Callable[[str], str] = str,
    *,
    step: float = 0.12,
) -> list[np.ndarray]:
    """Each of ``series`` (a run's key: its name in the legend) as :func:`range_bars` of its seeds'
    values, one group of bars per setting: the series side by side, ``step`` apart, centred on the
    setting's tick (labelled ``label(setting)``). Returns the bars' lows and highs, to scale the
    axis to them."""
    x, shown = np.arange(len(runs.settings)), []
    for i, (key, name) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * step
        values = [runs.values(setting, key) for setting in runs.settings]
        shown += range_bars(ax, x + offset, values, label=name, **style(i))
    ax.set_xticks(x, [label(setting) for setting in runs.settings])
    ax.set_xlim(-0.5, len(x) - 0.5)
    return shown


def against(
    ax: Any, x: Sequence[float], y: Sequence[float], *, margin: float = 0.02, **options: Any
) -> None:
    """One point per pair (``x[i]``, ``y[i]``) against the diagonal y = x (above it: y is the larger),
    both axes over the same span, the points' range widened by ``margin`` on either side;
    ``options`` go to ``ax.scatter``."""
    ax.scatter(x, y, **options)
    if len(x):
        low, high = min(*x, *y) - margin, max(*x, *y) + margin
        ax.plot([low, high], [low, high], color="0.6", linewidth=0.8)
        ax.set(xlim=(low, high), ylim=(low, high))


def watched_curve(ax: Any, runs: Any, setting: str, key: str, **options: Any) -> np.ndarray:
    """A curve that :func:`trainlab.lab.nets.watch` records (``key``: train, test, a loss) of every
    seed of ``setting``, as its :func:`mean_curve` (``options``) against the epochs of the
    measurements (those of the longest run: a diverged one stops early). Returns the curves, one
    row per seed, to scale the axis to them."""
    epochs = np.array(max((run["epochs"] for run in runs.of(setting)), key=len))
    curves = runs.curves(setting, key)
    mean_curve(ax, curves, x=epochs, **options)
    return curves


def seed_lines(
    ax: Any, runs: Any, setting: str, x: str, y: str, *, label: str = "", **line: Any
) -> list[Sequence[float]]:
    """Every seed's run of ``setting`` as a line of its own, ``run[y]`` against ``run[x]`` (the
    first one labelled ``label``: once in the legend). Returns the ``run[y]`` drawn, to scale the
    axis to them."""
    for k, run in enumerate(runs.of(setting)):
        ax.plot(run[x], run[y], label=label if k == 0 else None, **line)
    return [run[y] for run in runs.of(setting)]


def setting_curves(ax: Any, runs: Any, key: str, label: Any = str) -> list[np.ndarray]:
    """Each setting's per-epoch curve ``key`` (its seeds' mean and range, :func:`mean_curve`) against
    epochs 1, 2, ..., labelled ``label(setting)``; returns the curves drawn, to scale the axis to them."""
    colours, shown = styles(runs.settings), []
    for setting in runs.settings:
        shown.append(runs.curves(setting, key))
        epochs = np.arange(1, shown[-1].shape[1] + 1)
        mean_curve(ax, shown[-1], x=epochs, label=label(setting), **colours[setting])
    return shown


# The optimizers' names as the books print them (the lessons that compare update rules share them).
OPTIMIZER_LABELS = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
    "adamax": "AdaMax",
    "nadam": "Nadam",
    "adamw": "AdamW",
    "adadelta": "Adadelta",
    "amsgrad": "AMSGrad",
    "radam": "RAdam",
    "lion": "Lion",
}


def labeller(labels: dict[str, str]) -> Callable[[str], str]:
    """A lesson's ``label`` hook: a setting's name in ``labels``, or the setting itself where it has none."""
    return lambda setting: labels.get(setting, setting)


def finish(
    ax: Any,
    *,
    legend: bool = True,
    fontsize: str | None = "small",
    grid: str = "both",
    which: str = "major",
    **settings: Any,
) -> None:
    """A panel's last touches: ``ax.set(**settings)``, a light grid (on the ``grid`` axis: both, x
    or y; at the ``which`` ticks: major, minor or both) and (``legend``) the legend outside the axes
    at ``fontsize``."""
    ax.set(**settings)
    ax.grid(alpha=0.3, axis=grid, which=which)
    if legend:
        legend_outside(ax, fontsize=fontsize)
