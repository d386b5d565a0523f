"""How long each lesson takes on the machine its results were made on: for ``trainlab list`` and
``show``, the README's times, and the expected cost of a unit (the runner starts the longest first,
and its ETA).

``timings.json`` beside this module holds, per lesson and size (``full``, ``quick``), the training
seconds of all its units (one core each) and how many units there were, as measured by
``trainlab run`` on that machine; ``python scripts/collect_results.py`` writes it from the runs
behind docs/results.md.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

TIMINGS = Path(__file__).with_name("timings.json")
UNKNOWN_UNIT_SECONDS = {"full": 20.0, "quick": 1.0}  # a guess for a lesson not yet measured


@functools.cache
def timings() -> dict[str, Any]:
    """{lesson: {"full" | "quick": {"seconds": s, "units": n}}}, or {} if none were measured."""
    try:
        data = json.loads(TIMINGS.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def measured(name: str, size: str) -> dict[str, float] | None:
    """The measured seconds and units of lesson ``name`` at ``size`` ("full" or "quick"), or None."""
    entry = timings().get(name, {}).get(size)
    if isinstance(entry, dict) and entry.get("units", 0) > 0 and entry.get("seconds", -1) >= 0:
        return {"seconds": float(entry["seconds"]), "units": float(entry["units"])}
    return None


def seconds_per_unit(name: str, quick: bool) -> float:
    """The expected seconds of one unit of lesson ``name`` (its measured mean, else a guess)."""
    size = "quick" if quick else "full"
    entry = measured(name, size)
    return entry["seconds"] / entry["units"] if entry else UNKNOWN_UNIT_SECONDS[size]
