"""Running a search: check everything, open the storage and the study, run the trials, collect the result.

:func:`run_search` is the entry point (the ``trainlab tune`` command and the experiments call it).
With one worker the trials run in this process; with W > 1 they run in W worker processes started by
:mod:`trainlab.tune.workers`, each ``python -m trainlab.tune --config JSON --index K`` (this
module's :func:`main`, which calls :func:`run_worker`). Every worker, here or on another machine,
runs the same loop, :func:`work`: fail the trials of dead processes, then start a trial while fewer
than N are finished or running; wait while the last ones run elsewhere (one of them may die and need
running again); stop when N are finished. What one trial does is in :mod:`trainlab.tune.objective`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import socket
import time
import warnings
from collections.abc import Callable, Sequence

import optuna
from optuna.storages import BaseStorage, fail_stale_trials
from optuna.trial import TrialState

from trainlab.backend import blas_threads
from trainlab.cluster import as_completed, connect, places, worker_threads
from trainlab.tune.budget import FINISHED, SurplusTrialError, count_trials, reap_dead_trials
from trainlab.tune.config import SearchConfig
from trainlab.tune.objective import Objective, prepare_data
from trainlab.tune.results import SearchResult, quiet_optuna, record_of, records_of
from trainlab.tune.samplers import make_pruner, make_sampler
from trainlab.tune.storage import (
    describe,
    open_storage,
    open_study,
    safe_url,
    storage_failures,
    storage_url,
)
from trainlab.tune.workers import ERROR_MARK, WorkerError, die_with_parent, interrupt, run_workers

Log = Callable[[str], None]
POLL_SECONDS = 0.25


def run_search(config: SearchConfig, log: Log | None = None) -> SearchResult:
    """Run (or resume, or join) the search ``config`` describes until ``config.trials`` trials are finished.

    Every setting, the storage's connection and the data are checked before the first trial. ``log``
    (e.g. ``print``) receives a line per finished trial and notes about the data. A storage that
    fails during the search (a full disk) is a :class:`~trainlab.tune.storage.StorageError` saying
    that the finished trials are kept. Returns every trial of the study, including those run by
    other processes or machines.
    """
    with quiet_optuna():
        return _run_search(config, log or (lambda line: None))


def _run_search(config: SearchConfig, say: Log) -> SearchResult:
    config = fit_to_grid(config.checked(), say)
    url = storage_url(config.storage, config.out)
    config = dataclasses.replace(config, storage=url)
    storage = open_storage(url)
    data = prepare_data(config)
    if data.note:
        say(f"note: {data.note}")
    study_id = None
    with storage_failures(
        url, lambda: 0 if study_id is None else count_trials(storage, study_id)[0]
    ):
        study, study_id = open_study(
            storage,
            config,
            data.dataset,
            make_sampler(config.sampler, config.search_space(), config.seed, config.grid_points),
            make_pruner(config.pruner, config.epochs),
        )
        finished, _ = count_trials(storage, study_id)
        say(
            f"study {config.study!r} in {describe(storage)}: {progress(finished, config.trials)}; "
            f"{len(data.x_train)} training / {len(data.x_val)} validation samples of {data.dataset}"
        )
        started = time.perf_counter()
        if finished >= config.trials:
            pass  # nothing left to run: the result is the study as it is
        elif config.cluster:
            run_on_cluster(config, data.dataset, say)
        elif config.workers == 1:
            work(
                study,
                storage,
                study_id,
                Objective(config, data, storage, study_id),
                config.trials,
                say,
            )
        else:
            try:
                run_workers(config, data.dataset, say)
            except (
                WorkerError
            ) as error:  # a worker died; if the others finished its trials, the search is done
                if count_trials(storage, study_id)[0] < config.trials:
                    raise
                say(f"note: {error.ends()}; the other workers finished the search")
        seconds = time.perf_counter() - started
        trials = records_of(study)
    return SearchResult(
        config=dataclasses.replace(config, storage=safe_url(url)),
        trials=trials,
        study=config.study,
        storage=safe_url(url),
        dataset=data.dataset,
        data_note=data.note,
        n_train=len(data.x_train),
        n_val=len(data.x_val),
        seconds=seconds,
        finished_before=finished,
    )


def progress(finished: int, trials: int) -> str:
    """How far the study is: "3 of 6 trials finished", or, resumed with a smaller budget than it has
    already met, "5 trials finished, more than the 2 asked for: none to run"."""
    if finished <= trials:
        return f"{finished} of {trials} trials finished"
    return f"{finished} trials finished, more than the {trials} asked for: none to run"


def fit_to_grid(config: SearchConfig, say: Log) -> SearchConfig:
    """``config`` with its budget cut to the grid's size when a grid search has fewer points than trials."""
    size = (
        config.search_space().grid_size(config.grid_points)
        if config.sampler == "grid"
        else config.trials
    )
    if size >= config.trials:
        return config
    say(f"note: the grid has {size} points; running {size} trials instead of {config.trials}")
    return dataclasses.replace(config, trials=size)


def run_worker(
    config: SearchConfig, worker: int, log: Log | None = None, dataset: str | None = None
) -> None:
    """The body of worker process ``worker`` (1-based): join the existing study and run trials in it.

    ``dataset``: the dataset the parent loaded (see :func:`prepare_data`).
    """
    with quiet_optuna():
        storage = open_storage(config.storage, prepared=True)
        data = prepare_data(config, dataset)
        sampler = make_sampler(
            config.sampler, config.search_space(), config.seed, config.grid_points, stream=worker
        )
        study_id = None
        with storage_failures(
            config.storage, lambda: 0 if study_id is None else count_trials(storage, study_id)[0]
        ):
            study, study_id = open_study(
                storage,
                config,
                data.dataset,
                sampler,
                make_pruner(config.pruner, config.epochs),
                create=False,
            )
            work(
                study,
                storage,
                study_id,
                Objective(config, data, storage, study_id),
                config.trials,
                log,
                tag=f"worker {worker}",
            )


def cluster_task(config: dict, worker: int, dataset: str) -> list[str]:
    """One search worker as a Dask task (on any machine of the cluster): :func:`run_worker` with one
    BLAS thread; its log lines come back with the result."""
    lines: list[str] = [
        f"search worker {worker} ran on {socket.gethostname()}, process {os.getpid()}"
    ]
    with blas_threads(1):
        run_worker(SearchConfig.from_dict(config), worker, lines.append, dataset)
    return lines


def run_on_cluster(config: SearchConfig, dataset: str, say: Log) -> None:
    """Run the search's workers as tasks of the Dask cluster at ``config.cluster``, against the same
    storage (which every worker machine must reach: PostgreSQL, or an SQLite file on a shared
    folder)."""
    client = connect(config.cluster)
    try:
        count = config.workers if config.workers > 1 else worker_threads(client)
        say(f"{count} search workers on the Dask cluster at {config.cluster}")
        where = places(client, count)  # one search worker per machine first, then per thread
        futures = [
            client.submit(
                cluster_task,
                config.to_dict(),
                index,
                dataset,
                pure=False,
                workers=where[index - 1 : index] or None,
                allow_other_workers=True,
            )
            for index in range(1, count + 1)
        ]
        try:
            for future in as_completed(futures):
                for line in future.result():
                    say(line)
        except (
            BaseException
        ):  # interrupted, or a worker's clear error: the others' trials stop with it
            client.cancel(futures)
            raise
    finally:
        client.close()


def work(
    study: optuna.Study,
    storage: BaseStorage,
    study_id: int,
    objective: Objective,
    trials: int,
    log: Log | None = None,
    tag: str = "",
) -> None:
    """Run trials of ``study`` until ``trials`` of them are finished (by this or any other worker)."""
    callbacks = [TrialLogger(storage, study_id, trials, log, tag)] if log else []
    while True:
        reaped = reap_dead_trials(storage, study_id)
        if reaped and log:
            which = (
                f"trial {reaped[0]} was"
                if len(reaped) == 1
                else f"trials {', '.join(map(str, reaped))} were"
            )
            log(f"{which} left running by a process that ended: marked failed; its slot runs again")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            fail_stale_trials(
                study
            )  # trials of machines whose heartbeat stopped (no-op without a heartbeat)
        finished, running = count_trials(storage, study_id)
        if finished >= trials:
            return
        if (
            finished + running >= trials
        ):  # the last trials run elsewhere; stay in case one of them dies
            time.sleep(POLL_SECONDS)
            continue
        study.optimize(objective, n_trials=1, catch=(SurplusTrialError,), callbacks=callbacks)


class TrialLogger:
    """An Optuna callback printing one line per finished trial, with the study's best so far
    (surplus trials are not news):
    ``[3/6] trial   2  complete  val acc 0.3167  best 0.3500 (trial 1)  lr=…``.
    """

    def __init__(
        self, storage: BaseStorage, study_id: int, trials: int, log: Log, tag: str = ""
    ) -> None:
        self.storage, self.study_id, self.trials, self.log, self.tag = (
            storage,
            study_id,
            trials,
            log,
            tag,
        )

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        record = record_of(trial)
        if record.status == "surplus":
            return
        done = self.storage.get_all_trials(self.study_id, deepcopy=False, states=FINISHED)
        complete = [t for t in done if t.state == TrialState.COMPLETE]
        best = max(
            complete, key=lambda t: (t.value, -t.number), default=None
        )  # ties: the earlier trial
        parts = [
            f"[{len(done)}/{self.trials}] trial {record.number:>3}",
            "diverged" if record.status == "diverged" else f"{record.state:<8}",
            "" if record.value is None else f"val acc {record.value:.4f}",
            "" if best is None else f"best {best.value:.4f} (trial {best.number})",
            record.describe_params(),
            "" if record.seconds is None else f"{record.seconds:.2f} s",
            f"({self.tag})" if self.tag else "",
        ]
        self.log("  ".join(part for part in parts if part))


def main(argv: Sequence[str] | None = None) -> int:
    """One worker process (started by :func:`trainlab.tune.workers.run_workers`).

    Exit status 0 when the budget is met, 130 when interrupted, 2 after a clear error (a failing
    storage), whose one line goes to the parent marked with
    :data:`~trainlab.tune.workers.ERROR_MARK`.
    """
    parser = argparse.ArgumentParser(
        prog="python -m trainlab.tune",
        description="one worker process of a trainlab search (started by run_search)",
    )
    parser.add_argument("--config", required=True, help="the SearchConfig as JSON")
    parser.add_argument("--index", type=int, required=True, help="this worker's number, 1..W")
    parser.add_argument(
        "--parent", type=int, required=True, help="the pid of the process that started it"
    )
    parser.add_argument("--dataset", help="the dataset to load (the one the parent loaded)")
    args = parser.parse_args(argv)
    die_with_parent(args.parent)
    signal.signal(signal.SIGTERM, interrupt)  # a stopped worker records its running trial as failed
    try:
        run_worker(
            SearchConfig.from_dict(json.loads(args.config)),
            args.index,
            log=lambda line: print(line, flush=True),
            dataset=args.dataset,
        )
    except KeyboardInterrupt:
        return 130
    except ValueError as error:  # bad input or a failing storage: one line, said once by the parent
        print(f"{ERROR_MARK}{error}", flush=True)
        return 2
    return 0
