"""Where a dataset's files come from, searched in this order:

1. the ``data_dir`` argument (``--data-dir`` on the command line);
2. the ``TRAINLAB_DATA`` environment variable;
3. for MNIST and mnist-mini, the files shipped inside the package (nothing after this is searched);
4. the user cache, ``~/.cache/trainlab/NAME`` (see :mod:`.cache` for ``TRAINLAB_CACHE``/``XDG_CACHE_HOME``);
5. system dataset folders, ``/usr/share/datasets/NAME`` and ``/usr/local/share/datasets/NAME``
   (Debian's package ``dataset-fashion-mnist`` installs there); ``TRAINLAB_SYSTEM_DATA`` replaces
   the list;
6. a download from the published mirrors into the user cache (:mod:`.download`);
   ``TRAINLAB_MIRRORS`` replaces the mirrors, ``TRAINLAB_OFFLINE=1`` turns downloads off.

A folder given by 1 or 2 may hold the files directly or in a subfolder named after the dataset (so
one ``TRAINLAB_DATA`` can serve several datasets). A folder is used only when it holds all of a
dataset's files, each either as published (``.gz``) or decompressed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from trainlab.data.cache import dataset_cache_dir
from trainlab.data.catalog import PACKAGE_FILES, DatasetSpec, FileSpec

ENV_DATA = "TRAINLAB_DATA"
ENV_SYSTEM = "TRAINLAB_SYSTEM_DATA"
ENV_MIRRORS = "TRAINLAB_MIRRORS"
ENV_OFFLINE = "TRAINLAB_OFFLINE"
DEFAULT_SYSTEM_DIRS = ("/usr/share/datasets", "/usr/local/share/datasets")

ORIGINS = {
    "data_dir": "the data_dir argument (--data-dir)",
    "env": f"${ENV_DATA}",
    "cache": "the user cache",
    "system": "a system dataset folder",
    "package": "the files shipped with trainlab",
}
"""Origin code -> how it is described to people."""


@dataclass(frozen=True)
class Folder:
    """A folder searched for a dataset, and which of its files were found there."""

    origin: str
    """One of :data:`ORIGINS`."""
    path: Path
    files: Mapping[str, Path | None]
    """Role -> the file found (compressed or not), None when absent."""

    @property
    def complete(self) -> bool:
        """True when every file of the dataset is here."""
        return all(path is not None for path in self.files.values())

    @property
    def n_found(self) -> int:
        return sum(path is not None for path in self.files.values())

    def describe(self) -> str:
        """e.g. "the user cache /home/me/.cache/trainlab/mnist: 2 of 4 files"."""
        if not self.path.is_dir():
            state = "no such folder"
        elif self.complete:
            state = "all files"
        else:
            state = f"{self.n_found} of {len(self.files)} files"
        return f"{ORIGINS[self.origin]} {self.path}: {state}"


def find_file(folder: Path, spec: FileSpec) -> Path | None:
    """``folder``'s copy of ``spec``: the published ``.gz`` name, else the decompressed name; else None."""
    for name in (spec.filename, spec.raw_name):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def scan(origin: str, path: Path, spec: DatasetSpec) -> Folder:
    """What ``path`` holds of ``spec``'s files."""
    return Folder(origin, path, {role: find_file(path, file) for role, file in spec.files.items()})


def search_folders(spec: DatasetSpec, data_dir: str | os.PathLike | None = None) -> list[Folder]:
    """Every folder searched for ``spec``, in search order (see the module docstring)."""
    roots = []
    if data_dir is not None:
        roots.append(("data_dir", Path(data_dir).expanduser()))
    if os.environ.get(ENV_DATA):
        roots.append(("env", Path(os.environ[ENV_DATA]).expanduser()))
    folders = [scan(origin, _dataset_folder(root, spec.name), spec) for origin, root in roots]
    if spec.shipped:
        return [*folders, scan("package", PACKAGE_FILES, spec)]
    folders.append(scan("cache", dataset_cache_dir(spec.name), spec))
    if spec.system_name is not None:
        folders += [scan("system", Path(root) / spec.system_name, spec) for root in system_dirs()]
    return folders


def find_folder(spec: DatasetSpec, data_dir: str | os.PathLike | None = None) -> Folder | None:
    """The first folder in search order that holds all of ``spec``'s files, or None."""
    return next((folder for folder in search_folders(spec, data_dir) if folder.complete), None)


def system_dirs() -> list[Path]:
    """The system dataset roots: ``$TRAINLAB_SYSTEM_DATA`` (os.pathsep-separated) or the defaults."""
    value = os.environ.get(ENV_SYSTEM)
    roots = DEFAULT_SYSTEM_DIRS if value is None else value.split(os.pathsep)
    return [Path(root) for root in roots if root]


def mirrors_for(spec: DatasetSpec, mirrors: Sequence[str] | None = None) -> list[str]:
    """The base URLs to download ``spec`` from: ``mirrors``, else ``$TRAINLAB_MIRRORS``, else the published.

    ``$TRAINLAB_MIRRORS`` is a whitespace-separated list. ``{name}`` in a base URL is replaced by
    the dataset's name, so one local mirror can serve several datasets
    (``http://host/data/{name}/``).
    """
    if mirrors is None and os.environ.get(ENV_MIRRORS):
        mirrors = os.environ[ENV_MIRRORS].split()
    if mirrors is None:
        mirrors = spec.mirrors
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    return [str(base).replace("{name}", spec.name) for base in mirrors]


def downloads_allowed(download: bool = True) -> bool:
    """``download``, unless ``$TRAINLAB_OFFLINE`` is set to something other than 0/false/no."""
    offline = os.environ.get(ENV_OFFLINE, "").strip().lower() not in ("", "0", "false", "no")
    return bool(download) and not offline


def _dataset_folder(root: Path, name: str) -> Path:
    """``root/NAME`` when that folder exists, else ``root`` itself."""
    return root / name if (root / name).is_dir() else root
