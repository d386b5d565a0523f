"""`trainlab data list | info NAME | path NAME`, run through trainlab.cli.main."""

import pytest
from data_helpers import http_mirror, isolate, leftovers, toy_arrays, toy_spec, write_files

from trainlab.cli import main
from trainlab.data.catalog import DATASETS, PACKAGE_FILES


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


def run(capsys, *argv):
    code = main(["data", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_dataset_with_counts_and_where(capsys, tmp_path):
    code, out, _ = run(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["dataset", "train", "test", "size", "where"]
    rows = {line.split()[0]: line for line in lines[1:4]}
    assert set(rows) == {"mnist", "fashion-mnist", "mnist-mini"}
    assert rows["mnist-mini"].split()[1:5] == ["8,000", "2,000", "1.7", "MB"]
    assert f"{PACKAGE_FILES} (the files shipped with trainlab)" in rows["mnist-mini"]
    assert rows["mnist"].split()[1:5] == ["60,000", "10,000", "11.4", "MB"]
    assert f"{PACKAGE_FILES} (the files shipped with trainlab)" in rows["mnist"]
    assert "not found; a load would download it" in rows["fashion-mnist"]
    assert f"cache: {tmp_path / 'cache'}" in out


def test_list_with_a_data_dir_and_the_offline_switch(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINLAB_OFFLINE", "1")
    folder = write_files(tmp_path / "d" / "mnist", toy_arrays(n_train=30, n_test=12))
    code, out, _ = run(capsys, "list", "--data-dir", str(tmp_path / "d"))
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()[1:4]}
    assert rows["mnist"].split()[1:3] == ["30", "12"]  # counts from the files' headers
    assert f"{folder} (the data_dir argument (--data-dir))" in rows["mnist"]
    assert "not found; downloads off" in rows["fashion-mnist"]


def test_info_of_mnist_mini(capsys):
    code, out, _ = run(capsys, "info", "mnist-mini")
    assert code == 0
    assert out.startswith("mnist-mini: mnist-mini, MNIST's 10,000 test digits")
    assert "8,000 train / 2,000 test, 28x28 uint8 images, 10 classes" in out
    assert "Yann LeCun, Corinna Cortes, Christopher J.C. Burges; licence CC BY-SA 3.0" in out
    assert "t10k-images-idx3-ubyte.gz  1.6 MB  (10000, 28, 28)" in out
    assert f"1. the files shipped with trainlab {PACKAGE_FILES}: all files" in out


def test_info_verify(capsys):
    code, out, _ = run(capsys, "info", "mnist-mini", "--verify")
    assert code == 0
    assert out.count("ok: SHA-256 of the contents") == 2


def test_info_lists_the_search_order_and_mirrors(capsys, tmp_path):
    code, out, _ = run(capsys, "info", "fashion-mnist")
    assert code == 0
    assert "where:    not found; a load would download it" in out
    assert f"1. the user cache {tmp_path / 'cache' / 'fashion-mnist'}: no such folder" in out
    assert (
        f"2. a system dataset folder {tmp_path / 'system' / 'fashion-mnist'}: no such folder" in out
    )
    assert "3. download from: http://127.0.0.1:" in out


def test_info_verify_reports_a_wrong_file(capsys, tmp_path):
    write_files(tmp_path / "d", toy_arrays(n_train=30, n_test=12))
    code, out, _ = run(capsys, "info", "mnist", "--data-dir", str(tmp_path / "d"), "--verify")
    assert code == 1
    assert out.count("FAILED: wrong checksum: SHA-256 of the decompressed contents") == 4


def test_path(capsys, tmp_path):
    code, out, _ = run(capsys, "path", "mnist-mini")
    assert (code, out) == (0, f"{PACKAGE_FILES}\n")
    folder = write_files(tmp_path / "d", toy_arrays())
    code, out, _ = run(capsys, "path", "fashion-mnist", "--data-dir", str(folder))
    assert (code, out) == (0, f"{folder}\n")
    code, out, err = run(capsys, "path", "fashion-mnist")
    assert code == 1 and out == ""
    assert err.startswith("trainlab data path: fashion-mnist not found; searched: the user cache")


def test_download_fetches_a_dataset_into_the_cache_once(capsys, tmp_path, monkeypatch):
    arrays = toy_arrays()
    monkeypatch.setitem(
        DATASETS, "toy", toy_spec(arrays)
    )  # a dataset that is not shipped, served locally
    mirror = write_files(tmp_path / "mirror", arrays)
    with http_mirror(mirror) as (url, state):
        code, out, _ = run(capsys, "download", "toy", "--mirror", url)
        assert (code, len(state["requests"])) == (0, 4)
        cache = tmp_path / "cache" / "toy"
        assert out == f"downloaded 4 file(s) of TOY into {cache} from {url}\n"
        code, out, _ = run(capsys, "download", "toy", "--mirror", url)
        assert len(state["requests"]) == 4  # nothing asked the second time
    assert (code, out) == (
        0,
        f"toy is already available: {cache} (the user cache); nothing to download\n",
    )
    assert main(["data", "info", "toy", "--verify"]) == 0


def test_download_of_a_shipped_dataset_does_nothing(capsys):
    code, out, _ = run(capsys, "download", "mnist")
    assert (code, out) == (
        0,
        f"mnist is already available: {PACKAGE_FILES} (the files shipped with trainlab); "
        "nothing to download\n",
    )


def test_download_of_wrong_files_fails_clearly_and_leaves_nothing(capsys, tmp_path):
    mirror = write_files(tmp_path / "mirror", toy_arrays())  # not Fashion-MNIST
    with http_mirror(mirror) as (url, _):
        code, out, err = run(capsys, "download", "fashion-mnist", "--mirror", url)
    assert (code, out) == (2, "")
    assert err.startswith(
        "trainlab data: error: Fashion-MNIST (fashion-mnist) is not available: download failed"
    )
    assert f"{url}train-images-idx3-ubyte.gz: corrupt download: wrong checksum" in err
    assert not list((tmp_path / "cache" / "fashion-mnist").glob("*.gz"))
    assert leftovers(tmp_path) == []


def test_bad_usage(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["data", "info", "cifar"])
    assert exit_.value.code == 2
    assert "invalid choice: 'cifar'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["data"])
