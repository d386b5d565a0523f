"""What is available: for each dataset, the folders searched, where its files are, their sizes and counts.

This is what ``trainlab data list | info | path`` print. Nothing here downloads or decodes whole
files: sample counts come from the IDX headers (a few bytes each), so listing is instant.
``verify=True`` also decodes each file and checks its checksum.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from trainlab.data.cache import decoded_dir
from trainlab.data.catalog import DATASETS, DatasetSpec, get_spec
from trainlab.data.checksums import decode_verified
from trainlab.data.errors import DataError
from trainlab.data.idx import read_idx_header
from trainlab.data.sources import ORIGINS, Folder, downloads_allowed, mirrors_for, search_folders


@dataclass(frozen=True)
class FileStatus:
    """One file of an available dataset."""

    role: str
    path: Path
    size: int
    """Bytes on disk."""
    shape: tuple[int, ...] | None
    """From the IDX header; None when the header is unreadable (``problem`` says why)."""
    problem: str | None = None
    verified: str | None = None
    """With ``verify=True``: how the file was checked (its problem otherwise)."""


@dataclass(frozen=True)
class DatasetStatus:
    """Where dataset ``spec`` is, or would come from."""

    spec: DatasetSpec
    folders: list[Folder]
    """Every folder searched, in order."""
    found: Folder | None
    """The first folder that holds all files (the one a load would use), or None."""
    files: list[FileStatus]
    """The files in ``found`` (empty when not found)."""
    mirrors: list[str]
    download: bool
    """Whether a load would try to download (downloads not turned off, mirrors configured)."""
    decoded_bytes: int
    """Bytes of decoded arrays in the cache."""

    @property
    def available(self) -> bool:
        return self.found is not None

    @property
    def where(self) -> str:
        """One line: the folder and its origin, or what a load would do."""
        if self.found is not None:
            return f"{self.found.path} ({ORIGINS[self.found.origin]})"
        return (
            "not found; a load would download it" if self.download else "not found; downloads off"
        )

    @property
    def size(self) -> int:
        """Bytes of the dataset's files on disk."""
        return sum(file.size for file in self.files)

    @property
    def counts(self) -> tuple[int, int]:
        """(training samples, test samples), from the headers when available, else as published."""
        shapes = {file.role: file.shape for file in self.files}
        if not shapes.get("train_labels") or not shapes.get("test_labels"):
            return self.spec.n_train, self.spec.n_test
        return shapes["train_labels"][0], shapes["test_labels"][0]

    @property
    def problems(self) -> list[str]:
        return [f"{file.path}: {file.problem}" for file in self.files if file.problem]


def dataset_status(
    name: str | DatasetSpec, data_dir: str | os.PathLike | None = None, *, verify: bool = False
) -> DatasetStatus:
    """Where dataset ``name`` is found (searching as a load would), its files, sizes and sample counts."""
    spec = get_spec(name)
    folders = search_folders(spec, data_dir)
    found = next((folder for folder in folders if folder.complete), None)
    files = (
        []
        if found is None
        else [
            _file_status(role, path, spec, verify)
            for role, path in found.files.items()
            if path is not None
        ]
    )
    mirrors = [] if spec.shipped else mirrors_for(spec)
    cache = decoded_dir(spec.name)
    decoded = sum(entry.stat().st_size for entry in cache.glob("*.npy")) if cache.is_dir() else 0
    return DatasetStatus(
        spec, folders, found, files, mirrors, bool(mirrors) and downloads_allowed(), decoded
    )


def list_datasets(data_dir: str | os.PathLike | None = None) -> list[DatasetStatus]:
    """The status of every dataset trainlab knows."""
    return [dataset_status(name, data_dir) for name in DATASETS]


def _file_status(role: str, path: Path, spec: DatasetSpec, verify: bool) -> FileStatus:
    size = path.stat().st_size
    try:
        shape = read_idx_header(path).shape
    except DataError as error:
        return FileStatus(role, path, size, None, problem=_fault(error, path))
    verified = None
    if verify:
        try:
            verified = "ok: " + decode_verified(path, spec.files[role])[1]
        except DataError as error:
            verified = "FAILED: " + _fault(error, path)
    return FileStatus(role, path, size, shape, verified=verified)


def _fault(error: Exception, path: Path) -> str:
    """The error's message without the leading file name (the caller prints it already)."""
    return str(error).removeprefix(f"{path}: ")
