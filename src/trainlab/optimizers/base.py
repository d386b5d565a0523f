"""The optimizer base class: everything that is not an update rule.

A subclass declares its hyperparameters (:class:`Hyperparameter`), names its state arrays (``slots``) and
writes ``rule``, the formula of its docstring. :class:`Optimizer` does the rest: the constructor,
``get_config`` and the help text from the declarations, checking params and gradients, the NaN guard,
clipping, allocating the state, handing the rule the arrays it works on (a run of parameters at once where
they lie back to back in memory, see :mod:`.layout`; large ones block by block), scratch memory,
``state_dict``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, NoReturn

import numpy as np

from trainlab.backend import Array
from trainlab.optimizers.clipping import clip_factor
from trainlab.optimizers.layout import Layout, RuleArguments
from trainlab.registry import Configurable, Registry
from trainlab.validation import check_in_range, check_int, check_positive

OPTIMIZERS = Registry("optimizer")


# -- declared, validated hyperparameters ---------------------------------------------------------------------
def check_beta(name: str, value: Any) -> float:
    """A decay rate in [0, 1)."""
    return check_in_range(name, value, 0.0, 1.0)


def check_optional_positive(name: str, value: Any) -> float | None:
    """None, or a number > 0."""
    return None if value is None else check_positive(name, value)


def check_flag(name: str, value: Any) -> bool:
    """True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


class Hyperparameter:
    """A hyperparameter declared once, in the class body: its default, its check and what it means.

    From the declarations :class:`Optimizer` builds the constructor (in declaration order, base class
    first; ``keyword_only`` ones after ``*``), ``get_config`` and the "Hyperparameters" part of the help.
    Every assignment is validated (constructor, schedule and callback all use plain ``optimizer.lr = 0.1``),
    so a bad value raises at once, naming the attribute, before any weight moves. A subclass changes a
    default by declaring the hyperparameter again.

    The value lives in the instance's ``__dict__``, where reading ``self.lr`` finds it at C speed (a rule
    reads its hyperparameters for every parameter at every update); :meth:`Optimizer.__setattr__` checks
    each assignment.
    """

    def __init__(self, default: Any, check: Callable[[str, Any], Any], doc: str, *,
                 keyword_only: bool = False, changes_slots: bool = False) -> None:
        self.default, self.check, self.doc, self.keyword_only = default, check, doc, keyword_only
        self.changes_slots = changes_slots  # the state arrays the rule takes depend on this one
        self.__doc__ = f"{doc}; default {default!r}"  # what help() shows for the attribute

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        raise AttributeError(f"{type(obj).__name__}.{self.name} is not set yet")

    def parameter(self) -> inspect.Parameter:
        kind = inspect.Parameter.KEYWORD_ONLY if self.keyword_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
        return inspect.Parameter(self.name, kind, default=self.default)


SHARED_OPTIONS = ("clip_norm", "clip_value")
"""Keyword options of every optimizer; they come last in each constructor."""


def declared_hyperparameters(cls: type) -> dict[str, Hyperparameter]:
    """The hyperparameters of ``cls`` in constructor order: positional ones base class first, then keyword-only
    ones, the shared clipping options last."""
    declared: dict[str, Hyperparameter] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Hyperparameter):
                declared[name] = value  # a redeclaration keeps its place and takes the new default
            elif name in declared:
                del declared[name]  # replaced by something else (an alias property, say)
    order = ([h for h in declared.values() if not h.keyword_only]
             + [h for h in declared.values() if h.keyword_only and h.name not in SHARED_OPTIONS]
             + [h for h in declared.values() if h.name in SHARED_OPTIONS])
    return {h.name: h for h in order}


def moving_average(average: Array, x: Array, decay: float, work: Array) -> Array:
    """average ← decay·average + (1 − decay)·x, in place; ``work`` is scratch (``x`` may be ``work``)."""
    average *= decay
    average += np.multiply(x, 1.0 - decay, out=work)
    return average


# -- the base class --------------------------------------------------------------------------------------------
class Optimizer(Configurable):
    """Base class of the optimizers: one ``update`` applies a subclass's ``rule`` to every parameter.

    A subclass declares its hyperparameters, lists its per-parameter state arrays in ``slots`` and writes
    ``rule(theta, g, *state, work)``: the update of one parameter θ, in place, from its (possibly clipped)
    gradient g, its state arrays (zeros at the first update) and a scratch array ``work`` of θ's shape
    (more scratch arrays if ``scratch`` names them). ``iterations`` is t, the number of the update (1, 2,
    ...), when the rule runs.

    Options shared by all optimizers (Keras-style, applied to a private copy, never to the caller's
    gradients):

    - ``clip_norm``: clip the gradients by their *global* norm, g ← g·min(1, clip_norm / ‖g‖), with ‖g‖
      over all parameters together (Keras's ``global_clipnorm``, PyTorch's ``clip_grad_norm_``);
    - ``clip_value``: clip every gradient entry to [-clip_value, clip_value].

    ``learning_rate=`` is accepted for ``lr`` (Keras's name), and ``optimizer.learning_rate`` reads and sets
    it. After each update, :attr:`grad_norm` holds the global gradient norm before clipping.

    One rule call per run, not per parameter: a model's parameters are views of one flat array and its
    gradients of another (:func:`trainlab.params.pack_parameters`), so ``update`` calls the rule once on
    the flat range that consecutive parameters cover (:mod:`trainlab.optimizers.layout`), with state
    arrays whose pieces are ``state[name][slot]``. The rule is elementwise, so this is the same update,
    bit for bit, as one call per parameter, which is what separate arrays get. The checks, the NaN guard
    and ``grad_norm`` stay per parameter.

    ``momentum`` is the coefficient a 1cycle schedule cycles: β of Momentum and Nesterov, β1 of the Adam
    family, and ``None`` for optimizers without one (SGD, AdaGrad, RMSProp, Adadelta)::

        if optimizer.momentum is not None:
            optimizer.momentum = schedule.momentum(step)
    """

    lr = Hyperparameter(0.01, check_positive, "the learning rate η (> 0)")
    clip_norm = Hyperparameter(None, check_optional_positive, "clip the gradients' global norm to this (> 0)",
                               keyword_only=True)
    clip_value = Hyperparameter(None, check_optional_positive, "clip every gradient entry to ±this (> 0)",
                                keyword_only=True)
    slots: tuple[str, ...] = ()
    """Names of the per-parameter state arrays, in the order ``rule`` takes them."""
    scratch: tuple[str, ...] = ("work",)
    """Names of the scratch arrays ``rule`` takes as keywords (contents undefined on entry)."""
    block_size: int | None = 262144
    """Parameters (or runs of them) with more entries are updated block by block, so that a block of the
    parameter, its gradient, its state and the scratch stay in the CPU cache through the passes of an
    update; None: never. Every rule is elementwise, so block by block is the same update as all at once.
    Measured on the Fashion net's 537,354-entry run (December 2026, one thread): 262,144-entry blocks were
    a few per cent faster than none, 65,536-entry ones 10-20 % slower."""
    hyperparameters: dict[str, Hyperparameter]
    """The declared hyperparameters, in constructor order (set for each class)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._build_constructor()

    @classmethod
    def _build_constructor(cls) -> None:
        """Give ``cls`` its hyperparameters, a constructor with their signature and their help text."""
        cls.hyperparameters = declared_hyperparameters(cls)
        alias = inspect.Parameter("learning_rate", inspect.Parameter.KEYWORD_ONLY, default=None)
        signature = inspect.Signature([inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                                       *(h.parameter() for h in cls.hyperparameters.values()), alias])

        def constructor(self: Optimizer, *args: Any, **kwargs: Any) -> None:
            try:
                arguments = signature.bind(self, *args, **kwargs).arguments
            except TypeError as error:
                raise TypeError(f"{type(self).__name__}(): {error}; its parameters: "
                                f"{', '.join(list(signature.parameters)[1:])}") from None
            self._configure(arguments)

        constructor.__signature__ = signature  # type: ignore[attr-defined]
        constructor.__name__, constructor.__qualname__ = "__init__", f"{cls.__qualname__}.__init__"
        constructor.__doc__ = "Hyperparameters:\n\n" + "\n".join(
            f"- ``{h.name}`` = {h.default!r}: {h.doc}" for h in cls.hyperparameters.values()
        ) + "\n- ``learning_rate``: Keras's name for ``lr`` (give one of the two)"
        cls.__init__ = constructor  # type: ignore[method-assign]

    def _configure(self, arguments: dict[str, Any]) -> None:
        """Set every hyperparameter (given or default) and start with empty state."""
        learning_rate = arguments.get("learning_rate")
        if learning_rate is not None and "lr" in arguments:
            raise TypeError(f"give lr or learning_rate (Keras's name for it), not both (got lr={arguments['lr']!r}, "
                            f"learning_rate={learning_rate!r})")
        for name, hyperparameter in self.hyperparameters.items():
            setattr(self, name, arguments.get(name, hyperparameter.default))
        if learning_rate is not None:
            self.lr = learning_rate
        if self.clip_norm is not None and self.clip_value is not None:
            raise ValueError(f"give clip_norm or clip_value, not both (got clip_norm={self.clip_norm!r}, "
                             f"clip_value={self.clip_value!r})")
        self.iterations = 0
        self.grad_norm: float | None = None
        self.state: dict[str, dict[str, Array]] = {}
        self._scratch: dict[tuple[str, np.dtype], Array] = {}
        self._arguments: dict[str, RuleArguments] = {}  # of parameters updated alone, by name
        self._layout: Layout | None = None
        self._check_state = False

    def __setattr__(self, name: str, value: Any) -> None:
        """Check every assignment to a hyperparameter (``optimizer.lr = 0`` raises; the old value stays)."""
        hyperparameter = self.hyperparameters.get(name)
        if hyperparameter is not None:
            value = hyperparameter.check(name, value)
            if hyperparameter.changes_slots and "_arguments" in self.__dict__:
                self._forget_arguments()
        object.__setattr__(self, name, value)

    def __getstate__(self) -> dict[str, Any]:
        """What ``copy.deepcopy`` and pickle copy: all but the prepared arguments, layout and scratch, which
        hold the last update's parameters and gradients and views of the state (a copy would duplicate
        them all, unlinked); the copy makes its own."""
        return {**self.__dict__, "_arguments": {}, "_layout": None, "_scratch": {}}

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters by name: ``type(opt)(**opt.get_config())`` builds the same optimizer."""
        return {name: getattr(self, name) for name in self.hyperparameters}

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

    # -- the update ------------------------------------------------------------------------------------------
    def rule(self, theta: Array, g: Array, *state: Array, work: Array) -> None:
        """Update θ in place from g (see the class docstring); ``self.iterations`` is already t."""
        raise NotImplementedError(f"{type(self).__name__} does not define its update rule")

    def update(self, params: MutableMapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Apply one update to every parameter, in place.

        Everything is checked before anything changes: on an error (mismatched names or shapes, a NaN or
        inf gradient) the weights, the state and ``iterations`` are left as they were.
        """
        checked, squares = self.check_gradients(params, grads)
        if self._check_state:
            self._check_loaded_state(params)
        self.grad_norm = math.sqrt(sum(squares))
        scale = 1.0 if self.clip_norm is None else clip_factor(self.grad_norm, self.clip_norm)
        layout = self._layout
        if layout is None or not layout.fits(checked):  # new arrays: group them into runs anew
            layout = self._layout = Layout(self, checked)
        self.iterations += 1
        clipping = self.clip_value is not None or scale < 1.0
        rule = self.rule
        for arguments, g in layout.steps:
            if clipping:
                g = self._clipped(g, arguments.theta, scale)
            arguments.apply(rule, g)

    def _clipped(self, g: Array, theta: Array, scale: float) -> Array:
        """g clipped by value, or scaled by the clip factor of its global norm, in a scratch array."""
        if self.clip_value is not None:
            return np.clip(g, -self.clip_value, self.clip_value, out=self._buffer("clipped", theta))
        return np.multiply(g, scale, out=self._buffer("clipped", theta))

    def check_gradients(self, params: Mapping[str, Array],
                        grads: Mapping[str, Array]) -> tuple[list[tuple[str, Array, Array]], list[float]]:
        """Raise a clear error for mismatched names, types or shapes or a NaN/inf gradient.

        Return (name, θ, g) for every parameter in the order of ``params``, and every gradient's ‖gᵢ‖². The
        squared norm (one BLAS dot product per array) is NaN or inf whenever the gradient holds one, which
        makes the guard nearly free (the exact check runs only to confirm); the squares also give the
        global norm for ``clip_norm``.
        """
        checked, squares = [], []
        for name in params:  # by name, one pass: a model's ParamDict is a mapping written in Python
            param = params[name]
            try:
                grad = grads[name]
            except KeyError:
                self._mismatched_names(params, grads)
            if not (isinstance(grad, np.ndarray) and isinstance(param, np.ndarray) and grad.shape == param.shape
                    and param.dtype.kind == "f"):
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
        """‖g‖² when its float dot product was not finite: an error if g holds a NaN or inf, else the sum
        in float64 (the float32 sum overflowed)."""
        if not np.isfinite(grad).all():
            raise FloatingPointError(
                f"grads[{name!r}] contains NaN or inf; the update was not applied (lower the learning "
                "rate, clip gradients, or check the inputs)"
            )
        return float(np.vdot(grad.astype(np.float64), grad.astype(np.float64)))

    @staticmethod
    def _mismatched_names(params: Mapping[str, Array], grads: Mapping[str, Array]) -> NoReturn:
        missing, extra = set(params) - set(grads), set(grads) - set(params)
        raise ValueError(f"params and grads have different names: missing in grads {sorted(missing)}, "
                         f"not in params {sorted(extra)}")

    @staticmethod
    def _explain_mismatch(name: str, param: Any, grad: Any) -> None:
        if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
            raise TypeError(f"params[{name!r}] must be a float NumPy array (updated in place), "
                            f"got {type(param).__name__}")
        if not isinstance(grad, np.ndarray):
            raise TypeError(f"grads[{name!r}] must be a NumPy array, got {type(grad).__name__}")
        raise ValueError(f"grads[{name!r}] has shape {grad.shape} but params[{name!r}] has {param.shape}")

    # -- state and scratch -----------------------------------------------------------------------------------
    def _state_of(self, name: str, theta: Array) -> list[Array]:
        """The state arrays of parameter ``name`` in ``slots`` order (zeros of θ's shape the first time)."""
        if not self.slots:
            return []
        state = self.state.setdefault(name, {})
        return [state[slot] if slot in state else state.setdefault(slot, np.zeros_like(theta))
                for slot in self.slots]

    def _buffer(self, key: str, like: Array) -> Array:
        """A scratch array of ``like``'s shape and dtype, shared by all parameters (contents undefined).

        One flat buffer per (key, dtype), as large as the largest parameter seen, viewed in each shape:
        the scratch memory is a few times the largest parameter, not a copy of the model.
        """
        buffer = self._scratch.get((key, like.dtype))
        if buffer is None or buffer.size < like.size:
            buffer = self._scratch[(key, like.dtype)] = np.empty(like.size, dtype=like.dtype)
            self._forget_arguments()  # they hold views of the smaller buffer: share the new one
        return buffer[: like.size].reshape(like.shape)

    def _forget_arguments(self) -> None:
        """Drop the prepared rule arguments and layout (made anew at the next update): the state arrays or
        the scratch buffers they hold views of were replaced."""
        self._arguments.clear()
        self._layout = None

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters, iteration count and copies of the state arrays, as plain data.

        ``{"class": "Adam", "config": {...}, "iterations": t, "arrays": {"dense1.W/m": array, ...}}``:
        everything but ``"arrays"`` is JSON; the arrays (keys ``"<param name>/<slot>"``) fit an ``.npz``.
        """
        return {
            "class": type(self).__name__,
            "config": self.get_config(),
            "iterations": self.iterations,
            "arrays": {f"{name}/{slot}": array.copy() for name, slots in self.state.items()
                       for slot, array in slots.items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore hyperparameters, iteration count and state arrays (copied) from :meth:`state_dict`.

        The arrays' shapes are checked against the parameters at the next :meth:`update`, before any
        weight changes.
        """
        if not isinstance(state, Mapping) or not {"class", "config", "iterations", "arrays"} <= set(state):
            raise ValueError("state must be a dict made by state_dict(), with keys 'class', 'config', "
                             "'iterations' and 'arrays'")
        if state["class"] != type(self).__name__:
            raise ValueError(f"state was saved from a {state['class']} optimizer, not a {type(self).__name__}")
        try:  # validate every hyperparameter on a fresh object before changing this one
            fresh = type(self)(**state["config"])
        except TypeError as error:
            raise ValueError(f"state['config'] does not fit {type(self).__name__}: {error}") from None
        arrays: dict[str, dict[str, Array]] = {}
        for key, array in state["arrays"].items():
            name, _, slot = key.rpartition("/")
            if not name or slot not in fresh.slots:
                raise ValueError(f"state['arrays'] has an unexpected key {key!r}; a {type(self).__name__} "
                                 f"keeps '<param name>/<slot>' with slot in {list(fresh.slots)}")
            arrays.setdefault(name, {})[slot] = np.array(array, copy=True)
        iterations = check_int("iterations", state["iterations"], minimum=0)
        for key in state["config"]:
            setattr(self, key, getattr(fresh, key))
        self.iterations = iterations
        self.state = arrays
        self._forget_arguments()
        self._check_state = True

    def _check_loaded_state(self, params: Mapping[str, Array]) -> None:
        for name, slots in self.state.items():
            if name not in params:
                raise ValueError(f"the loaded optimizer state has arrays for {name!r}, which is not among the "
                                 f"params (names: {', '.join(params)})")
            for slot, array in slots.items():
                param = params[name]
                if array.shape != param.shape:
                    raise ValueError(f"the loaded optimizer state {name}/{slot} has shape {array.shape}, "
                                     f"but params[{name!r}] has {param.shape}")
                if array.dtype != param.dtype:
                    slots[slot] = array.astype(param.dtype)
        self._forget_arguments()
        self._check_state = False


Optimizer._build_constructor()


def get_optimizer(spec: str | Optimizer, argument: str = "optimizer", **kwargs: Any) -> Optimizer:
    """An optimizer from a name ("sgd", "adam", ...) with keyword parameters, or an Optimizer object.

    ``get_optimizer("adam", lr=3e-4)``; the error for an unknown name lists the valid ones.
    """
    if isinstance(spec, Optimizer):
        if kwargs:
            raise TypeError(f"{argument} is already an optimizer object; keyword parameters "
                            f"{sorted(kwargs)} apply only to a name")
        return spec
    try:
        return OPTIMIZERS.create(spec, argument, **kwargs)
    except TypeError:
        if not isinstance(spec, str):
            raise
        parameters = [p for p in inspect.signature(type(OPTIMIZERS.create(spec, argument)).__init__).parameters
                      if p != "self"]
        unknown = sorted(set(kwargs) - set(parameters))
        if not unknown:
            raise
        raise TypeError(f"{argument}={spec!r}: {spec} has no parameter {unknown[0]!r}; its parameters: "
                        f"{', '.join(parameters)}") from None
