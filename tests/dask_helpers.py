"""A real Dask scheduler and workers on 127.0.0.1, started as the docs say (`dask scheduler`,
`dask worker`)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dask_scheduler_and_workers(folder: Path, workers: int = 2) -> Iterator[str]:
    """A `dask scheduler` and ``workers`` single-threaded `dask worker` processes; yields the address."""
    from distributed import Client  # optional: the tests that use this skip without Dask

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(folder / "dask.log", "w")  # noqa: SIM115  (closed below)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=log,
            stderr=log,
        )
    ]
    processes += [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nthreads",
                "1",
                "--no-dashboard",
                "--local-directory",
                str(folder),
            ],
            stdout=log,
            stderr=log,
        )
        for _ in range(workers)
    ]
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=60)
        yield address
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        log.close()
