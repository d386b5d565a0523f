"""What a search is: :class:`SearchConfig`, plain data with the book's settings as defaults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from trainlab.tune.space import BOOK_SPACE, SearchSpace, merge_space
from trainlab.validation import check_choice, check_in_range, check_int

SAMPLERS = ("random", "tpe", "grid")
PRUNERS = ("none", "median", "hyperband")
SAMPLINGS = ("iid", "epoch")

QUICK_MODEL = ("hidden_layers=2", "hidden_units=50", "batch_size=50")
"""The smaller network of ``--quick``, and smaller batches: more steps, so that the good trials learn."""

STUDY_FIELDS = (
    "dataset",
    "train_samples",
    "val_fraction",
    "stratify",
    "sampling",
    "epochs",
    "space",
    "sampler",
    "pruner",
    "grid_points",
    "seed",
)
"""The settings that define a study: a process resuming or joining it must use the same ones."""


@dataclass
class SearchConfig:
    """One hyperparameter search. The defaults are the book's (Deep Learning from Scratch 6.5).

    Data: the first ``train_samples`` training samples of ``dataset`` (all with None), of which
    ``val_fraction`` is held out for validation (stratified by class with ``stratify``); the test
    set is never used. Each trial trains a fresh network for ``epochs`` epochs of mini-batches drawn
    as ``sampling`` says ("iid": independently with replacement, as the book's Trainer; "epoch": a
    fresh permutation per epoch) and is scored by its validation accuracy after the last epoch.

    Search: ``trials`` trials over ``space`` (entries as in :mod:`trainlab.tune.space`; defaults
    from :mod:`trainlab.tune.params` for the rest), proposed by ``sampler`` (random, tpe or grid,
    with ``grid_points`` values per continuous range), optionally stopped early by ``pruner`` (none,
    median or hyperband), run by ``workers`` processes; with ``cluster`` (a Dask scheduler's
    address) by ``workers`` tasks on its workers (default: one per worker thread), on other machines
    too.

    Storage: ``storage`` is an SQLAlchemy URL (``sqlite:///path.db``, ``postgresql://user@host/db``)
    or the path of an SQLite file; None means ``OUT/study.db`` when ``out`` is set, else memory (one
    worker, nothing kept). ``study`` names the study in the storage; ``resume`` continues it, or
    joins it from another machine, instead of refusing an existing one; ``overwrite`` deletes an
    existing study and starts afresh. ``seed`` fixes the validation split, the trials' parameters
    (random sampler) and each trial's initial weights.
    """

    dataset: str = "mnist"
    data_dir: str | None = None
    train_samples: int | None = 500
    val_fraction: float = 0.2
    stratify: bool = True
    sampling: str = "iid"
    epochs: int = 50
    trials: int = 100
    space: tuple[str, ...] = BOOK_SPACE
    sampler: str = "random"
    pruner: str = "none"
    grid_points: int = 5
    workers: int = 1
    cluster: str | None = None
    storage: str | None = None
    study: str = "hyperparameter-search"
    resume: bool = False
    overwrite: bool = False
    seed: int = 0
    out: str | None = None

    def quick(self) -> SearchConfig:
        """A seconds-long version: 20 trials of 20 epochs on a 784-50-50-10 network, batches of 50."""
        return dataclasses.replace(
            self,
            train_samples=500,
            epochs=20,
            trials=20,
            space=merge_space(QUICK_MODEL, self.space),
        )

    def search_space(self) -> SearchSpace:
        return SearchSpace.parse(self.space)

    def checked(self) -> SearchConfig:
        """A copy with every setting checked (clear errors naming the setting) and the space normalized."""
        if isinstance(self.space, str):
            raise TypeError(
                f"space must be a sequence of entries like ('lr=1e-4..1e-2:log',), got {self.space!r}"
            )
        if self.train_samples is not None:
            check_int("train_samples", self.train_samples, minimum=2)
        check_in_range("val_fraction", self.val_fraction, 0.0, 1.0)
        if self.val_fraction == 0:
            raise ValueError(
                "val_fraction must be in (0, 1): the search is scored on a validation split"
            )
        check_choice("sampling", self.sampling, SAMPLINGS)
        check_int("epochs", self.epochs, minimum=1)
        check_int("trials", self.trials, minimum=1)
        check_choice("sampler", self.sampler, SAMPLERS)
        check_choice("pruner", self.pruner, PRUNERS)
        check_int("grid_points", self.grid_points, minimum=2)
        check_int("workers", self.workers, minimum=1)
        check_int("seed", self.seed, minimum=0)
        if not isinstance(self.study, str) or not self.study.strip():
            raise ValueError(f"study must be a non-empty name, got {self.study!r}")
        if self.resume and self.overwrite:
            raise ValueError(
                "resume and overwrite exclude each other: continue the study, or delete it and start "
                "again"
            )
        if self.storage is None and self.out is None and (self.workers > 1 or self.cluster):
            raise ValueError(
                f"workers={self.workers} need a storage the processes share: give storage "
                "(a URL or an SQLite file) or out (the study goes to OUT/study.db)"
            )
        space = self.search_space()
        if not space.searched:
            raise ValueError(
                f"space {list(self.space)} searches nothing: give at least one range or list"
            )
        return dataclasses.replace(self, space=space.entries())

    def study_settings(self) -> dict[str, Any]:
        """The settings that define the study (see :data:`STUDY_FIELDS`), as plain data."""
        data = {name: getattr(self, name) for name in STUDY_FIELDS}
        data["space"] = list(self.search_space().entries())
        return data

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["space"] = list(self.space)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        if "space" in values:
            values["space"] = tuple(values["space"])
        return cls(**values)
