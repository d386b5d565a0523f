"""The names a search space may use: what each one is, where it goes, and which values it allows.

Every searchable setting has one name, one kind and one target:

* ``model`` settings build the network (:func:`trainlab.tune.objective.build_model`): the book's MLP
  of ``hidden_layers`` × ``hidden_units`` Dense layers with ``activation``, ``init``, optional
  ``batchnorm`` and ``dropout``, and the textbook's weight decay ``weight_decay`` (½·λ·ΣW² added to
  the loss);
* ``optimizer`` settings go to the optimizer's constructor (``optimizer`` picks it by name; ``lr``,
  ``momentum``, ... are its arguments, one for every hyperparameter a registered optimizer declares,
  derived from its declaration: its meaning and allowed values; ``decoupled_weight_decay`` is
  AdamW's and Lion's own ``weight_decay``, renamed so that it cannot be confused with the model's);
* ``training`` settings go to ``fit`` (``batch_size``).

A setting that is neither fixed nor searched keeps its default here: the book's network and SGD.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from trainlab.activations import ACTIVATIONS
from trainlab.initializers import INITIALIZERS
from trainlab.optimizers import OPTIMIZERS, Hyperparameter, describe
from trainlab.optimizers.hyperparameters import SHARED_OPTIONS

KINDS = ("float", "int", "choice", "bool")
TARGETS = ("model", "optimizer", "training")


@dataclass(frozen=True)
class Parameter:
    """One searchable setting.

    ``low``/``high`` bound the values a range may cover (``low_open``: ``low`` itself is excluded,
    e.g. a learning rate must be > 0; ``high_open`` likewise); ``choices`` lists the allowed values
    of a ``choice`` parameter. ``default`` None means "the optimizer's own default".
    """

    name: str
    kind: str
    target: str
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: Callable[[], list[str]] | None = None

    def check_value(self, value: Any, where: str) -> Any:
        """``value`` if this parameter allows it; else ValueError/TypeError naming ``where`` and the
        rule."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise TypeError(f"{where}: {self.name} is true or false, got {value!r}")
            return value
        if self.kind == "choice":
            allowed = self.choices() if self.choices else []
            if not isinstance(value, str) or value.lower() not in allowed:
                raise ValueError(
                    f"{where}: {self.name}={value!r} is not allowed; "
                    f"choose from {', '.join(allowed)}"
                )
            return value.lower()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{where}: {self.name} takes a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{where}: {self.name} takes a finite number, got {value!r}")
        if self.kind == "int" and value != int(value):
            raise TypeError(f"{where}: {self.name} takes a whole number, got {value!r}")
        if not self.allows(value):
            raise ValueError(
                f"{where}: {self.name}={value:.12g} is outside its allowed values {self.domain()}"
            )
        return int(value) if self.kind == "int" else float(value)

    def allows(self, value: float) -> bool:
        if value != value:  # NaN
            return False
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (
            self.high is not None and (value > self.high or (self.high_open and value == self.high))
        )

    def domain(self) -> str:
        """The allowed values in interval notation, e.g. ``(0, inf)`` or ``[0, 1)``; choices as a
        list."""
        if self.kind == "bool":
            return "true, false"
        if self.kind == "choice":
            return ", ".join(self.choices() if self.choices else [])
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        opening = "(" if self.low_open or self.low is None else "["
        closing = ")" if self.high_open or self.high is None else "]"
        return f"{opening}{low}, {high}{closing}"


def _positive(name: str, kind: str, target: str, default: Any, text: str) -> Parameter:
    return Parameter(name, kind, target, default, text, low=0.0, low_open=True)


def _fraction(name: str, target: str, default: Any, text: str) -> Parameter:
    return Parameter(name, "float", target, default, text, low=0.0, high=1.0, high_open=True)


MODEL_PARAMETERS = [
    Parameter("hidden_layers", "int", "model", 6, "number of hidden Dense layers", low=1),
    Parameter("hidden_units", "int", "model", 100, "units in each hidden layer", low=1),
    Parameter(
        "activation",
        "choice",
        "model",
        "relu",
        "activation after each hidden layer",
        choices=ACTIVATIONS.names,
    ),
    Parameter(
        "init",
        "choice",
        "model",
        "he_normal",
        "weight initializer of every Dense layer",
        choices=INITIALIZERS.names,
    ),
    Parameter(
        "batchnorm",
        "bool",
        "model",
        False,
        "BatchNorm between each hidden Dense layer and its activation",
    ),
    _fraction(
        "dropout", "model", 0.0, "Dropout rate after each hidden activation (0: no Dropout layers)"
    ),
    Parameter(
        "weight_decay",
        "float",
        "model",
        0.0,
        "the textbook's weight decay λ: loss + ½·λ·ΣW²",
        low=0.0,
    ),
    Parameter(
        "optimizer",
        "choice",
        "optimizer",
        "sgd",
        "the optimizer, by name",
        choices=OPTIMIZERS.names,
    ),
]
TRAINING_PARAMETERS = [Parameter("batch_size", "int", "training", 100, "mini-batch size", low=1)]

OPTIMIZER_ARGUMENTS = {"decoupled_weight_decay": "weight_decay"}
"""Parameter names that differ from the optimizer constructor's argument names (the model has its
own ``weight_decay``)."""
SEARCH_NAMES = {argument: name for name, argument in OPTIMIZER_ARGUMENTS.items()}


def search_parameter(name: str, hyperparameter: Hyperparameter, optimizers: list[str]) -> Parameter:
    """The search parameter of a declared hyperparameter: its meaning and domain; default None (each
    optimizer's own)."""
    domain, every = hyperparameter.domain, optimizers == OPTIMIZERS.names()
    text = f"{hyperparameter.doc} ({'every optimizer' if every else ', '.join(optimizers)})"
    if domain.kind == "bool":
        return Parameter(name, "bool", "optimizer", None, text)
    return Parameter(
        name,
        "float",
        "optimizer",
        None,
        text,
        low=domain.low,
        high=domain.high,
        low_open=domain.low_open,
        high_open=domain.high_open,
    )


def optimizer_parameters() -> dict[str, Parameter]:
    """A search parameter for every hyperparameter the registered optimizers declare, ``lr`` first,
    the clipping options last, the others by how many optimizers take them. Where optimizers declare
    a name each in its own words, the declaration most of them share gives its meaning and
    domain."""
    takers: dict[str, list[str]] = {}
    declarations: dict[str, list[Hyperparameter]] = {}
    for optimizer in OPTIMIZERS.names():
        info = describe(optimizer)
        for argument, hyperparameter in info.cls.hyperparameters.items():
            # "amsgrad" fixes Adam's amsgrad: it is not searched there
            if argument not in info.settings:
                name = SEARCH_NAMES.get(argument, argument)
                takers.setdefault(name, []).append(optimizer)
                declarations.setdefault(name, []).append(hyperparameter)
    order = sorted(
        takers, key=lambda name: (name != "lr", name in SHARED_OPTIONS, -len(takers[name]), name)
    )

    def most_shared(found: list[Hyperparameter]) -> Hyperparameter:
        return max(found, key=lambda h: sum(other is h for other in found))

    return {
        name: search_parameter(name, most_shared(declarations[name]), takers[name])
        for name in order
    }


class Parameters(Mapping[str, Parameter]):
    """Every name a search space may use, by name: the model's, the optimizers' (derived from the
    registered optimizers, so a newly registered one brings its hyperparameters) and the
    training's."""

    def __init__(self) -> None:
        self.known: tuple[tuple[str, int], ...] = ()
        self.parameters: dict[str, Parameter] = {}

    def current(self) -> dict[str, Parameter]:
        known = tuple(
            (name, id(OPTIMIZERS.lookup(name, "optimizer"))) for name in OPTIMIZERS.names()
        )
        if known != self.known:  # an optimizer was registered since: derive them again
            parameters = [*MODEL_PARAMETERS, *optimizer_parameters().values(), *TRAINING_PARAMETERS]
            self.known, self.parameters = known, {p.name: p for p in parameters}
        return self.parameters

    def __getitem__(self, name: str) -> Parameter:
        return self.current()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.current())

    def __len__(self) -> int:
        return len(self.current())


PARAMETERS = Parameters()
"""Every name a search space may use, by name."""


def get_parameter(name: str, where: str = "space") -> Parameter:
    """The :class:`Parameter` called ``name``; an error listing the valid names for an unknown
    one."""
    if name not in PARAMETERS:
        raise ValueError(
            f"{where}: unknown parameter {name!r}; searchable parameters: {', '.join(PARAMETERS)} "
            "(see `trainlab tune --list-params`)"
        )
    return PARAMETERS[name]


def default_values() -> dict[str, Any]:
    """Every parameter's default: the book's network (784-100×6-10, ReLU, He) trained by SGD, batch
    100."""
    return {name: p.default for name, p in PARAMETERS.items()}


def optimizer_accepts(optimizer: str) -> frozenset[str]:
    """The parameter names (as used in a space) of the hyperparameters optimizer ``optimizer``
    declares (less those its registered name fixes, such as ``amsgrad`` for "amsgrad")."""
    info = describe(optimizer)
    return frozenset(
        SEARCH_NAMES.get(name, name)
        for name in info.cls.hyperparameters
        if name not in info.settings
    )


def describe_parameters() -> list[tuple[str, str, str, str, str]]:
    """Rows (name, kind, goes to, default, allowed / meaning) for ``trainlab tune
    --list-params``."""
    rows = []
    for p in PARAMETERS.values():
        default = "optimizer's" if p.default is None else str(p.default).lower()
        rows.append((p.name, p.kind, p.target, default, f"{p.domain()}: {p.help}"))
    return rows
