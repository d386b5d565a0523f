"""How an update walks the parameters: one rule call per run of parameters that lie back to back in memory.

A model keeps its parameters as views of one flat array, and its gradients as views of another
(:func:`trainlab.params.pack_parameters`), so consecutive entries of ``model.params`` are one contiguous
range of memory, and so are their gradients. Every rule is elementwise, so applying it once to the whole
range is the same update, bit for bit, as applying it to each parameter in turn: one NumPy call per pass
of the rule instead of one per pass and parameter. Each NumPy call costs about a microsecond whatever
the size of its arrays, so on the book's net (10 arrays) this was most of an SGD update's time.

Anything else (separate arrays, a frozen layer in the middle, gradients that are not views of one buffer)
splits into shorter runs, down to one parameter each: the update of one parameter as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from trainlab.backend import Array

if TYPE_CHECKING:  # the optimizer creates these objects; they only call back into it
    from trainlab.optimizers.base import Optimizer

Checked = Sequence[tuple[str, Array, Array]]
"""(name, θ, g) for every parameter, as :meth:`Optimizer.check_gradients` returns them."""


class RuleArguments:
    """What the rule gets for one array θ (a parameter, or a run of them) besides its gradient: its state
    arrays and scratch arrays, and for a large θ the same in blocks of ``block_size`` entries (views, made
    once and kept while θ is the same array: preparing them anew at every update cost more than the
    arithmetic of a small parameter; likewise the gradient's blocks while the gradient is the same array)."""

    def __init__(self, optimizer: Optimizer, theta: Array, state: list[Array]) -> None:
        self.theta, self.state = theta, state
        self.scratch = {key: optimizer._buffer(key, theta) for key in optimizer.scratch}
        self.blocks: list[tuple[int, int, Array, list[Array], dict[str, Array]]] | None = None
        self.g: Array | None = None  # the gradient whose blocks are in g_blocks
        self.g_blocks: list[Array] = []
        size = optimizer.block_size
        if size is not None and theta.size > size and theta.flags.c_contiguous:
            flat = [array.reshape(-1) for array in (theta, *self.state)]  # views: contiguous arrays
            self.blocks = []
            for start in range(0, theta.size, size):
                theta_block, *state_block = (array[start:start + size] for array in flat)
                scratch = {key: optimizer._buffer(key, theta_block) for key in optimizer.scratch}
                self.blocks.append((start, start + size, theta_block, state_block, scratch))

    def apply(self, rule: Callable[..., None], g: Array) -> None:
        """rule(θ, g, *state, **scratch): block by block for a large θ, at once for a small one or when g
        is not C-contiguous."""
        if self.blocks is None or not g.flags.c_contiguous:
            rule(self.theta, g, *self.state, **self.scratch)
            return
        if g is not self.g:
            flat = g.reshape(-1)
            self.g, self.g_blocks = g, [flat[start:stop] for start, stop, *_ in self.blocks]
        for (_, _, theta_block, state_block, scratch), g_block in zip(self.blocks, self.g_blocks, strict=True):
            rule(theta_block, g_block, *state_block, **scratch)


def address(array: Array) -> int:
    """Where the array's first entry is in memory."""
    return array.__array_interface__["data"][0]


def follows(previous: Array, array: Array) -> bool:
    """Whether ``array`` starts where ``previous`` ends, both C-contiguous views of one 1-D buffer of
    their dtype (so that the two are one range of that buffer)."""
    base = array.base
    return (base is not None and base is previous.base and base.ndim == 1 and base.dtype == array.dtype
            and previous.dtype == array.dtype and array.flags.c_contiguous and previous.flags.c_contiguous
            and address(array) == address(previous) + previous.nbytes)


def flat_range(arrays: Sequence[Array]) -> Array | None:
    """The 1-D view of their common buffer that consecutive arrays (see :func:`follows`) cover together,
    or None if the first one does not start on an entry of the buffer."""
    base = arrays[0].base
    offset, misaligned = divmod(address(arrays[0]) - address(base), base.itemsize)
    if misaligned or not base.flags.c_contiguous:
        return None
    return base[offset:offset + sum(array.size for array in arrays)]


def runs(checked: Checked) -> list[list[int]]:
    """The parameters split into maximal runs (lists of their indices) in which each parameter, and its
    gradient, follows the previous one in memory."""
    groups: list[list[int]] = []
    for index, (_, theta, g) in enumerate(checked):
        if groups and follows(checked[index - 1][1], theta) and follows(checked[index - 1][2], g):
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def run_state(state: dict[str, dict[str, Array]], slots: Sequence[str], names: Sequence[str],
              thetas: Sequence[Array], flat: Array) -> list[Array]:
    """One array per slot for a whole run, zeros or each parameter's existing state (loaded, or kept from
    an earlier layout) copied in; ``state[name][slot]`` becomes that parameter's piece of it (a view), so
    the optimizer's per-name state (``state_dict``, ``load_state_dict``) is the run's."""
    arrays = []
    for slot in slots:
        whole = np.zeros_like(flat)
        start = 0
        for name, theta in zip(names, thetas, strict=True):
            piece = whole[start:start + theta.size].reshape(theta.shape)
            previous = state.setdefault(name, {}).get(slot)
            if previous is not None:
                piece[...] = previous
            state[name][slot] = piece
            start += theta.size
        arrays.append(whole)
    return arrays


class Layout:
    """The parameters of an update grouped into runs, each with its rule arguments and its (flat) gradient.

    Made by the optimizer when it gets parameters or gradients it has not seen, and kept while
    :meth:`fits` (the same arrays, by identity, under the same names: a model's parameters and its
    gradient buffers stay the same arrays from step to step).
    """

    def __init__(self, optimizer: Optimizer, checked: Checked) -> None:
        self.checked = [(name, theta, g) for name, theta, g in checked]  # kept alive: compared by identity
        groups = []
        for indices in runs(checked):
            names = [checked[i][0] for i in indices]
            thetas, grads = [checked[i][1] for i in indices], [checked[i][2] for i in indices]
            theta, g = (flat_range(thetas), flat_range(grads)) if len(indices) > 1 else (None, None)
            if theta is None or g is None:  # one parameter (or a run that cannot be viewed flat): each alone
                groups.extend(([name], [t], t, grad) for name, t, grad in zip(names, thetas, grads, strict=True))
            else:
                groups.append((names, thetas, theta, g))
        largest: dict[np.dtype, Array] = {}  # per dtype: the scratch buffers grow once, not as each run comes
        for *_, theta, _ in groups:
            if theta.size > largest.get(theta.dtype, theta[:0]).size:
                largest[theta.dtype] = theta
        for key in optimizer.scratch:
            for theta in largest.values():
                optimizer._buffer(key, theta)
        self.steps = [(self._arguments(optimizer, names, thetas, theta), g) for names, thetas, theta, g in groups]

    @staticmethod
    def _arguments(optimizer: Optimizer, names: list[str], thetas: list[Array], theta: Array) -> RuleArguments:
        if len(names) == 1:  # a parameter alone keeps its arguments while it is the same array
            arguments = optimizer._arguments.get(names[0])
            if arguments is None or arguments.theta is not theta:
                arguments = optimizer._arguments[names[0]] = RuleArguments(
                    optimizer, theta, optimizer._state_of(names[0], theta))
            return arguments
        for name in names:  # its state becomes a view of the run's: an alone-parameter's arguments are stale
            optimizer._arguments.pop(name, None)
        return RuleArguments(optimizer, theta, run_state(optimizer.state, optimizer.slots, names, thetas, theta))

    def fits(self, checked: Checked) -> bool:
        """Whether ``checked`` holds the same arrays, in the same order, under the same names."""
        if len(checked) != len(self.checked):
            return False
        for (name, theta, g), (known_name, known_theta, known_g) in zip(checked, self.checked, strict=True):
            if theta is not known_theta or g is not known_g or name != known_name:
                return False
        return True
