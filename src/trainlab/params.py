"""The model's parameters as the textbook's dict: names ("dense1.W") to live views of the layers'
arrays, and the packing that makes those arrays views of one flat buffer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from trainlab.backend import Array
from trainlab.base import Layer


def pack_parameters(layers: Sequence[Layer]) -> None:
    """Make the layers' parameters views of one flat array per dtype, and their gradients views of another.

    The arrays keep their values, names and shapes; each becomes a C-contiguous view of its piece of
    the flat buffer, in the order of the layers and of each layer's ``params`` (the order
    ``model.params`` lists them). An optimizer then updates a run of consecutive parameters with one
    call of its rule on the flat range they cover instead of one per parameter
    (:mod:`trainlab.optimizers.layout`). Whatever writes parameters or gradients must therefore
    write into these arrays (``array[...] = value``, as ``load_state_dict`` and :class:`ParamDict`
    do); a rebound entry only splits the run, and the optimizer updates it alone.
    """
    entries: dict[np.dtype, list[tuple[Layer, str, Array]]] = {}
    for layer in layers:
        for name, array in layer.params.items():
            entries.setdefault(array.dtype, []).append((layer, name, array))
    for dtype, group in entries.items():
        total = sum(array.size for _, _, array in group)
        flat_params, flat_grads = np.empty(total, dtype), np.empty(total, dtype)
        start = 0
        for layer, name, array in group:
            stop = start + array.size
            layer.params[name] = flat_view(flat_params, start, stop, array)
            layer.grads[name] = flat_view(flat_grads, start, stop, layer.grads[name])
            start = stop


def flat_view(flat: Array, start: int, stop: int, values: Array) -> Array:
    """flat[start:stop] in the shape of ``values``, holding a copy of them."""
    view = flat[start:stop].reshape(values.shape)
    view[...] = values
    return view


class ParamDict(dict):
    """The model's trainable parameters by name ("dense1.W"), as views of the layers' own arrays.

    Updating an entry in place (``params[k] -= lr * grads[k]``) changes the model; so does assigning
    a new array (``params[k] = params[k] - lr * grads[k]``), which is copied into the layer's array.
    The set of names is fixed: entries cannot be added or deleted.

    It is a ``dict`` so that reading it (``params[k]``, ``items()``, ``keys()``, iteration) is the
    built-in dict's own C code: an optimizer reads every entry twice on every step, which through a
    Python ``MutableMapping`` cost about 35 µs a step of the book's net (a quarter of its SGD
    update). Only the writes are Python: they copy into the layers' arrays or refuse.
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        super().__init__(
            (f"{layer.name}.{name}", array)
            for layer in layers
            if layer.trainable
            for name, array in layer.params.items()
        )

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self:
            raise KeyError(f"{key!r} is not a trainable parameter; names: {', '.join(self)}")
        target = self[key]
        if value is not target:
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(
                    f"params[{key!r}] has shape {target.shape}; cannot assign shape {value.shape}"
                )
            target[...] = value

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Assign every given entry, as ``params[k] = v`` does (dict's own update would replace the
        arrays)."""
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other: Any) -> ParamDict:
        self.update(other)
        return self

    def setdefault(self, key: str, default: Any = None) -> Array:
        if key not in self:
            raise KeyError(f"{key!r} is not a trainable parameter; names: {', '.join(self)}")
        return self[key]

    def _refuse(self, *args: Any) -> NoReturn:
        raise TypeError("a model's parameters cannot be deleted")

    __delitem__ = pop = popitem = clear = _refuse

    def __reduce__(self) -> tuple:
        return dict, (
            dict(self),
        )  # a copy or a pickle is a plain dict of the arrays, detached from the model

    def __repr__(self) -> str:
        return "ParamDict({" + ", ".join(f"{k!r}: {v.shape}" for k, v in self.items()) + "})"
