"""What trainlab knows about each dataset: its files, their checksums and shapes, mirrors, classes, licence.

This module is facts only; finding, checking and decoding the files happen in :mod:`.sources`,
:mod:`.checksums` and :mod:`.datasets`.

Checksums. Every file is checked by the SHA-256 of its *decompressed* IDX bytes (``sha256``). That
checksum holds however the file was compressed, or whether it was at all: the published ``.gz``, a
recompressed one (Debian's ``dataset-fashion-mnist`` and trainlab's own copy of MNIST's training set
were recompressed, so their ``.gz`` bytes differ from the published ones while the data is
identical) and the raw IDX file all pass, and any other file is refused by name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MNIST = "mnist"
FASHION_MNIST = "fashion-mnist"
MNIST_MINI = "mnist-mini"

PACKAGE_FILES = Path(__file__).with_name("files")
"""The folder of files shipped inside the package: MNIST's four files and their NOTICE."""

MNIST_MINI_TEST_SIZE = 2000
"""mnist-mini holds out 2,000 of MNIST's 10,000 test digits as its test split (see datasets.mini_split)."""


@dataclass(frozen=True)
class FileSpec:
    """One IDX file of a dataset, as published."""

    filename: str
    """The published name, e.g. ``train-images-idx3-ubyte.gz``; the decompressed name drops ``.gz``."""
    shape: tuple[int, ...]
    """The shape of the uint8 array it holds."""
    sha256: str | None = None
    """SHA-256 of the decompressed IDX bytes: what a file is checked against."""

    @property
    def raw_name(self) -> str:
        """The decompressed file's name."""
        return self.filename.removesuffix(".gz")

    @property
    def idx_bytes(self) -> int:
        """Length of the decompressed IDX file: header plus one byte per value."""
        return 4 + 4 * len(self.shape) + math.prod(self.shape)


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset of 28x28 uint8 images with integer labels, stored as IDX files."""

    name: str
    title: str
    description: str
    files: Mapping[str, FileSpec]
    """Role -> file. Roles: train_images, train_labels, test_images, test_labels (mnist-mini:
    images, labels)."""
    classes: tuple[str, ...]
    n_train: int
    n_test: int
    attribution: str
    licence: str
    mirrors: tuple[str, ...] = ()
    """Base URLs the files can be downloaded from, tried in order."""
    system_name: str | None = None
    """The folder name under system dataset folders (/usr/share/datasets/NAME); None: not packaged."""
    shipped: bool = False
    """True when the files come with trainlab itself (in :data:`PACKAGE_FILES`)."""
    debian_package: str | None = None
    """The Debian package that installs the files under /usr/share/datasets, if there is one."""

    @property
    def image_shape(self) -> tuple[int, int]:
        """(height, width) of one image."""
        images = self.files.get("train_images") or self.files["images"]
        return images.shape[1], images.shape[2]


MNIST_TEST_IMAGES = FileSpec(
    "t10k-images-idx3-ubyte.gz",
    (10000, 28, 28),
    sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
)
MNIST_TEST_LABELS = FileSpec(
    "t10k-labels-idx1-ubyte.gz",
    (10000,),
    sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
)
MNIST_ATTRIBUTION = "Yann LeCun, Corinna Cortes, Christopher J.C. Burges"
DIGITS = tuple(str(digit) for digit in range(10))

DATASETS: dict[str, DatasetSpec] = {
    MNIST: DatasetSpec(
        name=MNIST,
        title="MNIST",
        description="handwritten digits 0-9, 28x28 grey levels",
        files={
            "train_images": FileSpec(
                "train-images-idx3-ubyte.gz",
                (60000, 28, 28),
                sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            ),
            "train_labels": FileSpec(
                "train-labels-idx1-ubyte.gz",
                (60000,),
                sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            ),
            "test_images": MNIST_TEST_IMAGES,
            "test_labels": MNIST_TEST_LABELS,
        },
        classes=DIGITS,
        n_train=60000,
        n_test=10000,
        attribution=MNIST_ATTRIBUTION,
        licence="CC BY-SA 3.0",
        shipped=True,
    ),
    FASHION_MNIST: DatasetSpec(
        name=FASHION_MNIST,
        title="Fashion-MNIST",
        description="Zalando article images in 10 classes, 28x28 grey levels",
        files={
            "train_images": FileSpec(
                "train-images-idx3-ubyte.gz",
                (60000, 28, 28),
                sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ),
            "train_labels": FileSpec(
                "train-labels-idx1-ubyte.gz",
                (60000,),
                sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ),
            "test_images": FileSpec(
                "t10k-images-idx3-ubyte.gz",
                (10000, 28, 28),
                sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ),
            "test_labels": FileSpec(
                "t10k-labels-idx1-ubyte.gz",
                (10000,),
                sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        },
        classes=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        n_train=60000,
        n_test=10000,
        attribution="Han Xiao, Kashif Rasul, Roland Vollgraf (Zalando Research), arXiv:1708.07747",
        licence="MIT",
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        system_name="fashion-mnist",
        debian_package="dataset-fashion-mnist",
    ),
    MNIST_MINI: DatasetSpec(
        name=MNIST_MINI,
        title="mnist-mini",
        description=(
            "MNIST's 10,000 test digits split 8,000 train / 2,000 test: small, for quick "
            "runs and tests"
        ),
        files={"images": MNIST_TEST_IMAGES, "labels": MNIST_TEST_LABELS},
        classes=DIGITS,
        n_train=10000 - MNIST_MINI_TEST_SIZE,
        n_test=MNIST_MINI_TEST_SIZE,
        attribution=MNIST_ATTRIBUTION,
        licence="CC BY-SA 3.0",
        shipped=True,
    ),
}
"""Every dataset trainlab can load, by name."""


def get_spec(name: str | DatasetSpec) -> DatasetSpec:
    """The spec of dataset ``name`` (a spec passes through); ValueError listing the names if unknown."""
    if isinstance(name, DatasetSpec):
        return name
    if not isinstance(name, str):
        raise TypeError(
            f"dataset must be a name (str) or a DatasetSpec, got {name!r} ({type(name).__name__})"
        )
    key = name.strip().lower().replace("_", "-")
    if key not in DATASETS:
        raise ValueError(
            f"dataset={name!r} is not known; choose one of {', '.join(map(repr, DATASETS))}"
        )
    return DATASETS[key]
