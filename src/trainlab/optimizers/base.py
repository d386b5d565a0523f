"""The optimizer base class: everything that is not an update rule.

A subclass declares its hyperparameters (:mod:`.hyperparameters`), names its state arrays
(``slots``) and writes ``rule``, the formula of its docstring. :class:`Optimizer` does the rest: the
constructor, ``get_config`` and the help text from the declarations, checking params and gradients,
the NaN guard, clipping, ``state_dict``; its :class:`~.layout.Workspace` keeps the state and scratch
arrays and hands the rule the arrays it works on (a run of parameters at once where they lie back to
back in memory; large ones block by block). :func:`describe` tells a registered optimizer's label,
plot marker and default learning rate.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn

import numpy as np

from trainlab.backend import Array
from trainlab.optimizers.clipping import clip_factor
from trainlab.optimizers.hyperparameters import (
    OPTIONAL_POSITIVE,
    POSITIVE,
    Hyperparameter,
    declared_hyperparameters,
)
from trainlab.optimizers.layout import Workspace
from trainlab.registry import Configurable, Registry
from trainlab.validation import check_int

OPTIMIZERS = Registry("optimizer")


def moving_average(average: Array, x: Array, decay: float, work: Array) -> Array:
    """average ← decay·average + (1 − decay)·x, in place; ``work`` is scratch (``x`` may be
    ``work``)."""
    average *= decay
    average += np.multiply(x, 1.0 - decay, out=work)
    return average


class Optimizer(Configurable):
    """Base class of the optimizers: one ``update`` applies a subclass's ``rule`` to every
    parameter.

    A subclass declares its hyperparameters, lists its per-parameter state arrays in ``slots`` and
    writes ``rule(theta, g, *state, work)``: the update of one parameter θ, in place, from its
    (possibly clipped) gradient g, its state arrays (zeros at the first update) and a scratch array
    ``work`` of θ's shape (more scratch arrays if ``scratch`` names them). ``iterations`` is t, the
    number of the update (1, 2, ...), when the rule runs. That and a registration is all a new
    optimizer takes::

        @OPTIMIZERS.register("signsgd")
        class SignSGD(Optimizer):            # θ ← θ − η·sign(g)
            lr = Hyperparameter(0.001, POSITIVE, "the learning rate η")
            marker = "p"                     # for plots; label: the class name unless set

            def rule(self, theta, g, *, work):
                theta -= np.multiply(self.lr, np.sign(g, out=work), out=work)

    Options shared by all optimizers (Keras-style, applied to a private copy, never to the caller's
    gradients):

    - ``clip_norm``: clip the gradients by their *global* norm, g ← g·min(1, clip_norm / ‖g‖), with
      ‖g‖ over all parameters together (Keras's ``global_clipnorm``, PyTorch's ``clip_grad_norm_``);
    - ``clip_value``: clip every gradient entry to [-clip_value, clip_value].

    ``learning_rate=`` is accepted for ``lr`` (Keras's name), and ``optimizer.learning_rate`` reads
    and sets it. After each update, :attr:`grad_norm` holds the global gradient norm before
    clipping.

    One rule call per run, not per parameter: a model's parameters are views of one flat array and
    its gradients of another (:func:`trainlab.params.pack_parameters`), so ``update`` calls the rule
    once on the flat range that consecutive parameters cover (:mod:`trainlab.optimizers.layout`),
    with state arrays whose pieces are ``state[name][slot]``. The rule is elementwise, so this is
    the same update, bit for bit, as one call per parameter, which is what separate arrays get. The
    checks, the NaN guard and ``grad_norm`` stay per parameter.

    ``momentum`` is the coefficient a 1cycle schedule cycles: β of Momentum and Nesterov, β1 of the
    Adam family, and ``None`` for optimizers without one (SGD, AdaGrad, RMSProp, Adadelta)::

        if optimizer.momentum is not None:
            optimizer.momentum = schedule.momentum(step)
    """

    lr = Hyperparameter(0.01, POSITIVE, "the learning rate η")
    clip_norm = Hyperparameter(
        None, OPTIONAL_POSITIVE, "clip the gradients' global norm to this", keyword_only=True
    )
    clip_value = Hyperparameter(
        None, OPTIONAL_POSITIVE, "clip every gradient entry to ±this", keyword_only=True
    )
    slots: tuple[str, ...] = ()
    """Names of the per-parameter state arrays, in the order ``rule`` takes them."""
    scratch: tuple[str, ...] = ("work",)
    """Names of the scratch arrays ``rule`` takes as keywords (contents undefined on entry)."""
    block_size: int | None = 262144
    """Parameters (or runs of them) with more entries are updated block by block, so that a block of
    the parameter, its gradient, its state and the scratch stay in the CPU cache through the passes
    of an update; None: never. Every rule is elementwise, so block by block is the same update as
    all at once. Measured on the Fashion net's 537,354-entry run (December 2026, one thread):
    262,144-entry blocks were a few per cent faster than none, 65,536-entry ones 10-20 % slower."""
    label: ClassVar[str] = "Optimizer"
    """The name a figure or a table shows: the class's name unless its body sets another."""
    marker: ClassVar[str] = "."
    """The matplotlib marker of its curves in figures."""
    keras_options: ClassVar[dict[str, Any]] = {}
    """Constructor keywords that are not hyperparameters of the class, by default value (Keras's
    spellings that ``__new__`` turns into another optimizer, as ``SGD(momentum=0.9)``)."""
    hyperparameters: ClassVar[dict[str, Hyperparameter]]
    """The declared hyperparameters, in constructor order (set for each class)."""
    default_lr: ClassVar[float]
    """The default learning rate (the declared default of ``lr``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "label" not in vars(cls):
            cls.label = cls.__name__
        cls._build_constructor()

    @classmethod
    def _build_constructor(cls) -> None:
        """Give ``cls`` its hyperparameters, a constructor with their signature and their help
        text."""
        cls.hyperparameters = declared_hyperparameters(cls)
        cls.default_lr = cls.hyperparameters["lr"].default
        keyword = inspect.Parameter.KEYWORD_ONLY
        options = [
            inspect.Parameter(name, keyword, default=default)
            for name, default in cls.keras_options.items()
        ]
        alias = inspect.Parameter("learning_rate", keyword, default=None)
        signature = inspect.Signature(
            [
                inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                *(h.parameter() for h in cls.hyperparameters.values()),
                *options,
                alias,
            ]
        )

        def constructor(self: Optimizer, *args: Any, **kwargs: Any) -> None:
            try:
                arguments = signature.bind(self, *args, **kwargs).arguments
            except TypeError as error:
                raise TypeError(
                    f"{type(self).__name__}(): {error}; its parameters: "
                    f"{', '.join(list(signature.parameters)[1:])}"
                ) from None
            self._configure(arguments)

        constructor.__signature__ = signature  # type: ignore[attr-defined]
        # what inspect.signature(cls) shows: the constructor's parameters, not SGD.__new__'s
        cls.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])
        constructor.__name__, constructor.__qualname__ = "__init__", f"{cls.__qualname__}.__init__"
        constructor.__doc__ = (
            "Hyperparameters:\n\n"
            + "\n".join(
                f"- ``{h.name}`` = {h.default!r}: {h.describe()}"
                for h in cls.hyperparameters.values()
            )
            + "".join(
                f"\n- ``{name}`` = {default!r}: Keras's spelling (see the class docstring)"
                for name, default in cls.keras_options.items()
            )
            + "\n- ``learning_rate``: Keras's name for ``lr`` (give one of the two)"
        )
        cls.__init__ = constructor  # type: ignore[method-assign]

    def _configure(self, arguments: dict[str, Any]) -> None:
        """Set every hyperparameter (given or default) and start with empty state."""
        learning_rate = arguments.get("learning_rate")
        if learning_rate is not None and "lr" in arguments:
            raise TypeError(
                f"give lr or learning_rate (Keras's name for it), not both "
                f"(got lr={arguments['lr']!r}, learning_rate={learning_rate!r})"
            )
        for name, hyperparameter in self.hyperparameters.items():
            setattr(self, name, arguments.get(name, hyperparameter.default))
        if learning_rate is not None:
            self.lr = learning_rate
        if self.clip_norm is not None and self.clip_value is not None:
            raise ValueError(
                f"give clip_norm or clip_value, not both (got clip_norm={self.clip_norm!r}, "
                f"clip_value={self.clip_value!r})"
            )
        self.iterations = 0
        self.grad_norm: float | None = None
        self.workspace = Workspace()

    def __setattr__(self, name: str, value: Any) -> None:
        """Check every assignment to a hyperparameter (``optimizer.lr = 0`` raises; the old value
        stays)."""
        hyperparameter = self.hyperparameters.get(name)
        if hyperparameter is not None:
            value = hyperparameter.check(name, value)
        object.__setattr__(self, name, value)

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters by name: ``type(opt)(**opt.get_config())`` builds the same
        optimizer."""
        return {name: getattr(self, name) for name in self.hyperparameters}

    @property
    def state(self) -> dict[str, dict[str, Array]]:
        """The state arrays by parameter name and slot, ``state["dense1.W"]["m"]`` (after the first
        update)."""
        return self.workspace.state

    @property
    def learning_rate(self) -> float:
        """Keras's name for :attr:`lr`."""
        return self.lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.lr = value

    @property
    def momentum(self) -> float | None:
        """The momentum coefficient (β or β1), or None if this optimizer has none."""
        return None

    @momentum.setter
    def momentum(self, value: float) -> None:
        raise AttributeError(f"{type(self).__name__} has no momentum to set (its momentum is None)")

    # -- the update --------------------------------------------------------------------------------
    def rule(self, theta: Array, g: Array, *state: Array, work: Array) -> None:
        """Update θ in place from g (see the class docstring); ``self.iterations`` is already t."""
        raise NotImplementedError(f"{type(self).__name__} does not define its update rule")

    def update(self, params: MutableMapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Apply one update to every parameter, in place: check, clip, the rule over the layout.

        Everything is checked before anything changes: on an error (mismatched names or shapes, a
        NaN or inf gradient, a loaded state that does not fit) the weights, the state and
        ``iterations`` are left as they were.
        """
        checked, squares = self.check_gradients(params, grads)
        steps = self.workspace.steps(checked, self.slots, self.scratch, self.block_size)
        self.grad_norm = math.sqrt(sum(squares))
        scale = 1.0 if self.clip_norm is None else clip_factor(self.grad_norm, self.clip_norm)
        clipping = self.clip_value is not None or scale < 1.0
        self.iterations += 1
        rule = self.rule
        for arguments, g in steps:
            arguments.apply(rule, self.clipped(g, arguments.theta, scale) if clipping else g)

    def clipped(self, g: Array, theta: Array, scale: float) -> Array:
        """g clipped by value, or scaled by the clip factor of its global norm, in a scratch
        array."""
        if self.clip_value is not None:
            return np.clip(
                g, -self.clip_value, self.clip_value, out=self.workspace.buffer("clipped", theta)
            )
        return np.multiply(g, scale, out=self.workspace.buffer("clipped", theta))

    def check_gradients(
        self, params: Mapping[str, Array], grads: Mapping[str, Array]
    ) -> tuple[list[tuple[str, Array, Array]], list[float]]:
        """Raise a clear error for mismatched names, types or shapes or a NaN/inf gradient.

        Return (name, θ, g) for every parameter in the order of ``params``, and every gradient's
        ‖gᵢ‖². The squared norm (one BLAS dot product per array) is NaN or inf whenever the gradient
        holds one, which makes the guard nearly free (the exact check runs only to confirm); the
        squares also give the global norm for ``clip_norm``.
        """
        checked, squares = [], []
        for name in params:  # by name, one pass: a model's ParamDict is a mapping written in Python
            param = params[name]
            try:
                grad = grads[name]
            except KeyError:
                self._mismatched_names(params, grads)
            if not (
                isinstance(grad, np.ndarray)
                and isinstance(param, np.ndarray)
                and grad.shape == param.shape
                and param.dtype.kind == "f"
            ):
                self._explain_mismatch(name, param, grad)
            square = float(np.vdot(grad, grad))
            if not math.isfinite(square):
                square = self._confirmed_square(name, grad)
            checked.append((name, param, grad))
            squares.append(square)
        if len(grads) != len(checked):
            self._mismatched_names(params, grads)
        return checked, squares

    @staticmethod
    def _confirmed_square(name: str, grad: Array) -> float:
        """‖g‖² when its float dot product was not finite: an error if g holds a NaN or inf, else
        the sum in float64 (the float32 sum overflowed)."""
        if not np.isfinite(grad).all():
            raise FloatingPointError(
                f"grads[{name!r}] contains NaN or inf; the update was not applied (lower the "
                "learning rate, clip gradients, or check the inputs)"
            )
        return float(np.vdot(grad.astype(np.float64), grad.astype(np.float64)))

    @staticmethod
    def _mismatched_names(params: Mapping[str, Array], grads: Mapping[str, Array]) -> NoReturn:
        missing, extra = set(params) - set(grads), set(grads) - set(params)
        raise ValueError(
            f"params and grads have different names: missing in grads {sorted(missing)}, "
            f"not in params {sorted(extra)}"
        )

    @staticmethod
    def _explain_mismatch(name: str, param: Any, grad: Any) -> None:
        if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
            raise TypeError(
                f"params[{name!r}] must be a float NumPy array (updated in place), "
                f"got {type(param).__name__}"
            )
        if not isinstance(grad, np.ndarray):
            raise TypeError(f"grads[{name!r}] must be a NumPy array, got {type(grad).__name__}")
        raise ValueError(
            f"grads[{name!r}] has shape {grad.shape} but params[{name!r}] has {param.shape}"
        )

    # -- state -------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters, iteration count and copies of the state arrays, as plain data.

        ``{"class": "Adam", "config": {...}, "iterations": t, "arrays": {"dense1.W/m": array,
        ...}}``: everything but ``"arrays"`` is JSON; the arrays (keys ``"<param name>/<slot>"``)
        fit an ``.npz``.
        """
        return {
            "class": type(self).__name__,
            "config": self.get_config(),
            "iterations": self.iterations,
            "arrays": {
                f"{name}/{slot}": array.copy()
                for name, slots in self.state.items()
                for slot, array in slots.items()
            },
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore hyperparameters, iteration count and state arrays (copied) from
        :meth:`state_dict`.

        The arrays' shapes are checked against the parameters at the next :meth:`update`, before any
        weight changes.
        """
        if not isinstance(state, Mapping) or not {"class", "config", "iterations", "arrays"} <= set(
            state
        ):
            raise ValueError(
                "state must be a dict made by state_dict(), with keys 'class', 'config', "
                "'iterations' and 'arrays'"
            )
        if state["class"] != type(self).__name__:
            raise ValueError(
                f"state was saved from a {state['class']} optimizer, not a {type(self).__name__}"
            )
        try:  # validate every hyperparameter on a fresh object before changing this one
            fresh = type(self)(**state["config"])
        except TypeError as error:
            raise ValueError(
                f"state['config'] does not fit {type(self).__name__}: {error}"
            ) from None
        arrays: dict[str, dict[str, Array]] = {}
        for key, array in state["arrays"].items():
            name, _, slot = key.rpartition("/")
            if not name or slot not in fresh.slots:
                raise ValueError(
                    f"state['arrays'] has an unexpected key {key!r}; a {type(self).__name__} "
                    f"keeps '<param name>/<slot>' with slot in {list(fresh.slots)}"
                )
            arrays.setdefault(name, {})[slot] = np.array(array, copy=True)
        iterations = check_int("iterations", state["iterations"], minimum=0)
        for key in state["config"]:
            setattr(self, key, getattr(fresh, key))
        self.iterations = iterations
        self.workspace.load(arrays)


Optimizer._build_constructor()


@dataclass(frozen=True)
class Preset:
    """A registered name for an optimizer class with some hyperparameters set, and its own label and
    marker: ``OPTIMIZERS.add("amsgrad", Preset(Adam, {"amsgrad": True}, "AMSGrad", ">"))``."""

    cls: type[Optimizer]
    settings: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    marker: str = "."

    def __call__(self, **kwargs: Any) -> Optimizer:
        return self.cls(**{**self.settings, **kwargs})


@dataclass(frozen=True)
class OptimizerInfo:
    """What a figure or a lesson needs to know of a registered optimizer, from its class's
    declarations."""

    name: str  # the registered name ("adam")
    cls: type[Optimizer]  # the class its name builds
    label: str  # for legends and tables ("Adam")
    marker: str  # matplotlib marker
    default_lr: float  # the learning rate it gets when none is given
    # hyperparameters its name fixes ("amsgrad")
    settings: dict[str, Any] = field(default_factory=dict)


def describe(name: str) -> OptimizerInfo:
    """Label, plot marker and default learning rate of the optimizer registered as ``name``.

    ``describe("adagrad").label == "AdaGrad"``; ``describe("amsgrad").cls is Adam``. They come from
    the class (``label``, ``marker``, the default of ``lr``), so a new optimizer brings its own.
    """
    entry = OPTIMIZERS.lookup(name, "name")
    if isinstance(entry, Preset):
        lr = entry.settings.get("lr", entry.cls.default_lr)
        return OptimizerInfo(
            name.lower(),
            entry.cls,
            entry.label or entry.cls.label,
            entry.marker,
            lr,
            dict(entry.settings),
        )
    if not (isinstance(entry, type) and issubclass(entry, Optimizer)):
        raise TypeError(
            f"optimizer {name!r} is registered as {entry!r}, not an Optimizer class or a Preset"
        )
    return OptimizerInfo(name.lower(), entry, entry.label, entry.marker, entry.default_lr)


def get_optimizer(spec: str | Optimizer, argument: str = "optimizer", **kwargs: Any) -> Optimizer:
    """An optimizer from a name ("sgd", "adam", ...) with keyword parameters, or an Optimizer
    object.

    ``get_optimizer("adam", lr=3e-4)``; the error for an unknown name lists the valid ones.
    """
    if isinstance(spec, Optimizer):
        if kwargs:
            raise TypeError(
                f"{argument} is already an optimizer object; keyword parameters "
                f"{sorted(kwargs)} apply only to a name"
            )
        return spec
    try:
        return OPTIMIZERS.create(spec, argument, **kwargs)
    except TypeError:
        if not isinstance(spec, str):
            raise
        parameters = [
            p for p in inspect.signature(describe(spec).cls.__init__).parameters if p != "self"
        ]
        unknown = sorted(set(kwargs) - set(parameters))
        if not unknown:
            raise
        raise TypeError(
            f"{argument}={spec!r}: {spec} has no parameter {unknown[0]!r}; its parameters: "
            f"{', '.join(parameters)}"
        ) from None
