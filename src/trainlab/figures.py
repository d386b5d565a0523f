"""How trainlab's figures look and are saved: file formats, resolution, a style for print or
projection, readable text, and accuracy axes that do not exaggerate.

Every style draws with the Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008): eight
colours that people with the common forms of colour blindness still tell apart. ``talk`` enlarges
text and lines for a projector. A style applies while figures are drawn
(``with figure_style(name):``), so the figures built inside take its fonts and colours; it is undone
afterwards. Both styles lay figures out with matplotlib's constrained layout, which keeps titles,
labels and tick labels of neighbouring axes apart.

Two rules every figure follows, checked by the tests on every experiment's figures:

- no text smaller than :func:`min_text_size` of the style: matplotlib's ``"small"`` (0.83 of the
  style's base size) is the smallest size a figure may ask for, never a number of points;
- an accuracy axis spans the data it shows (:func:`accuracy_axis`), with the chance level marked
  where it matters, so that the differences a lesson claims are visible.

``trainlab run``, ``trainlab tune`` and ``trainlab report`` take the same ``--format``, ``--dpi``
and ``--style`` options, added and read here (:func:`add_figure_options`,
:meth:`FigureOptions.from_args`).
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
    "paper": {
        "axes.prop_cycle": cycler(color=OKABE_ITO),
        "font.size": 10,
        "figure.constrained_layout.use": True,
    },
    "talk": {
        "axes.prop_cycle": cycler(color=OKABE_ITO),
        "font.size": 14,
        "axes.titlesize": 15,
        "axes.labelsize": 15,
        "xtick.labelsize": 13,
        "ytick.labelsize": 13,
        "legend.fontsize": 12,
        "figure.titlesize": 17,
        "lines.linewidth": 2.4,
        "lines.markersize": 8,
        "axes.linewidth": 1.2,
        "figure.constrained_layout.use": True,
    },
}
SMALLEST = 0.8
"""The smallest text, as a share of the style's base font size: matplotlib's "small" (0.833) passes,
"x-small" (0.694) does not."""


def min_text_size(style: str) -> float:
    """The smallest font size, in points, that a figure drawn in ``style`` may use (8 for paper,
    11.2 for talk)."""
    return SMALLEST * STYLES[style]["font.size"]


def accuracy_axis(
    ax: Any,
    values: Iterable[Any],
    *,
    classes: int = 10,
    label: str | None = None,
    chance: bool | None = None,
) -> tuple[float, float]:
    """Scale ``ax``'s y axis to the accuracies it shows and return its limits.

    The axis spans the data (every number the axes shows: curves, error bars, bands), with a margin
    of a tenth of their range and at least half a percentage point, clipped to [0, 1]: a difference
    of a few points between curves near 0.97 is then as visible as the figure can make it, and the
    tick labels say where the axis starts. The chance level ``1 / classes`` (0.1 for ten classes) is
    drawn as a dotted line when it lies inside the axis, or when ``chance=True`` asks for it (the
    axis then reaches down to it: for a run that may not have learned at all). ``label``: the axis
    label (None: leave it alone)."""
    numbers = np.array(list(_numbers(values)), dtype=float)
    numbers = numbers[np.isfinite(numbers)]
    level = 1.0 / classes
    low, high = (float(numbers.min()), float(numbers.max())) if numbers.size else (0.0, 1.0)
    if chance:
        low = min(low, level)
    margin = max(0.1 * (high - low), 0.005)
    limits = (max(0.0, low - margin), min(1.0 + 0.02 * (high - low + margin), high + margin))
    ax.set_ylim(*limits)
    if chance is not False and limits[0] <= level <= limits[1]:
        ax.axhline(level, color="0.5", linestyle=":", linewidth=1, zorder=0)
        ax.annotate(
            "chance",
            (0, level),
            xycoords=("axes fraction", "data"),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize="small",
            color="0.4",
        )
    if label is not None:
        ax.set_ylabel(label)
    return limits


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
            raise ValueError(
                f"--format {','.join(self.formats)}: choose among {', '.join(self.allowed)} "
                f"(comma-separated){did_you_mean(word, self.allowed)}"
            )
        low, high = DPI_RANGE
        if isinstance(self.dpi, bool) or not (
            isinstance(self.dpi, int) and low <= self.dpi <= high
        ):
            raise ValueError(f"--dpi {self.dpi}: a whole number from {low} to {high}")
        if self.style not in STYLES:
            raise ValueError(
                f"--style {self.style}: choose one of {', '.join(STYLES)}"
                f"{did_you_mean(self.style, list(STYLES))}"
            )

    @classmethod
    def parse(
        cls,
        formats: str = "png",
        dpi: int = 110,
        style: str = "paper",
        allowed: Sequence[str] = FORMATS,
    ) -> FigureOptions:
        """From the command line's ``--format png,svg --dpi 200 --style talk``."""
        chosen = tuple(dict.fromkeys(f.strip().lower() for f in formats.split(",") if f.strip()))
        return cls(chosen, dpi, style, tuple(allowed))

    @classmethod
    def from_args(cls, args: argparse.Namespace, allowed: Sequence[str] = FORMATS) -> FigureOptions:
        """The options :func:`add_figure_options` added, checked (a ValueError naming the option and
        value); ``--dpi`` and ``--style`` left unset take 110 and paper."""
        return cls.parse(
            args.format, 110 if args.dpi is None else args.dpi, args.style or "paper", allowed
        )


def add_figure_options(
    parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS, *, redraw: bool = False
) -> None:
    """Add ``--format``, ``--dpi`` and ``--style`` to ``parser``; :meth:`FigureOptions.from_args` reads them.

    ``formats``: those the command can write. ``redraw``: the command shows figures made earlier,
    and draws them again only when ``--dpi`` or ``--style`` is given (both then default to None)."""
    group = parser.add_argument_group("figures")
    several = "one of " if redraw else ""
    group.add_argument(
        "--format",
        default="png",
        metavar="F,F" if not redraw else "F",
        help=f"figure files: {several}{', '.join(formats)}"
        f"{'' if redraw else ', comma-separated'} (default png)",
    )
    low, high = DPI_RANGE
    group.add_argument(
        "--dpi",
        type=int,
        default=None if redraw else 110,
        metavar="N",
        help=f"resolution of PNG figures, {low} to {high} dots per inch "
        + (
            "(given: the figures are drawn again from the runs' numbers)"
            if redraw
            else "(default 110; 200 or more for slides)"
        ),
    )
    group.add_argument(
        "--style",
        default=None if redraw else "paper",
        choices=list(STYLES),
        help="paper (default) or talk: larger text and lines for slides; both colour-blind safe"
        + ("; given: the figures are drawn again" if redraw else ""),
    )


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
