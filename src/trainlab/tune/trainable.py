"""From a trial's settings to the objects that train: the network and its optimizer.

The settings are the complete dict that :meth:`trainlab.tune.space.SearchSpace.sample` returns (every name
of :data:`trainlab.tune.params.PARAMETERS`); each is used by exactly one of the functions below, as the
parameter's ``target`` says.
"""

from __future__ import annotations

from typing import Any

from trainlab.activations import get_activation
from trainlab.base import Layer
from trainlab.layers import BatchNorm, Dense, Dropout
from trainlab.model import Sequential
from trainlab.optimizers import Optimizer, get_optimizer
from trainlab.tune.params import OPTIMIZER_ARGUMENTS, optimizer_accepts


def build_model(values: dict[str, Any], input_dim: int, classes: int, seed: int) -> Sequential:
    """The book's MLP: [Dense → (BatchNorm) → activation → (Dropout)] × hidden_layers, then Dense(classes).

    ``weight_decay`` is the model's (the textbook's ½·λ·ΣW² over weight matrices); ``seed`` fixes the
    initial weights, the dropout masks and the order of the mini-batches.
    """
    layers: list[Layer] = []
    for _ in range(values["hidden_layers"]):
        layers.append(Dense(values["hidden_units"], init=values["init"]))
        if values["batchnorm"]:
            layers.append(BatchNorm())
        layers.append(get_activation(values["activation"]))
        if values["dropout"]:
            layers.append(Dropout(values["dropout"]))
    layers.append(Dense(classes, init=values["init"]))
    return Sequential(layers, input_dim=input_dim, seed=seed, weight_decay=values["weight_decay"])


def build_optimizer(values: dict[str, Any]) -> Optimizer:
    """The optimizer named by ``values["optimizer"]`` with those of its arguments that are set.

    Arguments left at None keep the optimizer's own defaults; arguments it does not take (``momentum``
    for ``adam``, possible when the optimizer itself is searched) are not passed.
    """
    name = values["optimizer"]
    arguments = {
        OPTIMIZER_ARGUMENTS.get(key, key): values[key]
        for key in sorted(optimizer_accepts(name))
        if values.get(key) is not None
    }
    return get_optimizer(name, "optimizer", **arguments)
