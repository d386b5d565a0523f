"""Run folders read back: which runs are complete, their summaries checked, the figures safe to embed.

The report, ``trainlab compare`` and scripts/collect_results.py read runs only through
:func:`load_runs`, which skips a broken or incomplete folder with one warning naming it, so one bad
folder never hides the others. Run folders may come from elsewhere: their JSON is read with size and
depth limits (:func:`trainlab.textio.read_json`), and every field the report uses is checked before
it is used. A figure is embedded only if it is an image file directly inside its run's folder: not a
path with ``/``, ``..`` or a drive, not a symbolic link, and its first bytes match its type.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

from trainlab.textio import displayable, read_json

RUN_FILE = "run.json"  # written last by the runner: a run is complete when it exists
# embeddable image types: suffix -> (MIME type, how the file starts)
IMAGE_TYPES = {
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".svg": ("image/svg+xml", (b"<?xml", b"<svg")),
}
SUMMARY_FIELDS = {
    "title": str,
    "description": str,
    "command": str,
    "headers": list,
    "rows": list,
    "conclusions": list,
    "figures": list,
}


class RunSkippedWarning(UserWarning):
    """A run folder, or one of its figures, that the report leaves out, and why."""


class BrokenRunError(ValueError):
    """Why a run folder cannot be read as a complete run."""


@dataclasses.dataclass
class Run:
    """A complete run: its folder, its checked summary.json, and its run.json."""

    folder: Path
    summary: dict[str, Any]
    facts: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.summary.get("name") or self.folder.parent.name)

    @property
    def quick(self) -> bool:
        return bool(self.summary.get("quick", "--quick" in self.summary["command"].split()))

    @property
    def started(self) -> str:
        return str(self.facts.get("started", self.folder.name))

    def figures(self, prefer: str = "png") -> list[tuple[Path, str]]:
        """(path, MIME type) of each figure safe to embed, one file per figure, of type ``prefer``
        where there is a choice (png or svg); a warning for each entry that is not embedded."""
        chosen: dict[str, tuple[Path, str]] = {}
        preferred = sorted(
            self.summary["figures"], key=lambda e: not (isinstance(e, str) and e.endswith(prefer))
        )
        for entry in preferred:
            try:
                path, mime = safe_image(self.folder, entry)
            except BrokenRunError as problem:
                warnings.warn(
                    displayable(f"{self.folder}: figure {entry!r} not embedded: {problem}"),
                    RunSkippedWarning,
                    stacklevel=2,
                )
                continue
            chosen.setdefault(path.stem, (path, mime))
        return list(chosen.values())


def run_folders(root: Path) -> list[Path]:
    """The run folders under ``root`` (any folder holding a run's file), or ``root`` itself if it is one."""
    markers = ("summary.json", RUN_FILE, "config.json", "metrics.json")
    if any((root / marker).exists() for marker in markers):
        return [root]
    found = {path.parent for marker in markers for path in root.rglob(marker)}
    return sorted(found)


def load_run(folder: Path) -> Run:
    """The complete run in ``folder``; a BrokenRunError saying what is missing or malformed."""
    for file in ("summary.json", RUN_FILE):
        path = folder / file
        if path.is_symlink():
            raise BrokenRunError(f"{file} is a symbolic link")
        if not path.is_file():
            raise BrokenRunError(
                f"incomplete: no {file} (the run stopped before writing all its files)"
            )
    facts = checked_json(folder / RUN_FILE, dict)
    files = facts.get("files", [])
    if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        raise BrokenRunError(
            f"{RUN_FILE}: 'files' must be a list of file names, not {str(files)[:80]}"
        )
    missing = [name for name in files if not is_file(folder, name)]
    if missing:
        raise BrokenRunError(f"incomplete: {', '.join(map(str, missing))} missing")
    return Run(folder, check_summary(checked_json(folder / "summary.json", dict)), facts)


def is_file(folder: Path, name: str) -> bool:
    """Whether ``name`` is a file in ``folder`` (False for a name the system cannot even look up,
    such as one longer than 255 bytes)."""
    try:
        return (folder / name).is_file()
    except (OSError, ValueError):  # ENAMETOOLONG; ValueError: a NUL byte in the name
        return False


def checked_json(path: Path, kind: type) -> Any:
    try:
        data = read_json(path)
    except ValueError as error:
        raise BrokenRunError(f"{path.name}: {str(error).removeprefix(f'{path}: ')}") from None
    if not isinstance(data, kind):
        raise BrokenRunError(f"{path.name} holds {type(data).__name__}, not a JSON object")
    return data


def check_summary(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` if it has the fields the report shows, of the right kinds; else a BrokenRunError
    naming the field."""
    for key, kind in SUMMARY_FIELDS.items():
        if not isinstance(data.get(key), kind):
            what = (
                "missing"
                if key not in data
                else f"a {type(data[key]).__name__}, not a {kind.__name__}"
            )
            raise BrokenRunError(f"summary.json: {key!r} is {what}")
    if not all(isinstance(row, list) for row in data["rows"]):
        raise BrokenRunError("summary.json: 'rows' must be a list of lists")
    if not isinstance(data.get("notes", []), list):
        raise BrokenRunError("summary.json: 'notes' must be a list")
    return data


def safe_image(folder: Path, entry: Any) -> tuple[Path, str]:
    """The path and MIME type of image ``entry`` of run ``folder``, or a BrokenRunError saying why not."""
    if (
        not isinstance(entry, str)
        or not entry
        or entry != Path(entry).name
        or entry in (".", "..")
        or "\\" in entry
        or "\0" in entry
    ):
        raise BrokenRunError("only a file name inside the run's folder may be embedded")
    path = folder / entry
    try:
        link, regular = path.is_symlink(), path.is_file()
    except OSError as error:  # a name longer than the system allows
        raise BrokenRunError(f"it cannot be looked up ({error.strerror})") from None
    if link:
        raise BrokenRunError("it is a symbolic link")
    if not regular:
        raise BrokenRunError("no such file in the run's folder")
    kind = IMAGE_TYPES.get(path.suffix.lower())
    if kind is None:
        raise BrokenRunError(f"not an image type ({', '.join(IMAGE_TYPES)})")
    try:
        with open(path, "rb") as file:
            head = file.read(512).lstrip()
    except OSError as error:
        raise BrokenRunError(f"it cannot be read ({error.strerror})") from None
    if not head.startswith(kind[1]):
        raise BrokenRunError(f"its content is not {kind[0]}")
    return path, kind[0]


def load_runs(root: str | Path) -> list[Run]:
    """Every complete run under ``root``; each broken or incomplete folder skipped with one warning
    naming it."""
    runs = []
    for folder in run_folders(Path(root)):
        try:
            runs.append(load_run(folder))
        except BrokenRunError as problem:
            warnings.warn(
                displayable(f"skipped {folder}: {problem}"), RunSkippedWarning, stacklevel=2
            )
    return runs
