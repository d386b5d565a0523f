"""An optimizer's memory and how an update walks the parameters: one rule call per run of parameters
that lie back to back in memory.

A model keeps its parameters as views of one flat array, and its gradients as views of another
(:func:`trainlab.params.pack_parameters`), so consecutive entries of ``model.params`` are one
contiguous range of memory, and so are their gradients. Every rule is elementwise, so applying it
once to the whole range is the same update, bit for bit, as applying it to each parameter in turn:
one NumPy call per pass of the rule instead of one per pass and parameter. Each NumPy call costs
about a microsecond whatever the size of its arrays, so on the book's net (10 arrays) this was most
of an SGD update's time.

Anything else (separate arrays, a frozen layer in the middle, gradients that are not views of one
buffer) splits into shorter runs, down to one parameter each: the update of one parameter as before.

:class:`Workspace` is what an optimizer keeps besides its hyperparameters: the state arrays by
parameter name, the scratch buffers, and the :class:`Layout` of the last update (the runs, each with
the arrays its rule call takes). Its public interface is all the optimizer uses:
:meth:`Workspace.steps`, :meth:`Workspace.buffer`, :meth:`Workspace.load` and
:attr:`Workspace.state`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trainlab.backend import Array

Checked = Sequence[tuple[str, Array, Array]]
"""(name, θ, g) for every parameter, as ``Optimizer.check_gradients`` returns them."""


class RuleArguments:
    """What the rule gets for one array θ (a parameter, or a run of them) besides its gradient: its
    state arrays and scratch arrays, and for a large θ the same in blocks of ``block_size`` entries
    (views, made once and kept while θ is the same array: preparing them anew at every update cost
    more than the arithmetic of a small parameter; likewise the gradient's blocks while the gradient
    is the same array)."""

    def __init__(self, workspace: Workspace, theta: Array, state: list[Array]) -> None:
        self.theta, self.state = theta, state
        self.scratch = {key: workspace.buffer(key, theta) for key in workspace.scratch}
        self.blocks: list[tuple[int, int, Array, list[Array], dict[str, Array]]] | None = None
        self.g: Array | None = None  # the gradient whose blocks are in g_blocks
        self.g_blocks: list[Array] = []
        size = workspace.block_size
        if size is not None and theta.size > size and theta.flags.c_contiguous:
            flat = [array.reshape(-1) for array in (theta, *self.state)]  # views: contiguous arrays
            self.blocks = []
            for start in range(0, theta.size, size):
                theta_block, *state_block = (array[start : start + size] for array in flat)
                scratch = {key: workspace.buffer(key, theta_block) for key in workspace.scratch}
                self.blocks.append((start, start + size, theta_block, state_block, scratch))

    def apply(self, rule: Callable[..., None], g: Array) -> None:
        """rule(θ, g, *state, **scratch): block by block for a large θ, at once for a small one or
        when g is not C-contiguous."""
        if self.blocks is None or not g.flags.c_contiguous:
            rule(self.theta, g, *self.state, **self.scratch)
            return
        if g is not self.g:
            flat = g.reshape(-1)
            self.g, self.g_blocks = g, [flat[start:stop] for start, stop, *_ in self.blocks]
        for (_, _, theta_block, state_block, scratch), g_block in zip(
            self.blocks, self.g_blocks, strict=True
        ):
            rule(theta_block, g_block, *state_block, **scratch)


def address(array: Array) -> int:
    """Where the array's first entry is in memory."""
    return array.__array_interface__["data"][0]


def follows(previous: Array, array: Array) -> bool:
    """Whether ``array`` starts where ``previous`` ends, both C-contiguous views of one 1-D buffer
    of their dtype (so that the two are one range of that buffer)."""
    base = array.base
    return (
        base is not None
        and base is previous.base
        and base.ndim == 1
        and base.dtype == array.dtype
        and previous.dtype == array.dtype
        and array.flags.c_contiguous
        and previous.flags.c_contiguous
        and address(array) == address(previous) + previous.nbytes
    )


def flat_range(arrays: Sequence[Array]) -> Array | None:
    """The 1-D view of their common buffer that consecutive arrays (see :func:`follows`) cover
    together, or None if the first one does not start on an entry of the buffer."""
    base = arrays[0].base
    offset, misaligned = divmod(address(arrays[0]) - address(base), base.itemsize)
    if misaligned or not base.flags.c_contiguous:
        return None
    return base[offset : offset + sum(array.size for array in arrays)]


def runs(checked: Checked) -> list[list[int]]:
    """The parameters split into maximal runs (lists of their indices) in which each parameter, and
    its gradient, follows the previous one in memory."""
    groups: list[list[int]] = []
    for index, (_, theta, g) in enumerate(checked):
        if groups and follows(checked[index - 1][1], theta) and follows(checked[index - 1][2], g):
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


class Layout:
    """The parameters of an update grouped into runs, each with its rule arguments and its (flat)
    gradient: ``steps``, a list of (:class:`RuleArguments`, g).

    Made by the workspace when it gets parameters or gradients it has not seen, and kept while
    :meth:`fits` (the same arrays, by identity, under the same names: a model's parameters and its
    gradient buffers stay the same arrays from step to step).
    """

    def __init__(self, workspace: Workspace, checked: Checked) -> None:
        # kept alive: compared by identity
        self.checked = [(name, theta, g) for name, theta, g in checked]
        groups = []
        for indices in runs(checked):
            names = [checked[i][0] for i in indices]
            thetas, grads = [checked[i][1] for i in indices], [checked[i][2] for i in indices]
            theta, g = (flat_range(thetas), flat_range(grads)) if len(indices) > 1 else (None, None)
            # one parameter (or a run that cannot be viewed flat): each alone
            if theta is None or g is None:
                groups.extend(
                    ([name], [t], t, grad)
                    for name, t, grad in zip(names, thetas, grads, strict=True)
                )
            else:
                groups.append((names, thetas, theta, g))
        # per dtype: the scratch buffers grow once, not as each run comes
        largest: dict[np.dtype, Array] = {}
        for *_, theta, _ in groups:
            if theta.size > largest.get(theta.dtype, theta[:0]).size:
                largest[theta.dtype] = theta
        for key in workspace.scratch:
            for theta in largest.values():
                workspace.buffer(key, theta)
        self.steps = [
            (workspace.arguments(names, thetas, theta), g) for names, thetas, theta, g in groups
        ]

    def fits(self, checked: Checked) -> bool:
        """Whether ``checked`` holds the same arrays, in the same order, under the same names."""
        if len(checked) != len(self.checked):
            return False
        for (name, theta, g), (known_name, known_theta, known_g) in zip(
            checked, self.checked, strict=True
        ):
            if theta is not known_theta or g is not known_g or name != known_name:
                return False
        return True


class Workspace:
    """An optimizer's arrays: ``state[name][slot]`` (zeros at a parameter's first update), scratch
    buffers shared by all parameters of one dtype, and the layout of the last update with its
    prepared arguments.

    :meth:`steps` is all an update needs: the (arguments, gradient) pairs to call the rule with, for
    the rule's current ``slots``, ``scratch`` and ``block_size`` (arguments prepared for others are
    dropped). A state put in with :meth:`load` is checked against the next parameters before
    anything changes.
    """

    def __init__(self) -> None:
        self.state: dict[str, dict[str, Array]] = {}
        self.slots: tuple[str, ...] = ()
        self.scratch: tuple[str, ...] = ()
        self.block_size: int | None = None
        self.layout: Layout | None = None
        self.buffers: dict[tuple[str, np.dtype], Array] = {}
        # prepared arguments of parameters updated alone, by name
        self.alone: dict[str, RuleArguments] = {}
        self.loaded = False  # the state came from load() and is not yet checked against parameters

    def steps(
        self, checked: Checked, slots: Sequence[str], scratch: Sequence[str], block_size: int | None
    ) -> list[tuple[RuleArguments, Array]]:
        """(arguments, g) for each run of ``checked``, the layout made anew if the arrays are
        new."""
        if self.loaded:
            self.check_loaded({name: theta for name, theta, _ in checked})
        if slots != self.slots or scratch != self.scratch or block_size != self.block_size:
            self.slots, self.scratch, self.block_size = tuple(slots), tuple(scratch), block_size
            self.forget()  # the rule takes other arrays now (Adam's amsgrad switched on, say)
        layout = self.layout
        if layout is None or not layout.fits(checked):
            layout = self.layout = Layout(self, checked)
        return layout.steps

    def buffer(self, key: str, like: Array) -> Array:
        """A scratch array of ``like``'s shape and dtype, shared by all parameters (contents
        undefined).

        One flat buffer per (key, dtype), as large as the largest parameter seen, viewed in each
        shape: the scratch memory is a few times the largest parameter, not a copy of the model.
        """
        buffer = self.buffers.get((key, like.dtype))
        if buffer is None or buffer.size < like.size:
            buffer = self.buffers[(key, like.dtype)] = np.empty(like.size, dtype=like.dtype)
            self.forget()  # prepared arguments hold views of the smaller buffer: share the new one
        return buffer[: like.size].reshape(like.shape)

    def arguments(
        self, names: Sequence[str], thetas: Sequence[Array], theta: Array
    ) -> RuleArguments:
        """The rule arguments of a run (``theta`` the flat range of ``thetas``) or of one
        parameter."""
        if len(names) == 1:  # a parameter alone keeps its arguments while it is the same array
            arguments = self.alone.get(names[0])
            if arguments is None or arguments.theta is not theta:
                arguments = self.alone[names[0]] = RuleArguments(
                    self, theta, self.state_of(names[0], theta)
                )
            return arguments
        # its state becomes a view of the run's: an alone-parameter's arguments are stale
        for name in names:
            self.alone.pop(name, None)
        return RuleArguments(self, theta, self.run_state(names, thetas, theta))

    def state_of(self, name: str, theta: Array) -> list[Array]:
        """The state arrays of parameter ``name`` in slot order (zeros of θ's shape the first
        time)."""
        if not self.slots:
            return []
        state = self.state.setdefault(name, {})
        return [
            state[slot] if slot in state else state.setdefault(slot, np.zeros_like(theta))
            for slot in self.slots
        ]

    def run_state(self, names: Sequence[str], thetas: Sequence[Array], flat: Array) -> list[Array]:
        """One array per slot for a whole run, zeros or each parameter's existing state (loaded, or
        kept from an earlier layout) copied in; ``state[name][slot]`` becomes that parameter's piece
        of it (a view), so the per-name state (``state_dict``, ``load_state_dict``) is the run's."""
        arrays = []
        for slot in self.slots:
            whole = np.zeros_like(flat)
            start = 0
            for name, theta in zip(names, thetas, strict=True):
                piece = whole[start : start + theta.size].reshape(theta.shape)
                previous = self.state.setdefault(name, {}).get(slot)
                if previous is not None:
                    piece[...] = previous
                self.state[name][slot] = piece
                start += theta.size
            arrays.append(whole)
        return arrays

    def load(self, state: dict[str, dict[str, Array]]) -> None:
        """Replace the state arrays; they are checked against the parameters of the next
        :meth:`steps`."""
        self.state = state
        self.forget()
        self.loaded = True

    def check_loaded(self, params: dict[str, Array]) -> None:
        """ValueError for a loaded state that does not fit ``params``; arrays of another dtype are
        cast."""
        for name, slots in self.state.items():
            if name not in params:
                raise ValueError(
                    f"the loaded optimizer state has arrays for {name!r}, which is not among the "
                    f"params (names: {', '.join(params)})"
                )
            param = params[name]
            for slot, array in slots.items():
                if array.shape != param.shape:
                    raise ValueError(
                        f"the loaded optimizer state {name}/{slot} has shape {array.shape}, "
                        f"but params[{name!r}] has {param.shape}"
                    )
                if array.dtype != param.dtype:
                    slots[slot] = array.astype(param.dtype)
        self.forget()
        self.loaded = False

    def forget(self) -> None:
        """Drop the layout and the prepared arguments (made anew at the next update): the state
        arrays or the scratch buffers they hold views of were replaced."""
        self.alone.clear()
        self.layout = None

    def __getstate__(self) -> dict[str, Any]:
        """What ``copy.deepcopy`` and pickle copy: the state, not the layout, arguments and buffers,
        which hold the last update's parameters and gradients and views of the state (a copy would
        duplicate them all, unlinked); the copy makes its own."""
        return {**self.__dict__, "layout": None, "alone": {}, "buffers": {}}
