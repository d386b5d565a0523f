"""Helpers for the data tests: an isolated environment, small IDX datasets and a local HTTP mirror."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from trainlab.data.catalog import DIGITS, DatasetSpec, FileSpec
from trainlab.data.idx import to_idx_bytes, write_idx

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def isolate(monkeypatch, tmp_path: Path) -> None:
    """Point every place the data package reads or writes at ``tmp_path``, and downloads at a closed port.

    No test writes to the real ~/.cache, reads the machine's dataset folders unless it asks to, or
    reaches the internet.
    """
    monkeypatch.setenv("TRAINLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TRAINLAB_SYSTEM_DATA", str(tmp_path / "system"))
    monkeypatch.setenv("TRAINLAB_MIRRORS", f"http://127.0.0.1:{closed_port()}/")
    monkeypatch.delenv("TRAINLAB_DATA", raising=False)
    monkeypatch.delenv("TRAINLAB_OFFLINE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)


def closed_port() -> int:
    """A local TCP port nothing listens on (bound then released), so connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def toy_arrays(
    n_train: int = 60, n_test: int = 20, seed: int = 0, label: int | None = None
) -> dict:
    """Random 28x28 uint8 images and labels 0..9 (all ``label`` if given), by role."""
    rng = np.random.default_rng(seed)
    labels = [
        np.full(n, label) if label is not None else np.arange(n) % 10 for n in (n_train, n_test)
    ]
    return {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": labels[0].astype(np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": labels[1].astype(np.uint8),
    }


def toy_spec(
    arrays: dict, name: str = "toy", checksums: bool = True, mirrors: tuple = ()
) -> DatasetSpec:
    """A DatasetSpec for ``arrays`` (with the SHA-256 of their IDX bytes when ``checksums``)."""
    files = {
        role: FileSpec(
            NAMES[role],
            arrays[role].shape,
            sha256=hashlib.sha256(to_idx_bytes(arrays[role])).hexdigest() if checksums else None,
        )
        for role in ROLES
    }
    return DatasetSpec(
        name=name,
        title=name.upper(),
        description="a toy dataset for tests",
        files=files,
        classes=DIGITS,
        n_train=len(arrays["train_labels"]),
        n_test=len(arrays["test_labels"]),
        attribution="tests",
        licence="none",
        mirrors=mirrors,
        system_name=name,
    )


def write_files(folder: Path, arrays: dict, compress: bool = True, roles=ROLES) -> Path:
    """Write ``arrays`` as IDX files into ``folder`` (published .gz names, or decompressed names)."""
    folder.mkdir(parents=True, exist_ok=True)
    for role in roles:
        name = NAMES[role] if compress else NAMES[role].removesuffix(".gz")
        write_idx(folder / name, arrays[role])
    return folder


class MirrorHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; records request paths; answers 503 to the first ``state['fail']`` requests,
    and every request ``state['delay']`` seconds late."""

    def __init__(self, *args, state: dict, **kwargs):
        self.state = state
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self.state["requests"].append(self.path)
        time.sleep(self.state["delay"])
        if self.state["fail"] > 0:
            self.state["fail"] -= 1
            self.send_error(503, "try again later")
            return
        super().do_GET()

    def log_message(self, format: str, *args) -> None:  # keep the test output clean
        pass


@contextlib.contextmanager
def http_mirror(folder: Path, fail: int = 0, delay: float = 0.0) -> Iterator[tuple[str, dict]]:
    """A local HTTP server on 127.0.0.1 (a free port) serving ``folder``, each answer ``delay``
    seconds late: yields (base URL, state)."""
    state = {"requests": [], "fail": fail, "delay": delay}
    handler = functools.partial(MirrorHandler, directory=str(folder), state=state)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # a short poll interval: shutdown() waits for the next poll, 0.5 s by default
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def leftovers(folder: Path) -> list[str]:
    """Temporary files the atomic writes or a download's staging folder left in ``folder`` (must be none)."""
    if not folder.exists():
        return []
    return sorted(p.name for pattern in ("*.part", ".download*") for p in folder.rglob(pattern))
