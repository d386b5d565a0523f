"""Argument checks shared by the whole package.

Each check raises ``ValueError`` or ``TypeError`` with a message that names the argument, the value
it got and what is allowed, so a mistake is reported where it is made rather than as a deep NumPy
traceback.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import numbers
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np


def check_number(name: str, value: Any, *, finite: bool = True) -> float:
    """``value`` as a float, or TypeError if it is not a real number (bools are refused); finite
    unless ``finite=False`` (NaN is never a number here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if (finite and not np.isfinite(value)) or np.isnan(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def check_positive(name: str, value: Any, *, finite: bool = True) -> float:
    """A number > 0 (+inf allowed with ``finite=False``)."""
    value = check_number(name, value, finite=finite)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


def check_non_negative(name: str, value: Any) -> float:
    """A number >= 0."""
    value = check_number(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


def check_in_range(
    name: str, value: Any, low: float, high: float, *, closed_high: bool = False
) -> float:
    """A number in [low, high) (or [low, high] with ``closed_high``)."""
    value = check_number(name, value)
    if value < low or value > high or (value == high and not closed_high):
        bracket = "]" if closed_high else ")"
        raise ValueError(f"{name} must be in [{low}, {high}{bracket}, got {value!r}")
    return value


def check_int(name: str, value: Any, minimum: int | None = None) -> int:
    """An integer (not a bool), optionally >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """One of ``allowed``."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(
            f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}"
        )
    return value


def check_not_a_class(name: str, value: Any) -> None:
    """TypeError for a class given where an object is wanted (``EarlyStopping`` for ``EarlyStopping()``)."""
    if isinstance(value, type):
        raise TypeError(
            f"{name} is the class {value.__name__}, not an object; write {value.__name__}() "
            "(with its arguments)"
        )


def check_keywords(function: str, given: Iterable[str], allowed: Iterable[str]) -> None:
    """TypeError for a keyword argument that ``function`` does not take: it names the function, the
    keyword, the closest allowed one and every allowed one (Python's own message names an internal
    function)."""
    allowed = list(allowed)
    for name in given:
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(
                f"{function}() got an unexpected keyword argument {name!r}{hint}; it takes "
                f"{', '.join(allowed)}"
            )


Function = TypeVar("Function", bound=Callable[..., Any])


def explain_keywords(function: Function) -> Function:
    """Decorate ``function`` so that an unknown keyword argument raises :func:`check_keywords`' TypeError.

    For functions Keras users call with Keras's own keywords (fit's options, callbacks, evaluate,
    predict): the error lists what is allowed. A signature with ``**kwargs`` is left to the function
    itself.
    """
    signature = inspect.signature(function)
    parameters = [p for p in signature.parameters.values() if p.name != "self"]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return function
    allowed = [p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    name = function.__qualname__.removesuffix(".__init__")

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        check_keywords(name, kwargs, allowed)
        return function(*args, **kwargs)

    return checked  # type: ignore[return-value]


def as_float_array(name: str, x: Any, dtype: np.dtype, *, min_ndim: int = 1) -> np.ndarray:
    """``x`` as a finite float array of ``dtype``; clear errors for non-numeric, empty or NaN/inf input."""
    try:
        array = np.asarray(x)
    except Exception as error:  # ragged lists and the like
        raise TypeError(f"{name} must be an array of numbers: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if array.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimension(s), got shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(
            f"{name} is empty (shape {array.shape}); a batch needs at least one sample"
        )
    array = array.astype(dtype, copy=False)
    check_finite(name, array)
    return array


def check_finite(name: str, array: np.ndarray) -> None:
    """ValueError naming where the first NaN or inf of ``array`` is."""
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(f"{name} contains NaN or inf (first at index {where}: {array[where]!r})")
