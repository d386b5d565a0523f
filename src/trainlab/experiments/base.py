"""What every experiment shares: its configuration base class and the shape of its summary.

An experiment is a module with ``NAME``, ``TITLE``, ``DESCRIPTION``, a ``Config`` dataclass holding the
book's defaults (``Config().quick()`` is a seconds-long version), ``run(config) -> Result`` (plain data),
``plot(result) -> {name: Figure}`` and ``summarize(result) -> Summary`` (the key numbers as a table and
the conclusions the numbers support, computed from them).
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any

from trainlab.textio import markdown_table, parse_value


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
            changes[key] = parse_value(text, hints[key], f"--set {key}={text}")
        return dataclasses.replace(self, **changes)


@dataclass
class Summary:
    """The key numbers of a run as a table, and the conclusions they support (full sentences)."""

    headers: list[str]
    rows: list[list[Any]]
    conclusions: list[str]
    notes: list[str] = field(default_factory=list)

    def table_markdown(self) -> str:
        return markdown_table([self.headers, *self.rows])
