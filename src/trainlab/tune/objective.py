"""What one trial does: train a fresh network on the training split, score it on the validation split.

The life of a trial, all in this module: :class:`Objective` (the function Optuna calls) claims the
trial's slot (:mod:`trainlab.tune.budget`) and samples its settings (:mod:`trainlab.tune.space`);
:func:`train_trial` builds the network (:func:`trainlab.mlp`) and the optimizer from them and trains
it (no Optuna in it), reporting the validation accuracy after every epoch so that pruners can stop
poor trials; the per-epoch curves are kept with the trial, as user attributes, for the Best-N
figure.

The validation split is carved out of the training samples; the test set is never loaded into a search.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna

from trainlab.callbacks import Callback
from trainlab.data import load_dataset, train_val_split
from trainlab.mlp import mlp
from trainlab.model import Sequential
from trainlab.optimizers import Optimizer, get_optimizer
from trainlab.tune.budget import SurplusTrialError, claim_slot, owner, trial_seed
from trainlab.tune.config import SearchConfig
from trainlab.tune.params import OPTIMIZER_ARGUMENTS, optimizer_accepts
from trainlab.tune.space import SearchSpace

DIVERGED_SCORE = 0.0
"""The score of a trial whose loss became NaN or inf: below any network that merely failed to learn."""


@dataclass
class SearchData:
    """The training and validation splits of a search, and where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    dataset: str
    """The dataset loaded."""
    note: str = ""
    """Empty, or what a reader must know (a download)."""
    classes: int = 10


def prepare_data(config: SearchConfig, dataset: str | None = None) -> SearchData:
    """The first ``train_samples`` training samples of the dataset, split into training and validation.

    The split is stratified by class (with ``config.stratify``) and seeded by ``config.seed``, so
    every worker of a search, on every machine, trains and scores on the same samples. ``dataset``
    loads that dataset instead of ``config.dataset`` (worker processes load what their parent
    loaded).
    """
    data = load_dataset(dataset or config.dataset, data_dir=config.data_dir)
    x, y = data.x_train.reshape(len(data.x_train), -1), data.y_train
    if config.train_samples is not None:
        if config.train_samples > len(x):
            raise ValueError(
                f"train_samples={config.train_samples} but {data.name} has {len(x)} training samples"
            )
        x, y = x[: config.train_samples], y[: config.train_samples]
    (x_train, y_train), (x_val, y_val) = train_val_split(
        x, y, config.val_fraction, stratify=config.stratify, seed=config.seed
    )
    return SearchData(
        x_train,
        y_train,
        x_val,
        y_val,
        dataset=data.name,
        note=data.note,
        classes=data.n_classes or int(y.max()) + 1,
    )


@dataclass
class TrialOutcome:
    """What training one network gave: per-epoch curves, how it ended, and the trial's score."""

    val_accuracy: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    status: str = "completed"
    """"completed", "pruned" (stopped by the pruner) or "diverged" (the loss became NaN or inf)."""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        """The validation accuracy after the last epoch (the book's ranking); 0 for a diverged run."""
        if self.status == "diverged" or not self.val_accuracy:
            return DIVERGED_SCORE
        return self.val_accuracy[-1]


def build_model(values: dict[str, Any], input_dim: int, classes: int, seed: int) -> Sequential:
    """The network of a trial's settings ``values`` (the ``model`` parameters of :mod:`.params`):
    the library's MLP of ``hidden_layers`` × ``hidden_units``, with the model's weight decay λ
    (½·λ·ΣW²).
    """
    return mlp(
        [values["hidden_units"]] * values["hidden_layers"],
        activation=values["activation"],
        init=values["init"],
        batchnorm=values["batchnorm"],
        dropout=values["dropout"],
        weight_decay=values["weight_decay"],
        input_dim=input_dim,
        classes=classes,
        seed=seed,
    )


def build_optimizer(values: dict[str, Any]) -> Optimizer:
    """The optimizer named by ``values["optimizer"]`` with those of its arguments that are set.

    Arguments left at None keep the optimizer's own defaults; arguments it does not take
    (``momentum`` for ``adam``, possible when the optimizer itself is searched) are not passed.
    """
    name = values["optimizer"]
    arguments = {
        OPTIMIZER_ARGUMENTS.get(key, key): values[key]
        for key in sorted(optimizer_accepts(name))
        if values.get(key) is not None
    }
    return get_optimizer(name, "optimizer", **arguments)


class EpochReporter(Callback):
    """Calls ``on_epoch(epoch, val_accuracy)`` after each epoch; stops training when it returns True."""

    def __init__(self, on_epoch: Callable[[int, float], bool]) -> None:
        self.on_epoch = on_epoch
        self.stopped = False

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.on_epoch(epoch, logs["val_accuracy"]):
            self.stopped = True
            self.run.stop(f"pruned after epoch {epoch + 1}: poor validation accuracy")


def train_trial(
    values: dict[str, Any],
    data: SearchData,
    epochs: int,
    seed: int,
    sampling: str = "iid",
    on_epoch: Callable[[int, float], bool] | None = None,
) -> TrialOutcome:
    """Train the network of ``values`` on ``data``'s training split for ``epochs`` epochs.

    Training and validation accuracy are measured in inference mode after each epoch; ``on_epoch``
    sees the validation accuracy and may stop the run (pruning) by returning True.
    """
    model = build_model(values, input_dim=data.x_train.shape[1], classes=data.classes, seed=seed)
    model.compile(build_optimizer(values), metrics=["accuracy"])
    reporter = EpochReporter(on_epoch or (lambda epoch, accuracy: False))
    history = model.fit(
        data.x_train,
        data.y_train,
        epochs=epochs,
        batch_size=values["batch_size"],
        validation_data=(data.x_val, data.y_val),
        sampling=sampling,
        evaluate_train=True,
        callbacks=[reporter],
        verbose=0,
    )
    status = "pruned" if reporter.stopped else history.status
    return TrialOutcome(
        val_accuracy=[float(v) for v in history.metrics.get("val_accuracy", [])],
        train_accuracy=[float(v) for v in history.metrics.get("accuracy", [])],
        train_loss=[float(v) for v in history.metrics.get("loss", [])],
        status=status,
        seconds=history.seconds,
    )


class Objective:
    """The function Optuna calls for each trial of a search (see the module docstring).

    ``storage`` and ``study_id`` give access to the other trials (to claim a slot). The trial's user
    attributes: ``slot``, ``owner`` (host, pid), ``seed``, ``status``, ``val_accuracy``,
    ``train_accuracy``, ``train_loss`` (one value per epoch) and ``seconds``.
    """

    def __init__(self, config: SearchConfig, data: SearchData, storage: Any, study_id: int) -> None:
        self.config, self.data, self.storage, self.study_id = config, data, storage, study_id
        self.space = SearchSpace.parse(config.space)

    def __call__(self, trial: optuna.Trial) -> float:
        slot = claim_slot(self.storage, self.study_id, trial.number)
        trial.set_user_attr("slot", slot)
        trial.set_user_attr("owner", owner())
        if slot >= self.config.trials:
            trial.set_user_attr("status", "surplus")
            raise SurplusTrialError(
                f"trial {trial.number} started after all {self.config.trials} slots were taken"
            )
        values = self.space.sample(trial)
        seed = trial_seed(self.config.seed, slot)
        trial.set_user_attr("seed", seed)
        started = time.perf_counter()

        def report(epoch: int, accuracy: float) -> bool:
            trial.report(accuracy, epoch)
            return trial.should_prune()

        outcome = train_trial(
            values, self.data, self.config.epochs, seed, self.config.sampling, report
        )
        for key in ("status", "val_accuracy", "train_accuracy", "train_loss"):
            trial.set_user_attr(key, getattr(outcome, key))
        trial.set_user_attr("seconds", round(time.perf_counter() - started, 3))
        if outcome.status == "pruned":
            raise optuna.TrialPruned(f"pruned after epoch {len(outcome.val_accuracy)}")
        return outcome.score
