"""Checking that a file is the published one, while decoding it.

:func:`decode_verified` reads a file once, decodes its IDX array and checks it against the file's
:class:`~trainlab.data.catalog.FileSpec`: the IDX structure first (its fault is the most specific
one to report: truncated, wrong magic, wrong length), then the strongest checksum known for the form
the file is in, then its shape.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from trainlab.data.catalog import FileSpec
from trainlab.data.errors import ChecksumError
from trainlab.data.idx import GZIP_MAGIC, decompress, parse_idx


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of the bytes of ``path`` (as stored, not decompressed)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode_verified(path: str | os.PathLike, spec: FileSpec) -> tuple[np.ndarray, str]:
    """The uint8 array in ``path`` and how it was verified; IDXError or ChecksumError naming the file.

    The check is the SHA-256 of the decompressed bytes: it holds however the file was compressed, or
    whether it was at all. A spec without one (a test's toy dataset) is checked by the IDX header
    and length only, which the shape check below makes exact.
    """
    path = Path(path)
    raw = path.read_bytes()
    compressed = raw[:2] == GZIP_MAGIC
    # at most twice what it must hold: enough to say what a slightly different file holds; a gzip
    # bomb stops there
    data = decompress(raw, str(path), limit=2 * spec.idx_bytes) if compressed else raw
    array = parse_idx(data, str(path))
    if spec.sha256 is not None:
        _compare(
            path,
            "SHA-256 of the decompressed contents",
            hashlib.sha256(data).hexdigest(),
            spec.sha256,
        )
        how = "SHA-256 of the contents"
    else:
        how = "IDX header and length (no checksum known)"
    if array.shape != spec.shape or array.dtype != np.uint8:
        raise ChecksumError(
            f"{path}: wrong shape: holds {array.dtype.name} {array.shape}, expected uint8 {spec.shape} "
            f"for {spec.raw_name}; it is another file"
        )
    return array, how


def _compare(path: Path, what: str, found: str, expected: str) -> None:
    if found != expected:
        raise ChecksumError(
            f"{path}: wrong checksum: {what} is {found}, expected {expected}; the file is corrupt, "
            "truncated or not the published one"
        )
