"""Where units run, behind one interface: this process, local worker processes, or a Dask cluster.

Each is a ``concurrent.futures.Executor`` (Dask's client offers one,
:meth:`distributed.Client.get_executor`), wrapped in :class:`Workers`, which adds what the runner
needs besides ``submit``: how many units can run at once, a fresh pool after a local worker died,
and a prompt stop that cancels what is queued.

- ``jobs=1``: :class:`InProcess` runs each unit when it is submitted, here (the same numbers, a
  plain traceback, no processes).
- ``jobs=N``: N local processes, started fresh (``spawn``: no BLAS thread pools copied by ``fork``),
  each with the BLAS threads it is given. A worker ignores Ctrl-C (the command stops them), and ends
  itself when the command's process is gone, even if that was killed with SIGKILL: Linux tells it at
  once (``PR_SET_PDEATHSIG``), and a watch thread checks every half second elsewhere.
- ``cluster="tcp://HOST:8786"``: the workers of an existing Dask scheduler, on any number of
  machines (see docs/experiments.md: ``dask scheduler``, ``dask worker``). Dask itself runs a unit
  again on another worker when the one running it dies. Dask is an optional extra
  (``pip install trainlab[cluster]``).
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from trainlab.cluster import connect, worker_threads


class InProcess(Executor):
    """Runs each call when it is submitted, in this process: a future that is already done."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # handed to whoever reads the future, as a pool would
            future.set_exception(error)
        return future


def end_with_parent(parent: int) -> None:
    """Make this worker process end when process ``parent`` does (see the module's docstring)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(
            1, signal.SIGKILL
        )  # PR_SET_PDEATHSIG: the kernel kills us when our parent thread ends
    if os.getppid() != parent:  # the parent died before we got here
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="trainlab-parent-watch").start()


def start_worker(parent: int) -> None:
    """In a local worker, before any unit: no Ctrl-C (the command stops the pool), no output, and an
    end with the command's process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (open for the life of the worker; errors come back as futures)
    end_with_parent(parent)


class Workers:
    """An executor and what the runner needs to know of it: ``count`` (units at once), ``text`` (for
    people)."""

    def __init__(self, jobs: int = 1, cluster: str | None = None) -> None:
        if jobs < 1:
            raise ValueError(f"jobs={jobs!r} is not allowed: at least 1 worker is needed")
        self.jobs, self.cluster, self.client = jobs, cluster, None
        self.executor: Executor = self._start()

    def _start(self) -> Executor:
        if self.cluster:
            return self._connect(self.cluster)
        if self.jobs == 1:
            return InProcess()
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(os.getpid(),),
        )

    def _connect(self, address: str) -> Executor:
        self.client = connect(address)
        return self.client.get_executor(pure=False)

    @property
    def count(self) -> int:
        """How many units run at once: the local processes, or the Dask workers' threads right now."""
        if self.client is not None:
            return worker_threads(self.client)
        return self.jobs

    @property
    def text(self) -> str:
        if self.client is not None:
            return f"{self.count} Dask worker thread{'s' * (self.count != 1)} at {self.cluster}"
        if self.jobs == 1:
            return "in this process"
        return f"{self.jobs} worker processes"

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        return self.executor.submit(fn, *args)

    def restart(self) -> None:
        """A fresh pool of local processes after one of them died (the others' futures failed with it)."""
        self.stop(cancel=True)
        self.executor = self._start()

    def stop(self, cancel: bool = False) -> None:
        """Shut down: wait for the running units, or (``cancel``) drop the queued ones and end the workers."""
        if self.client is not None:
            self.executor.shutdown(wait=not cancel)
            self.client.close()
            return
        self.executor.shutdown(wait=not cancel, cancel_futures=cancel)
        if cancel and not isinstance(self.executor, InProcess):
            for child in (
                multiprocessing.active_children()
            ):  # the pool's processes: end the running units too
                child.terminate()
            for child in multiprocessing.active_children():
                child.join(timeout=5)
