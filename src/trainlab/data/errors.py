"""The errors of the data package.

Each names the file (or dataset) and the fault, so a broken or missing file is reported where it is,
not as a NumPy reshape error three calls later. They share the base :class:`DataError` and also
derive from the built-in error a caller would naturally catch (``ValueError`` for bad contents,
``FileNotFoundError`` for missing data).
"""

from __future__ import annotations


class DataError(Exception):
    """Base of every error raised by :mod:`trainlab.data`."""


class IDXError(DataError, ValueError):
    """A file is not a valid IDX file (bad magic number, dtype code, dimensions, length or gzip stream)."""


class ChecksumError(DataError, ValueError):
    """A file's checksum or shape differs from the published one: it is corrupt, truncated or another file."""


class DownloadError(DataError, OSError):
    """A file could not be downloaded from any mirror; ``failures`` lists what each mirror answered."""

    def __init__(self, message: str, failures: list[str] | None = None) -> None:
        super().__init__(message)
        self.failures = list(failures or [])


class DataNotFoundError(DataError, FileNotFoundError):
    """A dataset's files are neither in any folder searched nor downloadable; the message says how
    to fix it."""
