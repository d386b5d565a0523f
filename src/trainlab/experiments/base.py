"""What every experiment shares: its configuration base class and the shape of its summary.

An experiment is a module with ``NAME``, ``TITLE``, ``DESCRIPTION``, a ``Config`` dataclass holding the
book's defaults (``Config().quick()`` is a seconds-long version), ``run(config) -> Result`` (plain data),
``plot(result) -> {name: Figure}`` and ``summarize(result) -> Summary`` (the key numbers as a table and
the conclusions the numbers support, computed from them).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExperimentConfig:
    """Settings every experiment has. Subclasses add theirs with the book's values as defaults."""

    seed: int = 0
    dataset: str = "mnist"
    data_dir: str | None = None

    def quick(self) -> ExperimentConfig:
        """A small version that runs in seconds (used by the tests and ``--quick``)."""
        return self

    def with_overrides(self, overrides: dict[str, str]) -> ExperimentConfig:
        """A copy with fields set from ``key=value`` strings, each parsed as its field's type."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        hints = typing.get_type_hints(type(self))
        changes = {}
        for key, text in overrides.items():
            if key not in fields:
                raise ValueError(f"--set {key}={text}: {type(self).__module__.rsplit('.', 1)[-1]} has no setting "
                                 f"{key!r}; settings: {', '.join(sorted(fields))}")
            changes[key] = parse_value(key, text, hints[key])
        return dataclasses.replace(self, **changes)


def parse_value(key: str, text: str, hint: Any) -> Any:
    """``text`` as a value of type ``hint`` (int, float, bool, str, an optional, or a tuple of those)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if text.lower() in ("none", "null", ""):
            return None
        return parse_value(key, text, next(a for a in args if a is not type(None)))
    if origin in (tuple, list):
        item = args[0] if args else str
        return tuple(parse_value(key, part.strip(), item) for part in text.split(",") if part.strip())
    try:
        if hint is bool:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        return hint(text)
    except ValueError:
        raise ValueError(f"--set {key}={text}: expected a value of type {getattr(hint, '__name__', hint)}") from None


@dataclass
class Summary:
    """The key numbers of a run as a table, and the conclusions they support (full sentences)."""

    headers: list[str]
    rows: list[list[Any]]
    conclusions: list[str]
    notes: list[str] = field(default_factory=list)

    def table_markdown(self) -> str:
        def cell(value: Any) -> str:
            if isinstance(value, float):
                return f"{value:.4g}"
            return str(value)

        lines = ["| " + " | ".join(self.headers) + " |", "|" + "---|" * len(self.headers)]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in self.rows]
        return "\n".join(lines)
