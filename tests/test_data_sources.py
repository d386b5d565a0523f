"""Where files come from: the folders and environment variables, and downloads from a local HTTP
mirror (success, 404, bad checksum, connection refused, retries), with atomic writes into the
cache."""

import os
import stat
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from data_helpers import (
    NAMES,
    closed_port,
    http_mirror,
    isolate,
    leftovers,
    toy_arrays,
    toy_spec,
    write_files,
)

from trainlab.data import ChecksumError, DataNotFoundError, DownloadError, cache_root, load_dataset
from trainlab.data.catalog import DATASETS, DatasetSpec
from trainlab.data.download import download_file, file_url
from trainlab.data.files_io import atomic_writer, human_size
from trainlab.data.sources import downloads_allowed, mirrors_for, search_folders, system_dirs


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


@pytest.fixture
def toy(tmp_path):
    """A toy dataset's arrays, its spec (with checksums), and a mirror folder holding its .gz files."""
    arrays = toy_arrays()
    return arrays, toy_spec(arrays), write_files(tmp_path / "mirror", arrays)


# Folders and environment variables.


def test_cache_root_precedence(monkeypatch, tmp_path):
    assert cache_root() == tmp_path / "cache"
    monkeypatch.delenv("TRAINLAB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "trainlab"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "trainlab"


def test_folders_are_searched_in_the_documented_order(monkeypatch, tmp_path):
    monkeypatch.setenv("TRAINLAB_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("TRAINLAB_SYSTEM_DATA", f"{tmp_path / 's1'}:{tmp_path / 's2'}")
    folders = search_folders(DATASETS["fashion-mnist"], data_dir=tmp_path / "given")
    assert [(f.origin, f.path) for f in folders] == [
        ("data_dir", tmp_path / "given"),
        ("env", tmp_path / "env"),
        ("cache", tmp_path / "cache" / "fashion-mnist"),
        ("system", tmp_path / "s1" / "fashion-mnist"),
        ("system", tmp_path / "s2" / "fashion-mnist"),
    ]
    assert not any(f.complete for f in folders)
    assert (
        folders[0].describe()
        == f"the data_dir argument (--data-dir) {tmp_path / 'given'}: no such folder"
    )
    assert [f.origin for f in search_folders(DATASETS["mnist"])] == ["env", "package"]
    assert [f.origin for f in search_folders(DATASETS["mnist-mini"], tmp_path)] == [
        "data_dir",
        "env",
        "package",
    ]


def test_system_dirs_default_and_override(monkeypatch):
    monkeypatch.delenv("TRAINLAB_SYSTEM_DATA")
    assert system_dirs() == [Path("/usr/share/datasets"), Path("/usr/local/share/datasets")]
    monkeypatch.setenv("TRAINLAB_SYSTEM_DATA", "")
    assert system_dirs() == []


def test_mirrors_argument_env_and_name_substitution(monkeypatch):
    spec = DATASETS["fashion-mnist"]
    monkeypatch.delenv("TRAINLAB_MIRRORS")
    assert mirrors_for(spec) == list(spec.mirrors)
    monkeypatch.setenv("TRAINLAB_MIRRORS", "http://a/{name}/  http://b/")
    assert mirrors_for(spec) == ["http://a/fashion-mnist/", "http://b/"]
    assert mirrors_for(spec, ["http://c"]) == ["http://c"]
    assert file_url("http://c", "x.gz") == "http://c/x.gz"
    assert file_url("http://c/x.gz", "x.gz") == "http://c/x.gz"


@pytest.mark.parametrize(
    ("value", "allowed"), [("", True), ("0", True), ("no", True), ("1", False), ("yes", False)]
)
def test_offline_variable(monkeypatch, value, allowed):
    monkeypatch.setenv("TRAINLAB_OFFLINE", value)
    assert downloads_allowed() is allowed
    assert downloads_allowed(False) is False


def test_the_published_mirrors_are_https_or_known_hosts():
    for spec in DATASETS.values():
        assert all(url.startswith(("https://", "http://")) for url in spec.mirrors)
    assert DATASETS["fashion-mnist"].mirrors
    assert not DATASETS["mnist"].mirrors and not DATASETS["mnist-mini"].mirrors  # shipped


# Atomic writes.


def test_atomic_writer_leaves_nothing_when_the_check_fails(tmp_path):
    target = tmp_path / "out" / "file.bin"

    def refuse(path):
        assert path.read_bytes() == b"payload"
        raise ChecksumError("bad")

    with pytest.raises(ChecksumError), atomic_writer(target, check=refuse) as file:
        file.write(b"payload")
    assert not target.exists()
    assert leftovers(tmp_path) == []
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_writer(target) as file:
        file.write(b"half")
        raise RuntimeError("crash while writing")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_human_size():
    assert [human_size(n) for n in (0, 999, 1000, 1_653_419, 26_421_856, 5 * 10**9)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "1.7 MB",
        "26.4 MB",
        "5.0 GB",
    ]


# Downloads from a local HTTP server on 127.0.0.1.


def test_download_success_fills_the_cache_and_the_next_load_uses_it(toy, tmp_path, capfd):
    arrays, spec, mirror = toy
    with http_mirror(mirror) as (url, state):
        data = load_dataset(spec, mirrors=[url])
        assert sorted(state["requests"]) == sorted(f"/{f.filename}" for f in spec.files.values())
        again = load_dataset(spec, mirrors=[url])
        assert len(state["requests"]) == 4  # the second load asked the mirror nothing
    cache = tmp_path / "cache" / "toy"
    assert data.source == f"the user cache {cache}" == again.source
    assert data.note == f"downloaded 4 file(s) of TOY into {cache} from {url}"
    assert again.note == ""
    for role in ("train_labels", "test_labels"):
        np.testing.assert_array_equal(getattr(data, "y_" + role.split("_")[0]), arrays[role])
    assert sorted(p.name for p in cache.glob("*.gz")) == sorted(
        f.filename for f in spec.files.values()
    )
    assert leftovers(tmp_path) == []
    assert (
        capfd.readouterr().err == ""
    )  # the progress bar stays quiet when stderr is not a terminal


def test_mirrors_from_the_environment(toy, monkeypatch):
    arrays, spec, mirror = toy
    with http_mirror(mirror.parent) as (url, _):
        monkeypatch.setenv("TRAINLAB_MIRRORS", f"http://127.0.0.1:{closed_port()}/ {url}{{name}}/")
        spec = DatasetSpec(**{**spec.__dict__, "name": "mirror"})  # served from /mirror/
        data = load_dataset(spec)
    np.testing.assert_array_equal(data.y_test, arrays["test_labels"])


def test_404_moves_on_to_the_next_mirror(toy, tmp_path):
    _, spec, mirror = toy
    empty = tmp_path / "empty"
    empty.mkdir()
    with http_mirror(empty) as (missing, _), http_mirror(mirror) as (good, state):
        data = load_dataset(spec, mirrors=[missing, good])
    assert len(state["requests"]) == 4
    assert data.name == "toy"


def test_404_everywhere_is_a_clear_error_and_leaves_no_file(toy, tmp_path):
    _, spec, _ = toy
    empty = tmp_path / "empty"
    empty.mkdir()
    file = spec.files["train_images"]
    with http_mirror(empty) as (url, state):
        with pytest.raises(DownloadError) as error:
            download_file(file, tmp_path / "cache" / "toy" / file.filename, [url], backoff=0)
        assert len(state["requests"]) == 1  # a 404 is an answer, not worth retrying
    assert str(error.value) == (
        f"could not download {file.filename}: {url}{file.filename}: HTTP 404 File not found"
    )
    assert not (tmp_path / "cache" / "toy" / file.filename).exists()
    assert leftovers(tmp_path) == []


def test_bad_checksum_is_refused_and_not_left_in_the_cache(toy, tmp_path):
    _, spec, mirror = toy
    write_files(
        mirror, toy_arrays(seed=99), roles=("train_images",)
    )  # the mirror serves another file
    with http_mirror(mirror) as (url, _), pytest.raises(DataNotFoundError) as error:
        load_dataset(spec, mirrors=[url])
    assert (
        f"{url}train-images-idx3-ubyte.gz: corrupt download: wrong checksum: SHA-256 of the decompressed "
        f"contents is "
    ) in str(error.value)
    cache = tmp_path / "cache" / "toy"
    assert not (cache / "train-images-idx3-ubyte.gz").exists()
    assert leftovers(tmp_path) == []


def test_truncated_download_is_refused(toy, tmp_path):
    _, spec, mirror = toy
    path = mirror / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    file = spec.files["train_labels"]
    with (
        http_mirror(mirror) as (url, _),
        pytest.raises(DownloadError, match="corrupt download: truncated"),
    ):
        download_file(file, tmp_path / "cache" / file.filename, [url], backoff=0)
    assert not (tmp_path / "cache" / file.filename).exists()
    assert leftovers(tmp_path) == []


def test_connection_refused_is_quick_and_clear(toy, tmp_path):
    _, spec, _ = toy
    dead = f"http://127.0.0.1:{closed_port()}/"
    start = time.perf_counter()
    with pytest.raises(DataNotFoundError) as error:
        load_dataset(spec, mirrors=[dead])
    assert time.perf_counter() - start < 2  # refused is definite: no retries, no back-off
    assert f"{dead}train-images-idx3-ubyte.gz: connection refused" in str(error.value)
    assert not (tmp_path / "cache" / "toy").exists() or not list(
        (tmp_path / "cache" / "toy").iterdir()
    )


def test_an_unreachable_mirror_is_not_asked_again(toy, tmp_path):
    _, spec, mirror = toy
    dead = f"http://127.0.0.1:{closed_port()}/"
    unreachable = set()
    with http_mirror(mirror) as (url, _):
        for file in list(spec.files.values())[:2]:
            download_file(
                file,
                tmp_path / "out" / file.filename,
                [dead, url],
                backoff=0,
                unreachable=unreachable,
            )
    assert unreachable == {dead}


def test_transient_errors_are_retried(toy, tmp_path):
    _, spec, mirror = toy
    file = spec.files["test_labels"]
    with http_mirror(mirror, fail=2) as (url, state):
        assert (
            download_file(file, tmp_path / "out" / file.filename, [url], retries=2, backoff=0)
            == url + file.filename
        )
        assert len(state["requests"]) == 3
    with (
        http_mirror(mirror, fail=5) as (url, state),
        pytest.raises(DownloadError, match="HTTP 503 .*3 attempts"),
    ):
        download_file(file, tmp_path / "out2" / file.filename, [url], retries=2, backoff=0)
    assert leftovers(tmp_path) == []


def test_fashion_mnist_download_reports_each_mirror(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with http_mirror(empty) as (url, _), pytest.raises(DataNotFoundError) as error:
        load_dataset("fashion-mnist", mirrors=[url])
    assert f"{url}train-images-idx3-ubyte.gz: HTTP 404" in str(error.value)


def test_concurrent_first_downloads_of_one_dataset_all_succeed(toy, tmp_path):
    """Issue 22, N5: two processes loading a dataset nobody downloaded yet
    (`trainlab run A B --jobs 2`) shared one staging file; one of them failed with "No such file".
    Each attempt now stages in a folder of its own."""
    arrays, spec, mirror = toy
    loaders = 4
    start, results = threading.Barrier(loaders), []

    def load():
        start.wait()
        try:
            results.append(load_dataset(spec, mirrors=[url]).y_test)
        except Exception as error:  # collected, asserted below
            results.append(error)

    with http_mirror(mirror, delay=0.05) as (url, state):  # slow answers: the downloads overlap
        threads = [threading.Thread(target=load) for _ in range(loaders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(state["requests"]) > 4  # several of them downloaded
    for result in results:
        assert not isinstance(result, Exception), result
        np.testing.assert_array_equal(result, arrays["test_labels"])
    cache = tmp_path / "cache" / "toy"
    assert sorted(p.name for p in cache.iterdir() if p.name != "decoded") == sorted(NAMES.values())
    assert leftovers(tmp_path) == []


def test_downloaded_files_keep_the_umask(toy, tmp_path):
    _, spec, mirror = toy
    old = os.umask(0o022)
    try:
        with http_mirror(mirror) as (url, _):
            load_dataset(spec, mirrors=[url])
    finally:
        os.umask(old)
    for path in (tmp_path / "cache" / "toy").glob("*.gz"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name
