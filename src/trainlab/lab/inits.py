"""Initial weights as lessons name them in their settings: an initializer's name or a standard deviation.

The books write a weight scale either way: "std 0.01" or "Xavier" in Deep Learning from Scratch 6.2,
"N(0, 1)" or "Glorot" in Hands-On ML 11.1. A setting such as ``sigmoid@1`` (the activation, then the
init) reads the part after ``@`` with :func:`parse_init`.
"""

from __future__ import annotations

import trainlab as tl

ALIASES = {"he": "he_normal"}


def parse_init(text: str) -> str | float:
    """A float standard deviation ("0.01", "1") or an initializer name ("xavier", "he" for he_normal)."""
    try:
        return float(text)
    except ValueError:
        return ALIASES.get(text, text)


def check_init(text: str, argument: str = "init") -> None:
    """Refuse an init that is neither a positive standard deviation nor an initializer's name (ValueError)."""
    tl.get_initializer(parse_init(text), argument)


def init_text(init: str | float) -> str:
    """How a figure or a table names an init: "N(0, 1)" for a standard deviation of 1, else the name."""
    return f"N(0, {init:g})" if isinstance(init, float) else str(init)


LABELS = {"xavier": "Xavier", "he_normal": "He"}


def init_label(text: str) -> str:
    """How a legend or a claim names an init given as text: "std=0.01" (Deep Learning from Scratch's
    way), "Xavier", "He"; other names as given."""
    init = parse_init(text)
    return f"std={init:g}" if isinstance(init, float) else LABELS.get(init, init)
