"""Text in and out: tables for a terminal and for Markdown, atomic file writes, ``key=value`` settings.

One home for the small helpers that the commands, the experiments, the data package and the search share.

Atomic writes: every file goes to a temporary file in the destination folder, is flushed to disk and
is then renamed over the destination (``os.replace``, atomic on POSIX and Windows). A crash, a full
disk or a failed check therefore leaves either the old file or the new one under the final name,
never a half-written one, and two processes writing the same file both end with a whole one. The new
file has the permissions any new file gets (0666 less the umask: 0644 under the usual umask 022). A
destination that is not a regular file (a device such as /dev/null, a FIFO, a socket, a folder, or a
symbolic link) is refused with a ValueError rather than replaced by a regular file: the rename would
delete the device node, or the link.

Reading JSON from elsewhere (run folders received from another machine, search results):
:func:`read_json` refuses files larger than a size limit and documents nested deeper than a depth
limit, with one error that names the file; :func:`displayable` makes any text safe to write as
UTF-8.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import math
import os
import re
import secrets
import stat
import sys
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import numpy as np

# ---------------------------------------------------------------------------------------------- tables


def format_cell(value: Any) -> str:
    """One table cell: floats to 4 significant digits, everything else as ``str``."""
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def text_table(rows: Sequence[Sequence[Any]]) -> str:
    """Rows (the header first) as aligned columns for a terminal, one line per row."""
    cells = [[format_cell(value) for value in row] for row in rows]
    if not cells:
        return ""
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def print_table(rows: Sequence[Sequence[Any]], file: TextIO | None = None) -> None:
    """Print rows (the header first) as aligned columns."""
    print(text_table(rows), file=file or sys.stdout)


def markdown_table(rows: Sequence[Sequence[Any]]) -> str:
    """Rows (the header first) as a Markdown table; ``|`` inside a cell is escaped."""
    cells = [[format_cell(value).replace("|", "\\|") for value in row] for row in rows]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(cells[0])]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells[1:]])


# ---------------------------------------------------------------------------------------------- files


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike, *, check: Callable[[Path], None] | None = None
) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through; it becomes ``path`` only when the block ends without error.

    ``check(temporary_path)``, if given, runs on the complete temporary file before the rename; if
    it raises, the temporary file is deleted and the destination is left as it was. A ``path`` that
    exists and is not a regular file is refused (:func:`check_replaceable`) before anything is
    written.
    """
    path = Path(path)
    check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = _create_temporary(path)
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


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new, empty file beside ``path`` (``.NAME.<random>.part``), open for writing. Created with
    mode 0666, which the kernel reduces by the umask as for any new file (``tempfile.mkstemp`` would
    make it 0600)."""
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_BINARY", 0)
        | getattr(os, "O_NOFOLLOW", 0)
    )
    while True:
        temporary = path.parent / f".{path.name[:200]}.{secrets.token_hex(6)}.part"
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:  # another writer drew the same name: draw again
            continue


FILE_KINDS = {
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFIFO: "FIFO (named pipe)",
    stat.S_IFSOCK: "socket",
    stat.S_IFDIR: "folder",
    stat.S_IFLNK: "symbolic link",
}


def check_replaceable(path: str | os.PathLike) -> None:
    """Nothing if ``path`` does not exist or is a regular file; else a ValueError saying what it is.

    Writing atomically replaces the destination by a new regular file, so a device
    (``--out /dev/null``), a FIFO or a socket would be deleted and replaced, and a symbolic link
    replaced rather than followed (following it could write outside a run folder received from
    elsewhere): all are refused.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode):
        return
    kind = FILE_KINDS.get(stat.S_IFMT(mode), "special file")
    hint = "; give the path of the file it points to" if kind == "symbolic link" else ""
    raise ValueError(
        f"{path} is a {kind}, not a regular file: trainlab writes its files atomically (a new file "
        f"renamed over the old one) and will not replace a {kind}{hint}"
    )


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_writer(path) as file:
        file.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented JSON atomically (NumPy values as plain numbers and lists)."""
    return write_text(path, json.dumps(data, indent=1, default=to_plain) + "\n")


def to_plain(value: Any) -> Any:
    """A NumPy value as the plain Python value JSON can hold (``json.dumps``'s ``default``)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


MAX_JSON_BYTES = 256 * 2**20
"""The largest JSON file :func:`read_json` reads by default (256 MiB; a full-size run's metrics.json
is a few MB)."""
MAX_JSON_DEPTH = 64
"""The deepest nesting of lists and objects :func:`read_json` accepts by default (trainlab writes at
most 6)."""


def read_json(
    path: str | os.PathLike, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """The JSON in ``path``; a ValueError naming the file when it cannot be read, is not valid UTF-8
    JSON, is larger than ``max_bytes`` or nests lists and objects deeper than ``max_depth``.

    The limits make a file from elsewhere (a run folder received from another machine) safe to read:
    no gigabytes read into memory, no RecursionError in the parser or in the code that walks the
    result.
    """
    try:
        with open(path, "rb") as file:
            data = file.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ValueError(f"larger than {max_bytes:,} bytes")
        text = data.decode("utf-8")
        if json_depth(text) > max_depth:
            raise ValueError(f"nested deeper than {max_depth} levels")
        return json.loads(text)
    except (OSError, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        if isinstance(error, json.JSONDecodeError) and not error.doc.strip():
            reason = "empty file"
        raise ValueError(f"{path}: unreadable JSON ({reason})") from None


def json_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON ``text`` (brackets inside strings not
    counted), found without parsing, so that a hostile document is refused before the recursive
    parser sees it."""
    depth = deepest = 0
    for match in _JSON_STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("]", "}"):
            depth -= 1
    return deepest


_JSON_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def displayable(text: str) -> str:
    """``text`` with every lone surrogate (what a file name's undecodable bytes, or ``"\\ud800"`` in
    JSON, become in Python) replaced by U+FFFD, so that it can be written as UTF-8 and printed."""
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


# ---------------------------------------------------------------------------------------------- values

TRUE_WORDS, FALSE_WORDS = ("true", "yes", "1"), ("false", "no", "0")


def parse_assignments(items: Sequence[str], option: str = "--set") -> dict[str, str]:
    """``["lr=0.1", "hidden-sizes=50,50"]`` as ``{"lr": "0.1", "hidden_sizes": "50,50"}`` (``-``
    read as ``_``)."""
    parsed = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{option} {item!r}: expected KEY=VALUE")
        parsed[key.strip().replace("-", "_")] = value.strip()
    return parsed


def parse_bool(text: str, where: str) -> bool:
    """``true/yes/1`` or ``false/no/0`` (any case); anything else is refused, naming ``where``."""
    word = text.strip().lower()
    if word not in TRUE_WORDS + FALSE_WORDS:
        raise ValueError(f"{where}: expected true or false, got {text!r}")
    return word in TRUE_WORDS


def parse_value(text: str, hint: Any, where: str) -> Any:
    """``text`` as a value of type ``hint``: int, float, bool, str, an optional, or a tuple of those.

    ``none``/``null``/empty gives None for an optional; a tuple is written comma-separated
    (``50,50``). Floats must be finite: ``nan`` and ``inf`` are refused. Errors name ``where`` (e.g.
    ``--set lr=x``).
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if text.strip().lower() in ("none", "null", ""):
            return None
        return parse_value(text, next(a for a in args if a is not type(None)), where)
    if origin in (tuple, list):
        item = args[0] if args else str
        return tuple(
            parse_value(part.strip(), item, where) for part in text.split(",") if part.strip()
        )
    if hint is bool:
        return parse_bool(text, where)
    try:
        value = hint(text)
    except ValueError:
        raise ValueError(
            f"{where}: expected a value of type {getattr(hint, '__name__', hint)}"
        ) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite number")
    return value


def did_you_mean(word: str, options: Sequence[str]) -> str:
    """``"; did you mean 'optimizers'?"`` when ``word`` is close to one of ``options``, else ``""``."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
