"""The order of the data: which samples each step of a run sees, across epochs and across ``fit`` calls.

An epoch's batches are drawn from the model's data-order generator when the epoch starts. A fit that stops
inside an epoch leaves it *open* (:class:`OpenEpoch`): the generator's state at the epoch's start and the
steps done. The next fit with the same layout draws the same batches again and goes on after those steps,
so training in pieces gives the weights of training in one go, bit for bit.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from trainlab.data.batches import batch_indices
from trainlab.validation import check_int

if TYPE_CHECKING:
    from trainlab.step import Model as Sequential  # trainlab.model imports this module: no import back


@dataclass
class OpenEpoch:
    """An epoch that a fit stopped inside: the data-order state at its start and the steps done in it.

    ``layout`` (samples, batch size, sampling, shuffle) says which batches the state draws; a later fit
    with the same layout draws them again and continues after ``steps_done``.
    """

    rng_state: dict[str, Any]
    steps_done: int
    layout: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {"rng_state": self.rng_state, "steps_done": self.steps_done, "layout": self.layout}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OpenEpoch:
        return cls(data["rng_state"], check_int("steps_done", data["steps_done"], minimum=0), list(data["layout"]))


class BatchSampler:
    """Indices of mini-batches: a fresh permutation per epoch, or i.i.d. draws (the textbook's choice).

    ``"epoch"`` visits every sample once per epoch (the last batch may be smaller); ``"iid"`` draws each
    batch independently with replacement, as ``np.random.choice(train_size, batch_size)`` does.
    """

    def __init__(self, n: int, batch_size: int, sampling: str, shuffle: bool, rng: np.random.Generator):
        self.n, self.batch_size, self.sampling, self.shuffle, self.rng = n, batch_size, sampling, shuffle, rng

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
        """Steps already done in the model's open epoch, its order restored; 0 (and a warning) if there is
        none or this fit's layout differs."""
        open_epoch = model.open_epoch
        if open_epoch is None:
            return 0
        self.rng.bit_generator.state = open_epoch.rng_state  # undo the epoch's draw: it is drawn again
        if open_epoch.layout == self.layout:
            return open_epoch.steps_done
        if open_epoch.steps_done:
            n, size, sampling, _ = open_epoch.layout
            warnings.warn(f"the last fit stopped after {open_epoch.steps_done} of {math.ceil(n / size)} steps of "
                          f"epoch {model.epochs_done} ({n} samples, batches of {size}, {sampling} sampling); "
                          "this fit's data differs, so the epoch starts afresh", UserWarning, stacklevel=4)
        model.open_epoch = None
        return 0

    def open(self, model: Sequential) -> list[np.ndarray]:
        """The batches of the model's current epoch, continuing an open one; the epoch is marked open."""
        if model.open_epoch is None:
            model.open_epoch = OpenEpoch(self.rng.bit_generator.state, 0, self.layout)
        else:
            self.rng.bit_generator.state = model.open_epoch.rng_state
        return self.epoch()


def plan_segments(first_epoch: int, start: int, steps_per_epoch: int, steps: int) -> list[tuple[int, int, int]]:
    """The (epoch, first step, end step) pieces of ``steps`` steps from step ``start`` of ``first_epoch``."""
    segments = []
    epoch = first_epoch
    while steps > 0:
        stop = min(steps_per_epoch, start + steps)
        segments.append((epoch, start, stop))
        steps -= stop - start
        epoch, start = epoch + 1, 0
    return segments
