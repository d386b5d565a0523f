"""Nets that pair by seed, and a training run watched every few epochs: what the lessons of chapter 6 share.

:func:`paired_mlp` builds :func:`trainlab.mlp` with the initial weights of the plain net of the same
seed, so that a net with batch norm or dropout layers starts exactly where the plain one does
(``trainlab.mlp`` draws each layer's weights from its own stream, and extra layers would shift
them). :func:`watch` trains a compiled net and measures its accuracy (and loss) on the training data
and a test or validation set every ``every`` epochs, in inference mode: the curves of the book's
overfitting figures, without evaluating 10,000 test images after each of 200 epochs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import trainlab as tl


def paired_mlp(
    hidden: Sequence[int],
    *,
    seed: int,
    init: Any = "he_normal",
    batchnorm_epsilon: float | None = None,
    **options: Any,
) -> tl.Sequential:
    """``trainlab.mlp(hidden, init=init, seed=seed, **options)`` whose Dense layers hold the initial
    weights of the plain ``trainlab.mlp(hidden, init=init, seed=seed)``: same seed, same start,
    whatever batch norm or dropout layers ``options`` add. ``batchnorm_epsilon`` sets ε of every
    BatchNorm layer (the book's 10e-7)."""
    model = tl.mlp(hidden, init=init, seed=seed, **options)
    if options.get("batchnorm") or options.get("dropout"):
        plain = tl.mlp(
            hidden,
            init=init,
            seed=seed,
            input_dim=options.get("input_dim", 784),
            classes=options.get("classes", 10),
        )
        for name, value in plain.params.items():
            model.params[name][...] = value
    if batchnorm_epsilon is not None:
        for layer in model.layers:
            if isinstance(layer, tl.BatchNorm):
                layer.epsilon = batchnorm_epsilon
    return model


def watch(
    model: tl.Sequential,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    epochs: int,
    every: int,
    batch_size: int,
    sampling: str = "iid",
) -> dict[str, Any]:
    """Train the compiled ``model`` for ``epochs`` epochs and measure it every ``every`` epochs (and
    at the start and the end) in inference mode: ``epochs`` (the epochs done at each point),
    ``train``/``test`` (accuracy), ``train_loss``/``test_loss``, and ``batch_loss``: the mean
    training-mode loss of the batches of each stretch (what a training loop reports: with dropout
    on). Losses are the data's cross-entropy, without a weight-decay penalty (the batch loss less
    the penalty at the end of its stretch). A run that diverged (the loss became NaN or inf) stops
    there, ``status`` says so, and its curves end at its last finite point."""
    done, status = 0, "completed"
    out: dict[str, Any] = {
        "epochs": [],
        "train": [],
        "test": [],
        "train_loss": [],
        "test_loss": [],
        "batch_loss": [],
    }

    def measure(batch_loss: float | None) -> None:
        penalty = model.penalty()
        out["epochs"].append(done)
        out["train"].append(model.accuracy(x, y))
        out["test"].append(model.accuracy(x_test, y_test))
        out["train_loss"].append(model.loss(x, y) - penalty)
        out["test_loss"].append(model.loss(x_test, y_test) - penalty)
        if batch_loss is not None:
            out["batch_loss"].append(batch_loss - penalty)

    measure(None)
    while done < epochs:
        step = min(every, epochs - done)
        history = model.fit(
            x,
            y,
            epochs=step,
            batch_size=batch_size,
            sampling=sampling,
            evaluate_train=False,
            verbose=0,
        )
        if history.status == "diverged":
            status = "diverged"
            break
        done += step
        measure(float(np.mean(history.metrics["loss"])))
    return {"status": status, **out}


def after_divergence(curve: Sequence[float], length: int, value: float) -> np.ndarray:
    """``curve`` continued with ``value`` up to ``length`` points: a net that diverged has learned
    nothing since (its accuracy counts at chance, its loss at the level the lesson names)."""
    values = np.asarray(curve, dtype=np.float64)
    return np.concatenate([values, np.full(max(0, length - len(values)), value)])
