"""Figures drawn again from a run's saved numbers, in another resolution or style, without training again.

A run's ``metrics.json`` is its experiment's Result as plain data (``dataclasses.asdict``). :func:`from_plain`
rebuilds the Result from it, field by field along the type hints (nested dataclasses, lists, dicts,
optional fields), and the experiment's own ``plot`` draws it again. ``trainlab report --dpi 200 --style
talk`` uses this to make a report for slides from runs made with the defaults.
"""

from __future__ import annotations

import dataclasses
import io
import types
import typing
from typing import Any

from trainlab.figures import FigureOptions, close_figures, figure_style
from trainlab.lab.lesson import LessonModule, lesson_module, load_lesson
from trainlab.lab.runs import Run
from trainlab.textio import read_json

MIME = {"png": "image/png", "svg": "image/svg+xml"}


class RedrawError(ValueError):
    """A run whose figures cannot be drawn again (a search, or numbers that no longer fit the Result)."""


def from_plain(kind: Any, data: Any) -> Any:
    """``data`` (JSON: dicts, lists, numbers, strings) as a value of type ``kind``, dataclasses rebuilt."""
    if dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise RedrawError(f"{kind.__name__}: expected an object, got {type(data).__name__}")
        hints = typing.get_type_hints(kind)
        fields = [field for field in dataclasses.fields(kind) if field.init]
        missing = [field.name for field in fields if field.name not in data
                   and field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING]
        if missing:
            raise RedrawError(f"{kind.__name__}: no {', '.join(missing)} in the saved numbers")
        return kind(**{field.name: from_plain(hints[field.name], data[field.name])
                       for field in fields if field.name in data})
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        return from_plain(next(arg for arg in args if arg is not type(None)), data)
    if origin in (list, tuple) and isinstance(data, list):
        items = [from_plain(args[0] if args else Any, item) for item in data]
        return items if origin is list else tuple(items)
    if origin is dict and isinstance(data, dict):
        return {key: from_plain(args[1] if args else Any, value) for key, value in data.items()}
    return data  # numbers, strings, booleans, None and Any: JSON keeps them as they were


def load_result(run: Run) -> Any:
    """The Result of ``run``'s experiment, rebuilt from its metrics.json; a RedrawError saying why not."""
    if run.summary.get("kind") == "tune":
        raise RedrawError("a search's figures are drawn by trainlab tune (its --dpi and --style)")
    try:
        lesson = load_lesson(run.name)
        if isinstance(lesson, LessonModule):  # a lesson of the claims protocol: its Runs
            return lesson.runs_from(read_json(run.folder / "config.json"), read_json(run.folder / "metrics.json"))
        module = lesson_module(run.name)
        return from_plain(module.Result, read_json(run.folder / "metrics.json"))
    except (ValueError, TypeError, KeyError) as error:  # an old run, from before the Result changed
        raise RedrawError(f"its numbers do not fit the {run.name} experiment's Result: {error}") from None


def redraw(run: Run, options: FigureOptions) -> list[tuple[str, bytes, str]]:
    """``run``'s figures drawn again in ``options``' style and resolution, in its first format (png or svg):
    (name, file contents, MIME type) of each; a RedrawError if they cannot be."""
    result = load_result(run)
    format_ = options.formats[0]
    with figure_style(options.style):
        try:
            figures = lesson_module(run.name).plot(result)
        except Exception as error:  # the plot of another version of the experiment: say which run
            raise RedrawError(f"drawing failed: {type(error).__name__}: {error}") from None
        drawn = []
        for name, figure in figures.items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format=format_, dpi=options.dpi, bbox_inches="tight")
            drawn.append((f"{name}.{format_}", buffer.getvalue(), MIME[format_]))
    close_figures(figures.values())
    return drawn
