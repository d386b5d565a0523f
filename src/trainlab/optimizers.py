"""Optimizers: state plus an update rule, applied to a model's parameters in place.

``optimizer.update(params, grads)`` moves each ``params[name]`` along ``grads[name]`` (the textbook's
interface, and what the training loop calls)::

    for x, t in batches:
        optimizer.update(model.params, model.gradient(x, t))

An optimizer never knows about schedules: a schedule or a callback sets ``optimizer.lr`` (and, for 1cycle,
``optimizer.momentum``) between steps. Every hyperparameter is validated whenever it is set.

Notation in the docstrings: θ a parameter, g = ∇L(θ) its gradient, η the learning rate, t the update count
(starting at 1), ⊙ elementwise product; squares, roots and divisions of arrays are elementwise.

All updates happen in place and allocate nothing per step after the first: per-parameter state (velocities,
moments) lives in :attr:`Optimizer.state`, and intermediate results go to scratch buffers shared by all
parameters of one dtype. ``state_dict()`` holds only plain data (JSON metadata and NumPy arrays), so a
checkpoint can store it as JSON plus ``.npz`` without pickle.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

import numpy as np

from trainlab.backend import Array
from trainlab.registry import Configurable, Registry
from trainlab.validation import check_in_range, check_int, check_non_negative, check_positive

OPTIMIZERS = Registry("optimizer")


# -- validated hyperparameters -------------------------------------------------------------------------------
def _beta(name: str, value: Any) -> float:
    return check_in_range(name, value, 0.0, 1.0)


def _optional_positive(name: str, value: Any) -> float | None:
    return None if value is None else check_positive(name, value)


class Hyperparameter:
    """A class attribute whose every assignment is validated by ``check(name, value)``.

    Constructor, schedule and callback all set hyperparameters with plain assignment
    (``optimizer.lr = 0.1``); a bad value raises at once, naming the attribute, before any weight moves.
    """

    def __init__(self, check: Callable[[str, Any], Any]) -> None:
        self.check = check

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return obj.__dict__[self.name]

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = self.check(self.name, value)


# -- gradient clipping ----------------------------------------------------------------------------------------
def _arrays(grads: Mapping[str, Array] | Iterable[Array]) -> list[Array]:
    return list(grads.values()) if isinstance(grads, Mapping) else list(grads)


def global_norm(grads: Mapping[str, Array] | Iterable[Array]) -> float:
    """‖g‖ = √(Σᵢ ‖gᵢ‖²) over all gradient arrays (a dict by name or a list)."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in _arrays(grads)))


def clip_factor(norm: float, max_norm: float) -> float:
    """The scale min(1, max_norm / ‖g‖) that brings a global norm ‖g‖ down to at most ``max_norm``."""
    return 1.0 if norm <= max_norm else max_norm / norm


def clip_by_global_norm(grads: Mapping[str, Array] | Iterable[Array], max_norm: float) -> float:
    """Scale all gradients in place by min(1, max_norm / ‖g‖), ‖g‖ their global norm; return ‖g‖.

    The direction of the whole gradient is kept; only its length is capped at ``max_norm``. The returned
    norm is the one before clipping (worth logging: spikes announce divergence).
    """
    max_norm = check_positive("max_norm", max_norm)
    arrays = _arrays(grads)
    norm = global_norm(arrays)
    if not math.isfinite(norm):
        raise FloatingPointError(f"the gradients' global norm is {norm}; they contain NaN or inf")
    scale = clip_factor(norm, max_norm)
    if scale < 1.0:
        for g in arrays:
            g *= scale
    return norm


def clip_by_value(grads: Mapping[str, Array] | Iterable[Array], limit: float) -> None:
    """Clip every gradient entry in place to [-limit, limit] (this may change the gradient's direction)."""
    limit = check_positive("limit", limit)
    for g in _arrays(grads):
        np.clip(g, -limit, limit, out=g)


# -- the base class --------------------------------------------------------------------------------------------
class Optimizer(Configurable):
    """Base class: validation of params/grads, a NaN guard, clipping, per-parameter state, state_dict.

    Subclasses implement ``step(name, param, grad)``, which updates ``param`` in place; per-parameter arrays
    (velocities, moments) come from :meth:`slot` and temporaries from :meth:`scratch`. ``iterations``
    counts updates (the t of bias corrections).

    Options shared by all optimizers (Keras-style, applied to a private copy, never to the caller's
    gradients):

    - ``clip_norm``: clip the gradients by their *global* norm, g ← g·min(1, clip_norm / ‖g‖), with ‖g‖
      over all parameters together (Keras's ``global_clipnorm``, PyTorch's ``clip_grad_norm_``);
    - ``clip_value``: clip every gradient entry to [-clip_value, clip_value].

    After each update, :attr:`grad_norm` holds the global gradient norm before clipping.

    ``momentum`` is the coefficient a 1cycle schedule cycles: β of Momentum and Nesterov, β1 of the Adam
    family, and ``None`` for optimizers without one (SGD, AdaGrad, RMSProp)::

        if optimizer.momentum is not None:
            optimizer.momentum = schedule.momentum(step)
    """

    lr = Hyperparameter(check_positive)
    clip_norm = Hyperparameter(_optional_positive)
    clip_value = Hyperparameter(_optional_positive)
    slots: tuple[str, ...] = ()
    """Names of the per-parameter state arrays (for checking loaded state)."""
    block_size = 65536
    """Parameters with more entries are updated block by block, so that a block of the parameter, its
    gradient, its state and the scratch stay in the CPU cache through the dozen elementwise passes of an
    update (a 784x512 weight updates about 25 % faster with Adam). Every update rule is elementwise, so
    block by block is the same update as all at once."""

    def __init__(self, lr: float = 0.01, *, clip_norm: float | None = None, clip_value: float | None = None) -> None:
        self.lr = lr
        if clip_norm is not None and clip_value is not None:
            raise ValueError(f"give clip_norm or clip_value, not both (got clip_norm={clip_norm!r}, "
                             f"clip_value={clip_value!r})")
        self.clip_norm = clip_norm
        self.clip_value = clip_value
        self.iterations = 0
        self.grad_norm: float | None = None
        self.state: dict[str, dict[str, Array]] = {}
        self._scratch: dict[tuple[str, np.dtype], Array] = {}
        self._check_state = False
        self._block: slice | None = None  # the block being updated, while a large parameter is
        self._whole: Array | None = None  # ... and that parameter

    @property
    def momentum(self) -> float | None:
        """The momentum coefficient (β or β1), or None if this optimizer has none."""
        return None

    @momentum.setter
    def momentum(self, value: float) -> None:
        raise AttributeError(f"{type(self).__name__} has no momentum to set (its momentum is None)")

    # -- the update ------------------------------------------------------------------------------------------
    def update(self, params: MutableMapping[str, Array], grads: Mapping[str, Array]) -> None:
        """Apply one update to every parameter, in place.

        Everything is checked before anything changes: on an error (mismatched names or shapes, a NaN or
        inf gradient) the weights, the state and ``iterations`` are left as they were.
        """
        squares = self.check_gradients(params, grads)
        if self._check_state:
            self._check_loaded_state(params)
        self.grad_norm = math.sqrt(sum(squares))
        scale = 1.0 if self.clip_norm is None else clip_factor(self.grad_norm, self.clip_norm)
        self.iterations += 1
        for name, param in params.items():
            grad = grads[name]
            if self.clip_value is not None:
                grad = np.clip(grad, -self.clip_value, self.clip_value, out=self.scratch("clipped", param))
            elif scale < 1.0:
                grad = np.multiply(grad, scale, out=self.scratch("clipped", param))
            self.step_in_blocks(name, param, grad)

    def step_in_blocks(self, name: str, param: Array, grad: Array) -> None:
        """:meth:`step` on the whole parameter, or on blocks of ``block_size`` entries of a large one."""
        if param.size <= self.block_size or not (param.flags.c_contiguous and grad.flags.c_contiguous):
            self.step(name, param, grad)
            return
        flat_param, flat_grad = param.reshape(-1), grad.reshape(-1)  # views: contiguous arrays
        self._whole = param
        try:
            for start in range(0, param.size, self.block_size):
                self._block = slice(start, start + self.block_size)
                self.step(name, flat_param[self._block], flat_grad[self._block])
        finally:
            self._block = self._whole = None

    def step(self, name: str, param: Array, grad: Array) -> None:
        """Update ``param`` (named ``name``) in place from ``grad``; ``self.iterations`` is already t."""
        raise NotImplementedError

    def check_gradients(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> list[float]:
        """Raise a clear error for mismatched names, types or shapes or a NaN/inf gradient; return ‖gᵢ‖².

        The squared norm (one BLAS dot product per array) is NaN or inf whenever the gradient holds one,
        which makes the guard nearly free (the exact check runs only to confirm); the squares also give the
        global norm for ``clip_norm``.
        """
        if params.keys() != grads.keys():
            missing, extra = set(params) - set(grads), set(grads) - set(params)
            raise ValueError(f"params and grads have different names: missing in grads {sorted(missing)}, "
                             f"not in params {sorted(extra)}")
        squares = []
        for name, param in params.items():
            grad = grads[name]
            if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
                raise TypeError(f"params[{name!r}] must be a float NumPy array (updated in place), "
                                f"got {type(param).__name__}")
            if not isinstance(grad, np.ndarray):
                raise TypeError(f"grads[{name!r}] must be a NumPy array, got {type(grad).__name__}")
            if grad.shape != param.shape:
                raise ValueError(f"grads[{name!r}] has shape {grad.shape} but params[{name!r}] has {param.shape}")
            square = float(np.vdot(grad, grad))
            if not math.isfinite(square):
                if not np.isfinite(grad).all():
                    raise FloatingPointError(
                        f"grads[{name!r}] contains NaN or inf; the update was not applied (lower the learning "
                        "rate, clip gradients, or check the inputs)"
                    )
                square = float(np.vdot(grad.astype(np.float64), grad.astype(np.float64)))  # float32 overflow
            squares.append(square)
        return squares

    # -- state and scratch -----------------------------------------------------------------------------------
    def slot(self, name: str, slot: str, like: Array) -> Array:
        """The state array ``slot`` of parameter ``name`` (zeros of ``like``'s shape on first use)."""
        slots = self.state.setdefault(name, {})
        array = slots.get(slot)
        if array is None:  # the state of the whole parameter, also when a block asks first
            array = slots[slot] = np.zeros_like(like if self._whole is None else self._whole)
        return array if self._block is None else array.reshape(-1)[self._block]

    def scratch(self, key: str, like: Array) -> Array:
        """A temporary array of ``like``'s shape and dtype, shared by all parameters (contents undefined).

        One flat buffer per (key, dtype), as large as the largest parameter seen, viewed in each shape:
        the scratch memory is a few times the largest parameter, not a copy of the model.
        """
        buffer = self._scratch.get((key, like.dtype))
        if buffer is None or buffer.size < like.size:
            buffer = self._scratch[(key, like.dtype)] = np.empty(like.size, dtype=like.dtype)
        return buffer[: like.size].reshape(like.shape)

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
        arrays: dict[str, dict[str, Array]] = {}
        for key, array in state["arrays"].items():
            name, _, slot = key.rpartition("/")
            if not name or slot not in self.slots:
                raise ValueError(f"state['arrays'] has an unexpected key {key!r}; a {type(self).__name__} "
                                 f"keeps '<param name>/<slot>' with slot in {list(self.slots)}")
            arrays.setdefault(name, {})[slot] = np.array(array, copy=True)
        try:  # validate every hyperparameter on a fresh object before changing this one
            fresh = type(self)(**state["config"])
        except TypeError as error:
            raise ValueError(f"state['config'] does not fit {type(self).__name__}: {error}") from None
        iterations = check_int("iterations", state["iterations"], minimum=0)
        for key in state["config"]:
            setattr(self, key, getattr(fresh, key))
        self.iterations = iterations
        self.state = arrays
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
        self._check_state = False


# -- the optimizers ------------------------------------------------------------------------------------------
@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent: θ ← θ - η·g.

    Default η = 0.01 (the textbook's and Keras's).
    """

    def __init__(self, lr: float = 0.01, *, clip_norm: float | None = None, clip_value: float | None = None) -> None:
        super().__init__(lr, clip_norm=clip_norm, clip_value=clip_value)

    def step(self, name, param, grad):
        param -= np.multiply(grad, self.lr, out=self.scratch("a", param))


@OPTIMIZERS.register("momentum")
class Momentum(Optimizer):
    """Momentum SGD in the textbook form: v ← β·v - η·g,  θ ← θ + v  (v starts at 0).

    Defaults η = 0.01, β = ``momentum`` = 0.9 (the textbook's). For a constant η this equals PyTorch's
    ``SGD(momentum=β)`` (whose buffer is b = -v/η) and Keras's ``SGD(momentum=β)``.
    """

    momentum = Hyperparameter(_beta)
    slots = ("v",)

    def __init__(self, lr: float = 0.01, momentum: float = 0.9, *, clip_norm: float | None = None,
                 clip_value: float | None = None) -> None:
        super().__init__(lr, clip_norm=clip_norm, clip_value=clip_value)
        self.momentum = momentum

    def step(self, name, param, grad):
        v = self.slot(name, "v", param)
        v *= self.momentum
        v -= np.multiply(grad, self.lr, out=self.scratch("a", param))
        param += v


@OPTIMIZERS.register("nesterov")
class Nesterov(Optimizer):
    """Nesterov accelerated gradient, in the "look-ahead folded in" form of Sutskever et al. (2013):

        v ← β·v - η·g,   θ ← θ + β·v - η·g

    (with the new v). This is the momentum step evaluated at the look-ahead point θ + β·v, rewritten so
    that the gradient is taken at the stored parameters. It is what Keras's ``SGD(momentum=β,
    nesterov=True)`` does and, for a constant η, PyTorch's ``SGD(momentum=β, nesterov=True)``. (The
    textbook's own code adds β²·v - (1+β)·η·g with the *new* v, which differs from this by β³ terms.)

    Defaults η = 0.01, β = ``momentum`` = 0.9 (the textbook's).
    """

    momentum = Hyperparameter(_beta)
    slots = ("v",)

    def __init__(self, lr: float = 0.01, momentum: float = 0.9, *, clip_norm: float | None = None,
                 clip_value: float | None = None) -> None:
        super().__init__(lr, clip_norm=clip_norm, clip_value=clip_value)
        self.momentum = momentum

    def step(self, name, param, grad):
        v = self.slot(name, "v", param)
        lr_grad = np.multiply(grad, self.lr, out=self.scratch("a", param))
        v *= self.momentum
        v -= lr_grad
        param -= lr_grad
        param += np.multiply(v, self.momentum, out=lr_grad)


@OPTIMIZERS.register("adagrad")
class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al., 2011): h ← h + g⊙g,  θ ← θ - η·g / (√h + ε)  (h starts at 0).

    Defaults η = 0.01 (the textbook's and PyTorch's), ε = 1e-7 (the textbook's and Keras's; PyTorch uses
    1e-10). ε is added outside the root, as in the textbook and PyTorch.
    """

    eps = Hyperparameter(check_positive)
    slots = ("h",)

    def __init__(self, lr: float = 0.01, eps: float = 1e-7, *, clip_norm: float | None = None,
                 clip_value: float | None = None) -> None:
        super().__init__(lr, clip_norm=clip_norm, clip_value=clip_value)
        self.eps = eps

    def step(self, name, param, grad):
        h = self.slot(name, "h", param)
        work = self.scratch("a", param)
        h += np.multiply(grad, grad, out=work)
        np.sqrt(h, out=work)
        work += self.eps
        np.divide(grad, work, out=work)
        work *= self.lr
        param -= work


@OPTIMIZERS.register("rmsprop")
class RMSProp(Optimizer):
    """RMSProp (Hinton, 2012): h ← ρ·h + (1-ρ)·g⊙g,  θ ← θ - η·g / (√h + ε)  (h starts at 0).

    Defaults η = 0.01, ρ = ``rho`` = 0.99 (the textbook's ``decay_rate`` and PyTorch's ``alpha``), ε = 1e-7
    (the textbook's; PyTorch 1e-8). ε is added outside the root, as in the textbook and PyTorch (Keras adds
    it inside and defaults to η = 0.001, ρ = 0.9).
    """

    rho = Hyperparameter(_beta)
    eps = Hyperparameter(check_positive)
    slots = ("h",)

    def __init__(self, lr: float = 0.01, rho: float = 0.99, eps: float = 1e-7, *, clip_norm: float | None = None,
                 clip_value: float | None = None) -> None:
        super().__init__(lr, clip_norm=clip_norm, clip_value=clip_value)
        self.rho = rho
        self.eps = eps

    def step(self, name, param, grad):
        h = self.slot(name, "h", param)
        work = self.scratch("a", param)
        h *= self.rho
        np.multiply(grad, grad, out=work)
        work *= 1.0 - self.rho
        h += work
        np.sqrt(h, out=work)
        work += self.eps
        np.divide(grad, work, out=work)
        work *= self.lr
        param -= work


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015, Algorithm 1)::

        m ← β1·m + (1-β1)·g,        v ← β2·v + (1-β2)·g⊙g          (m, v start at 0)
        m̂ = m / (1-β1ᵗ),            v̂ = v / (1-β2ᵗ)                (bias correction)
        θ ← θ - η·m̂ / (√v̂ + ε)

    Defaults η = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8 (the paper's and PyTorch's; Keras uses ε = 1e-7,
    added to √v rather than √v̂). ``momentum`` is an alias of ``beta_1``, so a 1cycle schedule can cycle it.
    """

    beta_1 = Hyperparameter(_beta)
    beta_2 = Hyperparameter(_beta)
    eps = Hyperparameter(check_positive)
    slots = ("m", "v")

    def __init__(self, lr: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, eps: float = 1e-8, *,
                 clip_norm: float | None = None, clip_value: float | None = None) -> None:
        super().__init__(lr, clip_norm=clip_norm, clip_value=clip_value)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.eps = eps

    @property
    def momentum(self) -> float:
        """β1, the decay of the first moment (what 1cycle cycles)."""
        return self.beta_1

    @momentum.setter
    def momentum(self, value: float) -> None:
        self.beta_1 = value

    def moments(self, name: str, param: Array, grad: Array) -> tuple[Array, Array]:
        """Update and return m ← β1·m + (1-β1)·g and v ← β2·v + (1-β2)·g⊙g."""
        m, v = self.slot(name, "m", param), self.slot(name, "v", param)
        work = self.scratch("a", param)
        m *= self.beta_1
        m += np.multiply(grad, 1.0 - self.beta_1, out=work)
        v *= self.beta_2
        np.multiply(grad, grad, out=work)
        work *= 1.0 - self.beta_2
        v += work
        return m, v

    def denominator(self, v: Array, out: Array) -> tuple[Array, float]:
        """(√v + ε·c, c) with c = √(1-β2ᵗ), the first written to ``out``.

        Since √v̂ + ε = (√v + ε·c) / c, a caller divides by the first and multiplies its scalar factor by c:
        the same update as the formula (Kingma & Ba's "ε̂" rearrangement, section 2), two passes over
        the arrays fewer than dividing v by 1-β2ᵗ first.
        """
        c = math.sqrt(1.0 - self.beta_2**self.iterations)
        np.sqrt(v, out=out)
        out += self.eps * c
        return out, c

    def step(self, name, param, grad):
        m, v = self.moments(name, param, grad)
        work, c = self.denominator(v, self.scratch("a", param))
        np.divide(m, work, out=work)
        work *= self.lr * c / (1.0 - self.beta_1**self.iterations)
        param -= work


@OPTIMIZERS.register("adamax")
class AdaMax(Adam):
    """AdaMax (Kingma & Ba, 2015, section 7.1), Adam with the infinity norm::

        m ← β1·m + (1-β1)·g,    u ← max(β2·u, |g|)      (m, u start at 0)
        θ ← θ - η/(1-β1ᵗ) · m / (u + ε)

    Defaults η = 0.002, β1 = 0.9, β2 = 0.999 (the paper's, Keras's and PyTorch's), ε = 1e-8. The ε guard
    against u = 0 is added to u as in Keras; PyTorch puts it inside the max, u ← max(β2·u, |g| + ε),
    which differs by at most ε.
    """

    slots = ("m", "u")

    def __init__(self, lr: float = 0.002, beta_1: float = 0.9, beta_2: float = 0.999, eps: float = 1e-8, *,
                 clip_norm: float | None = None, clip_value: float | None = None) -> None:
        super().__init__(lr, beta_1, beta_2, eps, clip_norm=clip_norm, clip_value=clip_value)

    def step(self, name, param, grad):
        m, u = self.slot(name, "m", param), self.slot(name, "u", param)
        work = self.scratch("a", param)
        m *= self.beta_1
        m += np.multiply(grad, 1.0 - self.beta_1, out=work)
        u *= self.beta_2
        np.maximum(u, np.abs(grad, out=work), out=u)
        np.add(u, self.eps, out=work)
        np.divide(m, work, out=work)
        work *= self.lr / (1.0 - self.beta_1**self.iterations)
        param -= work


@OPTIMIZERS.register("nadam")
class Nadam(Adam):
    """Nadam (Dozat, 2016): Adam with a Nesterov look-ahead of the first moment, constant β1::

        m ← β1·m + (1-β1)·g,    v ← β2·v + (1-β2)·g⊙g
        m̄ = β1·m / (1-β1ᵗ⁺¹) + (1-β1)·g / (1-β1ᵗ),    v̂ = v / (1-β2ᵗ)
        θ ← θ - η·m̄ / (√v̂ + ε)

    This is Dozat's Algorithm 2 with a constant momentum μₜ = β1; Keras and PyTorch instead warm β1 up with
    the schedule μₜ = β1·(1 - ½·0.96^(0.004·t)), which a 1cycle schedule (cycling ``momentum`` = β1) would
    fight. Defaults η = 0.002 (Dozat's and PyTorch's), β1 = 0.9, β2 = 0.999, ε = 1e-8.
    """

    def __init__(self, lr: float = 0.002, beta_1: float = 0.9, beta_2: float = 0.999, eps: float = 1e-8, *,
                 clip_norm: float | None = None, clip_value: float | None = None) -> None:
        super().__init__(lr, beta_1, beta_2, eps, clip_norm=clip_norm, clip_value=clip_value)

    def step(self, name, param, grad):
        t, beta_1 = self.iterations, self.beta_1
        m, v = self.moments(name, param, grad)
        momentum_weight = beta_1 / (1.0 - beta_1 ** (t + 1))
        gradient_weight = (1.0 - beta_1) / (1.0 - beta_1**t)
        # m̄ = gradient_weight · (g + (momentum_weight / gradient_weight)·m), built in one buffer
        numerator = np.multiply(m, momentum_weight / gradient_weight, out=self.scratch("b", param))
        numerator += grad
        denominator, c = self.denominator(v, self.scratch("a", param))
        numerator /= denominator
        numerator *= self.lr * gradient_weight * c
        param -= numerator


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay λ::

        θ ← θ - η·λ·θ                      (decay, not part of the gradient or the moments)
        θ ← θ - η·m̂ / (√v̂ + ε)             (the Adam step, m̂ and v̂ as in :class:`Adam`)

    The decay is applied to every parameter the optimizer is given (biases included), scaled by the
    current η, as in PyTorch. Defaults η = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8, λ = ``weight_decay`` =
    0.01 (PyTorch's; Keras uses λ = 0.004 and ε = 1e-7).
    """

    weight_decay = Hyperparameter(check_non_negative)

    def __init__(self, lr: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.01, *, clip_norm: float | None = None,
                 clip_value: float | None = None) -> None:
        super().__init__(lr, beta_1, beta_2, eps, clip_norm=clip_norm, clip_value=clip_value)
        self.weight_decay = weight_decay

    def step(self, name, param, grad):
        if self.weight_decay:
            param *= 1.0 - self.lr * self.weight_decay
        super().step(name, param, grad)


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
