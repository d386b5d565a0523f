"""The user cache: where downloads go, and decoded arrays that make a second load fast.

Layout (the root is ``$TRAINLAB_CACHE``, else the platform's user cache folder as platformdirs gives
it: ``$XDG_CACHE_HOME/trainlab`` or ``~/.cache/trainlab`` on Linux, ``~/Library/Caches/trainlab`` on
macOS, ``%LOCALAPPDATA%/trainlab/Cache`` on Windows)::

    ROOT/NAME/train-images-idx3-ubyte.gz ...          downloaded files, as published
    ROOT/NAME/decoded/train-images-idx3-ubyte.KEY.npy  the decoded uint8 array of one IDX file

Decoding a gzip-compressed IDX file and checking its SHA-256 takes a few tenths of a second for
60,000 training images; reading the ``.npy`` back takes a few milliseconds. ``KEY`` is a fingerprint
of the source file (its path, size and modification time) and of what it is checked against, so a
changed, replaced or moved source gets a new key and is decoded and checked again; stale entries of
the same file are removed when a new one is written. The cache holds uint8 arrays, not float32 ones:
a quarter of the disk, one entry whatever ``normalize``/``flatten``/``dtype`` a caller asks for, and
the conversion to float is a single fast pass.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import platformdirs

from trainlab.data.catalog import FileSpec
from trainlab.data.checksums import decode_verified
from trainlab.data.files_io import atomic_writer

ENV_CACHE = "TRAINLAB_CACHE"
CACHE_FORMAT = 1
"""Bump to invalidate every decoded entry (a change in how files are decoded or checked)."""


def cache_root() -> Path:
    """The cache's root folder: ``$TRAINLAB_CACHE``, else the platform's user cache folder for trainlab."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    return Path(platformdirs.user_cache_dir("trainlab", appauthor=False))


def dataset_cache_dir(name: str) -> Path:
    """The cache folder of dataset ``name`` (downloads land here)."""
    return cache_root() / name


def decoded_dir(name: str) -> Path:
    """The folder of dataset ``name``'s decoded arrays."""
    return dataset_cache_dir(name) / "decoded"


def fingerprint(source: Path, spec: FileSpec) -> str:
    """A short key that changes when ``source`` (path, size, mtime) or its expected contents change."""
    stat = source.stat()
    parts = (
        CACHE_FORMAT,
        str(source.resolve()),
        stat.st_size,
        stat.st_mtime_ns,
        spec.shape,
        spec.sha256,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def load_decoded(source: Path, spec: FileSpec, folder: Path | None) -> tuple[np.ndarray, str]:
    """The checked uint8 array of IDX file ``source`` and how it was checked, through the cache in ``folder``.

    With ``folder=None`` the file is decoded and checked every time. A cache that cannot be written
    (a read-only home, a full disk) only costs speed: the array is still returned.
    """
    if folder is None:
        return decode_verified(source, spec)
    entry = folder / f"{spec.raw_name}.{fingerprint(source, spec)}.npy"
    cached = _read_entry(entry, spec)
    if cached is not None:
        return cached, "checked when first decoded (decoded cache)"
    array, how = decode_verified(source, spec)
    try:
        with atomic_writer(entry) as file:
            np.save(file, array, allow_pickle=False)
    except OSError:
        return array, how
    for stale in folder.glob(f"{spec.raw_name}.*.npy"):
        if stale != entry:
            stale.unlink(missing_ok=True)
    return array, how


def _read_entry(entry: Path, spec: FileSpec) -> np.ndarray | None:
    """The cached array, or None when absent or unusable (it is then decoded again and rewritten)."""
    try:
        array = np.load(entry, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if array.shape != spec.shape or array.dtype != np.uint8:
        return None
    return array
