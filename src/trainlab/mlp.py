"""The multi-layer perceptron of the textbook chapters, built from one line of settings.

``mlp([100, 100], activation="relu", init="he_normal")`` is the network the experiments and the
hyperparameter search train: for each hidden width, a Dense layer, optionally BatchNorm, the
activation and optionally Dropout; then a Dense layer with one output per class (the loss applies
the softmax).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainlab.activations import get_activation
from trainlab.base import Layer
from trainlab.layers import BatchNorm, Dense, Dropout
from trainlab.model import Sequential
from trainlab.validation import check_int


def mlp(
    hidden: Sequence[int],
    *,
    activation: str = "relu",
    init: Any = "he_normal",
    batchnorm: bool = False,
    dropout: float = 0.0,
    inverted_dropout: bool = True,
    weight_decay: float = 0.0,
    input_dim: int = 784,
    classes: int = 10,
    seed: int | None = 0,
    dtype: Any = "float32",
) -> Sequential:
    """[Dense(h) → (BatchNorm) → activation → (Dropout)] for each h in ``hidden``, then Dense(classes).

    Each hidden layer computes a = φ(BN(x·W + b)) (BatchNorm only with ``batchnorm``), followed by
    dropout at rate ``dropout`` when it is > 0 (``inverted_dropout=False``: the textbook's form).
    Every Dense layer is initialised by ``init`` (a name, a number: the std of a normal, or an
    Initializer). ``weight_decay`` is the model's λ (the loss gets ½·λ·ΣW² over the weight
    matrices); ``seed`` fixes the initial weights, the dropout masks and the order of the
    mini-batches.
    """
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(
            f"hidden must be a sequence of layer widths such as [100, 100], got {hidden!r}"
        )
    widths = [check_int(f"hidden[{index}]", units, minimum=1) for index, units in enumerate(hidden)]
    layers: list[Layer] = []
    for units in widths:
        layers.append(Dense(units, init=init))
        if batchnorm:
            layers.append(BatchNorm())
        layers.append(get_activation(activation))
        if dropout:
            layers.append(Dropout(dropout, inverted=inverted_dropout))
    layers.append(Dense(check_int("classes", classes, minimum=1), init=init))
    return Sequential(
        layers, input_dim=input_dim, seed=seed, weight_decay=weight_decay, dtype=dtype
    )
