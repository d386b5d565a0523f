"""Hyperparameters declared once, in the class body: the default, the values allowed, what it means.

    class RMSProp(Optimizer):
        rho = Hyperparameter(0.99, FRACTION, "the decay of the average of g⊙g")

From the declarations :class:`~trainlab.optimizers.base.Optimizer` builds each class's constructor,
``get_config``, the help text and the check of every assignment (``optimizer.lr = 0`` raises), and
:mod:`trainlab.tune.params` the optimizers' search parameters: a :class:`Domain` says which values
are allowed in a form both can read.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainlab.validation import check_number


@dataclass(frozen=True)
class Domain:
    """The values a hyperparameter allows: a number in an interval (``low``/``high``, None for no
    bound, ``*_open`` to exclude the bound itself), or a flag (``kind="bool"``); ``optional``: None
    too (off)."""

    kind: str = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    optional: bool = False

    def check(self, name: str, value: Any) -> Any:
        """``value`` (as a float or bool) if allowed, else a ValueError/TypeError naming
        ``name``."""
        if value is None and self.optional:
            return None
        if self.kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(
                    f"{name} must be True or False, got {value!r} ({type(value).__name__})"
                )
            return bool(value)
        value = check_number(name, value)
        if self.allows(value):
            return value
        if self.high is None:
            raise ValueError(
                f"{name} must be {'>' if self.low_open else '>='} {self.low:g}, got {value!r}"
            )
        raise ValueError(f"{name} must be in {self.interval()}, got {value!r}")

    def allows(self, value: float) -> bool:
        low, high = self.low, self.high
        if low is not None and (value < low or (self.low_open and value == low)):
            return False
        return high is None or not (value > high or (self.high_open and value == high))

    def interval(self) -> str:
        """The interval in the usual notation, e.g. ``[0.0, 1.0)`` or ``(0.0, inf)``."""
        low = "-inf" if self.low is None else repr(self.low)
        high = "inf" if self.high is None else repr(self.high)
        opening = "(" if self.low_open or self.low is None else "["
        return f"{opening}{low}, {high}{')' if self.high_open or self.high is None else ']'}"

    def describe(self) -> str:
        """The allowed values in words: ``> 0``, ``>= 0``, ``in [0, 1)``, ``True or False``, ``or
        None``."""
        if self.kind == "bool":
            text = "True or False"
        elif self.high is None and self.low is not None:
            text = f"{'>' if self.low_open else '>='} {self.low:g}"
        else:
            low = "-inf" if self.low is None else f"{self.low:g}"
            high = "inf" if self.high is None else f"{self.high:g}"
            text = (
                f"in {'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"
            )
        return f"{text} or None" if self.optional else text


POSITIVE = Domain(low=0.0, low_open=True)
"""A number > 0 (learning rates, ε)."""
NON_NEGATIVE = Domain(low=0.0)
"""A number >= 0 (weight decay)."""
FRACTION = Domain(low=0.0, high=1.0, high_open=True)
"""A number in [0, 1): the decay rates (β, rho) and the momentum."""
FLAG = Domain(kind="bool")
"""True or False."""
OPTIONAL_POSITIVE = Domain(low=0.0, low_open=True, optional=True)
"""None (off) or a number > 0 (the clipping options)."""


class Hyperparameter:
    """A hyperparameter declared once, in the class body: its default, its :class:`Domain` and its
    meaning.

    The optimizer's constructor takes it (in declaration order, base class first; ``keyword_only``
    ones after ``*``), ``get_config`` returns it, and every assignment is checked against the domain
    (constructor, schedule and callback all use plain ``optimizer.lr = 0.1``), so a bad value raises
    at once, naming the attribute, before any weight moves. A subclass changes a default by
    declaring the hyperparameter again.

    The value lives in the instance's ``__dict__``, where reading ``self.lr`` finds it at C speed (a
    rule reads its hyperparameters for every run of parameters at every update).
    """

    def __init__(
        self, default: Any, domain: Domain, doc: str, *, keyword_only: bool = False
    ) -> None:
        if not isinstance(domain, Domain):
            raise TypeError(f"domain must be a Domain such as POSITIVE or FRACTION, got {domain!r}")
        self.default, self.domain, self.doc, self.keyword_only = default, domain, doc, keyword_only
        self.__doc__ = f"{doc}; default {default!r}"  # what help() shows for the attribute

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        # a default outside the domain is a mistake in the class body
        self.check(name, self.default)

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        raise AttributeError(f"{type(obj).__name__}.{self.name} is not set yet")

    def check(self, name: str, value: Any) -> Any:
        return self.domain.check(name, value)

    def describe(self) -> str:
        """The help line: its meaning and the values it allows."""
        return f"{self.doc} ({self.domain.describe()})"

    def parameter(self) -> inspect.Parameter:
        kind = (
            inspect.Parameter.KEYWORD_ONLY
            if self.keyword_only
            else inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        return inspect.Parameter(self.name, kind, default=self.default)


SHARED_OPTIONS = ("clip_norm", "clip_value")
"""Keyword options of every optimizer (not part of its rule); they come last in each constructor."""


def declared_hyperparameters(cls: type) -> dict[str, Hyperparameter]:
    """The hyperparameters of ``cls`` in constructor order: positional ones base class first, then
    keyword-only ones, the shared clipping options last."""
    declared: dict[str, Hyperparameter] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Hyperparameter):
                declared[name] = value  # a redeclaration keeps its place and takes the new default
            elif name in declared:
                del declared[name]  # replaced by something else (an alias property, say)
    order = (
        [h for h in declared.values() if not h.keyword_only]
        + [h for h in declared.values() if h.keyword_only and h.name not in SHARED_OPTIONS]
        + [h for h in declared.values() if h.name in SHARED_OPTIONS]
    )
    return {h.name: h for h in order}
