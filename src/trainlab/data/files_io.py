"""Small file helpers of the data package: atomic writes and sizes for people.

Everything the package writes (downloads, decoded arrays, IDX files) goes through
:func:`atomic_writer`, which lives in :mod:`trainlab.textio` (shared with the experiments and the
search) and is re-exported here: a crash, a full disk or a failed check never leaves a half-written
or corrupt file under the final name.
"""

from __future__ import annotations

from trainlab.textio import atomic_writer

__all__ = ["atomic_writer", "human_size"]


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
