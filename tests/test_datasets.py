"""Loading datasets: the shipped MNIST and mnist-mini derived from it, the checks of decompressed
bytes, the search order, the decoded cache, a missing dataset, Keras's unpacking, the textbook
loader, and Fashion-MNIST from Debian where it is installed."""

import gzip
import hashlib
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from data_helpers import isolate, toy_arrays, toy_spec, write_files

from trainlab.data import (
    ChecksumError,
    DataNotFoundError,
    IDXError,
    load_dataset,
    load_mnist,
    mini_split,
    read_idx,
)
from trainlab.data.catalog import DATASETS, PACKAGE_FILES
from trainlab.data.checksums import decode_verified

# MNIST's label counts, as published (digits 0..9).
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
# decompressed file: (bytes, SHA-256 of the decompressed bytes), from ../shared/data/README.md,
# written out here rather than read from the catalog so that a wrong catalog entry cannot pass its
# own test.
MNIST = {
    "train-images-idx3-ubyte": (
        47040016,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train-labels-idx1-ubyte": (
        60008,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "t10k-images-idx3-ubyte": (
        7840016,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "t10k-labels-idx1-ubyte": (
        10008,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def mini():
    return load_dataset("mnist-mini")


# mnist-mini


def test_the_shipped_files_are_the_published_mnist():
    for name, (size, digest) in MNIST.items():
        data = gzip.decompress((PACKAGE_FILES / f"{name}.gz").read_bytes())
        assert len(data) == size, name
        assert hashlib.sha256(data).hexdigest() == digest, name
    assert (
        np.bincount(read_idx(PACKAGE_FILES / "train-labels-idx1-ubyte.gz")).tolist()
        == MNIST_TRAIN_COUNTS
    )
    assert (
        np.bincount(read_idx(PACKAGE_FILES / "t10k-labels-idx1-ubyte.gz")).tolist()
        == MNIST_TEST_COUNTS
    )
    assert (PACKAGE_FILES / "NOTICE").read_text().count("CC BY-SA 3.0") >= 1


def test_the_package_data_carries_every_shipped_file_into_the_wheel():
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["trainlab.data"]
    package = PACKAGE_FILES.parent
    carried = {path for pattern in patterns for path in package.glob(pattern)}
    assert carried == {*PACKAGE_FILES.glob("*.gz"), PACKAGE_FILES / "NOTICE"}
    assert len(carried) == 5


def test_mnist_loads_offline_from_the_package_into_a_fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINLAB_OFFLINE", "1")
    data = load_dataset("mnist")
    assert data.name == "mnist" and data.note == ""
    assert data.source == f"the files shipped with trainlab {PACKAGE_FILES}"
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert (
        data.x_train.dtype == np.float32 and data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    )
    assert np.bincount(data.y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(data.y_test).tolist() == MNIST_TEST_COUNTS
    assert len(decoded_entries(tmp_path, "mnist")) == 4  # the next load reads decoded arrays
    again = load_dataset("mnist", normalize=False)
    np.testing.assert_array_equal(again.x_test, np.round(data.x_test * 255).astype(np.uint8))


def test_mnist_mini_is_10000_real_digits_split_8000_2000(mini):
    assert mini.name == "mnist-mini"
    assert mini.note == ""
    assert "shipped with trainlab" in mini.source
    assert mini.x_train.shape == (8000, 784)
    assert mini.x_test.shape == (2000, 784)
    assert mini.x_train.dtype == np.float32
    assert mini.y_train.dtype == np.int64
    assert mini.x_train.min() == 0.0
    assert mini.x_train.max() == 1.0
    all_counts = np.bincount(mini.y_train, minlength=10) + np.bincount(mini.y_test, minlength=10)
    assert all_counts.tolist() == MNIST_TEST_COUNTS
    assert mini.classes == tuple("0123456789")


def test_mnist_mini_split_is_stratified_and_fixed(mini):
    # each digit's share of the 2,000 test digits is its share of the 10,000 (largest remainders)
    assert np.bincount(mini.y_test).tolist() == [196, 227, 206, 202, 196, 178, 192, 206, 195, 202]
    labels = read_idx(PACKAGE_FILES / "t10k-labels-idx1-ubyte.gz")
    train, test = mini_split(labels)
    assert len(np.intersect1d(train, test)) == 0
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(10000))
    # test picks are spread over the file: MNIST's cleaner first half and harder second half alike
    assert abs(np.sum(test < 5000) - 1000) < 20
    # the rule uses no random numbers: these values pin it on every machine and NumPy version
    assert test[:8].tolist() == [12, 13, 14, 19, 22, 23, 26, 32]
    assert hashlib.sha256(test.astype("<i8").tobytes()).hexdigest()[:16] == PINNED_TEST_DIGEST
    images = read_idx(PACKAGE_FILES / "t10k-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(mini.x_test[5], images[test[5]].reshape(784) / np.float32(255))


PINNED_TEST_DIGEST = "79339d8ab0b25cdf"


def test_loader_options(mini):
    raw = load_dataset("mnist-mini", normalize=False, flatten=False)
    assert raw.x_train.shape == (8000, 1, 28, 28)
    assert raw.x_train.dtype == np.uint8
    assert raw.x_train.max() == 255
    np.testing.assert_array_equal(raw.x_train.reshape(8000, 784) / np.float32(255), mini.x_train)
    hot = load_dataset("mnist-mini", one_hot_label=True, dtype="float64")
    assert hot.x_test.dtype == np.float64
    assert hot.y_train.shape == (8000, 10)
    assert np.array_equal(hot.y_train.argmax(axis=1), mini.y_train)
    assert np.all(hot.y_train.sum(axis=1) == 1)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="dataset='cifar' is not known; choose one of 'mnist'"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="data_dir=.* is not a folder"):
        load_dataset("mnist", data_dir=tmp_path / "nowhere")
    with pytest.raises(ValueError, match="dtype"):
        load_dataset("mnist-mini", dtype="int8")


# The search order and the checks.


def test_search_order_data_dir_env_cache_system(tmp_path, monkeypatch):
    places = {
        "data_dir": tmp_path / "given",
        "env": tmp_path / "env",
        "cache": tmp_path / "cache" / "toy",
        "system": tmp_path / "system" / "toy",
    }
    spec = None
    for label, folder in enumerate(places.values(), 1):
        arrays = toy_arrays(label=label)
        spec = toy_spec(arrays, checksums=False)
        write_files(folder, arrays)
    monkeypatch.setenv("TRAINLAB_DATA", str(places["env"]))
    expected = [
        ("data_dir argument", 1),
        ("TRAINLAB_DATA", 2),
        ("user cache", 3),
        ("system dataset", 4),
    ]
    for (origin, folder), (words, label) in zip(places.items(), expected, strict=True):
        data = load_dataset(spec, data_dir=places["data_dir"] if origin == "data_dir" else None)
        assert words in data.source and str(folder) in data.source
        assert set(data.y_train.tolist()) == {label}
        if origin == "data_dir":
            continue
        shutil.rmtree(folder)  # the next place takes over


def test_a_folder_may_hold_a_subfolder_per_dataset(tmp_path):
    arrays = toy_arrays()
    spec = toy_spec(arrays)
    write_files(tmp_path / "root" / "toy", arrays)
    data = load_dataset(spec, data_dir=tmp_path / "root")
    assert str(tmp_path / "root" / "toy") in data.source
    np.testing.assert_array_equal(data.y_test, arrays["test_labels"])


def test_decompressed_files_are_found_and_incomplete_folders_skipped(tmp_path):
    arrays = toy_arrays()
    spec = toy_spec(arrays)
    write_files(tmp_path / "raw", arrays, compress=False)
    write_files(tmp_path / "partial", arrays, roles=("train_images", "train_labels", "test_images"))
    data = load_dataset(spec, data_dir=tmp_path / "raw")
    np.testing.assert_array_equal(
        data.x_train, arrays["train_images"].reshape(-1, 784) / np.float32(255)
    )
    with pytest.raises(DataNotFoundError, match="partial: 3 of 4 files"):
        load_dataset(spec, data_dir=tmp_path / "partial", download=False)


def test_a_wrong_file_raises_naming_it(tmp_path):
    arrays = toy_arrays()
    spec = toy_spec(arrays)
    folder = write_files(tmp_path / "d", arrays)
    other = toy_arrays(seed=1)
    write_files(folder, other, roles=("test_images",))
    with pytest.raises(ChecksumError) as error:
        load_dataset(spec, data_dir=folder)
    assert str(error.value).startswith(f"{folder / 't10k-images-idx3-ubyte.gz'}: wrong checksum")
    cut = folder / "train-labels-idx1-ubyte.gz"
    cut.write_bytes(cut.read_bytes()[:-9])
    with pytest.raises(IDXError, match=f"^{cut}: truncated"):
        load_dataset(spec, data_dir=folder)


def mnist_forms(name: str) -> dict[str, bytes]:
    """Faithful copies of MNIST file ``name`` in three forms, and a corrupted one."""
    shipped = (PACKAGE_FILES / f"{name}.gz").read_bytes()
    raw = gzip.decompress(shipped)
    corrupted = bytearray(raw)
    corrupted[len(raw) // 2] ^= (
        0x01  # one bit of one pixel (or label): structure intact, contents not
    )
    return {
        "shipped .gz": shipped,
        "recompressed .gz": gzip.compress(raw, compresslevel=1, mtime=0),
        "raw IDX": raw,
        "corrupted": gzip.compress(bytes(corrupted), compresslevel=1, mtime=0),
    }


@pytest.mark.parametrize("name", list(MNIST))
def test_any_faithful_copy_of_an_mnist_file_is_accepted_and_a_corrupted_one_refused_by_name(
    name, tmp_path
):
    spec = next(file for file in DATASETS["mnist"].files.values() if file.raw_name == name)
    forms = mnist_forms(name)
    assert forms["recompressed .gz"] != forms["shipped .gz"]
    decoded = {}
    for form, data in forms.items():
        path = tmp_path / form.replace(" ", "-") / (name if form == "raw IDX" else f"{name}.gz")
        path.parent.mkdir()
        path.write_bytes(data)
        if form == "corrupted":
            with pytest.raises(ChecksumError) as error:
                decode_verified(path, spec)
            assert str(error.value).startswith(
                f"{path}: wrong checksum: SHA-256 of the decompressed contents"
            )
        else:
            decoded[form], how = decode_verified(path, spec)
            assert how == "SHA-256 of the contents"
    assert all(np.array_equal(array, decoded["raw IDX"]) for array in decoded.values())


def test_the_shipped_test_files_are_the_published_gz_and_the_training_files_recompressed():
    published_md5 = {  # from ../shared/data/README.md
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    for name, md5 in published_md5.items():
        found = hashlib.md5((PACKAGE_FILES / name).read_bytes()).hexdigest()
        assert (found == md5) == name.startswith("t10k"), name


def test_a_file_of_the_wrong_shape_is_refused(tmp_path):
    arrays = toy_arrays()
    spec = toy_spec(arrays, checksums=False)
    folder = write_files(tmp_path / "d", toy_arrays(n_train=61))
    with pytest.raises(
        ChecksumError, match=r"train-images-idx3-ubyte.gz: wrong shape: holds uint8 \(61, 28, 28\)"
    ):
        load_dataset(spec, data_dir=folder)


def test_a_corrupt_file_in_the_cache_says_to_delete_it(tmp_path):
    arrays = toy_arrays()
    spec = toy_spec(arrays)
    folder = write_files(tmp_path / "cache" / "toy", arrays)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(IDXError, match="delete it to download it again"):
        load_dataset(spec)


# The decoded cache.


def decoded_entries(tmp_path, name="toy"):
    return sorted(p.name for p in (tmp_path / "cache" / name / "decoded").glob("*.npy"))


def test_decoded_arrays_are_cached_and_invalidated_when_the_source_changes(tmp_path):
    arrays = toy_arrays()
    spec = toy_spec(arrays, checksums=False)
    folder = write_files(tmp_path / "d", arrays)
    first = load_dataset(spec, data_dir=folder)
    entries = decoded_entries(tmp_path)
    assert len(entries) == 4
    assert all(
        name.split(".")[0]
        in {
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        }
        for name in entries
    )
    second = load_dataset(spec, data_dir=folder)
    assert decoded_entries(tmp_path) == entries
    np.testing.assert_array_equal(first.x_train, second.x_train)
    # replace the test labels: the cache entry of that file is replaced, the others stay
    changed = toy_arrays(label=7)
    write_files(folder, changed, roles=("test_labels",))
    os.utime(folder / "t10k-labels-idx1-ubyte.gz", ns=(1, 1))
    third = load_dataset(spec, data_dir=folder)
    assert set(third.y_test.tolist()) == {7}
    now = decoded_entries(tmp_path)
    assert len(now) == 4
    assert len(set(now) - set(entries)) == 1


def test_an_unreadable_cache_entry_is_decoded_again(tmp_path):
    arrays = toy_arrays()
    spec = toy_spec(arrays)
    folder = write_files(tmp_path / "d", arrays)
    load_dataset(spec, data_dir=folder)
    for entry in (tmp_path / "cache" / "toy" / "decoded").glob("*.npy"):
        entry.write_bytes(b"not an npy file")
    data = load_dataset(spec, data_dir=folder)
    np.testing.assert_array_equal(data.y_train, arrays["train_labels"])


def test_mnist_mini_is_mnist_test_set_split(mini):
    mnist = load_dataset("mnist")
    train, test = mini_split(mnist.y_test)
    np.testing.assert_array_equal(mini.x_train, mnist.x_test[train])
    np.testing.assert_array_equal(mini.y_test, mnist.y_test[test])
    assert sorted(p.name for p in PACKAGE_FILES.glob("*.gz")) == sorted(
        f"{name}.gz" for name in MNIST
    )


# A dataset that is missing: a clear error, never a substitute.


def test_fallback_is_deprecated_and_substitutes_nothing(tmp_path):
    with pytest.warns(
        DeprecationWarning, match=r"load_dataset\(fallback=\.\.\.\) is deprecated and ignored"
    ):
        data = load_dataset("mnist-mini", fallback=True)
    assert data.name == "mnist-mini"
    with pytest.warns(DeprecationWarning), pytest.raises(DataNotFoundError, match="Fashion-MNIST"):
        load_dataset("fashion-mnist", fallback=True, download=False)


def test_a_missing_dataset_raises_how_to_provide_it(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataNotFoundError) as error:
            load_dataset("fashion-mnist")
    message = str(error.value)
    assert message.startswith(
        "Fashion-MNIST (fashion-mnist) is not available: download failed: could not "
        "download train-images-idx3-ubyte.gz"
    )
    assert "connection refused" in message
    for hint in (
        "--data-dir",
        "$TRAINLAB_DATA",
        str(tmp_path / "cache" / "fashion-mnist"),
        "train-labels-idx1-ubyte.gz",
        "trainlab data download fashion-mnist",
        "apt-get install dataset-fashion-mnist",
    ):
        assert hint in message
    assert isinstance(error.value, FileNotFoundError)


def test_offline_switch(monkeypatch):
    monkeypatch.setenv("TRAINLAB_OFFLINE", "1")
    with pytest.raises(
        DataNotFoundError, match=r"downloads are off \(download=False or \$TRAINLAB_OFFLINE\)"
    ):
        load_dataset("fashion-mnist")


# Keras's habit and the textbook loader.


def test_a_dataset_unpacks_like_keras_load_data_and_keeps_its_names(mini):
    (x_train, y_train), (x_test, y_test) = mini
    assert x_train is mini.x_train and y_train is mini.y_train
    assert x_test is mini.x_test and y_test is mini.y_test
    assert len(mini) == 2
    assert mini[0] == mini.train and mini[1] == mini.test and mini[-1] == mini.test
    assert mini.train[0] is mini.x_train and mini.test[1] is mini.y_test
    assert mini.as_tuples() == tuple(mini)
    assert mini.name == "mnist-mini" and "mnist-mini" in repr(mini)
    with pytest.raises(IndexError, match="index=2 is not 0 or 1"):
        mini[2]


def test_load_mnist_from_a_data_dir_of_decompressed_files(tmp_path):
    """A data_dir is searched before the package; raw IDX files pass the SHA-256 of decompressed bytes."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in MNIST:
        (folder / name).write_bytes(gzip.decompress((PACKAGE_FILES / f"{name}.gz").read_bytes()))
    data = load_dataset("mnist", data_dir=folder)
    assert data.source == f"the data_dir argument (--data-dir) {folder}"
    (x_train, t_train), (x_test, t_test) = load_mnist(data_dir=folder)
    assert (
        x_train.shape == (60000, 784)
        and x_train.dtype == np.float32
        and x_test.shape == (10000, 784)
    )
    assert np.bincount(t_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(t_test).tolist() == MNIST_TEST_COUNTS
    (x_train, _), (_, t_test) = load_mnist(normalize=False, flatten=False, one_hot_label=True)
    assert x_train.shape == (60000, 1, 28, 28) and x_train.dtype == np.uint8
    assert t_test.shape == (10000, 10)


# Fashion-MNIST from Debian's dataset-fashion-mnist (scripts/setup.sh installs it in CI).

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION = {  # decompressed file: (bytes, SHA-256), from ../shared/data/README.md
    "train-images-idx3-ubyte": (
        47040016,
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train-labels-idx1-ubyte": (
        60008,
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "t10k-images-idx3-ubyte": (
        7840016,
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "t10k-labels-idx1-ubyte": (
        10008,
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}
needs_fashion = pytest.mark.skipif(
    not all((FASHION_DIR / f"{name}.gz").is_file() for name in FASHION),
    reason=f"Fashion-MNIST is not installed in {FASHION_DIR} (apt-get install dataset-fashion-mnist; "
    "scripts/setup.sh does it when run as root)",
)


@needs_fashion
def test_debian_fashion_mnist_files_are_the_dataset():
    for name, (size, digest) in FASHION.items():
        data = gzip.decompress((FASHION_DIR / f"{name}.gz").read_bytes())
        assert len(data) == size, name
        assert hashlib.sha256(data).hexdigest() == digest, name


@needs_fashion
def test_fashion_mnist_is_found_in_the_system_folder_and_loads(monkeypatch, tmp_path):
    monkeypatch.delenv("TRAINLAB_SYSTEM_DATA")
    data = load_dataset("fashion-mnist")
    assert data.name == "fashion-mnist" and data.note == ""
    assert data.source == f"a system dataset folder {FASHION_DIR}"
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert data.x_train.dtype == np.float32
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert np.bincount(data.y_train).tolist() == [6000] * 10
    assert np.bincount(data.y_test).tolist() == [1000] * 10
    assert data.classes[0] == "T-shirt/top" and data.classes[9] == "Ankle boot"
    assert len(decoded_entries(tmp_path, "fashion-mnist")) == 4
    again = load_dataset("fashion-mnist", flatten=False)  # from the decoded cache
    np.testing.assert_array_equal(again.x_test.reshape(10000, 784), data.x_test)
