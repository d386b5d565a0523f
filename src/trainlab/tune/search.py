"""Running a search: check everything, open the storage and the study, run the trials, collect the result.

:func:`run_search` is the entry point (the ``trainlab tune`` command and the experiments call it). With one
worker the trials run in this process; with W > 1 they run in W worker processes
(:mod:`trainlab.tune.workers`), each with its BLAS limited to its share of the cores. Every worker, here
or on another machine, runs the same loop, :func:`work`: fail the trials of dead processes, then start a
trial while fewer than N are finished or running; wait while the last ones run elsewhere (one of them
may die and need running again); stop when N are finished.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import optuna
from optuna.storages import fail_stale_trials

from trainlab.tune.budget import SurplusTrialError, count_trials, reap_dead_trials
from trainlab.tune.config import SearchConfig
from trainlab.tune.objective import Objective, SearchData, prepare_data
from trainlab.tune.results import SearchResult, record_of, records_of
from trainlab.tune.samplers import make_pruner, make_sampler
from trainlab.tune.storage import describe, open_storage, open_study, safe_url, storage_url

Log = Callable[[str], None]
POLL_SECONDS = 0.25


def run_search(config: SearchConfig, log: Log | None = None) -> SearchResult:
    """Run (or resume, or join) the search ``config`` describes until ``config.trials`` trials are finished.

    Every setting, the storage's connection and the data are checked before the first trial. ``log``
    (e.g. ``print``) receives a line per finished trial and notes such as a dataset fallback.
    Returns every trial of the study, including those run by other processes or machines.
    """
    with quiet_optuna():
        return _run_search(config, log)


def _run_search(config: SearchConfig, log: Log | None) -> SearchResult:
    say = log or (lambda line: None)
    config = config.checked()
    space = config.search_space()
    if config.sampler == "grid" and space.grid_size(config.grid_points) < config.trials:
        size = space.grid_size(config.grid_points)
        say(f"note: the grid has {size} points; running {size} trials instead of {config.trials}")
        config = dataclasses.replace(config, trials=size)
    url = storage_url(config.storage, config.out)
    config = dataclasses.replace(config, storage=url)
    storage = open_storage(url)
    data = prepare_data(config)
    if data.note:
        say(f"note: {data.note}")
    study, study_id = open_study(storage, config, data.dataset, make_sampler(
        config.sampler, space, config.seed, config.grid_points), make_pruner(config.pruner, config.epochs))
    finished, _ = count_trials(storage, study_id)
    say(f"study {config.study!r} in {describe(storage)}: {finished} of {config.trials} trials finished; "
        f"{len(data.x_train)} training / {len(data.x_val)} validation samples of {data.dataset}")
    started = time.perf_counter()
    if finished >= config.trials:
        pass  # nothing left to run: the result is the study as it is
    elif config.workers == 1:
        work(study, storage, study_id, Objective(config, data, storage, study_id), config.trials, log)
    else:
        from trainlab.tune.workers import run_workers

        run_workers(config, data.dataset, log)
    seconds = time.perf_counter() - started
    return SearchResult(config=dataclasses.replace(config, storage=safe_url(url)), trials=records_of(study),
                        study=config.study, storage=safe_url(url), dataset=data.dataset, data_note=data.note,
                        n_train=len(data.x_train), n_val=len(data.x_val), seconds=seconds,
                        finished_before=finished)


def run_worker(config: SearchConfig, worker: int, log: Log | None = None, dataset: str | None = None) -> None:
    """The body of worker process ``worker`` (1-based): join the existing study and run trials in it.

    ``dataset``: the dataset the parent loaded (see :func:`prepare_data`).
    """
    with quiet_optuna():
        _run_worker(config, worker, log, dataset)


def _run_worker(config: SearchConfig, worker: int, log: Log | None, dataset: str | None) -> None:
    storage = open_storage(config.storage, prepared=True)
    data = prepare_data(config, dataset)
    sampler = make_sampler(config.sampler, config.search_space(), config.seed, config.grid_points, stream=worker)
    study, study_id = open_study(storage, config, data.dataset, sampler, make_pruner(config.pruner, config.epochs),
                                 create=False)
    work(study, storage, study_id, Objective(config, data, storage, study_id), config.trials, log,
         tag=f"worker {worker}")


def work(study: optuna.Study, storage: Any, study_id: int, objective: Objective, trials: int,
         log: Log | None = None, tag: str = "") -> None:
    """Run trials of ``study`` until ``trials`` of them are finished (by this or any other worker)."""
    callbacks = [TrialLogger(storage, study_id, trials, log, tag)] if log else []
    while True:
        reaped = reap_dead_trials(storage, study_id)
        if reaped and log:
            which = f"trial {reaped[0]} was" if len(reaped) == 1 else f"trials {', '.join(map(str, reaped))} were"
            log(f"{which} left running by a process that ended: marked failed; its slot runs again")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            fail_stale_trials(study)  # trials of machines whose heartbeat stopped (no-op without a heartbeat)
        finished, running = count_trials(storage, study_id)
        if finished >= trials:
            return
        if finished + running >= trials:  # the last trials run elsewhere; stay in case one of them dies
            time.sleep(POLL_SECONDS)
            continue
        study.optimize(objective, n_trials=1, catch=(SurplusTrialError,), callbacks=callbacks)


class TrialLogger:
    """An Optuna callback printing one line per finished trial (surplus trials are not news)."""

    def __init__(self, storage: Any, study_id: int, trials: int, log: Log, tag: str = "") -> None:
        self.storage, self.study_id, self.trials, self.log, self.tag = storage, study_id, trials, log, tag

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        record = record_of(trial)
        if record.status == "surplus":
            return
        finished, _ = count_trials(self.storage, self.study_id)
        value = "" if record.value is None else f"val acc {record.value:.4f}"
        seconds = "" if record.seconds is None else f"{record.seconds:.2f} s"
        parts = [f"[{finished}/{self.trials}] trial {record.number:>3}", f"{record.state:<8}", value,
                 record.describe_params(), seconds, f"({self.tag})" if self.tag else ""]
        if record.status == "diverged":
            parts[1] = "diverged"
        self.log("  ".join(part for part in parts if part))


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Silence Optuna's own log lines (one per trial) while trials run: the search logs its own."""
    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.ERROR)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)


__all__ = ["SearchData", "run_search", "run_worker", "work"]
