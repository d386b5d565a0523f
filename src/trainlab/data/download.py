"""Downloading a dataset that trainlab does not ship (Fashion-MNIST) into the user cache.

The HTTP transfer is pooch's (over requests): it streams into a temporary file and moves it into
place only once complete. What stays trainlab's own:

* the check. pooch compares a checksum of the bytes it received; trainlab checks the SHA-256 of the
  *decompressed* contents (see :mod:`.catalog`), so pooch downloads into a staging folder with no
  hash of its own, and the file is moved into the cache only after
  :func:`~.checksums.decode_verified` passed. A corrupt, truncated or wrong download never appears
  under its final name, and each attempt stages in a folder of its own, so that concurrent first
  downloads of one dataset do not trip over each other.
* the retries. pooch's ``retry_if_failed`` retries every failure after fixed waits of 1, 2, ...
  seconds, an HTTP 404 and a refused connection included; offline, that would keep a command waiting
  for nothing. Here a transient fault (a timeout, a dropped transfer, HTTP 5xx/408/429) is retried
  with exponential back-off, while a definite answer (HTTP 404, a host that does not resolve or
  refuses the connection, a wrong file) moves on to the next mirror at once, and a mirror found
  unreachable is not asked for the dataset's other files.
* several mirrors per dataset, tried in order, and an error that lists what each one answered.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pooch
import requests

from trainlab.data.cache import dataset_cache_dir
from trainlab.data.catalog import DatasetSpec, FileSpec
from trainlab.data.checksums import decode_verified
from trainlab.data.errors import ChecksumError, DataNotFoundError, DownloadError, IDXError
from trainlab.data.files_io import atomic_writer
from trainlab.data.sources import (
    Folder,
    downloads_allowed,
    find_file,
    find_folder,
    mirrors_for,
    search_folders,
)

STAGING = ".download"
"""The start of the name of the subfolders of a dataset's cache folder that downloads land in until they are
checked (``.download-XXXXXXXX``, one per attempt)."""


def _user_agent() -> str:
    try:
        return f"trainlab/{version('trainlab')}"
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "trainlab"


USER_AGENT = _user_agent()


def file_url(base: str, filename: str) -> str:
    """The URL of ``filename`` on the mirror ``base``."""
    return base if base.endswith(filename) else base.rstrip("/") + "/" + filename


def download_dataset(
    spec: DatasetSpec,
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
) -> tuple[Folder, str]:
    """Download ``spec``'s missing files into its cache folder; (that folder, a note saying what
    came from where).

    DataNotFoundError, saying where trainlab looked and how to provide the files, when downloads are
    off, no mirror is configured or every mirror fails.
    """
    searched = search_folders(spec, data_dir)
    if spec.shipped:
        raise DataNotFoundError(
            f"{spec.name}'s files are missing from the package ({searched[-1].describe()}); "
            "reinstall trainlab"
        )
    urls = mirrors_for(spec, mirrors)
    if not downloads_allowed(download):
        raise not_found(spec, searched, "downloads are off (download=False or $TRAINLAB_OFFLINE)")
    if not urls:
        raise not_found(spec, searched, "no mirrors to download from")
    target = dataset_cache_dir(spec.name)
    try:
        fetched = fetch_dataset(spec, target, urls)
    except DownloadError as error:
        raise not_found(spec, searched, f"download failed: {error}") from None
    except OSError as error:  # the cache folder cannot be created or written
        raise not_found(spec, searched, f"cannot download into {target}: {error}") from None
    folder = find_folder(spec, data_dir)
    if folder is None:  # the cache was written, so this means it is not where it will be searched
        raise DataNotFoundError(f"{spec.title} was downloaded to {target} but is not found there")
    froms = sorted(
        {url.removesuffix(filename) for filename, url in fetched.items()}
    )  # the mirrors, not each URL
    note = (
        f"downloaded {len(fetched)} file(s) of {spec.title} into {target} from {', '.join(froms)}"
    )
    return folder, note if fetched else ""


def not_found(spec: DatasetSpec, searched: list[Folder], failure: str) -> DataNotFoundError:
    """The error for a dataset that is neither present nor downloadable: where we looked and how to fix it."""
    files = ", ".join(file.filename for file in spec.files.values())
    looked = "; ".join(folder.describe() for folder in searched)
    debian = (
        f" On Debian, `apt-get install {spec.debian_package}` installs it."
        if spec.debian_package
        else ""
    )
    return DataNotFoundError(
        f"{spec.title} ({spec.name}) is not available: {failure}.\n"
        f"Looked in: {looked}.\n"
        f"To use it without a network, put its files ({files}; .gz as published, or decompressed) into a "
        f"folder and pass it as data_dir=... / --data-dir, or set $TRAINLAB_DATA to it, or copy them into "
        f"{dataset_cache_dir(spec.name)}.{debian} With a network, `trainlab data download {spec.name}` "
        "fetches them."
    )


def fetch_dataset(
    spec: DatasetSpec,
    target: Path,
    mirrors: Sequence[str],
    *,
    retries: int = 2,
    timeout: float = 30.0,
    backoff: float = 1.0,
) -> dict[str, str]:
    """Download every file of ``spec`` that ``target`` lacks into ``target``; returns filename -> URL.

    Raises DownloadError, listing what each mirror answered, when a file cannot be had.
    """
    unreachable: set[str] = set()
    return {
        file.filename: download_file(
            file,
            target / file.filename,
            mirrors,
            retries=retries,
            timeout=timeout,
            backoff=backoff,
            unreachable=unreachable,
        )
        for file in spec.files.values()
        if find_file(target, file) is None
    }


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

    After a transient fault ``retries`` more attempts are made on the same mirror, waiting
    ``backoff``, 2 x ``backoff``, ... seconds. Mirrors in (and added to) ``unreachable`` are
    skipped.
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
                fetch_checked(url, destination, file, timeout)
                return url
            except (requests.RequestException, ChecksumError, IDXError) as error:
                reason, transient, dead = diagnose(error)
            if dead:
                unreachable.add(base)
            if not transient or attempt == retries:
                failures.append(
                    f"{url}: {reason}" + (f" (after {attempt + 1} attempts)" if attempt else "")
                )
                break
            time.sleep(backoff * 2**attempt)
    if not failures:
        failures.append("no mirrors configured")
    raise DownloadError(f"could not download {file.filename}: " + "; ".join(failures), failures)


def fetch_checked(url: str, destination: Path, file: FileSpec, timeout: float) -> None:
    """One attempt: pooch downloads ``url`` into a staging folder of this attempt's own; checked, it
    is written to ``destination`` atomically.

    The staging folder's name is unique (``.download-XXXXXXXX``), so that two processes downloading
    the same dataset at once (``trainlab run A B --jobs 2`` on a machine without it) never share a
    file: each checks its own copy and writes it into place atomically, the second replacing the
    first with an identical file. It is copied through :func:`~.files_io.atomic_writer` rather than
    renamed, so that it gets the permissions of any new file (pooch's temporary files are private to
    their owner).
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}-", dir=destination.parent))
    staged = staging / destination.name
    downloader = pooch.HTTPDownloader(
        progressbar=sys.stderr.isatty(), timeout=timeout, headers={"User-Agent": USER_AGENT}
    )
    try:
        with _quiet(pooch.get_logger()):
            pooch.retrieve(
                url, known_hash=None, fname=staged.name, path=staging, downloader=downloader
            )
        try:
            decode_verified(staged, file)
        except (
            ChecksumError,
            IDXError,
        ) as error:  # the staged name means nothing to a reader: leave it out
            raise type(error)(str(error).removeprefix(f"{staged}: ")) from None
        with open(staged, "rb") as source, atomic_writer(destination) as target:
            shutil.copyfileobj(source, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def diagnose(error: BaseException) -> tuple[str, bool, bool]:
    """(what went wrong, worth retrying on this mirror, mirror unreachable) for a failed attempt."""
    if isinstance(error, requests.HTTPError) and error.response is not None:
        code = error.response.status_code
        return f"HTTP {code} {error.response.reason}", code >= 500 or code in (408, 429), False
    if isinstance(error, (ChecksumError, IDXError)):
        return f"corrupt download: {error}", False, False
    causes = list(_causes(error))
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return "host not found; offline?", False, True
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "connection refused", False, True
    if isinstance(error, requests.Timeout):
        return "timed out", True, False
    if isinstance(
        error, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
    ):
        return "transfer cut short", True, False
    return f"{type(error).__name__}: {error}", True, False


def _causes(error: BaseException | None) -> Iterator[BaseException]:
    """``error`` and everything it wraps: requests and urllib3 nest the socket's OSError several
    levels deep."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
            *current.args,
        ]
        pending += [inner for inner in wrapped if isinstance(inner, BaseException)]


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """Silence pooch's INFO lines (the URL, the SHA-256 to pin) for the duration: trainlab writes
    its own note."""
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
