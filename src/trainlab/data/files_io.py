"""Small file helpers shared by the data package: atomic writes and sizes for people.

Everything the package writes (downloads, decoded arrays, IDX files) goes through :func:`atomic_writer`:
the bytes go to a temporary file in the destination folder, which is renamed over the destination only
once it is complete. A crash, a full disk or a failed check therefore never leaves a half-written or corrupt
file under the final name, and two processes writing the same file both end with a whole one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike, *, check: Callable[[Path], None] | None = None
) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through; it becomes ``path`` only when the block ends without error.

    ``check(temporary_path)``, if given, runs on the complete temporary file before the rename; if it
    raises, the temporary file is deleted and the destination is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    temporary = Path(temporary)
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        if check is not None:
            check(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def human_size(n_bytes: int) -> str:
    """``n_bytes`` as a short decimal size: 512 B, 1.6 MB, 26.4 MB."""
    if n_bytes < 1000:
        return f"{n_bytes} B"
    size, unit = float(n_bytes), "B"
    for unit in ("kB", "MB", "GB"):  # noqa: B007  (the unit the loop stops at is the answer)
        size /= 1000
        if size < 1000:
            break
    return f"{size:.1f} {unit}"
