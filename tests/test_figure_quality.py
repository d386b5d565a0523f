"""Every lesson's figures, drawn from its --quick run in each style: accuracy axes from a stated
floor, no text below the style's minimum, no titles or labels running into a neighbour's (the
numbers read back from metrics.json: tests/test_lessons.py).

The quick runs come from the session's ``quick_results`` (tests/conftest.py): trained once, drawn here.
"""

import re
from itertools import combinations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from tune_helpers import tiny

from trainlab.figures import STYLES, accuracy_axis, close_figures, figure_style, min_text_size
from trainlab.lab.lesson import lesson_module, list_lessons
from trainlab.tune import run_search
from trainlab.tune.report import FIGURES as TUNE_FIGURES

EXPERIMENTS = list_lessons()
ACCURACY = re.compile(r"accuracy", re.IGNORECASE)
DIFFERENCE = re.compile(
    r"gap| - |\u2212|difference", re.IGNORECASE
)  # a difference of accuracies, not an accuracy


@pytest.fixture(scope="module")
def drawn(quick_results):
    """(name, style) -> the experiment's figures drawn in that style, rendered once (canvas.draw)."""
    cache = {}

    def figures(name: str, style: str) -> dict[str, Figure]:
        if (name, style) not in cache:
            with figure_style(style):
                cache[name, style] = lesson_module(name).plot(quick_results[name])
                close_figures(
                    cache[name, style].values()
                )  # out of pyplot's keeping (closing resets the canvas)
                for figure in cache[name, style].values():
                    render(figure)
        return cache[name, style]

    return figures


def render(figure: Figure) -> None:
    """Draw ``figure`` with Agg, as saving it does: the layout is done, the tick labels exist, and
    the texts' window extents can be measured."""
    FigureCanvasAgg(figure).draw()


@pytest.fixture(scope="module")
def search():
    """A search of seconds, for the figures of `trainlab tune` (Optuna's among them)."""
    return run_search(tiny(trials=4))


# ---------------------------------------------------------------------------------------------- accuracy axes


def test_accuracy_axis_spans_the_data_and_marks_chance_where_it_matters():
    figure = Figure()
    ax = figure.subplots()
    low, high = accuracy_axis(ax, [[0.88, 0.91], [0.9, np.nan]], label="test accuracy")
    assert low == pytest.approx(0.875) and high == pytest.approx(
        0.915
    )  # the data and a margin (at least 0.5 %)
    assert ax.get_ylabel() == "test accuracy" and not ax.lines  # chance (0.1) far below: not drawn
    low, high = accuracy_axis(ax, [0.5, [0.09, None]])
    assert (
        low == pytest.approx(0.049) and len(ax.lines) == 1
    )  # 0.1 inside the axis: a dotted line at chance
    assert ax.lines[0].get_ydata()[0] == pytest.approx(0.1)
    assert accuracy_axis(Figure().subplots(), [0.97, 0.97])[1] - 0.97 == pytest.approx(
        0.005
    )  # at least ±0.5 %
    low, _ = accuracy_axis(Figure().subplots(), [0.6, 0.7], classes=2, chance=True)
    assert low < 0.5  # asked for: the axis reaches down to a coin's 0.5


def accuracy_axes(figure: Figure) -> list:
    """The axes of ``figure`` that show accuracies: labelled so, or sharing the y axis of one that is."""
    labelled = [
        ax
        for ax in figure.axes
        if ACCURACY.search(ax.get_ylabel()) and not DIFFERENCE.search(ax.get_ylabel())
    ]
    return list(
        {id(s): s for ax in labelled for s in ax.get_shared_y_axes().get_siblings(ax)}.values()
    )


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_accuracy_axis_shows_all_its_data_within_0_and_1(name, drawn):
    for figure_name, figure in drawn(name, "paper").items():
        for ax in accuracy_axes(figure):
            low, high = ax.get_ylim()
            where = f"{name}/{figure_name} {ax.get_title()!r}"
            assert -1e-9 <= low < high <= 1.05, (
                f"{where}: the accuracy axis runs from {low:.3g} to {high:.3g}"
            )
            data = [
                y
                for line in ax.lines
                for y in np.asarray(line.get_ydata(), dtype=float).ravel()
                if np.isfinite(y) and 0 <= y <= 1
            ]
            if data:
                assert low <= min(data) + 1e-9 and max(data) - 1e-9 <= high, (
                    f"{where}: data cut off"
                )


def test_the_experiments_show_accuracy_axes(drawn):
    """The check above is not vacuous: most experiments plot accuracies, and it finds their axes."""
    found = [
        name for name in EXPERIMENTS if any(accuracy_axes(f) for f in drawn(name, "paper").values())
    ]
    assert len(found) >= 15 and {"optimizer-table", "regularization"} <= set(found)


# ---------------------------------------------------------------------------------------------- text


def tick_labels(ax) -> list[Text]:
    """The tick labels ``ax`` draws: visible and non-empty, of the ticks in view (matplotlib keeps
    Tick objects beyond those, which it does not draw; ``_update_ticks`` is what its own drawing
    code asks)."""
    if not (ax.axison and ax.get_visible()):
        return []
    return [
        label
        for axis in (ax.xaxis, ax.yaxis)
        for tick in axis._update_ticks()
        for label in (tick.label1, tick.label2)
        if label.get_visible() and label.get_text().strip()
    ]


def shown_texts(figure: Figure) -> list[Text]:
    """The non-empty Text artists a rendering of ``figure`` shows (tick labels in view, axes switched on)."""
    ticks, hidden = set(), set()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks |= {
                id(t)
                for tick in axis.get_major_ticks() + axis.get_minor_ticks()
                for t in (tick.label1, tick.label2)
            }
            if not ax.axison or not ax.get_visible():
                hidden |= {id(axis.label), id(axis.offsetText)}
    ticks -= {id(t) for ax in figure.axes for t in tick_labels(ax)}
    texts = {id(t): t for t in figure.findobj(Text)}
    return [
        t
        for key, t in texts.items()
        if key not in hidden | ticks
        and t.get_visible()
        and t.get_text().strip()
        and (t.axes is None or t.axes.get_visible())
    ]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_no_text_is_smaller_than_the_styles_minimum(name, style, drawn):
    smallest = min_text_size(style)
    for figure_name, figure in drawn(name, style).items():
        texts = shown_texts(figure)
        assert texts, f"{name}/{figure_name}: no text found"
        small = sorted(
            {
                (round(t.get_fontsize(), 1), t.get_text()[:30])
                for t in texts
                if t.get_fontsize() < smallest
            }
        )
        assert not small, f"{name}/{figure_name} ({style}): text under {smallest:g} pt: {small[:6]}"


@pytest.mark.parametrize("style", STYLES)
def test_the_searchs_figures_keep_to_the_minimum_text_size(search, style):
    with figure_style(style):
        figures = {name: draw(search, 4) for name, (_, draw) in TUNE_FIGURES.items()}
    for name, figure in figures.items():
        render(figure)
        small = {
            (round(t.get_fontsize(), 1), t.get_text()[:30])
            for t in shown_texts(figure)
            if t.get_fontsize() < min_text_size(style)
        }
        assert not small, (
            f"tune/{name} ({style}): text under {min_text_size(style):g} pt: {sorted(small)[:6]}"
        )


# ---------------------------------------------------------------------------------------------- layout


def extents(ax, renderer) -> list[tuple[str, Bbox]]:
    """(what, window extent) of the title, axis labels and tick labels of ``ax`` as drawn."""
    if not ax.get_visible():
        return []
    parts = [
        (f"title {t.get_text()[:25]!r}", t) for t in (ax.title, ax._left_title, ax._right_title)
    ]
    if ax.axison:
        parts += [
            (f"{axis.axis_name}label {axis.label.get_text()[:25]!r}", axis.label)
            for axis in (ax.xaxis, ax.yaxis)
        ]
        parts += [(f"tick label {t.get_text()!r}", t) for t in tick_labels(ax)]
    return [
        (what, text.get_window_extent(renderer))
        for what, text in parts
        if text.get_visible() and text.get_text().strip()
    ]


def overlap(a: Bbox, b: Bbox) -> bool:
    """More than a pixel of ``a`` inside ``b`` each way (touching is not overlapping)."""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 1 and min(a.y1, b.y1) - max(a.y0, b.y0) > 1


def overlaps(figure: Figure) -> list[str]:
    """Every pair of texts of two axes that overlap, every text of one axes inside another's
    plotting area, and tick labels of one axis running into each other."""
    renderer = figure.canvas.get_renderer()
    axes = [ax for ax in figure.axes if ax.get_visible()]
    found = []
    texts = {ax: extents(ax, renderer) for ax in axes}
    for a, b in combinations(axes, 2):
        for (what_a, box_a), (what_b, box_b) in ((x, y) for x in texts[a] for y in texts[b]):
            if overlap(box_a, box_b):
                found.append(
                    f"{what_a} of {a.get_title()[:20]!r} and {what_b} of {b.get_title()[:20]!r}"
                )
        for first, second in ((a, b), (b, a)):
            area = second.get_window_extent(renderer)
            found += [
                f"{what} of {first.get_title()[:20]!r} inside the plot of {second.get_title()[:20]!r}"
                for what, box in texts[first]
                if overlap(box, area)
            ]
    for ax in axes:
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in tick_labels(ax)]
        found += [
            f"tick labels {x!r} and {y!r} of {ax.get_title()[:20]!r}"
            for (x, box_x), (y, box_y) in combinations(boxes, 2)
            if overlap(box_x, box_y)
        ]
    return found


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_titles_and_labels_of_neighbouring_axes_do_not_overlap(name, style, drawn):
    for figure_name, figure in drawn(name, style).items():
        found = overlaps(figure)
        assert not found, f"{name}/{figure_name} ({style}): {len(found)} overlaps: {found[:4]}"


def test_the_overlap_check_sees_an_overlap():
    figure = Figure(
        figsize=(4, 3)
    )  # two panels with long titles and labels, and no layout engine to part them
    left, right = figure.subplots(1, 2)
    for ax in (left, right):
        ax.set(
            title="a title that runs on and on", ylabel="a long label for the y axis", xlabel="x"
        )
    render(figure)
    assert overlaps(figure)
    figure.set_layout_engine("constrained")
    figure.set_size_inches(12, 3)
    render(figure)
    assert not overlaps(figure)
