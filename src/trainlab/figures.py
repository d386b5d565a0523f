"""How trainlab's figures look and are saved: file formats, resolution, a style for print or projection,
readable text, and accuracy axes that do not exaggerate.

Every style draws with the Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008): eight colours
that people with the common forms of colour blindness still tell apart. ``talk`` enlarges text and lines for
a projector. A style applies while figures are drawn (``with figure_style(name):``), so the figures built
inside take its fonts and colours; it is undone afterwards. Both styles lay figures out with matplotlib's
constrained layout, which keeps titles, labels and tick labels of neighbouring axes apart.

Two rules every figure follows, checked by the tests on every experiment's figures:

- no text smaller than :func:`min_text_size` of the style: matplotlib's ``"small"`` (0.83 of the style's
  base size) is the smallest size a figure may ask for, never a number of points;
- an accuracy axis runs from a stated floor to 1 (:func:`accuracy_axis`), never from just under the data.

``trainlab run``, ``trainlab tune`` and ``trainlab report`` take the same ``--format``, ``--dpi`` and
``--style`` options, added and read here (:func:`add_figure_options`, :meth:`FigureOptions.from_args`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.rcsetup import cycler

from trainlab.textio import atomic_writer, did_you_mean

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
FORMATS = ("png", "svg", "pdf")
DPI_RANGE = (30, 1200)
STYLES: dict[str, dict[str, Any]] = {
    "paper": {"axes.prop_cycle": cycler(color=OKABE_ITO), "font.size": 10, "figure.constrained_layout.use": True},
    "talk": {"axes.prop_cycle": cycler(color=OKABE_ITO), "font.size": 14, "axes.titlesize": 15,
             "axes.labelsize": 15, "xtick.labelsize": 13, "ytick.labelsize": 13, "legend.fontsize": 12,
             "figure.titlesize": 17, "lines.linewidth": 2.4, "lines.markersize": 8, "axes.linewidth": 1.2,
             "figure.constrained_layout.use": True},
}
SMALLEST = 0.8
"""The smallest text, as a share of the style's base font size: matplotlib's "small" (0.833) passes,
"x-small" (0.694) does not."""


def min_text_size(style: str) -> float:
    """The smallest font size, in points, that a figure drawn in ``style`` may use (8 for paper, 11.2 for talk)."""
    return SMALLEST * STYLES[style]["font.size"]


def accuracy_axis(ax: Any, values: Iterable[Any], *, classes: int = 10, label: str | None = None) -> float:
    """Scale ``ax``'s y axis for accuracies and return its floor.

    The axis runs from the chance level ``1 / classes`` (guessing among ``classes`` classes; 0.1 for the ten
    digits) to 1, or from 0 if any of ``values`` (every number the axes shows: curves, error bars, bands)
    is below chance. A 3-point difference then looks like 3 points, not like the whole height. ``label``: the
    axis label, to which a second line stating a floor above 0 is added (None: leave the label alone, e.g. on
    a panel sharing the y axis of a labelled one)."""
    numbers = np.array(list(_numbers(values)), dtype=float)
    numbers = numbers[np.isfinite(numbers)]
    chance = 1.0 / classes
    floor = chance if numbers.size and numbers.min() >= chance else 0.0
    ax.set_ylim(floor, 1.0 + 0.02 * (1.0 - floor))  # a little room above 1, so a curve at 1 stays visible
    if label is not None:
        ax.set_ylabel(f"{label}\n(axis from chance level, {floor:g})" if floor else label)
    return floor


def _numbers(values: Any) -> Iterator[float]:
    """Every number in ``values`` (nested lists of any shape, arrays; None skipped)."""
    if values is None:
        return
    if isinstance(values, (int, float, np.number)):
        yield float(values)
        return
    for value in values:
        yield from _numbers(value)


@dataclass(frozen=True)
class FigureOptions:
    """The figures' file formats (png, svg, pdf), the resolution of PNGs in dots per inch, and the style."""

    formats: tuple[str, ...] = ("png",)
    dpi: int = 110
    style: str = "paper"
    allowed: tuple[str, ...] = FORMATS  # the formats this command can use

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in self.allowed]
        if not self.formats or unknown:
            word = unknown[0] if unknown else ""
            raise ValueError(f"--format {','.join(self.formats)}: choose among {', '.join(self.allowed)} "
                             f"(comma-separated){did_you_mean(word, self.allowed)}")
        low, high = DPI_RANGE
        if isinstance(self.dpi, bool) or not (isinstance(self.dpi, int) and low <= self.dpi <= high):
            raise ValueError(f"--dpi {self.dpi}: a whole number from {low} to {high}")
        if self.style not in STYLES:
            raise ValueError(f"--style {self.style}: choose one of {', '.join(STYLES)}"
                             f"{did_you_mean(self.style, list(STYLES))}")

    @classmethod
    def parse(cls, formats: str = "png", dpi: int = 110, style: str = "paper",
              allowed: Sequence[str] = FORMATS) -> FigureOptions:
        """From the command line's ``--format png,svg --dpi 200 --style talk``."""
        chosen = tuple(dict.fromkeys(f.strip().lower() for f in formats.split(",") if f.strip()))
        return cls(chosen, dpi, style, tuple(allowed))

    @classmethod
    def from_args(cls, args: argparse.Namespace, allowed: Sequence[str] = FORMATS) -> FigureOptions:
        """The options :func:`add_figure_options` added, checked (a ValueError naming the option and value);
        ``--dpi`` and ``--style`` left unset take 110 and paper."""
        return cls.parse(args.format, 110 if args.dpi is None else args.dpi, args.style or "paper", allowed)


def add_figure_options(parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS, *,
                       redraw: bool = False) -> None:
    """Add ``--format``, ``--dpi`` and ``--style`` to ``parser``; :meth:`FigureOptions.from_args` reads them.

    ``formats``: those the command can write. ``redraw``: the command shows figures made earlier, and draws
    them again only when ``--dpi`` or ``--style`` is given (both then default to None)."""
    group = parser.add_argument_group("figures")
    several = "one of " if redraw else ""
    group.add_argument("--format", default="png", metavar="F,F" if not redraw else "F",
                       help=f"figure files: {several}{', '.join(formats)}"
                            f"{'' if redraw else ', comma-separated'} (default png)")
    low, high = DPI_RANGE
    group.add_argument("--dpi", type=int, default=None if redraw else 110, metavar="N",
                       help=f"resolution of PNG figures, {low} to {high} dots per inch "
                            + ("(given: the figures are drawn again from the runs' numbers)" if redraw
                               else "(default 110; 200 or more for slides)"))
    group.add_argument("--style", default=None if redraw else "paper", choices=list(STYLES),
                       help="paper (default) or talk: larger text and lines for slides; both colour-blind safe"
                            + ("; given: the figures are drawn again" if redraw else ""))


@contextlib.contextmanager
def figure_style(style: str) -> Iterator[None]:
    """Draw with ``style``'s fonts, line widths and palette inside the block."""
    with matplotlib.rc_context(STYLES[style]):
        yield


def save_figures(figures: dict[str, Any], folder: Path, options: FigureOptions) -> list[str]:
    """Save each figure in each format, atomically, in ``options``' style; the file names, by format."""
    names = []
    with figure_style(options.style):
        for format_ in options.formats:
            for figure_name, figure in figures.items():
                path = folder / f"{figure_name}.{format_}"
                with atomic_writer(path) as file:
                    figure.savefig(file, format=format_, dpi=options.dpi, bbox_inches="tight")
                names.append(path.name)
    close_figures(figures.values())
    return names


def close_figures(figures: Iterable[Any]) -> None:
    """Release figures drawn through pyplot, which keeps them until closed (a no-op for plain Figures)."""
    pyplot = sys.modules.get("matplotlib.pyplot")  # imported only if something drew through pyplot
    for figure in figures:
        if pyplot is not None:
            pyplot.close(figure)
