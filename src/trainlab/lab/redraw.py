"""Figures drawn again from a run's saved numbers, in another resolution or style, without training again.

A run's ``config.json`` and ``metrics.json`` hold its settings and every unit's numbers; the lesson
rebuilds its :class:`~trainlab.lab.lesson.Runs` from them and its own ``plot`` draws them again.
``trainlab report --dpi 200 --style talk`` uses this to make a report for slides from runs made with
the defaults.
"""

from __future__ import annotations

import io

from trainlab.figures import FigureOptions, close_figures, figure_style
from trainlab.lab.lesson import Runs, load_lesson
from trainlab.lab.runs import Run
from trainlab.textio import read_json

MIME = {"png": "image/png", "svg": "image/svg+xml"}


class RedrawError(ValueError):
    """A run whose figures cannot be drawn again (a search, or numbers that no longer fit the lesson)."""


def load_runs_of(run: Run) -> Runs:
    """The Runs of ``run``'s lesson, rebuilt from its metrics.json; a RedrawError saying why not."""
    if run.summary.get("kind") == "tune":
        raise RedrawError("a search's figures are drawn by trainlab tune (its --dpi and --style)")
    try:
        lesson = load_lesson(run.name)
        return lesson.runs_from(
            read_json(run.folder / "config.json"), read_json(run.folder / "metrics.json")
        )
    except (ValueError, TypeError, KeyError) as error:  # an old run, from before the lesson changed
        raise RedrawError(f"its numbers do not fit the {run.name} lesson: {error}") from None


def redraw(run: Run, options: FigureOptions) -> list[tuple[str, bytes, str]]:
    """``run``'s figures drawn again in ``options``' style and resolution, in its first format (png
    or svg): (name, file contents, MIME type) of each; a RedrawError if they cannot be."""
    runs = load_runs_of(run)
    format_ = options.formats[0]
    with figure_style(options.style):
        try:
            figures = load_lesson(run.name).plot(runs)
        except Exception as error:  # the plot of another version of the lesson: say which run
            raise RedrawError(f"drawing failed: {type(error).__name__}: {error}") from None
        drawn = []
        for name, figure in figures.items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format=format_, dpi=options.dpi, bbox_inches="tight")
            drawn.append((f"{name}.{format_}", buffer.getvalue(), MIME[format_]))
    close_figures(figures.values())
    return drawn
