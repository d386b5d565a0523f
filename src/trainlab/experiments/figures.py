"""How the experiments' figures look and are saved: file formats, resolution, a style for print or projection.

Every style draws with the Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008): eight colours
that people with the common forms of colour blindness still tell apart. ``talk`` enlarges text and lines for
a projector. A style applies while an experiment draws its figures (``with figure_style(name):``), so the
figures built inside take its fonts and colours; it is undone afterwards.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.rcsetup import cycler

from trainlab.textio import atomic_writer, did_you_mean

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
FORMATS = ("png", "svg", "pdf")
STYLES: dict[str, dict[str, Any]] = {
    "paper": {"axes.prop_cycle": cycler(color=OKABE_ITO)},
    "talk": {"axes.prop_cycle": cycler(color=OKABE_ITO), "font.size": 14, "axes.titlesize": 15,
             "axes.labelsize": 15, "xtick.labelsize": 13, "ytick.labelsize": 13, "legend.fontsize": 12,
             "figure.titlesize": 17, "lines.linewidth": 2.4, "lines.markersize": 8, "axes.linewidth": 1.2,
             "figure.constrained_layout.use": True},
}


@dataclass(frozen=True)
class FigureOptions:
    """The figures' file formats (png, svg, pdf), the resolution of PNGs in dots per inch, and the style."""

    formats: tuple[str, ...] = ("png",)
    dpi: int = 110
    style: str = "paper"

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in FORMATS]
        if not self.formats or unknown:
            word = unknown[0] if unknown else ""
            raise ValueError(f"--format {','.join(self.formats)}: choose among {', '.join(FORMATS)} "
                             f"(comma-separated){did_you_mean(word, FORMATS)}")
        if not (isinstance(self.dpi, int) and 30 <= self.dpi <= 1200):
            raise ValueError(f"--dpi {self.dpi}: a whole number from 30 to 1200")
        if self.style not in STYLES:
            raise ValueError(f"--style {self.style}: choose one of {', '.join(STYLES)}"
                             f"{did_you_mean(self.style, list(STYLES))}")

    @classmethod
    def parse(cls, formats: str = "png", dpi: int = 110, style: str = "paper") -> FigureOptions:
        """From the command line's ``--format png,svg --dpi 200 --style talk``."""
        return cls(tuple(dict.fromkeys(f.strip().lower() for f in formats.split(",") if f.strip())), dpi, style)


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
    pyplot = sys.modules.get("matplotlib.pyplot")  # imported only if an experiment drew through pyplot
    for figure in figures.values():
        if pyplot is not None:
            pyplot.close(figure)  # pyplot keeps its figures until closed; a no-op for plain Figure objects
    return names
