"""The results of a search as plain data: every trial's parameters, curves and state; the Best-N ranking.

:class:`SearchResult` and :class:`TrialRecord` are dataclasses of numbers, strings, lists and dicts,
so ``dataclasses.asdict(result)`` is JSON. :func:`load_result` reads them back from a storage, so a
search can be looked at again (or by another machine) without rerunning it.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import FrozenTrial, TrialState, create_trial

from trainlab.tune.config import SearchConfig
from trainlab.tune.space import Choice, Dimension, FloatRange, IntRange, SearchSpace, format_value
from trainlab.tune.storage import open_storage, safe_url, storage_url, study_id_of

STATES = {
    TrialState.COMPLETE: "complete",
    TrialState.PRUNED: "pruned",
    TrialState.FAIL: "failed",
    TrialState.RUNNING: "running",
    TrialState.WAITING: "waiting",
}


@dataclass
class TrialRecord:
    """One trial.

    ``state``: "complete", "pruned", "failed" (its process was killed or interrupted, or it was
    surplus), "running" or "waiting". ``status`` says how its training ended: "completed",
    "diverged", "pruned", "interrupted", "surplus". ``value``: the validation accuracy after the
    last epoch (0 if diverged; for a pruned trial, the last one measured). ``params``: the sampled
    parameters only (the fixed ones are in the config's space). Curves have one value per epoch
    trained.
    """

    number: int
    state: str
    value: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    val_accuracy: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    status: str = ""
    seconds: float | None = None
    slot: int | None = None
    seed: int | None = None
    worker: str = ""
    """The process that ran it: "host:pid"."""

    @property
    def finished(self) -> bool:
        return self.state in ("complete", "pruned")

    def describe_params(self) -> str:
        """``lr=0.00312 weight_decay=2.2e-07``: the parameters, 3 significant digits."""
        return " ".join(f"{name}={_short(value)}" for name, value in self.params.items())


@dataclass
class SearchResult:
    """A search: its config, the data it used, and every trial by number.

    ``dataset`` is the dataset actually loaded and ``data_note`` what a reader must know about it;
    ``storage`` is the URL with its password hidden; ``seconds`` the wall time
    of the call that produced the result (0 when loaded).
    """

    config: SearchConfig
    trials: list[TrialRecord]
    study: str = ""
    storage: str = "memory"
    dataset: str = ""
    data_note: str = ""
    n_train: int = 0
    n_val: int = 0
    seconds: float = 0.0
    finished_before: int = 0
    """Trials already finished when the call started (a resumed or joined study)."""

    @property
    def finished(self) -> list[TrialRecord]:
        """Trials that ran to the end or were pruned (what counts towards ``config.trials``)."""
        return [trial for trial in self.trials if trial.finished]

    @property
    def complete(self) -> list[TrialRecord]:
        return [trial for trial in self.trials if trial.state == "complete"]

    def counts(self) -> dict[str, int]:
        counts = {state: 0 for state in STATES.values()}
        for trial in self.trials:
            counts[trial.state] += 1
        return counts

    def space(self) -> SearchSpace:
        return self.config.search_space()


def record_of(trial: FrozenTrial) -> TrialRecord:
    """A :class:`TrialRecord` from Optuna's view of a trial."""
    attrs = trial.user_attrs
    state = STATES.get(trial.state, trial.state.name.lower())
    status = attrs.get("status", "")
    if state == "failed" and status not in ("surplus", "interrupted"):
        status = "interrupted" if status in ("", "completed") else status
    value = trial.value if trial.state in (TrialState.COMPLETE, TrialState.PRUNED) else None
    return TrialRecord(
        number=trial.number,
        state=state,
        value=None if value is None else float(value),
        params=dict(trial.params),
        val_accuracy=list(attrs.get("val_accuracy", [])),
        train_accuracy=list(attrs.get("train_accuracy", [])),
        train_loss=list(attrs.get("train_loss", [])),
        status=status,
        seconds=attrs.get("seconds"),
        slot=attrs.get("slot"),
        seed=attrs.get("seed"),
        worker=_worker(attrs.get("owner")),
    )


def _worker(owner: dict[str, Any] | None) -> str:
    if not owner:
        return ""
    return f"{str(owner.get('host', '')).split('/')[0]}:{owner.get('pid', '')}"


def records_of(study: optuna.Study) -> list[TrialRecord]:
    return [record_of(trial) for trial in study.get_trials(deepcopy=False)]


def load_result(storage: str, study: str) -> SearchResult:
    """The result of study ``study`` in ``storage`` (a URL or an SQLite file's path), as it is now."""
    url = storage_url(storage, None)
    opened = open_storage(url)
    if study_id_of(opened, study) is None:
        names = ", ".join(s.study_name for s in optuna.get_all_study_summaries(opened)) or "none"
        raise ValueError(f"no study {study!r} in {safe_url(url)}; studies there: {names}")
    loaded = optuna.load_study(study_name=study, storage=opened)
    settings = dict(loaded.user_attrs.get("settings", {}))
    dataset = settings.pop("dataset_loaded", settings.get("dataset", ""))
    config = SearchConfig.from_dict(
        {
            **settings,
            "trials": loaded.user_attrs.get("trials", 0),
            "study": study,
            "storage": safe_url(url),
        }
    )
    return SearchResult(
        config=config,
        trials=records_of(loaded),
        study=study,
        storage=safe_url(url),
        dataset=dataset,
    )


def as_optuna_study(result: SearchResult) -> optuna.Study:
    """The complete trials of ``result`` as a study in memory, for Optuna's own tools (its figures).

    Made from the records, not from the storage, so that it works for any result, loaded or not.
    """
    distributions = {dim.name: distribution(dim) for dim in result.space().searched}
    with quiet_optuna():  # no "A new study created in memory" line
        study = optuna.create_study(study_name=result.study or None, direction="maximize")
    study.add_trials(
        [
            create_trial(
                params=trial.params,
                value=trial.value,
                distributions={name: distributions[name] for name in trial.params},
            )
            for trial in sorted(result.complete, key=lambda trial: trial.number)
        ]
    )
    return study


def distribution(dim: Dimension) -> BaseDistribution:
    """The Optuna distribution a searched dimension draws from."""
    if isinstance(dim, FloatRange):
        return FloatDistribution(dim.low, dim.high, log=dim.log, step=dim.step)
    if isinstance(dim, IntRange):
        return IntDistribution(dim.low, dim.high, log=dim.log, step=dim.step)
    if isinstance(dim, Choice):
        return CategoricalDistribution(dim.values)
    raise TypeError(f"{dim} is fixed: not searched, it has no distribution")


# -- ranking ---------------------------------------------------------------------------------------
def best_trials(
    result: SearchResult, n: int = 20, include_pruned: bool = False
) -> list[TrialRecord]:
    """The ``n`` trials with the highest final validation accuracy, best first (ties: lower number first).

    Pruned trials did not finish, so they are left out unless ``include_pruned``.
    """
    states = ("complete", "pruned") if include_pruned else ("complete",)
    ranked = [trial for trial in result.trials if trial.state in states and trial.value is not None]
    ranked.sort(key=lambda trial: (-trial.value, trial.number))
    return ranked[: max(0, int(n))]


def best_table(result: SearchResult, n: int = 20) -> list[list[str]]:
    """The Best-N table as rows of strings, the header first: rank, trial, val acc, train acc, parameters."""
    names = [dim.name for dim in result.space().searched]
    rows = [["rank", "trial", "val acc", "train acc", *names, "status"]]
    for rank, trial in enumerate(best_trials(result, n), 1):
        train = trial.train_accuracy[-1] if trial.train_accuracy else math.nan
        rows.append(
            [
                f"Best-{rank}",
                str(trial.number),
                f"{trial.value:.4f}",
                f"{train:.4f}",
                *(_short(trial.params[name]) if name in trial.params else "-" for name in names),
                trial.status,
            ]
        )
    return rows


def bound_warnings(result: SearchResult, margin: float = 0.05) -> list[str]:
    """A sentence for each searched range whose value in the best trial lies within ``margin`` of
    the range's width from one of its ends (the width in decades for a ``:log`` range): the best
    value may lie beyond the range, which the search never tried (the book's lr 0.00886 of
    1e-6..1e-2 is 1.3 % of 4 decades from 1e-2).
    """
    top = best_trials(result, 1)
    if not top:
        return []
    best, found = top[0], []
    for dim in result.space().searched:
        if not isinstance(dim, FloatRange | IntRange) or dim.name not in best.params:
            continue
        value = best.params[dim.name]
        scale = math.log10 if dim.log else float
        low, high, at = scale(dim.low), scale(dim.high), scale(value)
        for bound, distance, side in ((dim.low, at - low, "lower"), (dim.high, high - at, "upper")):
            if distance <= margin * (high - low):
                found.append(
                    f"the best trial ({best.number}) has {dim.name}={_short(value)}, at the {side} end of "
                    f"the range searched ({dim}; {distance / (high - low):.1%} of its "
                    f"{'decades' if dim.log else 'width'} away): the best {dim.name} may lie beyond "
                    f"{format_value(bound)}, which was not tried; search a range that goes past it"
                )
    return found


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return format_value(value)


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Silence Optuna's own log lines (one per trial) while trials run: the search logs its own."""
    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.ERROR)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)
