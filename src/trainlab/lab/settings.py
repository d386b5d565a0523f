"""A lesson's settings: a dataclass of the book's values, each field stating what it allows.

``LessonConfig`` holds what every lesson has (the first seed and the number of seeds);
``DataConfig`` adds the dataset and how much of it. A lesson's ``Config`` derives from one of them
with the book's values as defaults, each field declared with :func:`option` (its default and the
values it allows), and ``QUICK`` the changes that make the seconds-long ``--quick`` version.
:meth:`LessonConfig.validate` checks every field before anything runs and names the field, the value
and what is allowed; :meth:`LessonConfig.changed` says which settings differ from the full-size
ones.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import operator
import types
import typing
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from trainlab.data.catalog import DATASETS
from trainlab.textio import did_you_mean, parse_value


@dataclass(frozen=True)
class Allowed:
    """The values a Config field allows, checked before an experiment runs (for a tuple: each item).

    ``ge``/``gt``/``le``/``lt``: bounds (>=, >, <=, <); ``choices``: the allowed words, or a
    function giving them; ``check``: a function that raises ValueError for a bad item; ``length``:
    the exact number of items of a tuple; ``length_of``: the name of a tuple field this one must
    match in length; ``increasing``: the items must strictly increase (a range written low,high).
    ``meaning`` says what None means, if allowed.
    """

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: Collection[str] | Callable[[], Collection[str]] | None = None
    check: Callable[[Any], Any] | None = None
    length: int | None = None
    length_of: str | None = None
    increasing: bool = False
    meaning: str = ""

    def words(self) -> list[str]:
        return list(self.choices() if callable(self.choices) else self.choices or ())

    def describe(self) -> str:
        """The bounds in words: ``>= 1``, ``> 0 and < 1``, ``one of: a, b``."""
        parts = [
            f"{sign} {bound:g}"
            for sign, bound in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt))
            if bound is not None
        ]
        if self.choices is not None:
            parts.append(f"one of: {', '.join(self.words())}")
        return " and ".join(parts)

    def item_problem(self, item: Any) -> str | None:
        """Why ``item`` is not allowed ("" when the rule itself says it), or None when it is allowed."""
        if self.choices is not None and item not in self.words():
            return ""
        bounds = (
            (self.ge, operator.ge),
            (self.gt, operator.gt),
            (self.le, operator.le),
            (self.lt, operator.lt),
        )
        if any(bound is not None and not test(item, bound) for bound, test in bounds):
            return ""
        if self.check is not None:
            try:
                self.check(item)
            except (ValueError, TypeError) as error:
                return f"{item!r}: {error}"
        return None


def option(default: Any, *, training: bool = True, **allowed: Any) -> Any:
    """A Config field with its default and the values it allows (see :class:`Allowed`).

    ``training=False`` marks a setting that only changes how results are shown (a smoothing window):
    a cached training run stays valid when it changes.

    >>> epochs: int = option(20, ge=1)
    """
    return field(default=default, metadata={"allowed": Allowed(**allowed), "training": training})


def existing_folder(path: str) -> None:
    if not Path(path).is_dir():
        raise ValueError("no such folder")


@dataclass
class LessonConfig:
    """Settings every lesson has: the first seed and how many seeds (runs of each setting) to measure.

    Subclasses add theirs with the book's values as defaults. Fields declared with :func:`option`
    state the values they allow; :meth:`validate` checks every field's type and allowed values
    before anything runs. ``QUICK`` holds the changes that make the seconds-long ``--quick`` version
    (:meth:`quick`).
    """

    QUICK: ClassVar[dict[str, Any]] = {}
    NOTEBOOK: ClassVar[
        dict[str, Any]
    ] = {}  # the settings the lesson's notebook runs it with (about a minute)

    seed: int = option(0, ge=0)
    seeds: int = option(5, ge=1)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LessonConfig:
        """The config a run's config.json holds (lists back to tuples; a setting added since: its
        default; one removed since: ignored)."""
        hints = typing.get_type_hints(cls)
        values = {}
        for spec in dataclasses.fields(cls):
            if spec.name in data:
                value, hint = data[spec.name], hints[spec.name]
                wants_tuple = tuple in (
                    typing.get_origin(hint),
                    *map(typing.get_origin, typing.get_args(hint)),
                )
                values[spec.name] = (
                    tuple(value) if wants_tuple and isinstance(value, list) else value
                )
        return cls(**values)

    def seed_list(self) -> list[int]:
        """The seeds of the run: ``seed``, ``seed + 1``, ... (``seeds`` of them)."""
        return [self.seed + i for i in range(self.seeds)]

    def quick(self) -> LessonConfig:
        """A small version that runs in seconds (used by the tests and ``--quick``): ``QUICK`` applied."""
        return dataclasses.replace(self, **self.QUICK)

    def with_overrides(self, overrides: dict[str, str]) -> LessonConfig:
        """A copy with fields set from ``key=value`` strings, each parsed as its field's type."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        hints = typing.get_type_hints(type(self))
        changes = {}
        for key, text in overrides.items():
            if key not in fields:
                raise ValueError(
                    f"--set {key}={text}: {type(self).__module__.rsplit('.', 1)[-1]} has no setting "
                    f"{key!r}{did_you_mean(key, list(fields))}; settings: {', '.join(sorted(fields))}"
                )
            changes[key] = parse_value(text, hints[key], f"--set {key}={text}")
        return dataclasses.replace(self, **changes)

    def validate(self) -> LessonConfig:
        """Check every field's type and allowed values; a ValueError naming the field and what it allows."""
        hints = typing.get_type_hints(type(self))
        for spec in dataclasses.fields(self):
            value, allowed, hint = (
                getattr(self, spec.name),
                declared(type(self), spec.name),
                hints[spec.name],
            )
            problem = type_problem(value, hint)
            if problem is None and value is not None:
                problem = self._allowed_problem(value, allowed)
            if problem is not None:
                raise ValueError(
                    f"{spec.name}={value!r} is not allowed: {problem + '; ' if problem else ''}"
                    f"{spec.name} is {rule(hint, allowed)}{suggestion(value, allowed)}"
                )
        return self

    def changed(self) -> list[str]:
        """The settings that differ from the full-size ones: "iterations 150 (full size: 2000)"."""
        full = type(self)()
        return [
            f"{f.name} {value_text(getattr(self, f.name))} (full size: {value_text(getattr(full, f.name))})"
            for f in dataclasses.fields(self)
            if f.name not in ("seed", "data_dir") and getattr(self, f.name) != getattr(full, f.name)
        ]

    def training_settings(self) -> dict[str, Any]:
        """The settings a training run depends on (not the seeds, which a unit names itself, nor
        where the data lie or how results are shown): what a cached run is keyed by."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("seed", "seeds", "data_dir") and f.metadata.get("training", True)
        }

    def described(self, text: str) -> str:
        """``text`` with ``{field}`` replaced by this config's values (a quick run's description
        gives its own numbers)."""
        return text.format_map(
            {f.name: value_text(getattr(self, f.name)) for f in dataclasses.fields(self)}
        )

    def _allowed_problem(self, value: Any, allowed: Allowed) -> str | None:
        if isinstance(value, tuple):
            wanted = (
                allowed.length
                if allowed.length_of is None
                else len(getattr(self, allowed.length_of))
            )
            if wanted is not None and len(value) != wanted:
                of = f", one per item of {allowed.length_of}" if allowed.length_of else ""
                return f"it has {len(value)} items where {wanted} are needed{of}"
            if allowed.increasing and any(b <= a for a, b in itertools.pairwise(value)):
                return "the values must increase (low,high)"
        items = value if isinstance(value, tuple) else (value,)
        return next((p for p in map(allowed.item_problem, items) if p is not None), None)


def declared(cls: type, name: str) -> Allowed:
    """What field ``name`` of Config class ``cls`` allows; a subclass that only changes the default
    of a field (``dataset: str = "fashion-mnist"``) keeps what its base class declared."""
    for klass in cls.__mro__:
        spec = getattr(klass, "__dataclass_fields__", {}).get(name)
        if spec is not None and "allowed" in spec.metadata:
            return spec.metadata["allowed"]
    return Allowed()


def rule(hint: Any, allowed: Allowed) -> str:
    """What a field allows in words: "a whole number >= 1, or None (the whole test set)"."""
    kind, bounds = type_name(hint).removesuffix(" or None"), allowed.describe()
    listed = kind.startswith("a non-empty list")
    if allowed.choices is not None:
        text = f"a non-empty list (a,b,...), each {bounds}" if listed else bounds
    else:
        text = f"{kind}{', each' if listed and bounds else ''} {bounds}".rstrip()
    optional = typing.get_origin(hint) in (typing.Union, types.UnionType)
    return text + (
        f", or None{f' ({allowed.meaning})' if allowed.meaning else ''}" if optional else ""
    )


def suggestion(value: Any, allowed: Allowed) -> str:
    """ "; did you mean 'x'?" for the first unknown word of ``value``, if it is close to an allowed one."""
    if allowed.choices is None:
        return ""
    words = allowed.words()
    unknown = [
        item for item in (value if isinstance(value, tuple) else (value,)) if item not in words
    ]
    return did_you_mean(str(unknown[0]), words) if unknown else ""


def type_problem(value: Any, hint: Any) -> str | None:
    """Why ``value`` is not of type ``hint`` ("" when the type's name says it), or None when it is."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return type_problem(value, next(a for a in args if a is not type(None)))
    if origin in (tuple, list):
        if not isinstance(value, tuple | list) or not value:
            return "" if isinstance(value, tuple | list) else f"got {type(value).__name__}"
        return next(
            (p for p in (type_problem(item, args[0]) for item in value) if p is not None), None
        )
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return None if math.isfinite(value) else ""
    if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return None
    return f"got {type(value).__name__}"


NAMES = {
    int: ("a whole number", "whole numbers"),
    float: ("a finite number", "finite numbers"),
    bool: ("true or false", "true/false values"),
    str: ("text", "words"),
}


def type_name(hint: Any) -> str:
    """``int | None`` as "a whole number or None", ``tuple[float, ...]`` as "a non-empty list of
    finite numbers"."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return type_name(next(a for a in args if a is not type(None))) + " or None"
    if origin in (tuple, list):
        item = args[0] if args else str
        return f"a non-empty list of {NAMES.get(item, (item, str(item)))[1]} (a,b,...)"
    return NAMES.get(hint, (str(hint),))[0]


@dataclass
class DataConfig(LessonConfig):
    """A lesson that trains on a dataset: which one, where its files are, and how much of it."""

    dataset: str = option("mnist", choices=DATASETS.keys)
    data_dir: str | None = option(None, check=existing_folder, meaning="the usual places")
    train_samples: int | None = option(None, ge=1, meaning="the whole training set")
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")


def value_text(value: Any) -> str:
    """A setting's value in words: "100, 100", "all" (None), "0.001"."""
    if isinstance(value, tuple | list):
        return ", ".join(value_text(v) for v in value)
    if value is None:
        return "all"
    return (
        f"{value:g}"
        if isinstance(value, float)
        else f"{value:,}"
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10000
        else str(value)
    )
