"""Loading MNIST, Fashion-MNIST and mnist-mini as arrays ready for a model.

``load_dataset(name)`` returns a :class:`Dataset` that also says where the data came from and, when
``fallback`` replaced an unavailable dataset by mnist-mini, says so in its ``name`` and ``note`` (and a
:class:`~trainlab.data.errors.DatasetFallbackWarning` is issued): a substitution is never silent.
``load_mnist`` is the textbook's loader, same arguments, same return shape.

MNIST ships inside the package (see docs/data.md), so it loads offline on any machine. mnist-mini is
MNIST's 10,000-digit test set (the same shipped files, no second copy), split into 8,000 training and
2,000 test digits by a fixed rule that uses no random numbers (:func:`mini_split`): stratified by digit,
with each digit's test picks spread evenly through the file. The split is therefore identical on every
machine and NumPy version.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainlab.backend import resolve_dtype
from trainlab.data.cache import dataset_cache_dir, decoded_dir, load_decoded
from trainlab.data.catalog import MNIST_MINI, MNIST_MINI_TEST_SIZE, DatasetSpec, get_spec
from trainlab.data.download import fetch_dataset
from trainlab.data.errors import DataError, DataNotFoundError, DatasetFallbackWarning, DownloadError
from trainlab.data.sources import ORIGINS, Folder, downloads_allowed, find_folder, mirrors_for, search_folders
from trainlab.data.splits import split_indices
from trainlab.losses import one_hot


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A dataset's arrays, and what they are and where they came from.

    ``x_*``: images, (N, 784) when flattened else (N, 1, 28, 28); float in [0, 1] when normalized, else
    uint8 0..255. ``y_*``: int64 labels (N,), or (N, 10) one-hot rows.
    """

    name: str
    """The dataset actually loaded (``"mnist-mini"`` after a fallback)."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    """Where the files were read from, e.g. ``"a system dataset folder /usr/share/datasets/fashion-mnist"``."""
    note: str = ""
    """Anything a reader of the results must know: a fallback, a download. Empty when nothing happened."""
    requested: str = ""
    """The dataset asked for."""
    classes: tuple[str, ...] = ()

    @property
    def fallback(self) -> bool:
        """True when another dataset than the one requested was loaded."""
        return self.requested != self.name

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def as_tuples(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """``((x_train, y_train), (x_test, y_test))``, the textbook's shape."""
        return (self.x_train, self.y_train), (self.x_test, self.y_test)

    def __repr__(self) -> str:
        text = (f"Dataset({self.name!r}: train {self.x_train.shape} {self.x_train.dtype}, "
                f"test {self.x_test.shape} {self.x_test.dtype}, from {self.source})")
        return text + (f" [{self.note}]" if self.note else "")


def load_dataset(
    name: str | DatasetSpec = "mnist",
    *,
    data_dir: str | os.PathLike | None = None,
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    dtype: Any = "float32",
    fallback: bool = False,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
) -> Dataset:
    """Load dataset ``name`` ("mnist", "fashion-mnist" or "mnist-mini").

    Files are looked for in ``data_dir``, ``$TRAINLAB_DATA``, the user cache and system dataset folders,
    then downloaded from ``mirrors`` (default: ``$TRAINLAB_MIRRORS`` or the published ones) unless
    ``download=False`` or ``$TRAINLAB_OFFLINE`` is set; see :mod:`trainlab.data.sources`.

    ``fallback=True`` (what the commands use) loads mnist-mini instead when the dataset cannot be found or
    downloaded, issues a DatasetFallbackWarning and says so in the result's ``name`` and ``note``. Without
    it a missing dataset raises DataNotFoundError, whose message says how to provide the files. A file
    that is present but broken always raises (IDXError, ChecksumError), fallback or not.
    """
    spec = get_spec(name)
    requested = spec.name
    float_dtype = resolve_dtype(dtype)
    if data_dir is not None and not os.path.isdir(data_dir):
        raise ValueError(f"data_dir={str(data_dir)!r} is not a folder")
    try:
        arrays, source, note = _load_uint8(spec, data_dir, download, mirrors)
    except DataNotFoundError as error:
        if not fallback or spec.name == MNIST_MINI:
            raise
        mini = get_spec(MNIST_MINI)
        note = (
            f"{spec.title} was not found ({error.summary}); using {mini.name} instead "
            f"({mini.n_train:,} training and {mini.n_test:,} test digits from MNIST's test set, shipped "
            f"with trainlab). To use {spec.title}, provide its files with --data-dir or $TRAINLAB_DATA."
        )
        warnings.warn(note, DatasetFallbackWarning, stacklevel=2)
        arrays, source, _ = _load_uint8(mini, None, False, None)
        spec = mini
    x_train, y_train, x_test, y_test = arrays
    n_classes = len(spec.classes)
    return Dataset(
        name=spec.name,
        x_train=_images(x_train, normalize, flatten, float_dtype),
        y_train=_labels(y_train, one_hot_label, n_classes, float_dtype),
        x_test=_images(x_test, normalize, flatten, float_dtype),
        y_test=_labels(y_test, one_hot_label, n_classes, float_dtype),
        source=source,
        note=note,
        requested=requested,
        classes=spec.classes,
    )


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    data_dir: str | os.PathLike | None = None,
    fallback: bool = False,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The textbook's loader: ``((x_train, t_train), (x_test, t_test))`` of MNIST.

    normalize: pixels as float32 in [0, 1] (else uint8 0..255). flatten: images as 784-vectors (else
    (1, 28, 28)). one_hot_label: labels as one-hot rows (else integers). With ``fallback=True`` an
    unavailable MNIST is replaced by mnist-mini, with a warning (see :func:`load_dataset`).
    """
    dataset = load_dataset("mnist", data_dir=data_dir, normalize=normalize, flatten=flatten,
                           one_hot_label=one_hot_label, fallback=fallback)
    return dataset.as_tuples()


def mini_split(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mnist-mini's (train, test) indices into MNIST's test set: 8,000 / 2,000, stratified, no randomness.

    Each digit gets its share of the 2,000 test places (largest remainders), and its k-th of q test picks
    among its n occurrences is occurrence ``floor((k + 1/2) n / q)`` in file order. Spreading the picks
    through the file matters: MNIST's first 5,000 test digits are cleaner than its last 5,000.
    """
    return split_indices(labels, MNIST_MINI_TEST_SIZE, stratify=True, shuffle=False)


def _load_uint8(
    spec: DatasetSpec, data_dir: Any, download: bool, mirrors: Sequence[str] | None
) -> tuple[tuple[np.ndarray, ...], str, str]:
    """((x_train, y_train, x_test, y_test) as stored, source, note); DataNotFoundError if unavailable."""
    folder = find_folder(spec, data_dir)
    note = ""
    if folder is None:
        folder, note = _download(spec, data_dir, download, mirrors)
    source = f"{ORIGINS[folder.origin]} {folder.path}"
    arrays = {}
    for role, path in folder.files.items():
        try:
            arrays[role], _ = load_decoded(path, spec.files[role], decoded_dir(spec.name))
        except DataError as error:
            if folder.origin == "cache":
                raise type(error)(f"{error} (delete it to download it again)") from None
            raise
    if spec.name == MNIST_MINI:
        train, test = mini_split(arrays["labels"])
        images, labels = arrays["images"], arrays["labels"]
        return (images[train], labels[train], images[test], labels[test]), source, note
    roles = ("train_images", "train_labels", "test_images", "test_labels")
    return tuple(arrays[role] for role in roles), source, note


def _download(
    spec: DatasetSpec, data_dir: Any, download: bool, mirrors: Sequence[str] | None
) -> tuple[Folder, str]:
    """Download ``spec`` into the cache and return its folder; DataNotFoundError when that fails."""
    searched = search_folders(spec, data_dir)
    if spec.shipped:
        raise DataNotFoundError(f"{spec.name}'s files are missing from the package ({searched[0].describe()}); "
                                "reinstall trainlab")
    urls = mirrors_for(spec, mirrors)
    if not downloads_allowed(download):
        raise _not_found(spec, searched, "downloads are off (download=False or $TRAINLAB_OFFLINE)")
    if not urls:
        raise _not_found(spec, searched, "no mirrors to download from")
    target = dataset_cache_dir(spec.name)
    try:
        fetched = fetch_dataset(spec, target, urls)
    except DownloadError as error:
        first = error.failures[0] if error.failures else str(error)
        raise _not_found(spec, searched, f"download failed: {error}", f"download failed: {first}") from None
    except OSError as error:  # the cache folder cannot be created or written
        raise _not_found(spec, searched, f"cannot download into {target}: {error}") from None
    folder = find_folder(spec, data_dir)
    if folder is None:  # the cache was written, so this means it is not where it will be searched
        raise DataNotFoundError(f"{spec.title} was downloaded to {target} but is not found there")
    # name the mirrors, not every file's URL
    froms = sorted({origin.removesuffix(filename) for filename, origin in fetched.items()})
    note = f"downloaded {len(fetched)} file(s) of {spec.title} into {target} from {', '.join(froms)}"
    return folder, note if fetched else ""


def _not_found(
    spec: DatasetSpec, searched: list[Folder], failure: str, short_failure: str | None = None
) -> DataNotFoundError:
    """The error for a dataset that is neither present nor downloadable: where we looked and how to fix it."""
    files = ", ".join(file.filename for file in spec.files.values())
    looked = "; ".join(folder.describe() for folder in searched)
    summary = f"looked in {', '.join(str(folder.path) for folder in searched)}; {short_failure or failure}"
    return DataNotFoundError(
        f"{spec.title} ({spec.name}) is not available: {failure}.\n"
        f"Looked in: {looked}.\n"
        f"To use it without a network, put its files ({files}; .gz as published, or decompressed) into a "
        f"folder and pass it as data_dir=... / --data-dir, or set $TRAINLAB_DATA to it, or copy them into "
        f"{dataset_cache_dir(spec.name)}. The shipped dataset 'mnist-mini' needs no files; commands use "
        f"it when {spec.title} is missing, and load_dataset(..., fallback=True) does too.",
        summary,
    )


def _images(raw: np.ndarray, normalize: bool, flatten: bool, dtype: np.dtype) -> np.ndarray:
    """(N, 28, 28) uint8 -> (N, 784) or (N, 1, 28, 28), float in [0, 1] when ``normalize``."""
    x = raw.reshape(len(raw), -1) if flatten else raw[:, np.newaxis]
    if not normalize:
        return x
    # One pass: divide while converting (x / 255 is exact at 0 and 255, unlike x * (1 / 255)).
    return np.divide(x, dtype.type(255), dtype=dtype)


def _labels(raw: np.ndarray, as_one_hot: bool, n_classes: int, dtype: np.dtype) -> np.ndarray:
    labels = raw.astype(np.int64)
    return one_hot(labels, n_classes, dtype=dtype) if as_one_hot else labels
