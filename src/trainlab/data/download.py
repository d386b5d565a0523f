"""Downloading a dataset's files from its mirrors into the user cache.

Each file is tried on each mirror in turn. Transient faults (timeouts, dropped connections, HTTP 5xx) are
retried with exponential back-off; a definite answer (HTTP 404, a host that does not resolve or refuses the
connection, a file with the wrong checksum) moves on to the next mirror at once, and a mirror found
unreachable is not asked for the dataset's other files. The bytes stream into a temporary file next to the
destination, are checked against the published checksum, and only then renamed into place: a corrupt or
partial download never lands in the cache. A tqdm progress bar shows on a terminal and stays quiet
otherwise (in logs, CI and tests).
"""

from __future__ import annotations

import http.client
import shutil
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from trainlab.data.catalog import DATASETS, MNIST_MINI, PACKAGE_FILES, DatasetSpec, FileSpec
from trainlab.data.checksums import decode_verified
from trainlab.data.errors import ChecksumError, DownloadError, IDXError
from trainlab.data.files_io import atomic_writer
from trainlab.data.sources import find_file

CHUNK = 1 << 16
SHIPPED_FILES = tuple(DATASETS[MNIST_MINI].files.values())
"""Files the package ships (MNIST's test set): copied, never downloaded, when a dataset needs them."""


def file_url(base: str, filename: str) -> str:
    """The URL of ``filename`` on the mirror ``base``."""
    return base if base.endswith(filename) else base.rstrip("/") + "/" + filename


def fetch_dataset(
    spec: DatasetSpec,
    target: Path,
    mirrors: Sequence[str],
    *,
    retries: int = 2,
    timeout: float = 30.0,
    backoff: float = 1.0,
) -> dict[str, str]:
    """Put every file of ``spec`` that ``target`` lacks into ``target``; returns filename -> where from.

    A file that trainlab ships (MNIST's test set) is copied from the package instead of downloaded.
    Raises DownloadError, listing what each mirror answered, when a file cannot be had.
    """
    unreachable: set[str] = set()
    origins = {}
    for file in spec.files.values():
        if find_file(target, file) is not None:
            continue
        shipped = find_file(PACKAGE_FILES, file) if file in SHIPPED_FILES else None
        if shipped is not None:
            copy_file(shipped, target / shipped.name, file)
            origins[file.filename] = "the files shipped with trainlab"
            continue
        origins[file.filename] = download_file(
            file, target / file.filename, mirrors,
            retries=retries, timeout=timeout, backoff=backoff, unreachable=unreachable,
        )
    return origins


def download_file(
    file: FileSpec,
    destination: Path,
    mirrors: Sequence[str],
    *,
    retries: int = 2,
    timeout: float = 30.0,
    backoff: float = 1.0,
    unreachable: set[str] | None = None,
) -> str:
    """Download ``file`` from the first mirror that serves it intact to ``destination``; returns its URL.

    ``retries`` more attempts are made on one mirror after a transient fault, waiting ``backoff``,
    2 x ``backoff``, ... seconds. Mirrors in (and added to) ``unreachable`` are skipped.
    """
    unreachable = set() if unreachable is None else unreachable
    failures = []
    for base in mirrors:
        url = file_url(base, file.filename)
        if base in unreachable:
            failures.append(f"{url}: skipped (unreachable before)")
            continue
        for attempt in range(retries + 1):
            try:
                _download(url, destination, file, timeout)
                return url
            except (OSError, http.client.HTTPException, ChecksumError, IDXError) as error:
                reason, transient, dead = _diagnose(error)
            if dead:
                unreachable.add(base)
            if not transient or attempt == retries:
                failures.append(f"{url}: {reason}" + (f" (after {attempt + 1} attempts)" if attempt else ""))
                break
            time.sleep(backoff * 2**attempt)
    if not failures:
        failures.append("no mirrors configured")
    raise DownloadError(f"could not download {file.filename}: " + "; ".join(failures), failures)


def _download(url: str, destination: Path, file: FileSpec, timeout: float) -> None:
    """One attempt: stream ``url`` through a checked atomic write to ``destination``."""
    from trainlab import __version__

    request = urllib.request.Request(url, headers={"User-Agent": f"trainlab/{__version__}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        with (
            atomic_writer(destination, check=lambda path: _check(path, file)) as out,
            tqdm(total=total, desc=file.filename, unit="B", unit_scale=True, unit_divisor=1024,
                 disable=None, leave=False, file=sys.stderr) as bar,
        ):
            received = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
            if total is not None and received != total:
                raise http.client.IncompleteRead(b"", total - received)


def _check(path: Path, file: FileSpec) -> None:
    """Verify a complete temporary file; its (temporary, meaningless) name is left out of the error."""
    try:
        decode_verified(path, file)
    except (ChecksumError, IDXError) as error:
        raise type(error)(str(error).removeprefix(f"{path}: ")) from None


def _diagnose(error: BaseException) -> tuple[str, bool, bool]:
    """(what went wrong, worth retrying on this mirror, mirror unreachable) for a failed attempt."""
    if isinstance(error, urllib.error.HTTPError):
        transient = error.code >= 500 or error.code in (408, 429)
        return f"HTTP {error.code} {error.reason}", transient, False
    if isinstance(error, (ChecksumError, IDXError)):
        return f"corrupt download: {error}", False, False
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, socket.gaierror):
        return f"host not found ({reason.strerror or reason}); offline?", False, True
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused", False, True
    if isinstance(reason, TimeoutError):
        return "timed out", True, False
    if isinstance(error, http.client.IncompleteRead):
        return f"transfer cut short ({error.expected} bytes missing)", True, False
    return f"{type(reason).__name__}: {reason}", True, False


def copy_file(source: Path, destination: Path, file: FileSpec) -> None:
    """Copy ``source`` to ``destination`` through a checked atomic write."""
    with atomic_writer(destination, check=lambda path: _check(path, file)) as out, open(source, "rb") as src:
        shutil.copyfileobj(src, out)
