"""Reading and writing IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a header followed by the array's values in C order, big-endian::

    bytes 0-1   0x00 0x00                  the magic number's zero half
    byte  2     dtype code                 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                                           0x0D float32, 0x0E float64
    byte  3     number of dimensions n     1 for labels, 3 for a stack of images
    4 bytes x n each dimension's size      big-endian unsigned 32-bit
    the values                             prod(dims) x itemsize bytes, nothing after them

Files may be gzip-compressed (``.gz``); compression is recognised from the file's first bytes, not
its name, so a decompressed file that kept its ``.gz`` name still reads. Decompression stops at a
size limit, so that a small file that inflates to gigabytes is refused before it fills the memory.
Every fault is reported as an :class:`~trainlab.data.errors.IDXError` that names the file and what
is wrong with it.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainlab.data.errors import IDXError
from trainlab.data.files_io import atomic_writer

# dtype code -> big-endian NumPy dtype, as the format defines them.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"
_MAX_DIM = 2**32 - 1
MAX_DECOMPRESSED_BYTES = 2**30
"""The most a compressed IDX file may decompress to when nothing better is known (1 GiB; MNIST's
largest file is 47 MB). A dataset's files are held to twice their size
(:func:`trainlab.data.checksums.decode_verified`)."""


@dataclass(frozen=True)
class IDXHeader:
    """What an IDX header says: the values' dtype (native byte order), the shape, and the header's length."""

    dtype: np.dtype
    shape: tuple[int, ...]
    header_bytes: int

    @property
    def data_bytes(self) -> int:
        """Number of bytes the values take after the header."""
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    @property
    def total_bytes(self) -> int:
        """Length of the whole (decompressed) file."""
        return self.header_bytes + self.data_bytes


def parse_header(data: bytes, source: str = "<bytes>") -> IDXHeader:
    """Decode the header at the start of ``data``; IDXError naming ``source`` if it is malformed."""
    if len(data) < 4:
        raise IDXError(
            f"{source}: truncated: {len(data)} bytes, too short for the 4-byte IDX magic number"
        )
    if data[0] != 0 or data[1] != 0:
        hint = " (it looks gzip-compressed but was read as raw)" if data[:2] == GZIP_MAGIC else ""
        raise IDXError(
            f"{source}: wrong magic number 0x{data[:4].hex()}: an IDX file starts with two zero bytes{hint}"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} {d.name}" for c, d in IDX_DTYPES.items())
        raise IDXError(
            f"{source}: unknown dtype code 0x{code:02X} in the magic number; known codes: {known}"
        )
    if ndim == 0:
        raise IDXError(
            f"{source}: the magic number says 0 dimensions; an IDX array needs at least one"
        )
    header_bytes = 4 + 4 * ndim
    if len(data) < header_bytes:
        raise IDXError(
            f"{source}: truncated header: {ndim} dimensions need {header_bytes} header bytes, "
            f"the file has {len(data)}"
        )
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    return IDXHeader(IDX_DTYPES[code].newbyteorder("="), shape, header_bytes)


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """The array held by the (decompressed) IDX bytes ``data``, in native byte order.

    Raises IDXError naming ``source`` when the header is malformed or the data is shorter or longer
    than the header's dimensions say.
    """
    header = parse_header(data, source)
    found = len(data) - header.header_bytes
    if found != header.data_bytes:
        fault = "truncated" if found < header.data_bytes else "wrong length"
        raise IDXError(
            f"{source}: {fault}: the header says shape {header.shape} of {header.dtype.name} "
            f"({header.data_bytes} data bytes), but the file holds {found} data bytes"
        )
    values = np.frombuffer(data, dtype=header.dtype.newbyteorder(">"), offset=header.header_bytes)
    # astype copies: the result is writable, native-endian and does not keep ``data`` alive.
    return values.astype(header.dtype).reshape(header.shape)


def read_bytes(path: str | os.PathLike) -> tuple[bytes, bool]:
    """The decompressed contents of ``path`` and whether it was gzip-compressed."""
    path = Path(path)
    with open(path, "rb") as file:
        raw = file.read()
    if raw[:2] != GZIP_MAGIC:
        return raw, False
    return decompress(raw, str(path)), True


def decompress(raw: bytes, source: str, limit: int | None = None) -> bytes:
    """gzip-decompress ``raw``; IDXError naming ``source`` for a truncated or corrupt stream, or for
    one that decompresses to more than ``limit`` bytes (default :data:`MAX_DECOMPRESSED_BYTES`; a
    "gzip bomb" is a few MB that inflate to gigabytes in memory), which is found after ``limit`` + 1
    bytes."""
    limit = MAX_DECOMPRESSED_BYTES if limit is None else limit
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            data = stream.read(limit + 1)
    except EOFError:
        raise IDXError(
            f"{source}: truncated: the gzip stream ends early (an interrupted download?)"
        ) from None
    except (OSError, zlib.error) as error:
        raise IDXError(f"{source}: corrupt gzip stream: {error}") from None
    if len(data) > limit:
        raise IDXError(
            f"{source}: decompresses to more than {limit:,} bytes ({len(raw):,} bytes compressed), "
            "more than the file can hold; it is not the expected file"
        )
    return data


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array in the IDX file ``path`` (raw or gzip-compressed), in native byte order."""
    data, _ = read_bytes(path)
    return parse_idx(data, str(path))


def read_idx_header(path: str | os.PathLike) -> IDXHeader:
    """Only the header of ``path``: shape and dtype without decompressing the whole file."""
    path = Path(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if compressed else raw
        try:
            head = stream.read(4)
            if len(head) == 4 and head[:2] == b"\0\0":
                head += stream.read(4 * head[3])
        except EOFError:
            raise IDXError(
                f"{path}: truncated: the gzip stream ends inside the IDX header"
            ) from None
        except (OSError, zlib.error) as error:
            raise IDXError(f"{path}: corrupt gzip stream: {error}") from None
    return parse_header(head, str(path))


def to_idx_bytes(array: np.ndarray, name: str = "array") -> bytes:
    """The IDX encoding (header and big-endian values) of ``array``."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        allowed = ", ".join(d.name for d in IDX_DTYPES.values())
        raise TypeError(
            f"{name} has dtype {array.dtype}, which IDX cannot store; use one of {allowed}"
        )
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"{name} has {array.ndim} dimensions; IDX stores 1 to 255")
    if max(array.shape) > _MAX_DIM:
        raise ValueError(f"{name} has shape {array.shape}; IDX dimensions must be < 2**32")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` to ``path`` as an IDX file; gzip-compressed when ``compress`` (default: name ends .gz).

    The file is written to a temporary name and renamed into place, so a reader never sees half a file.
    """
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    data = to_idx_bytes(array, name="array")
    with atomic_writer(path) as file:
        if compress:
            # mtime=0 and no file name in the gzip header: the same array always gives the same bytes.
            with gzip.GzipFile(filename="", mode="wb", fileobj=file, mtime=0) as stream:
                stream.write(data)
        else:
            file.write(data)
    return path
