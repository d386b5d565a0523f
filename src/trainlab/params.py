"""The model's parameters as the textbook's dict: names ("dense1.W") to live views of the layers' arrays."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

import numpy as np

from trainlab.backend import Array
from trainlab.base import Layer


class ParamDict(MutableMapping):
    """The model's trainable parameters by name ("dense1.W"), as views of the layers' own arrays.

    Updating an entry in place (``params[k] -= lr * grads[k]``) changes the model; so does assigning a new
    array (``params[k] = params[k] - lr * grads[k]``), which is copied into the layer's array. The set of
    names is fixed: entries cannot be added or deleted.
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        self._arrays: dict[str, Array] = {
            f"{layer.name}.{name}": array
            for layer in layers
            if layer.trainable
            for name, array in layer.params.items()
        }

    def __getitem__(self, key: str) -> Array:
        return self._arrays[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self._arrays:
            raise KeyError(f"{key!r} is not a trainable parameter; names: {', '.join(self._arrays)}")
        target = self._arrays[key]
        if value is not target:
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(f"params[{key!r}] has shape {target.shape}; cannot assign shape {value.shape}")
            target[...] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("a model's parameters cannot be deleted")

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        return "ParamDict({" + ", ".join(f"{k!r}: {v.shape}" for k, v in self._arrays.items()) + "})"
