"""Worker processes: W fresh interpreters running trials of one study side by side.

Each worker is ``python -m trainlab.tune --config JSON --index K`` (the body is
:func:`trainlab.tune.search.main`): a new interpreter, so the BLAS thread limits
(``OPENBLAS_NUM_THREADS`` and friends, set to cores // W) are in its environment before NumPy is
first imported, and W workers never run more threads than there are cores. The workers share nothing
but the storage; their lines reach the parent's ``log`` through pipes, and so does a worker's clear
error (a line starting with :data:`ERROR_MARK`), which the parent raises as
:class:`WorkerStoppedError`, once.

A worker dies with its parent (Linux: the parent-death signal), and turns SIGTERM into
KeyboardInterrupt so that its running trial is recorded as failed, not left running.

This module knows nothing of searches: it starts, watches and stops processes.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, Any

from trainlab.backend import usable_cores
from trainlab.tune.config import SearchConfig

ERROR_MARK = "trainlab-worker-error: "
"""The start of the line in which a worker tells its parent the clear error that stopped it."""

BLAS_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


class WorkerError(RuntimeError):
    """A worker process crashed (its traceback went to stderr); ``failed``: (worker, exit status) of each."""

    def __init__(self, message: str, failed: Sequence[tuple[int, int]] = ()) -> None:
        super().__init__(message)
        self.failed = list(failed)

    def ends(self) -> str:
        """How the failed workers ended, e.g. "worker 2 was killed (SIGKILL)"."""
        return ", ".join(f"worker {index} {ending(code)}" for index, code in self.failed)


def ending(code: int) -> str:
    """A process's exit status in words: "exited with status 1", "was killed (SIGKILL)"."""
    if code >= 0:
        return f"exited with status {code}"
    try:
        return f"was killed ({signal.Signals(-code).name})"
    except ValueError:
        return f"was killed (signal {-code})"


class WorkerStoppedError(ValueError):
    """A worker stopped on a clear error (bad input, a failing storage): its one line."""


def worker_environment(workers: int, cores: int | None = None) -> dict[str, str]:
    """This process's environment with the BLAS libraries limited to ``cores // workers`` threads each."""
    threads = str(max(1, (cores or usable_cores()) // workers))
    return {**os.environ, **dict.fromkeys(BLAS_VARIABLES, threads), "PYTHONUNBUFFERED": "1"}


def run_workers(
    config: SearchConfig, dataset: str, log: Callable[[str], None] | None = None
) -> None:
    """Run ``config.workers`` worker processes on the study of ``config`` (which must exist) to the end.

    ``dataset``: the dataset this process loaded (the workers load it, not ``config.dataset`` again).
    """
    command = [
        sys.executable,
        "-m",
        "trainlab.tune",
        "--parent",
        str(os.getpid()),
        "--dataset",
        dataset,
        "--config",
        json.dumps(config.to_dict()),
    ]
    environment = worker_environment(config.workers)
    processes = [
        subprocess.Popen(
            [*command, "--index", str(index)], env=environment, text=True, stdout=subprocess.PIPE
        )
        for index in range(1, config.workers + 1)
    ]
    lock, errors = threading.Lock(), []
    readers = [
        threading.Thread(target=forward, args=(p.stdout, log, lock, errors), daemon=True)
        for p in processes
    ]
    for reader in readers:
        reader.start()
    try:
        for process in processes:
            process.wait()
    except (
        BaseException
    ):  # interrupted: stop the workers (each marks its running trial failed) and go
        stop(processes)
        raise
    finally:
        for reader in readers:
            reader.join(timeout=5)
    if errors:
        raise WorkerStoppedError(
            errors[0]
        )  # every worker of a full disk says the same: once is enough
    failed = [(index, p.returncode) for index, p in enumerate(processes, 1) if p.returncode != 0]
    if failed:
        codes = ", ".join(f"worker {index} exit code {code}" for index, code in failed)
        raise WorkerError(
            f"{len(failed)} of {len(processes)} workers failed ({codes}); see their errors above. "
            "Finished trials are kept: rerun with --resume to complete the search",
            failed,
        )


def forward(
    stream: IO[str], log: Callable[[str], None] | None, lock: threading.Lock, errors: list[str]
) -> None:
    """Pass each line a worker prints to ``log``, one line at a time; collect its error line in ``errors``."""
    for line in stream:
        with lock:
            if line.startswith(ERROR_MARK):
                errors.append(line[len(ERROR_MARK) :].rstrip("\n"))
            elif log is not None:
                log(line.rstrip("\n"))


def stop(processes: Sequence[subprocess.Popen], seconds: float = 10.0) -> None:
    """SIGTERM every live worker, then SIGKILL those still running after ``seconds``."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def die_with_parent(parent: int) -> None:
    """Ask Linux to SIGTERM this process when its parent dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        with contextlib.suppress(
            OSError, AttributeError
        ):  # without prctl a worker outlives a killed parent
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        sys.exit(1)


def interrupt(signum: int, frame: Any) -> None:
    """A signal handler that interrupts the worker as Ctrl-C would (its running trial is marked failed)."""
    raise KeyboardInterrupt(f"signal {signum}")
