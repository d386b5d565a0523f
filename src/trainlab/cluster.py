"""A connection to a Dask cluster, for whatever trainlab spreads over machines: the lessons' units
(``trainlab run --cluster``) and the search's workers (``trainlab tune --cluster``).

Dask is an optional extra (``pip install "trainlab[cluster]"``); a scheduler is started with
``dask scheduler`` and its workers with ``dask worker tcp://HOST:8786 --nthreads 1``
(docs/experiments.md).
"""

from __future__ import annotations

import os
from typing import Any

CLUSTER_VARIABLE = (
    "TRAINLAB_CLUSTER"  # the address of a Dask scheduler, when --cluster is not given
)


def cluster_address(option: str | None) -> str | None:
    """The Dask scheduler to use: ``--cluster``, else ``$TRAINLAB_CLUSTER``, else None (local)."""
    return option or os.environ.get(CLUSTER_VARIABLE) or None


def connect(address: str) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``; a ValueError saying what to do if
    Dask is missing or no scheduler answers."""
    try:
        from distributed import Client  # optional: pip install trainlab[cluster]
    except ImportError:
        raise ValueError(
            f"--cluster {address}: Dask is not installed; pip install 'trainlab[cluster]' "
            "(or dask[distributed]) on this machine and on the workers"
        ) from None
    try:
        return Client(address, timeout="15s")
    except OSError as error:
        raise ValueError(
            f"--cluster {address}: no Dask scheduler answers there ({error}); start one with "
            "`dask scheduler` and its workers with `dask worker ADDRESS` (docs/experiments.md)"
        ) from None


def worker_threads(client: Any) -> int:
    """How many tasks the cluster runs at once: its workers' threads, right now."""
    workers = client.scheduler_info().get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))


def places(client: Any, count: int) -> list[str]:
    """``count`` worker addresses of the cluster, a thread of each worker in turn (the first thread of
    every worker, then the second, ...): tasks placed so run one per machine while machines are spare."""
    workers = client.scheduler_info().get("workers", {})
    threads = {address: int(w.get("nthreads", 1)) for address, w in sorted(workers.items())}
    turns = [a for k in range(max(threads.values(), default=0)) for a in threads if k < threads[a]]
    return [turns[i % len(turns)] for i in range(count)] if turns else []


def as_completed(futures: list[Any]) -> Any:
    """The Dask ``futures`` as they finish (``distributed.as_completed``)."""
    from distributed import as_completed as completed  # optional: only after connect() found Dask

    return completed(futures)
