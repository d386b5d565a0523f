"""Loss functions: a scalar L(y, t) for a batch, averaged over its samples, and dL/dy.

``loss.forward(y, t)`` returns L and keeps what ``loss.backward()`` needs to return dL/dy.
"""

from __future__ import annotations

import warnings

import numpy as np

from trainlab.activations import Softmax, row_max
from trainlab.backend import Array
from trainlab.base import Layer
from trainlab.registry import Configurable, Registry
from trainlab.validation import check_finite, check_int, check_not_a_class

LOSSES = Registry("loss")


class Loss(Configurable):
    """``forward(y, t, weights=None)``: L averaged over the batch's N samples, each sample's loss lₙ
    weighted by ``weights`` (one per sample) when given: L = (1/N) Σₙ wₙ·lₙ (Keras's sample
    weights)."""

    def forward(self, y: Array, t: Array, weights: Array | None = None) -> float:
        raise NotImplementedError

    def backward(self) -> Array:
        raise NotImplementedError

    def __call__(self, y: Array, t: Array, weights: Array | None = None) -> float:
        return self.forward(y, t) if weights is None else self.forward(y, t, weights)


def class_indices(t, n_samples: int | None, n_classes: int, argument: str = "t") -> np.ndarray:
    """Integer labels 0..n_classes-1 from ``t``; clear errors for floats, wrong lengths or out of range.

    Booleans are the labels 0 and 1 (``y == 3`` labels a binary task), never a NumPy mask.
    """
    t = np.asarray(t)
    if t.ndim != 1:
        raise ValueError(f"{argument} must be 1-D class indices, got shape {t.shape}")
    if n_samples is not None and t.shape[0] != n_samples:
        raise ValueError(
            f"{argument} has {t.shape[0]} labels but the batch has {n_samples} samples"
        )
    if t.dtype.kind == "f":
        if not np.isfinite(t).all() or np.any(t != np.round(t)):
            bad = t[~np.isfinite(t) | (t != np.round(t))][0].item()
            raise ValueError(f"{argument} must hold integer class labels, got {bad!r}")
        t = t.astype(np.intp)
    elif t.dtype.kind == "b":
        t = t.astype(np.intp)
    elif t.dtype.kind not in "iu":
        raise TypeError(f"{argument} must hold integer class labels, got dtype {t.dtype}")
    # the ufuncs' own reduces: t.min()/t.max() without their Python wrappers (this runs on every step)
    if t.shape[0] and (np.minimum.reduce(t) < 0 or np.maximum.reduce(t) >= n_classes):
        bad = t[(t < 0) | (t >= n_classes)][0].item()
        raise ValueError(
            f"{argument} holds label {bad} outside the {n_classes} classes 0..{n_classes - 1}"
        )
    return t


def check_targets(y: Array, t, argument: str = "t") -> np.ndarray:
    """Targets for scores ``y`` of shape (N, K): class indices (N,) or one-hot/probabilities (N, K)."""
    return target_array(t, y.shape, y.dtype, argument)


def target_array(t, shape: tuple[int, ...], dtype: np.dtype, argument: str = "t") -> np.ndarray:
    """Targets for outputs of ``shape`` (N, K): class indices (N,) or finite one-hot rows (N, K) of
    ``dtype``."""
    t = np.asarray(t)
    if t.ndim == 2:
        if t.shape != tuple(shape):
            raise ValueError(
                f"{argument} has shape {t.shape}; one-hot targets must match the output {shape}"
            )
        if t.dtype.kind not in "biuf":
            raise TypeError(f"{argument} must hold numbers, got dtype {t.dtype}")
        t = t.astype(dtype, copy=False)
        check_finite(argument, t)
        return t
    return class_indices(t, shape[0], shape[-1], argument)


@LOSSES.register(
    "softmax_cross_entropy",
    "cross_entropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
)
class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, fused: L = (1/N) Σₙ [log Σₖ e^(yₙₖ) - Σₖ tₙₖ yₙₖ].

    ``y`` are raw scores (logits); ``t`` are class indices or one-hot rows. The log-sum-exp is
    shifted by the row maximum, so no score is too large. Backward: dL/dy = (softmax(y) - t) / N.
    """

    def forward(self, y, t, weights=None):
        if y.ndim != 2:
            raise ValueError(
                f"softmax cross-entropy expects scores of shape (batch, classes), got {y.shape}"
            )
        t = check_targets(y, t)
        shifted = y - row_max(y)
        probs = np.exp(shifted)
        sums = np.add.reduce(
            probs, axis=1, keepdims=True
        )  # probs.sum(...) without its wrapper (same sum)
        probs /= sums
        log_sums = np.log(sums)
        n = y.shape[0]
        self.rows = np.arange(n)  # kept for backward
        self.probs, self.t, self.weights = probs, t, weights
        if weights is not None:  # lₙ per sample, weighted
            losses = (
                log_sums[:, 0] - shifted[self.rows, t]
                if t.ndim == 1
                else np.sum(t * (log_sums - shifted), 1)
            )
            return float(np.dot(weights, losses) / n)
        if t.ndim == 1:
            loss = np.add.reduce(log_sums[:, 0] - shifted[self.rows, t]) / n
        else:
            loss = np.add.reduce(t * (log_sums - shifted), axis=None) / n
        return float(loss)

    def backward(self):
        grad, t = self.probs, self.t
        if t.ndim == 1:
            grad[self.rows, t] -= 1.0
        else:
            grad -= t
        if self.weights is not None:
            grad *= self.weights[:, None]
        grad /= grad.shape[0]
        return grad


@LOSSES.register("mean_squared_error", "mse")
class MeanSquaredError(Loss):
    """L = (1/(N·K)) Σ (y - t)², the mean over every entry (as in Keras and PyTorch); dL/dy = 2(y - t)/(N·K).

    Integer class labels are one-hot encoded first, so MSE also works on a classifier's outputs.
    """

    def forward(self, y, t, weights=None):
        if y.ndim == 2:
            t = check_targets(y, t)
        else:
            t = np.asarray(t, dtype=y.dtype)
            check_finite("t", t)
        if t.ndim == 1 and y.ndim == 2:
            t = one_hot(t, y.shape[1], y.dtype)
        if t.shape != y.shape:
            raise ValueError(
                f"targets t of shape {t.shape} do not match outputs of shape {y.shape}"
            )
        self.diff, self.weights = y - t, weights
        if weights is not None:  # lₙ = the mean of sample n's squared errors, weighted
            squares = (self.diff * self.diff).reshape(len(y), -1)
            return float(np.dot(weights, squares.mean(axis=1)) / len(y))
        return float(np.mean(self.diff * self.diff))

    def backward(self):
        grad = self.diff
        if self.weights is not None:
            grad *= self.weights.reshape(-1, *[1] * (grad.ndim - 1))
        grad *= 2.0 / grad.size
        return grad


def one_hot(t, n_classes: int, dtype=np.float32) -> np.ndarray:
    """(N,) integer labels (or one label) -> (N, n_classes) rows with a single 1."""
    n_classes = check_int("n_classes", n_classes, minimum=1)
    t = class_indices(np.atleast_1d(t), None, n_classes)
    out = np.zeros((t.shape[0], n_classes), dtype=dtype)
    out[np.arange(t.shape[0]), t] = 1
    return out


def to_categorical(y, num_classes: int | None = None, dtype=np.float32) -> np.ndarray:
    """Keras's name for :func:`one_hot`: (N,) integer labels -> (N, num_classes) one-hot rows;
    ``num_classes`` defaults to the largest label + 1."""
    labels = np.asarray(y)
    if num_classes is None:
        if labels.size == 0 or labels.dtype.kind not in "iub":
            raise ValueError(
                "to_categorical: give num_classes (it is read from the largest integer label)"
            )
        num_classes = int(labels.max()) + 1
    return one_hot(labels.ravel(), num_classes, dtype)


def get_loss(spec: str | Loss, argument: str = "loss") -> Loss:
    """A Loss from a name ("softmax_cross_entropy", "mse", ...) or a Loss object."""
    if isinstance(spec, Loss):
        return spec
    check_not_a_class(argument, spec)
    return LOSSES.create(spec, argument)


def warn_if_softmax_twice(loss: Loss, last_layer: Layer) -> None:
    """Warn when the model ends in a softmax and ``loss`` applies softmax itself (a Keras habit).

    Keras's ``Dense(10, activation="softmax")`` followed by
    ``loss="sparse_categorical_crossentropy"`` feeds probabilities where trainlab's loss expects
    logits: the scores are squashed twice, training is slow and the loss wrong, and nothing fails.
    The message says how to fix it.
    """
    if not isinstance(loss, SoftmaxCrossEntropy):
        return
    if isinstance(last_layer, Softmax):
        where, fix = "the last layer is a Softmax", "remove that layer"
    elif isinstance(getattr(last_layer, "activation", None), Softmax):
        units = getattr(last_layer, "units", "n")
        where, fix = (
            f"the last layer is Dense({units}, activation='softmax')",
            f"use Dense({units}) (no activation) as the output layer",
        )
    else:
        return
    warnings.warn(
        f"{where}, and the loss (softmax cross-entropy) applies softmax itself, so the scores would be "
        f"squashed twice: training is slow and the loss is wrong. Fix: {fix}; the loss expects raw "
        "scores (logits), and model.predict_proba(x) gives the probabilities.",
        UserWarning,
        stacklevel=3,
    )
