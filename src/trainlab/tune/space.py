"""The search space: which parameters a search varies, over which values, and how they are written.

One entry per parameter, written as on the command line (``--space ENTRY``):

==============================
========================================================================= ``lr=1e-6..1e-2:log``
log-uniform float: log10(lr) uniform in [-6, -2] (the book's choice) ``dropout=0..0.5`` uniform
float in [0, 0.5]; ``dropout=0..0.5:step=0.1`` on a 0.1 grid ``hidden_units=50..200`` integer (the
parameter is integer-valued), uniform; ``:log`` and ``:step=`` ``optimizer=sgd,momentum,adam``
categorical: one of the listed values ``batch_size=128`` fixed: not searched, but every trial uses
this value ==============================
=========================================================================

The names and their allowed values are those of :data:`trainlab.tune.params.PARAMETERS`. Every entry
is checked when parsed, so an unknown name, an empty (``1e-3..1e-3``) or inverted (``1e-2..1e-4``)
range, a log range reaching 0 or a value outside a parameter's domain is an error before any trial
starts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from trainlab.textio import parse_bool
from trainlab.tune.params import (
    PARAMETERS,
    Parameter,
    default_values,
    get_parameter,
    optimizer_accepts,
)

BOOK_SPACE: tuple[str, ...] = ("lr=1e-6..1e-2:log", "weight_decay=1e-8..1e-4:log")
"""The book's random search (Deep Learning from Scratch 6.5): lr in 10^U(-6,-2), weight decay in
10^U(-8,-4)."""


class Suggester(Protocol):
    """What a dimension needs from a trial: Optuna's ``suggest_*`` methods."""

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float: ...

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


def format_number(value: float) -> str:
    """A number as short as it can be written without losing digits that matter (12 significant)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return f"{value:.12g}"


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value)
    return str(value)


@dataclass(frozen=True)
class FloatRange:
    """A float in [low, high]: uniform, log-uniform (``log``) or on a grid of ``step``."""

    name: str
    low: float
    high: float
    log: bool = False
    step: float | None = None

    def suggest(self, trial: Suggester) -> float:
        return trial.suggest_float(self.name, self.low, self.high, log=self.log, step=self.step)

    def grid(self, points: int) -> list[float]:
        """Values for a grid search: every step if there is one, else ``points`` spaced
        (geometrically if log)."""
        if self.step is not None:
            count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
            return [float(self.low + i * self.step) for i in range(count)]
        spaced = np.geomspace if self.log else np.linspace
        return [float(v) for v in spaced(self.low, self.high, points)]

    def contains(self, value: Any) -> bool:
        return isinstance(value, (int, float)) and self.low <= value <= self.high

    def __str__(self) -> str:
        options = (":log" if self.log else "") + (
            f":step={format_number(self.step)}" if self.step else ""
        )
        return f"{self.name}={format_number(self.low)}..{format_number(self.high)}{options}"


@dataclass(frozen=True)
class IntRange:
    """An integer in [low, high]: uniform, log-uniform (``log``) or every ``step``-th value."""

    name: str
    low: int
    high: int
    log: bool = False
    step: int = 1

    def suggest(self, trial: Suggester) -> int:
        return trial.suggest_int(self.name, self.low, self.high, log=self.log, step=self.step)

    def grid(self, points: int) -> list[int]:
        """Every admissible integer if there are at most ``points``; else ``points`` of them, spread out."""
        values = list(range(self.low, self.high + 1, self.step))
        if len(values) <= points:
            return values
        spaced = np.geomspace if self.log else np.linspace
        picks = sorted({round(float(v)) for v in spaced(self.low, self.high, points)})
        return [self.low + (v - self.low) // self.step * self.step for v in picks]

    def contains(self, value: Any) -> bool:
        return isinstance(value, (int, np.integer)) and self.low <= value <= self.high

    def __str__(self) -> str:
        options = (":log" if self.log else "") + (f":step={self.step}" if self.step != 1 else "")
        return f"{self.name}={self.low}..{self.high}{options}"


@dataclass(frozen=True)
class Choice:
    """One of ``values`` (a categorical parameter)."""

    name: str
    values: tuple[Any, ...]

    def suggest(self, trial: Suggester) -> Any:
        return trial.suggest_categorical(self.name, list(self.values))

    def grid(self, points: int) -> list[Any]:
        return list(self.values)

    def contains(self, value: Any) -> bool:
        return value in self.values

    def __str__(self) -> str:
        return f"{self.name}={','.join(format_value(v) for v in self.values)}"


@dataclass(frozen=True)
class Fixed:
    """A parameter every trial sets to ``value`` (not searched)."""

    name: str
    value: Any

    def suggest(self, trial: Suggester) -> Any:
        return self.value

    def grid(self, points: int) -> list[Any]:
        return [self.value]

    def contains(self, value: Any) -> bool:
        return value == self.value

    def __str__(self) -> str:
        return f"{self.name}={format_value(self.value)}"


Dimension = FloatRange | IntRange | Choice | Fixed

SYNTAX = "NAME=LOW..HIGH[:log][:step=S], NAME=A,B,C or NAME=VALUE"


def parse_dimension(text: str) -> Dimension:
    """One space entry (see the module docstring), checked against the parameter's kind and domain."""
    if not isinstance(text, str):
        raise TypeError(f"a space entry must be a string like 'lr=1e-4..1e-2:log', got {text!r}")
    where = f"space entry {text!r}"
    if "=" not in text:
        raise ValueError(f"{where}: write {SYNTAX}")
    name, spec = (part.strip() for part in text.split("=", 1))
    param = get_parameter(name, where)
    if not spec:
        raise ValueError(f"{where}: no value after '='; write {SYNTAX}")
    if ".." in spec:
        return _parse_range(param, spec, where)
    values = [parse_value(param, part.strip(), where) for part in spec.split(",")]
    if len(set(map(repr, values))) != len(values):
        raise ValueError(f"{where}: a value is listed twice")
    return Fixed(name, values[0]) if len(values) == 1 else Choice(name, tuple(values))


def parse_value(param: Parameter, text: str, where: str) -> Any:
    """``text`` as a value of ``param`` (a number, true/false or a name), checked against its domain."""
    if param.kind == "bool":
        return parse_bool(text, f"{where}: {param.name}")
    if param.kind == "choice":
        return param.check_value(text, where)
    return param.check_value(_number(param, text, where), where)


def _number(param: Parameter, text: str, where: str) -> float | int:
    try:
        return int(text) if param.kind == "int" else float(text)
    except ValueError:
        kind = "a whole number" if param.kind == "int" else "a number"
        raise ValueError(f"{where}: {param.name} takes {kind}, got {text!r}") from None


def _parse_range(param: Parameter, spec: str, where: str) -> FloatRange | IntRange:
    if param.kind not in ("float", "int"):
        raise ValueError(
            f"{where}: {param.name} is a {param.kind} parameter; list its values "
            f"({param.name}=A,B,...) instead of a range"
        )
    bounds, *options = spec.split(":")
    low_text, high_text = bounds.split("..", 1)
    low, high = _number(param, low_text.strip(), where), _number(param, high_text.strip(), where)
    log, step = False, None
    for option in (o.strip() for o in options):
        if option == "log":
            log = True
        elif option.startswith("step="):
            step = _number(param, option[len("step=") :], where)
        else:
            raise ValueError(
                f"{where}: unknown option {option!r}; a range takes ':log' and ':step=S'"
            )
    if log and step is not None:
        raise ValueError(f"{where}: ':log' and ':step' cannot be combined")
    if param.kind == "int":
        return check_dimension(
            IntRange(param.name, low, high, log=log, step=1 if step is None else step), where
        )
    return check_dimension(FloatRange(param.name, low, high, log=log, step=step), where)


def check_dimension(dim: Dimension, where: str | None = None) -> Dimension:
    """``dim`` if its values suit its parameter: finite, in the domain, a range neither empty nor inverted.

    Entries parsed from text and dimensions built in Python (``FloatRange("lr", 1e-4, 1e-2)``) pass
    through here, so that a bad space is refused before any trial, never by a failing trial.
    """
    where = where or f"space entry {str(dim)!r}"
    param = get_parameter(dim.name, where)
    if isinstance(dim, Fixed):
        param.check_value(dim.value, where)
    elif isinstance(dim, Choice):
        for value in dim.values:
            param.check_value(value, where)
    else:
        _check_range(param, dim, where)
    return dim


def _check_range(param: Parameter, dim: FloatRange | IntRange, where: str) -> None:
    low, high = param.check_value(dim.low, where), param.check_value(dim.high, where)
    if low == high:
        raise ValueError(
            f"{where}: the range is empty (low = high = {format_number(low)}); give LOW < HIGH, "
            f"or {param.name}={format_number(low)} to fix the value"
        )
    if low > high:
        raise ValueError(
            f"{where}: the range is inverted ({format_number(low)} > {format_number(high)}); "
            f"write {param.name}={format_number(high)}..{format_number(low)}"
        )
    if dim.log and low <= 0:
        raise ValueError(f"{where}: a log range needs LOW > 0, got {format_number(low)}")
    stepped = dim.step is not None and not (
        isinstance(dim, IntRange) and dim.step == 1
    )  # 1: every integer
    if stepped:
        if dim.log:
            raise ValueError(f"{where}: ':log' and ':step' cannot be combined")
        if not 0 < dim.step <= high - low:  # also False for a NaN step
            raise ValueError(f"{where}: step={format_number(dim.step)} must be in (0, HIGH - LOW]")


class SearchSpace:
    """An ordered set of dimensions, at most one per parameter.

    ``SearchSpace.parse(["lr=1e-4..1e-2:log", "optimizer=sgd,adam"])``; ``space.sample(trial)``
    gives a trial's complete settings: the defaults of :mod:`trainlab.tune.params`, overridden by
    the fixed entries, overridden by the sampled ones. An optimizer argument the trial's optimizer
    does not take (``momentum`` when ``adam`` was drawn) is not sampled in that trial.
    """

    def __init__(self, dimensions: Iterable[Dimension]) -> None:
        self._dims: dict[str, Dimension] = {}
        for dim in dimensions:
            check_dimension(dim)
            if dim.name in self._dims:
                raise ValueError(
                    f"space: {dim.name} appears twice ({self._dims[dim.name]} and {dim})"
                )
            self._dims[dim.name] = dim
        self._check_optimizer_arguments()

    @classmethod
    def parse(cls, entries: str | Iterable[str | Dimension]) -> SearchSpace:
        """A space from entries (strings as on the command line, or dimensions)."""
        if isinstance(entries, str):
            entries = [entries]
        return cls(
            entry if not isinstance(entry, str) else parse_dimension(entry) for entry in entries
        )

    def __iter__(self) -> Iterator[Dimension]:
        return iter(self._dims.values())

    def __len__(self) -> int:
        return len(self._dims)

    def __contains__(self, name: object) -> bool:
        return name in self._dims

    def __getitem__(self, name: str) -> Dimension:
        return self._dims[name]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self.entries() == other.entries()

    def __repr__(self) -> str:
        return f"SearchSpace({list(self.entries())!r})"

    @property
    def searched(self) -> list[Dimension]:
        """The dimensions that vary (not fixed), ``optimizer`` first: others may depend on it."""
        dims = [dim for dim in self if not isinstance(dim, Fixed)]
        return sorted(dims, key=lambda dim: dim.name != "optimizer")

    @property
    def fixed(self) -> dict[str, Any]:
        return {dim.name: dim.value for dim in self if isinstance(dim, Fixed)}

    def entries(self) -> tuple[str, ...]:
        """The space written as command-line entries (parsing them gives the same space)."""
        return tuple(str(dim) for dim in self)

    def merged(self, overrides: SearchSpace) -> SearchSpace:
        """This space with ``overrides``' entries replacing same-named ones and the others appended."""
        return SearchSpace(
            [overrides._dims.get(d.name, d) for d in self]
            + [d for d in overrides if d.name not in self]
        )

    def optimizers(self) -> list[str]:
        """The optimizers the trials of this space may use."""
        dim = self._dims.get("optimizer")
        if dim is None:
            return [PARAMETERS["optimizer"].default]
        return [dim.value] if isinstance(dim, Fixed) else list(dim.values)

    def sample(self, trial: Suggester) -> dict[str, Any]:
        """Every parameter's value for one trial (defaults, then fixed entries, then sampled ones)."""
        values = default_values()
        values.update(self.fixed)
        for dim in self.searched:
            if not applies(dim.name, values["optimizer"]):
                continue
            values[dim.name] = dim.suggest(trial)
        return values

    def grid(self, points: int) -> dict[str, list[Any]]:
        """The grid search's values of each searched dimension (``points`` per continuous range)."""
        return {dim.name: dim.grid(points) for dim in self.searched}

    def grid_size(self, points: int) -> int:
        return math.prod(len(values) for values in self.grid(points).values())

    def _check_optimizer_arguments(self) -> None:
        """Every optimizer argument in the space must be taken by at least one optimizer it may use."""
        optimizers = self.optimizers()
        for dim in self:
            param = PARAMETERS[dim.name]
            if param.target != "optimizer" or dim.name == "optimizer":
                continue
            if not any(dim.name in optimizer_accepts(name) for name in optimizers):
                takes = "; ".join(
                    f"{name} takes {', '.join(sorted(optimizer_accepts(name)))}"
                    for name in optimizers
                )
                raise ValueError(
                    f"space entry {str(dim)!r}: no optimizer of this search takes {dim.name} ({takes})"
                )


def applies(name: str, optimizer: str) -> bool:
    """Whether parameter ``name`` has any effect in a trial that uses ``optimizer``."""
    param = PARAMETERS[name]
    return (
        param.target != "optimizer" or name == "optimizer" or name in optimizer_accepts(optimizer)
    )


def merge_space(base: Sequence[str], overrides: Sequence[str]) -> tuple[str, ...]:
    """Entries of ``base`` with ``overrides`` replacing same-named ones (the CLI's ``--space`` over
    the book's)."""
    return SearchSpace.parse(base).merged(SearchSpace.parse(overrides)).entries()
