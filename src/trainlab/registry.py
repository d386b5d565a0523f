"""Names and configs: how layers, initializers, losses, optimizers ... are found by name and
rebuilt.

A :class:`Configurable` object can describe itself as plain JSON data (``get_config``: its
constructor's arguments) and be rebuilt from it; :func:`serialize` / :func:`deserialize` do this
recursively, which is all that saving a model needs (no pickle). A :class:`Registry` maps
user-facing names ("he_normal", "relu", "adam") to classes and reports unknown names together with
the valid ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from trainlab.validation import check_not_a_class

T = TypeVar("T")

_CLASSES: dict[str, type] = {}


class Configurable:
    """Base for objects that can be rebuilt from ``get_config()``.

    By convention each constructor argument is stored under an attribute of the same name, so the
    default ``get_config`` can read them back; a class that stores them differently overrides
    ``get_config``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _CLASSES[cls.__name__] = cls

    def get_config(self) -> dict[str, Any]:
        parameters = inspect.signature(type(self).__init__).parameters.values()
        return {
            p.name: getattr(self, p.name)
            for p in parameters
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def serialize(value: Any) -> Any:
    """Plain JSON data for ``value``: Configurable objects become {"class": ..., "config":
    {...}}."""
    if isinstance(value, Configurable):
        return {"class": type(value).__name__, "config": serialize(value.get_config())}
    if isinstance(value, dict):
        return {key: serialize(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [serialize(item) for item in value]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # NumPy scalars
        return value.item()
    return value


def deserialize(data: Any) -> Any:
    """The inverse of :func:`serialize`."""
    if isinstance(data, dict) and set(data) == {"class", "config"}:
        name = data["class"]
        if name not in _CLASSES:
            raise ValueError(
                f"unknown class {name!r} in a saved config; known: {', '.join(sorted(_CLASSES))}"
            )
        return _CLASSES[name](**deserialize(data["config"]))
    if isinstance(data, dict):
        return {key: deserialize(item) for key, item in data.items()}
    if isinstance(data, list):
        return [deserialize(item) for item in data]
    return data


class Registry:
    """User-facing names of one kind of object ("initializer", "activation", ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Callable[..., Any]] = {}

    def register(self, *names: str) -> Callable[[T], T]:
        """Class decorator: make the class available under ``names``."""

        def decorate(cls: T) -> T:
            for name in names:
                self._entries[name] = cls  # type: ignore[assignment]
            return cls

        return decorate

    def add(self, name: str, factory: Callable[..., Any]) -> None:
        """Register a factory (a class or a function returning an object) under ``name``."""
        self._entries[name] = factory

    def remove(self, name: str) -> None:
        """Forget ``name`` (a class registered for a while, in a test say); KeyError if it is
        unknown."""
        del self._entries[name]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def lookup(self, name: str, argument: str) -> Callable[..., Any]:
        """The class or factory registered as ``name`` (any case); ``argument`` names the user's
        argument in the error for an unknown name, which lists the valid ones."""
        check_not_a_class(argument, name)
        if not isinstance(name, str):
            raise TypeError(f"{argument} must be a {self.kind} name or object, got {name!r}")
        key = name.lower()
        if key not in self._entries:
            raise ValueError(
                f"{argument}={name!r} is not a known {self.kind}; "
                f"valid names: {', '.join(self.names())}"
            )
        return self._entries[key]

    def create(self, name: str, argument: str, **kwargs: Any) -> Any:
        """The object registered as ``name``; ``argument`` names the user's argument in the
        error."""
        return self.lookup(name, argument)(**kwargs)
