"""Sequential: a stack of layers with a loss, its gradient, and the textbook's params/grads dicts."""

from __future__ import annotations

import html
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from trainlab.activations import softmax
from trainlab.backend import Array, resolve_dtype, rng_for, seed_sequence, spawn_rngs
from trainlab.base import Layer
from trainlab.losses import Loss, SoftmaxCrossEntropy, get_loss, target_array, warn_if_softmax_twice
from trainlab.metrics import accuracy, get_metric
from trainlab.optimizers import Optimizer, get_optimizer
from trainlab.params import ParamDict, pack_parameters
from trainlab.progress import VERBOSE, in_notebook
from trainlab.registry import Configurable, deserialize, serialize
from trainlab.regularizers import add_weight_decay_gradient, weight_decay_penalty
from trainlab.saving import save_model
from trainlab.training import fit, sample_weights
from trainlab.validation import (
    as_float_array,
    check_choice,
    check_finite,
    check_int,
    check_non_negative,
    check_not_a_class,
    explain_keywords,
)

if TYPE_CHECKING:
    from trainlab.epochs import OpenEpoch
    from trainlab.history import History


def check_distinct_layers(layers: Sequence[Any]) -> None:
    """TypeError for a non-layer; ValueError for one layer object at two places of the stack.

    A layer keeps what its backward pass needs from its last forward pass (its input, a mask) and
    one gradient buffer per parameter, so a second use would silently overwrite the first one's and
    the gradients would be wrong. Weight tying needs its own layer; two layers with equal settings
    are fine.
    """
    seen: dict[int, int] = {}
    for index, layer in enumerate(layers):
        check_not_a_class(f"layers[{index}]", layer)
        if not isinstance(layer, Layer):
            raise TypeError(f"layers[{index}] must be a Layer, got {layer!r}")
        inner = getattr(layer, "activation", None)
        for part in (layer, inner) if isinstance(inner, Layer) else (layer,):
            if id(part) in seen:
                raise ValueError(
                    f"layers[{seen[id(part)]}] and layers[{index}] are the same {type(part).__name__} "
                    "object; a layer can be used once in a model (create one per place, e.g. "
                    f"{type(part).__name__}() twice)"
                )
            seen[id(part)] = index


class Input:
    """Keras's input declaration, first in a Sequential's list:
    ``Sequential([tl.Input(shape=(784,)), ...])`` is ``Sequential([...], input_shape=(784,))`` (the
    shape of one sample, without the batch axis)."""

    @explain_keywords
    def __init__(self, shape: int | Sequence[int], name: str | None = None) -> None:
        dims = (shape,) if isinstance(shape, int) else tuple(shape)
        self.shape = tuple(check_int("Input shape", n, minimum=1) for n in dims)
        self.name = name

    def __repr__(self) -> str:
        return f"Input(shape={self.shape})"


@dataclass
class ModelSummary:
    """What ``model.summary()`` shows: one row per layer (name and type, output shape, parameters)
    and the totals; printed as text, shown as an HTML table in Jupyter."""

    rows: list[tuple[str, str, str]]  # the header first
    totals: list[str]

    def __str__(self) -> str:
        widths = [max(len(row[i]) for row in self.rows) for i in range(3)]
        lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in self.rows]
        rule = "-" * len(lines[0])
        return "\n".join([lines[0], rule, *lines[1:], rule, *self.totals])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        def row(cells: tuple[str, ...], tag: str) -> str:
            return (
                "<tr>"
                + "".join(
                    f"<{tag} style='text-align:{align}'>{html.escape(cell)}</{tag}>"
                    for cell, align in zip(cells, ("left", "left", "right"), strict=True)
                )
                + "</tr>"
            )

        body = "".join(row(cells, "td") for cells in self.rows[1:])
        notes = "".join(f"<div>{html.escape(line)}</div>" for line in self.totals)
        return (
            f"<table><thead>{row(self.rows[0], 'th')}</thead><tbody>{body}</tbody></table>{notes}"
        )


class Sequential(Configurable):
    """A network as a list of layers applied in order, plus a loss.

    ``model.loss(x, t)`` is L = loss(forward(x), t) + Σ layer penalties + ½·λ·Σ‖W‖² (λ =
    ``weight_decay``, the textbook's decay over weight matrices, not biases: a short way to put
    ``L2(λ/2)`` on every weight, see :func:`trainlab.regularizers.weight_decay_penalty`; the
    decoupled decay is AdamW's and Lion's). ``model.gradient(x, t)`` returns dL/dθ by name, matching
    ``model.params``, so a textbook optimizer runs as ``optimizer.update(model.params, grads)``.

    ``seed`` fixes every random number of the model (initial weights, dropout masks); ``dtype`` is
    float32 by default, float64 for gradient checks. The model is built (weights created) as soon as
    the input shape is known: from ``input_dim`` / ``input_shape`` or the first batch.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        input_dim: int | None = None,
        *,
        input_shape: Sequence[int] | None = None,
        seed: int | None = None,
        dtype: Any = "float32",
        weight_decay: float = 0.0,
        loss: str | Loss = "softmax_cross_entropy",
    ) -> None:
        layers = list(layers)
        if layers and isinstance(layers[0], Input):  # Keras's Sequential([Input(shape=...), ...])
            if input_dim is not None or input_shape is not None:
                raise ValueError(
                    "the input shape is given twice: tl.Input(shape=...) and input_dim/input_shape"
                )
            input_shape = layers.pop(0).shape
        if any(isinstance(layer, Input) for layer in layers):
            raise ValueError("tl.Input(shape=...) can only be the first item of the layers")
        check_distinct_layers(layers)
        if not layers:
            raise ValueError("layers is empty; a model needs at least one layer")
        if input_dim is not None and input_shape is not None:
            raise ValueError("give input_dim or input_shape, not both")
        self.layers = layers
        self.dtype = resolve_dtype(dtype)
        self.seed = seed_sequence(
            seed
        ).entropy  # the actual seed, recorded even when drawn at random
        self.weight_decay = check_non_negative("weight_decay", weight_decay)
        self.loss_function = get_loss(loss)
        self.input_shape: tuple[int, ...] | None = None
        # training state, set by compile() and advanced by fit(); saved with the model
        self.optimizer: Optimizer | None = None
        self.metric_names: list[str] = ["accuracy"]
        self.epochs_done = 0  # epochs completed
        self.iterations_done = 0  # steps applied
        self.open_epoch: OpenEpoch | None = None  # an epoch a fit stopped inside, to be continued
        self.data_rng = rng_for(self.seed, "data-order")
        self.history: History | None = None
        if input_dim is not None:
            self.build((check_int("input_dim", input_dim, minimum=1),))
        elif input_shape is not None:
            self.build(tuple(check_int("input_shape", n, minimum=1) for n in input_shape))

    # -- building ----------------------------------------------------------------------------------
    def build(self, input_shape: tuple[int, ...]) -> None:
        """Name the layers and create their weights for samples of ``input_shape``.

        Layers that are already built for this shape and dtype (taken from another model, to reuse
        or fine-tune them) keep their weights; they are shared with that model, so clone it first to
        keep the original intact. The new layers' params and grads become views of flat arrays
        (``pack_parameters``).
        """
        self._name_layers()
        shape = tuple(input_shape)
        built = []
        for layer, rng in zip(self.layers, spawn_rngs(self.seed, len(self.layers)), strict=True):
            if layer.built and layer.input_shape == shape and layer.dtype == self.dtype:
                shape = (
                    layer.output_shape
                )  # a layer taken from another model keeps its weights (and arrays)
            else:
                shape = layer.build(shape, self.dtype, rng)
                built.append(layer)
        pack_parameters(built)  # one flat buffer: an optimizer updates it with one call per pass
        self.input_shape = tuple(input_shape)

    def _name_layers(self) -> None:
        taken = {layer.name for layer in self.layers if layer.name}
        if len(taken) < sum(1 for layer in self.layers if layer.name):
            raise ValueError("two layers have the same name; layer names must be unique")
        counts: dict[str, int] = {}
        for layer in self.layers:
            while layer.name is None:
                counts[layer.default_name] = counts.get(layer.default_name, 0) + 1
                candidate = f"{layer.default_name}{counts[layer.default_name]}"
                if candidate not in taken:
                    layer.name = candidate
                    taken.add(candidate)

    @property
    def built(self) -> bool:
        return self.input_shape is not None

    @property
    def output_shape(self) -> tuple[int, ...]:
        self._require_built()
        return self.layers[-1].output_shape

    def _require_built(self) -> None:
        if not self.built:
            raise RuntimeError(
                "the model is not built yet: pass input_dim= or call it on a batch first"
            )

    # -- parameters --------------------------------------------------------------------------------
    @property
    def params(self) -> ParamDict:
        """Trainable parameters by name, as live views (see :class:`ParamDict`)."""
        self._require_built()
        return ParamDict(self.layers)

    @property
    def grads(self) -> dict[str, Array]:
        """dL/dθ from the last :meth:`gradient` call, by the same names as :attr:`params`."""
        return {
            f"{layer.name}.{name}": grad
            for layer in self.layers
            if layer.trainable
            for name, grad in layer.grads.items()
        }

    def _arrays(self) -> dict[str, Array]:
        """Every parameter and buffer (trainable or not) by name: the layers' own arrays."""
        return {
            f"{layer.name}.{name}": array
            for layer in self.layers
            for name, array in {**layer.params, **layer.buffers}.items()
        }

    def state_dict(self) -> dict[str, Array]:
        """Copies of every parameter and buffer (trainable or not), e.g. for saving."""
        self._require_built()
        return {key: array.copy() for key, array in self._arrays().items()}

    def load_state_dict(self, state: dict[str, Array]) -> None:
        """Copy arrays from ``state`` (as made by :meth:`state_dict`) into the model."""
        self._require_built()
        targets = (
            self._arrays()
        )  # written in place: parameters are views of the model's flat buffer
        missing, unexpected = set(targets) - set(state), set(state) - set(targets)
        if missing or unexpected:
            raise ValueError(
                f"state does not match the model: missing {sorted(missing)}, unexpected {sorted(unexpected)}"
            )
        for key, target in targets.items():
            value = np.asarray(state[key])
            if value.shape != target.shape:
                raise ValueError(
                    f"state[{key!r}] has shape {value.shape}, the model needs {target.shape}"
                )
            target[...] = value

    def get_weights(self) -> list[Array]:
        """Keras's list of weights: copies of every parameter and buffer, layer by layer (W, b; γ,
        β, the running mean and variance), in the order :meth:`set_weights` takes them."""
        return list(self.state_dict().values())

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Copy ``weights`` (a list as :meth:`get_weights` returns) into the model, checking each shape."""
        self._require_built()
        names = list(self._arrays())
        if len(weights) != len(names):
            raise ValueError(
                f"set_weights: the model has {len(names)} arrays ({', '.join(names)}), got {len(weights)}"
            )
        self.load_state_dict(dict(zip(names, weights, strict=True)))

    def count_params(self, trainable_only: bool = False) -> int:
        return sum(
            layer.count_params() for layer in self.layers if layer.trainable or not trainable_only
        )

    # -- computing ---------------------------------------------------------------------------------
    def check_input(self, x: Any, argument: str = "x", check_finite: bool = True) -> Array:
        """``x`` as an array of the model's dtype with the model's per-sample shape (building if needed)."""
        try:
            x = (
                as_float_array(argument, x, self.dtype, min_ndim=2)
                if check_finite
                else self._cast(x, argument)
            )
        except ValueError:
            self._one_sample_hint(np.shape(x), argument)
            raise
        if not self.built:
            self.build(x.shape[1:])
        if x.shape[1:] != self.input_shape:
            self._one_sample_hint(x.shape, argument)
            raise ValueError(
                f"{argument} has per-sample shape {x.shape[1:]} (array shape {x.shape}) but the model "
                f"expects {self.input_shape}"
            )
        return x

    def _one_sample_hint(self, shape: tuple[int, ...], argument: str) -> None:
        """ValueError with the fix when ``shape`` is that of one sample, not of a batch
        (``predict(x[0])``)."""
        if (self.built and tuple(shape) == self.input_shape) or (
            not self.built and len(shape) == 1
        ):
            raise ValueError(
                f"{argument} has shape {tuple(shape)}: one sample, but the model takes a batch of "
                f"samples, shape (batch, {', '.join(map(str, shape))}); for one sample give "
                f"{argument}[None] or {argument}.reshape(1, {', '.join(map(str, shape))}) (or "
                "x[i:i + 1] instead of x[i], which keeps the batch axis)"
            ) from None

    def check_targets(self, y: Any, n_samples: int, argument: str = "y") -> Array:
        """``y`` as targets for ``n_samples`` outputs: one per sample, finite, class labels in range."""
        y = np.asarray(y)
        if y.ndim == 0:
            raise ValueError(
                f"{argument} must be an array with one target per sample, got the scalar {y.item()!r}"
            )
        if len(y) != n_samples:
            raise ValueError(
                f"x has {n_samples} samples but {argument} has {len(y)}; they must have the same length"
            )
        if len(self.output_shape) == 1:
            return target_array(y, (n_samples, *self.output_shape), self.dtype, argument)
        if y.dtype.kind not in "biuf":
            raise TypeError(f"{argument} must hold numbers, got dtype {y.dtype}")
        check_finite(argument, y)
        return y

    def _cast(self, x: Any, argument: str) -> Array:
        x = np.asarray(x)
        if x.dtype != self.dtype:
            x = as_float_array(argument, x, self.dtype, min_ndim=2)
        elif x.ndim < 2 or x.shape[0] == 0:
            raise ValueError(
                f"{argument} must be a non-empty batch of shape (batch, ...), got {x.shape}"
            )
        return x

    def forward(self, x: Array, training: bool = False) -> Array:
        """The last layer's output for a checked batch ``x`` (no validation: the inner loop's call)."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dout: Array, input_grad: bool = False) -> Array | None:
        """Back-propagate dL/d(output), filling every trainable layer's grads; return dL/dx if asked."""
        return self._backpropagate(np.array(dout, dtype=self.dtype), input_grad)  # a private copy

    def _backpropagate(self, dout: Array, input_grad: bool) -> Array | None:
        """The backward pass proper, plus the weight-decay gradient λW.

        Layers work on ``dout`` in place. Layers before the first trainable one need no gradient, so
        unless dL/dx is asked for, the pass stops there.
        """
        first = 0 if input_grad else self._first_trainable_index()
        for index in range(len(self.layers) - 1, first - 1, -1):
            dout = self.layers[index].backward(dout, input_grad=input_grad or index > first)
        if self.weight_decay:
            decayed = [layer for layer in self.layers if layer.trainable]
            add_weight_decay_gradient(
                self.weight_decay,
                [
                    (layer.params[name], layer.grads[name])
                    for layer in decayed
                    for name in layer.decay_params
                ],
            )
        return dout if input_grad else None

    def _first_trainable_index(self) -> int:
        for index, layer in enumerate(self.layers):
            if layer.trainable and layer.params:
                return index
        return len(self.layers)

    @explain_keywords
    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = 0) -> Array:
        """The model's output (raw scores for a classifier) in inference mode, ``batch_size`` rows at a time.

        ``verbose`` 1 (or "auto") prints how many samples took how long (default 0: silent; Keras's
        default prints, but trainlab predicts in one pass and the notebook shows the result).
        """
        started = time.perf_counter()
        verbose = check_choice("verbose", verbose, VERBOSE)
        x = self.check_input(x)
        # A diverged model's huge weights overflow to inf/NaN outputs: that is the answer, not a warning.
        with np.errstate(over="ignore", invalid="ignore"):
            if batch_size is None or batch_size >= len(x):
                outputs = self.forward(x, training=False)
            else:
                batch_size = check_int("batch_size", batch_size, minimum=1)
                outputs = np.concatenate(
                    [
                        self.forward(x[i : i + batch_size], training=False)
                        for i in range(0, len(x), batch_size)
                    ]
                )
        if verbose:
            print(f"predict: {len(x):,} samples in {time.perf_counter() - started:.2f} s")
        return outputs

    def __call__(self, x: Any, training: bool = False) -> Array:
        """``model(x)``: the output for the batch ``x``, in inference mode unless ``training=True``
        (dropout active, batch statistics), as in Keras."""
        return self.forward(self.check_input(x), training=bool(training))

    def penalty(self) -> float:
        """Σ layer regularization losses + ½·weight_decay·Σ‖W‖² over weight matrices."""
        total = sum(layer.regularization_loss() for layer in self.layers)
        if self.weight_decay:
            total += weight_decay_penalty(
                self.weight_decay,
                [layer.params[name] for layer in self.layers for name in layer.decay_params],
            )
        return float(total)

    def loss(self, x: Any, t: Any, training: bool = False) -> float:
        """L(x, t) including penalties; ``training=True`` uses batch statistics and dropout."""
        x = self.check_input(x)
        return self.loss_function.forward(self.forward(x, training), t) + self.penalty()

    def loss_and_gradients(
        self, x: Any, t: Any, sample_weight: Array | None = None
    ) -> tuple[float, dict[str, Array]]:
        """L and dL/dθ for a batch, from one training-mode forward pass and one backward pass.

        L includes the penalties and dL/dθ their gradients. The gradients are by parameter name,
        matching :attr:`params`; the arrays are the layers' gradient buffers, reused by the next
        call. ``sample_weight`` (one per sample) weights the samples' losses (see
        :class:`trainlab.losses.Loss`).
        """
        x = self.check_input(x, check_finite=False)
        outputs = self.forward(x, training=True)
        loss = (
            self.loss_function.forward(outputs, t)
            if sample_weight is None
            else self.loss_function.forward(outputs, t, sample_weight)
        ) + self.penalty()
        if not math.isfinite(loss):
            as_float_array("x", x, self.dtype)  # name a NaN/inf input rather than report divergence
        self._backpropagate(self.loss_function.backward(), input_grad=False)
        return loss, self.grads

    def gradient(self, x: Any, t: Any) -> dict[str, Array]:
        """dL/dθ for a batch, by parameter name (the textbook's ``network.gradient(x, t)``). See
        :meth:`loss_and_gradients`, which returns the loss too, and :func:`trainlab.train_step`, the
        whole step every loop takes."""
        return self.loss_and_gradients(x, t)[1]

    def apply_constraints(self) -> None:
        """Apply each layer's constraint (MaxNorm); the training loop calls this after every update."""
        for layer in self.layers:
            layer.apply_constraints()

    def accuracy(self, x: Any, t: Any, batch_size: int | None = 4096) -> float:
        """Fraction of samples classified correctly, in inference mode."""
        return accuracy(self.predict(x, batch_size), t)

    # -- training ----------------------------------------------------------------------------------
    def compile(
        self,
        optimizer: str | Optimizer = "sgd",
        loss: str | Loss | None = None,
        metrics: Sequence[str] = ("accuracy",),
        **optimizer_params: Any,
    ) -> Sequential:
        """Choose the optimizer (an object, or a name with its parameters:
        ``compile("adam", lr=1e-3)``), the loss (default: keep the model's, softmax cross-entropy
        unless set) and the metrics to report. Returns the model, so ``model.compile(...).fit(...)``
        reads naturally.
        """
        check_not_a_class("optimizer", optimizer)
        if isinstance(optimizer, Optimizer) and optimizer_params:
            raise TypeError(
                f"compile() got the keyword argument(s) {', '.join(sorted(optimizer_params))}: compile "
                "takes optimizer, loss, metrics, and the optimizer's parameters only with its name "
                "(compile('adam', lr=1e-3)); an optimizer object has its own"
            )
        try:
            self.optimizer = get_optimizer(optimizer, "optimizer", **optimizer_params)
        except TypeError as error:  # an unknown keyword: say what compile itself takes too
            raise TypeError(
                f"compile(): {error}; compile itself takes optimizer, loss, metrics"
            ) from None
        if loss is not None:
            self.loss_function = get_loss(loss)
        if self.layers:
            warn_if_softmax_twice(self.loss_function, self.layers[-1])
        if isinstance(metrics, str):
            metrics = [metrics]
        for name in metrics:
            get_metric(name)
        self.metric_names = list(metrics)
        return self

    fit = fit  # the loop, with its options, is trainlab.training.fit: Sequential.fit(x, y, epochs=..., ...)

    def split_rng(self) -> np.random.Generator:
        """A fresh Generator for choosing validation and evaluation subsets: the same choice every time."""
        return rng_for(self.seed, "validation-split")

    @explain_keywords
    def evaluate(
        self,
        x: Any,
        y: Any,
        batch_size: int = 4096,
        verbose: int | str = 0,
        sample_weight: Any = None,
    ) -> dict[str, float]:
        """Loss (penalties included) and the compiled metrics in inference mode, by name.

        ``sample_weight`` (one weight >= 0 per sample) weights the loss, L = (1/N) Σₙ wₙ·lₙ (the
        metrics are not weighted). ``verbose`` 1 (or "auto") prints the scores on one line (default
        0: the notebook shows the returned dict).
        """
        verbose = check_choice("verbose", verbose, VERBOSE)
        outputs = self.predict(x, batch_size)
        y = self.check_targets(y, len(outputs))
        weights = None
        if sample_weight is not None:
            weights = sample_weights(self, y, sample_weight, None)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged model scores NaN, silently
            loss = (
                self.loss_function.forward(outputs, y)
                if weights is None
                else self.loss_function.forward(outputs, y, weights)
            )
            scores = {"loss": loss + self.penalty()}
        for name in self.metric_names:
            scores[name] = get_metric(name)(outputs, y)
        if verbose:
            print(
                f"evaluate: {len(outputs):,} samples: "
                + "  ".join(f"{k} {v:.4g}" for k, v in scores.items())
            )
        return scores

    def predict_proba(self, x: Any, batch_size: int | None = 4096) -> Array:
        """Class probabilities: the softmax of the scores when the loss is softmax cross-entropy."""
        outputs = self.predict(x, batch_size)
        return softmax(outputs) if isinstance(self.loss_function, SoftmaxCrossEntropy) else outputs

    def predict_mc(
        self, x: Any, samples: int = 100, batch_size: int | None = 4096
    ) -> tuple[Array, Array]:
        """Monte Carlo dropout (Gal & Ghahramani 2016): mean and std of the class probabilities over
        ``samples`` forward passes with dropout active (batch norm stays in inference mode).
        """
        samples = check_int("samples", samples, minimum=1)
        x = self.check_input(x)
        total = square = None
        for _ in range(samples):
            chunks = []
            for i in range(0, len(x), batch_size or len(x)):
                out = x[i : i + (batch_size or len(x))]
                for layer in self.layers:
                    out = layer.forward(out, training=layer.stochastic)
                chunks.append(out)
            out = np.concatenate(chunks).astype(np.float64)
            probs = softmax(out) if isinstance(self.loss_function, SoftmaxCrossEntropy) else out
            total = probs if total is None else total + probs
            square = probs**2 if square is None else square + probs**2
        mean = total / samples
        std = np.sqrt(np.maximum(square / samples - mean**2, 0.0))
        return mean.astype(self.dtype), std.astype(self.dtype)

    save = save_model  # model.save(path, include_optimizer=True): see trainlab.saving

    # -- randomness --------------------------------------------------------------------------------
    def rng_state(self) -> dict[str, dict]:
        """The state of every noise generator (dropout masks), to replay or resume exactly."""
        return {
            layer.name: layer.rng.bit_generator.state
            for layer in self.layers
            if layer.rng is not None
        }

    def set_rng_state(self, state: dict[str, dict]) -> None:
        for layer in self.layers:
            if layer.rng is not None and layer.name in state:
                layer.rng.bit_generator.state = state[layer.name]

    # -- describing and copying --------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {
            "layers": [serialize(layer) for layer in self.layers],
            "input_shape": list(self.input_shape) if self.built else None,
            "seed": self.seed,
            "dtype": self.dtype.name,
            "weight_decay": self.weight_decay,
            "loss": serialize(self.loss_function),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], dtype: Any = None) -> Sequential:
        """A new model with the architecture of ``config`` (fresh weights from its seed)."""
        return cls(
            [deserialize(layer) for layer in config["layers"]],
            input_shape=config["input_shape"],
            seed=config["seed"],
            dtype=dtype or config["dtype"],
            weight_decay=config["weight_decay"],
            loss=deserialize(config["loss"]),
        )

    def clone(self, dtype: Any = None) -> Sequential:
        """An independent copy with the same weights, optionally in another dtype (float64 for gradcheck)."""
        copy = Sequential.from_config(self.get_config(), dtype=dtype)
        if self.built:
            copy.load_state_dict(self.state_dict())
            copy.set_rng_state(self.rng_state())
        return copy

    def summary(self, print_fn: Callable[[str], Any] | None = None) -> None:
        """Show the table of layers, output shapes and parameter counts, as Keras does: printed, or
        an HTML table in a notebook; ``print_fn`` gets each line instead
        (``summary(print_fn=lines.append)``). :meth:`summary_table` returns it."""
        table = self.summary_table()
        if print_fn is not None:
            for line in str(table).splitlines():
                print_fn(line)
        elif in_notebook():
            from IPython.display import display  # optional: present whenever a notebook kernel runs

            display(table)
        else:
            print(table)

    def summary_table(self) -> ModelSummary:
        """The table :meth:`summary` shows (``str()`` of it is the text)."""
        self._require_built()
        rows = [("Layer (type)", "Output shape", "Params")]
        for layer in self.layers:
            kind = type(layer).__name__
            if getattr(layer, "activation", None) is not None:
                kind += f"+{type(layer.activation).__name__}"
            frozen = "" if layer.trainable or not layer.params else " (frozen)"
            shape = str((None, *layer.output_shape))
            rows.append((f"{layer.name} ({kind}){frozen}", shape, f"{layer.count_params():,}"))
        total, trainable = self.count_params(), self.count_params(trainable_only=True)
        return ModelSummary(
            rows,
            [
                f"Total params: {total:,}  (trainable {trainable:,}, non-trainable {total - trainable:,})",
                f"Input shape: {(None, *self.input_shape)}  dtype: {self.dtype.name}",
            ],
        )

    def __repr__(self) -> str:
        inner = ", ".join(type(layer).__name__ for layer in self.layers)
        return f"Sequential([{inner}], dtype={self.dtype.name})"
