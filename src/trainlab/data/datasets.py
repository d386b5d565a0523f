"""Loading MNIST, Fashion-MNIST and mnist-mini as arrays ready for a model.

``load_dataset(name)`` returns a :class:`Dataset`: the four arrays, what they are and where they
came from. It unpacks like Keras's ``load_data()``::

    (x_train, y_train), (x_test, y_test) = load_dataset("mnist")

``load_mnist`` is the textbook's loader, same arguments, same return shape.

MNIST ships inside the package (see docs/data.md), so it loads offline on any machine. A dataset
that is not shipped and not found (Fashion-MNIST without Debian's package, offline) raises
DataNotFoundError, whose message says where it looked and how to get the files
(``trainlab data download NAME``): another dataset is never substituted, because results on it would
answer another question.

mnist-mini is MNIST's 10,000-digit test set (the same shipped files, no second copy), split into
8,000 training and 2,000 test digits by a fixed rule that uses no random numbers
(:func:`mini_split`): stratified by digit, with each digit's test picks spread evenly through the
file. The split is therefore identical on every machine and NumPy version.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainlab.backend import resolve_dtype
from trainlab.data.cache import decoded_dir, load_decoded
from trainlab.data.catalog import MNIST_MINI, MNIST_MINI_TEST_SIZE, DatasetSpec, get_spec
from trainlab.data.download import download_dataset
from trainlab.data.errors import DataError
from trainlab.data.sources import ORIGINS, find_folder
from trainlab.data.splits import split_indices
from trainlab.losses import one_hot

Pair = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A dataset's arrays, and what they are and where they came from.

    ``x_*``: images, (N, 784) when flattened else (N, 1, 28, 28); float in [0, 1] when normalized,
    else uint8 0..255. ``y_*``: int64 labels (N,), or (N, 10) one-hot rows.

    It is also the pair of pairs Keras's ``load_data()`` returns:
    ``(x_train, y_train), (x_test, y_test) = dataset`` unpacks it, ``dataset[0]`` is
    ``(x_train, y_train)`` and ``len(dataset) == 2``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    """Where the files were read from, e.g.
    ``"a system dataset folder /usr/share/datasets/fashion-mnist"``."""
    note: str = ""
    """Anything a reader of the results must know (a download). Empty when nothing happened."""
    classes: tuple[str, ...] = ()

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def train(self) -> Pair:
        """``(x_train, y_train)``."""
        return self.x_train, self.y_train

    @property
    def test(self) -> Pair:
        """``(x_test, y_test)``."""
        return self.x_test, self.y_test

    def as_tuples(self) -> tuple[Pair, Pair]:
        """``((x_train, y_train), (x_test, y_test))``, the textbook's and Keras's shape."""
        return self.train, self.test

    def __iter__(self) -> Iterator[Pair]:
        return iter(self.as_tuples())

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> Pair:
        if isinstance(index, bool) or index not in (0, 1, -1, -2):
            raise IndexError(
                f"a Dataset unpacks into 2 pairs, (x_train, y_train) and (x_test, y_test); "
                f"index={index!r} is not 0 or 1"
            )
        return self.as_tuples()[index]

    def __repr__(self) -> str:
        text = (
            f"Dataset({self.name!r}: train {self.x_train.shape} {self.x_train.dtype}, "
            f"test {self.x_test.shape} {self.x_test.dtype}, from {self.source})"
        )
        return text + (f" [{self.note}]" if self.note else "")


def load_dataset(
    name: str | DatasetSpec = "mnist",
    *,
    data_dir: str | os.PathLike | None = None,
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    dtype: Any = "float32",
    download: bool = True,
    mirrors: Sequence[str] | None = None,
    fallback: bool | None = None,
) -> Dataset:
    """Load dataset ``name`` ("mnist", "fashion-mnist" or "mnist-mini").

    MNIST and mnist-mini come from the files shipped with trainlab. Other datasets are looked for in
    ``data_dir``, ``$TRAINLAB_DATA``, the user cache and system dataset folders, then downloaded
    from ``mirrors`` (default: ``$TRAINLAB_MIRRORS`` or the published ones) unless
    ``download=False`` or ``$TRAINLAB_OFFLINE`` is set; see :mod:`trainlab.data.sources`. A dataset
    that cannot be had raises DataNotFoundError, saying how to provide it; a file that is present
    but wrong raises IDXError or ChecksumError naming it.

    ``fallback`` is deprecated and ignored (it once substituted mnist-mini for a missing MNIST,
    which now ships with trainlab).
    """
    if fallback is not None:
        warnings.warn(
            "load_dataset(fallback=...) is deprecated and ignored: MNIST ships with trainlab, and a "
            "missing dataset raises DataNotFoundError instead of being replaced by mnist-mini",
            DeprecationWarning,
            stacklevel=2,
        )
    spec = get_spec(name)
    float_dtype = resolve_dtype(dtype)
    if data_dir is not None and not os.path.isdir(data_dir):
        raise ValueError(f"data_dir={str(data_dir)!r} is not a folder")
    (x_train, y_train, x_test, y_test), source, note = _load_uint8(
        spec, data_dir, download, mirrors
    )
    n_classes = len(spec.classes)
    return Dataset(
        name=spec.name,
        x_train=_images(x_train, normalize, flatten, float_dtype),
        y_train=_labels(y_train, one_hot_label, n_classes, float_dtype),
        x_test=_images(x_test, normalize, flatten, float_dtype),
        y_test=_labels(y_test, one_hot_label, n_classes, float_dtype),
        source=source,
        note=note,
        classes=spec.classes,
    )


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    data_dir: str | os.PathLike | None = None,
    fallback: bool | None = None,
) -> tuple[Pair, Pair]:
    """The textbook's loader: ``((x_train, t_train), (x_test, t_test))`` of MNIST.

    normalize: pixels as float32 in [0, 1] (else uint8 0..255). flatten: images as 784-vectors (else
    (1, 28, 28)). one_hot_label: labels as one-hot rows (else integers). ``fallback``: deprecated,
    ignored.
    """
    dataset = load_dataset(
        "mnist",
        data_dir=data_dir,
        normalize=normalize,
        flatten=flatten,
        one_hot_label=one_hot_label,
        fallback=fallback,
    )
    return dataset.as_tuples()


def mini_split(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mnist-mini's (train, test) indices into MNIST's test set: 8,000 / 2,000, stratified, no randomness.

    Each digit gets its share of the 2,000 test places (largest remainders), and its k-th of q test
    picks among its n occurrences is occurrence ``floor((k + 1/2) n / q)`` in file order. Spreading
    the picks through the file matters: MNIST's first 5,000 test digits are cleaner than its last
    5,000.
    """
    return split_indices(labels, MNIST_MINI_TEST_SIZE, stratify=True, shuffle=False)


def _load_uint8(
    spec: DatasetSpec, data_dir: Any, download: bool, mirrors: Sequence[str] | None
) -> tuple[tuple[np.ndarray, ...], str, str]:
    """((x_train, y_train, x_test, y_test) as stored, source, note); DataNotFoundError if unavailable."""
    folder = find_folder(spec, data_dir)
    note = ""
    if folder is None:
        folder, note = download_dataset(spec, data_dir, download=download, mirrors=mirrors)
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
