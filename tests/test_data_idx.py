"""IDX files the tests write: exact bytes, round trips (raw and .gz), headers, and every kind of
broken file."""

import gzip

import numpy as np
import pytest
from data_helpers import isolate
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from trainlab.data import IDXError, read_idx, read_idx_header, write_idx
from trainlab.data.idx import parse_idx, to_idx_bytes


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def test_header_and_values_are_big_endian_as_the_format_says():
    array = np.array([[1, 2, 3], [4, 5, 258]], dtype=np.int16)
    data = to_idx_bytes(array)
    assert data[:4] == bytes([0, 0, 0x0B, 2])
    assert data[4:12] == bytes([0, 0, 0, 2, 0, 0, 0, 3])
    assert data[12:] == bytes([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 1, 2])
    assert len(data) == 4 + 4 * 2 + 6 * 2


def test_mnist_like_file_has_the_published_layout(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(2, 28, 28)
    path = write_idx(tmp_path / "images-idx3-ubyte", images)
    raw = path.read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03"
    assert np.frombuffer(raw[4:16], ">u4").tolist() == [2, 28, 28]
    assert path.stat().st_size == 16 + 2 * 784
    assert np.array_equal(read_idx(path), images)


@given(
    array=hnp.arrays(
        dtype=st.sampled_from(DTYPES),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
    ),
    compress=st.booleans(),
)
def test_round_trip_keeps_values_shape_and_dtype(tmp_path_factory, array, compress):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array)
    back = read_idx(path)
    assert back.shape == array.shape
    assert back.dtype == array.dtype
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress


def test_compression_follows_the_name_unless_told(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    assert write_idx(tmp_path / "a.gz", array).read_bytes()[:2] == b"\x1f\x8b"
    assert write_idx(tmp_path / "b", array).read_bytes()[:4] == b"\x00\x00\x08\x01"
    assert write_idx(tmp_path / "c", array, compress=True).read_bytes()[:2] == b"\x1f\x8b"
    # a decompressed file that kept its .gz name still reads: compression is recognised by content
    write_idx(tmp_path / "raw.gz", array, compress=False)
    np.testing.assert_array_equal(read_idx(tmp_path / "raw.gz"), array)


def test_gz_output_is_deterministic(tmp_path):
    array = np.arange(1000, dtype=np.int32)
    first = write_idx(tmp_path / "a.gz", array).read_bytes()
    second = write_idx(tmp_path / "b.gz", array).read_bytes()
    assert first == second


@pytest.mark.parametrize("compress", [True, False])
def test_header_only_read(tmp_path, compress):
    path = write_idx(tmp_path / "x", np.zeros((7, 3, 2), dtype=np.float32), compress=compress)
    header = read_idx_header(path)
    assert header.shape == (7, 3, 2)
    assert header.dtype == np.float32
    assert header.header_bytes == 16
    assert header.total_bytes == 16 + 7 * 3 * 2 * 4


def test_writing_refuses_what_idx_cannot_store(tmp_path):
    with pytest.raises(TypeError, match="int64.*IDX cannot store"):
        write_idx(tmp_path / "a", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="0 dimensions"):
        write_idx(tmp_path / "b", np.array(5, dtype=np.uint8))
    assert not list(tmp_path.iterdir())


# Broken files: every error names the file and the fault.


def broken(tmp_path, data: bytes, name="broken-idx1-ubyte"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


GOOD = to_idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))


@pytest.mark.parametrize(
    ("data", "fault"),
    [
        (b"", "truncated: 0 bytes"),
        (b"\x00\x00", "truncated: 2 bytes"),
        (b"\x01\x02\x08\x01" + GOOD[4:], "wrong magic number 0x01020801"),
        (b"\x00\x00\x07\x02" + GOOD[4:], "unknown dtype code 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (GOOD[:10], "truncated header: 2 dimensions need 12 header bytes, the file has 10"),
        (
            GOOD[:-1],
            "truncated: the header says shape (3, 4) of uint8 (12 data bytes), but the file holds 11",
        ),
        (
            GOOD + b"\x00",
            "wrong length: the header says shape (3, 4) of uint8 (12 data bytes), but the file "
            "holds 13",
        ),
    ],
)
def test_broken_raw_file_is_reported_with_its_name_and_fault(tmp_path, data, fault):
    path = broken(tmp_path, data)
    with pytest.raises(IDXError) as error:
        read_idx(path)
    assert str(error.value).startswith(f"{path}: ")
    assert fault in str(error.value)


def test_broken_gz_files(tmp_path):
    whole = gzip.compress(GOOD)
    cut = broken(tmp_path, whole[: len(whole) // 2], "cut.gz")
    with pytest.raises(IDXError, match=f"^{cut}: truncated: the gzip stream ends early"):
        read_idx(cut)
    corrupt = broken(tmp_path, whole[:10] + bytes(len(whole) - 10), "corrupt.gz")
    with pytest.raises(IDXError, match=f"^{corrupt}: corrupt gzip stream"):
        read_idx(corrupt)
    wrong_length = broken(tmp_path, gzip.compress(GOOD[:-3]), "short.gz")
    with pytest.raises(IDXError, match=f"^{wrong_length}: truncated: .* holds 9 data bytes"):
        read_idx(wrong_length)


def test_a_gz_file_parsed_as_raw_bytes_gets_a_hint():
    with pytest.raises(IDXError, match="looks gzip-compressed"):
        parse_idx(gzip.compress(GOOD), "x")


def test_idx_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_idx(b"junk", "x")


def test_header_of_a_broken_file(tmp_path):
    with pytest.raises(IDXError, match="wrong magic"):
        read_idx_header(broken(tmp_path, b"\x12\x34\x08\x01\x00\x00\x00\x01\x05"))
    with pytest.raises(IDXError, match="truncated"):
        read_idx_header(broken(tmp_path, gzip.compress(GOOD)[:12], "cut.gz"))


def test_a_gzip_bomb_is_refused_before_it_fills_the_memory(tmp_path, monkeypatch):
    """Issue 22: 2 MB of gzip decompressed to 4.3 GB in memory. Decompression now stops at a limit,
    with a clear error naming the file: twice its size for a dataset's file, MAX_DECOMPRESSED_BYTES
    (1 GiB) for any IDX file (here 10 MB, so that the test takes a second, not a minute)."""
    import tracemalloc

    import trainlab.data.idx
    from trainlab.data.catalog import FileSpec
    from trainlab.data.checksums import decode_verified

    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as file:
        file.write(bytes([0, 0, 8, 3]) + np.array([1000, 28, 28], ">u4").tobytes())
        for _ in range(200):
            file.write(bytes(2**20))  # 200 MB of zeros
    assert bomb.stat().st_size < 300_000
    monkeypatch.setattr(trainlab.data.idx, "MAX_DECOMPRESSED_BYTES", 10 * 2**20, raising=False)
    tracemalloc.start()
    try:
        with pytest.raises(
            IDXError,
            match=rf"^{bomb}: decompresses to more than 1,568,032 bytes \(\d+,\d+ bytes "
            r"compressed\), more than the file can hold; it is not the expected file$",
        ):
            decode_verified(bomb, FileSpec(bomb.name, (1000, 28, 28)))
        with pytest.raises(IDXError, match=rf"^{bomb}: decompresses to more than 10,485,760 bytes"):
            read_idx(bomb)
        assert tracemalloc.get_traced_memory()[1] < 40 * 2**20
    finally:
        tracemalloc.stop()
