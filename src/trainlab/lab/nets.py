"""Nets that pair by seed, and a training run watched every few epochs: what the lessons of chapter 6 share.

:func:`paired_mlp` builds :func:`trainlab.mlp` with the initial weights of the plain net of the same
seed, so that a net with batch norm or dropout layers starts exactly where the plain one does
(``trainlab.mlp`` draws each layer's weights from its own stream, and extra layers would shift
them). :func:`watch` trains a compiled net and measures its accuracy (and loss) on the training data
and a test or validation set every ``every`` epochs, in inference mode: the curves of the book's
overfitting figures, without evaluating 10,000 test images after each of 200 epochs.
:func:`train_until` trains a net until its validation accuracy reaches a level (how fast it learns).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import trainlab as tl
from trainlab.activations import Activation, softmax


def shape(hidden: Sequence[int]) -> str:
    """The hidden layers as a figure's title writes them: "100x6" for six layers of 100 units, else
    "50" or "100-50"."""
    uniform = len(set(hidden)) == 1 and len(hidden) > 1
    return f"{hidden[0]}x{len(hidden)}" if uniform else "-".join(map(str, hidden))


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


def train_until(
    model: tl.Sequential,
    x: np.ndarray,
    y: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    *,
    target: float,
    epochs: int,
    every: int,
    batch_size: int,
) -> dict[str, Any]:
    """Train the compiled ``model`` on (x, y) in stretches of ``every`` steps (batches of
    ``batch_size``) until its accuracy on (x_valid, y_valid), measured at the start and after each
    stretch, reaches ``target`` or the budget of ``epochs`` epochs is spent (⌈len(x)/batch_size⌉
    steps each; a race to a level needs no more): ``status`` ("diverged" ends it), ``steps`` (the
    steps done at each measurement), ``validation`` (the accuracies) and ``budget`` (in steps)."""
    budget = epochs * -(-len(x) // batch_size)
    steps, accuracy, status = [0], [model.accuracy(x_valid, y_valid)], "completed"
    while steps[-1] < budget and accuracy[-1] < target:
        stretch = min(every, budget - steps[-1])
        history = model.fit(
            x, y, iterations=stretch, batch_size=batch_size, evaluate_train=False, verbose=0
        )
        if history.status == "diverged":
            status = "diverged"
            break
        steps.append(steps[-1] + stretch)
        accuracy.append(model.accuracy(x_valid, y_valid))
    return {"status": status, "steps": steps, "validation": accuracy, "budget": budget}


def after_divergence(curve: Sequence[float], length: int, value: float) -> np.ndarray:
    """``curve`` continued with ``value`` up to ``length`` points: a net that diverged has learned
    nothing since (its accuracy counts at chance, its loss at the level the lesson names)."""
    values = np.asarray(curve, dtype=np.float64)
    return np.concatenate([values, np.full(max(0, length - len(values)), value)])


def grad_norms(model: tl.Sequential, x: np.ndarray, y: np.ndarray) -> list[float]:
    """‖dL/dW‖ of every Dense layer on (x, y), input side first (a measurement: nothing is updated)."""
    grads = model.gradient(x, y)
    return [
        float(np.linalg.norm(grads[f"{layer.name}.W"]))
        for layer in model.layers
        if isinstance(layer, tl.Dense)
    ]


def dead_fraction(model: tl.Sequential, x: np.ndarray) -> float:
    """The fraction of hidden units whose derivative is 0 on every sample of ``x`` (inference mode):
    dead units, such as a ReLU whose input is negative for every sample."""
    dead = total = 0
    for layer in model.layers:
        x = layer.forward(x, training=False)
        if isinstance(layer, Activation):
            derivative = layer.backward(np.ones_like(x))
            dead += int(np.sum(np.all(derivative == 0, axis=0)))
            total += derivative.shape[1]
    return dead / total


def forced_training_proba(
    model: tl.Sequential, x: np.ndarray, samples: int, batch: int
) -> np.ndarray:
    """The mean over ``samples`` passes of the class probabilities of ``x`` with every layer of a copy of
    ``model`` in training mode, ``batch`` images at a time (Keras's ``model(x, training=True)``
    through ``predict``): dropout active, and batch norm normalizing each batch by its own statistics."""
    forced, total = model.clone(), 0.0
    for _ in range(samples):
        outputs = []
        for start in range(0, len(x), batch):
            h = x[start : start + batch]
            for layer in forced.layers:
                h = layer.forward(h, training=True)
            outputs.append(h)
        total = total + softmax(np.concatenate(outputs).astype(np.float64))
    return total / samples


def log_loss(probabilities: np.ndarray, y: np.ndarray) -> float:
    """The mean of -ln p(true class), each p clipped at 1e-7 as Keras does."""
    return float(-np.mean(np.log(np.clip(probabilities[np.arange(len(y)), y], 1e-7, 1.0))))
