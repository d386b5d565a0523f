"""Finished units kept on disk, so that a stopped or failed ``trainlab run`` goes on where it stopped.

An entry is one unit's run (its numbers as JSON) in ``<runs>/.cache/<lesson>/<key>.json``. The key
is the SHA-256 of what the run's numbers depend on:

- the lesson, the setting and the seed;
- the lesson's training settings (``Config.training_settings()``: not the seed count, not where the
  data lie, not how results are shown, so that adding seeds or changing a smoothing window reuses
  the runs);
- the code: the lesson's own module, the library (``trainlab/*.py``, ``optimizers/``, ``data/``) and
  the lab's modules that train (:data:`TRAINING_CODE`), byte for byte, with trainlab's and NumPy's
  versions.

The code is hashed rather than trusted to a version number because a lesson's numbers change with
any edit of the code it runs, and a version is bumped by hand; the report's or the statistics' code
is left out, so that a better sentence does not throw away an hour of training. The bits of a run
also depend on the CPU's kernels (docs/experiments.md): a cache is a folder of one machine's runs,
not something to copy across.

Writes are atomic (a temporary file renamed into place), so two runs at once at worst compute a unit
twice and write the same bytes. An entry that cannot be read, or whose key, lesson, setting or seed
does not match its name, is refused by name (a warning) and its unit trained again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import trainlab
from trainlab.lab.lesson import lesson_module
from trainlab.lab.units import Trained, Unit
from trainlab.textio import read_json, to_plain, write_json

PACKAGE = Path(trainlab.__file__).resolve().parent
TRAINING_CODE = (
    "*.py",
    "optimizers/*.py",
    "data/*.py",
    "lab/units.py",
    "lab/data.py",
    "lab/fitting.py",
    "lab/inits.py",
    "lab/landscapes.py",
    "lab/lesson.py",
    "lab/nets.py",
    "lab/search.py",
    "lab/settings.py",
    "lab/training.py",
)
LEFT_OUT = ("cli.py", "__main__.py")  # parsing the command line changes no number


class CacheWarning(UserWarning):
    """A cache entry that was refused (unreadable or not what its name says) and will be trained again."""


@functools.cache
def library_fingerprint() -> str:
    """SHA-256 of the code every unit runs (:data:`TRAINING_CODE`) and of trainlab's and NumPy's versions."""
    digest = hashlib.sha256(f"trainlab {trainlab.__version__} numpy {np.__version__}".encode())
    files = sorted(
        {
            path
            for pattern in TRAINING_CODE
            for path in PACKAGE.glob(pattern)
            if path.name not in LEFT_OUT
        }
    )
    for path in files:
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def lesson_fingerprint(lesson: str) -> str:
    """SHA-256 of the library's fingerprint and of the lesson module's source."""
    source = Path(lesson_module(lesson).__file__).read_bytes()
    return hashlib.sha256(library_fingerprint().encode() + source).hexdigest()


def unit_key(unit: Unit, config: Any) -> str:
    """The key of ``unit`` trained under ``config`` (see the module's docstring)."""
    what = {
        "lesson": unit.lesson,
        "setting": unit.setting,
        "seed": unit.seed,
        "settings": config.training_settings(),
        "code": lesson_fingerprint(unit.lesson),
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=to_plain).encode()).hexdigest()


class UnitCache:
    """The finished units under ``folder`` (``<runs>/.cache``)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def path(self, unit: Unit, config: Any) -> Path:
        return self.folder / unit.lesson / f"{unit_key(unit, config)[:40]}.json"

    def load(self, unit: Unit, config: Any) -> Trained | None:
        """The cached run of ``unit``, or None (absent; or refused with a :class:`CacheWarning` naming it)."""
        path = self.path(unit, config)
        if not path.exists():
            return None
        try:
            entry = read_json(path)
            expected = {
                "key": unit_key(unit, config),
                "lesson": unit.lesson,
                "setting": unit.setting,
                "seed": unit.seed,
            }
            if (
                not isinstance(entry, dict)
                or any(entry.get(k) != v for k, v in expected.items())
                or "run" not in entry
            ):
                raise ValueError(
                    "it is not the entry its name says (another unit, or a damaged file)"
                )
            return Trained(
                unit,
                entry["run"],
                float(entry["seconds"]),
                float(entry["cpu_seconds"]),
                [],
                cached=True,
            )
        except (ValueError, TypeError, KeyError, OSError) as problem:
            warnings.warn(
                f"cache entry {path} refused ({problem}); its unit ({unit.text()}) is trained again",
                CacheWarning,
                stacklevel=2,
            )
            return None

    def store(self, trained: Trained, config: Any) -> Path:
        """Keep ``trained`` (atomically)."""
        unit = trained.unit
        entry = {
            "key": unit_key(unit, config),
            "lesson": unit.lesson,
            "setting": unit.setting,
            "seed": unit.seed,
            "seconds": round(trained.seconds, 3),
            "cpu_seconds": round(trained.cpu_seconds, 3),
            "run": trained.run,
        }
        return write_json(self.path(unit, config), entry)
