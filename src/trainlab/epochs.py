"""The order of the data: which samples each step of a run sees, across epochs and across ``fit`` calls.

An epoch's batches are drawn from the model's data-order generator when the epoch starts. A fit that
stops inside an epoch leaves it *open* (:class:`OpenEpoch`): the generator's state at the epoch's
start and the steps done. The next fit with the same layout draws the same batches again and goes on
after those steps, so training in pieces gives the weights of training in one go, bit for bit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from trainlab.data.batches import batch_indices
from trainlab.validation import check_int

if TYPE_CHECKING:
    from trainlab.step import (
        Model as Sequential,
    )  # trainlab.model imports this module: no import back


@dataclass
class OpenEpoch:
    """An epoch that a fit stopped inside: the data-order state at its start and the steps done in it.

    ``layout`` (samples, batch size, sampling, shuffle) says which batches the state draws; a later
    fit with the same layout draws them again and continues after ``steps_done``.
    """

    rng_state: dict[str, Any]
    steps_done: int
    layout: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {"rng_state": self.rng_state, "steps_done": self.steps_done, "layout": self.layout}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OpenEpoch:
        return cls(
            data["rng_state"],
            check_int("steps_done", data["steps_done"], minimum=0),
            list(data["layout"]),
        )


class BatchSampler:
    """Indices of mini-batches: a fresh permutation per epoch, or i.i.d. draws (the textbook's choice).

    ``"epoch"`` visits every sample once per epoch (the last batch may be smaller); ``"iid"`` draws
    each batch independently with replacement, as ``np.random.choice(train_size, batch_size)`` does.
    """

    def __init__(
        self, n: int, batch_size: int, sampling: str, shuffle: bool, rng: np.random.Generator
    ):
        self.n, self.batch_size, self.sampling, self.shuffle, self.rng = (
            n,
            batch_size,
            sampling,
            shuffle,
            rng,
        )

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n / self.batch_size)

    @property
    def layout(self) -> list[Any]:
        return [self.n, self.batch_size, self.sampling, self.shuffle]

    def epoch(self) -> list[np.ndarray]:
        if self.sampling == "iid":
            return [self.rng.choice(self.n, self.batch_size) for _ in range(self.steps_per_epoch)]
        return batch_indices(self.n, self.batch_size, shuffle=self.shuffle, rng=self.rng)

    def resume(self, model: Sequential) -> int:
        """Steps already done in the model's open epoch, its order restored; 0 (and a warning) if
        there is none or this fit's layout differs."""
        open_epoch = model.open_epoch
        if open_epoch is None:
            return 0
        self.rng.bit_generator.state = (
            open_epoch.rng_state
        )  # undo the epoch's draw: it is drawn again
        if open_epoch.layout == self.layout:
            return open_epoch.steps_done
        if open_epoch.steps_done:
            n, size, sampling, _ = open_epoch.layout
            warnings.warn(
                f"the last fit stopped after {open_epoch.steps_done} of {math.ceil(n / size)} steps of "
                f"epoch {model.epochs_done} ({n} samples, batches of {size}, {sampling} sampling); "
                "this fit's data differs, so the epoch starts afresh",
                UserWarning,
                stacklevel=4,
            )
        model.open_epoch = None
        return 0

    def open(self, model: Sequential) -> list[np.ndarray]:
        """The batches of the model's current epoch, continuing an open one; the epoch is marked open."""
        if model.open_epoch is None:
            model.open_epoch = OpenEpoch(self.rng.bit_generator.state, 0, self.layout)
        else:
            self.rng.bit_generator.state = model.open_epoch.rng_state
        return self.epoch()


class Segments(Sequence[tuple[int, int, int]]):
    """The (epoch, first step, end step) pieces of ``steps`` steps from step ``start`` of
    ``first_epoch``, ``steps_per_epoch`` steps to an epoch: the first piece may finish an epoch
    begun earlier, the last may stop inside one, the others are whole epochs.

    A sequence computed on demand, in O(1) memory and time per piece whatever the count, so that
    ``fit(iterations=10**12)`` starts its first step at once (a list of the pieces took 22 GB).
    """

    def __init__(self, first_epoch: int, start: int, steps_per_epoch: int, steps: int) -> None:
        self.first_epoch, self.start, self.steps_per_epoch = first_epoch, start, steps_per_epoch
        self.steps = max(0, steps)
        self.first_length = min(steps_per_epoch - start, self.steps)  # what the first piece trains
        rest = self.steps - self.first_length
        self.length = 0 if self.steps == 0 else 1 + -(-rest // steps_per_epoch)

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> tuple[int, int, int]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[int, int, int]]: ...

    def __getitem__(self, index: int | slice) -> tuple[int, int, int] | list[tuple[int, int, int]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.length))]
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(f"segment {index} of {self.length}")
        if index == 0:
            return self.first_epoch, self.start, self.start + self.first_length
        done = self.first_length + (index - 1) * self.steps_per_epoch  # steps before this piece
        return self.first_epoch + index, 0, min(self.steps_per_epoch, self.steps - done)

    def steps_in(self, epoch: int) -> int:
        """How many steps the pieces train in ``epoch`` (0 outside them)."""
        index = epoch - self.first_epoch
        return self[index][2] - self[index][1] if 0 <= index < self.length else 0

    def __repr__(self) -> str:
        return (
            f"Segments(first_epoch={self.first_epoch}, start={self.start}, "
            f"steps_per_epoch={self.steps_per_epoch}, steps={self.steps})"
        )


def plan_segments(first_epoch: int, start: int, steps_per_epoch: int, steps: int) -> Segments:
    """The (epoch, first step, end step) pieces of ``steps`` steps from step ``start`` of
    ``first_epoch`` (a :class:`Segments`: computed on demand, O(1) memory)."""
    return Segments(first_epoch, start, steps_per_epoch, steps)
