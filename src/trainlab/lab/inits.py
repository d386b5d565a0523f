"""Initial weights as the lessons and the command line write them: a standard deviation ("0.01", the
textbook's ``weight_init_std``) or an initializer's name ("xavier": the textbook's Xavier, σ = 1/√n; "he":
σ = √(2/n); n the inputs of a unit)."""

from __future__ import annotations

import trainlab as tl

NAMES = {"xavier": "Xavier", "sigmoid": "Xavier", "he": "He", "he_normal": "He", "relu": "He"}


def parse_init(text: str) -> str | float:
    """A float standard deviation ("0.01" -> 0.01) or an initializer's name, as given."""
    try:
        return float(text)
    except ValueError:
        return text


def check_init(text: str) -> None:
    """Refuse what is neither a positive standard deviation nor an initializer's name (a ValueError)."""
    tl.get_initializer(parse_init(text), "inits")


def init_label(text: str) -> str:
    """"std=0.01", "Xavier", "He" (other names as given)."""
    init = parse_init(text)
    return f"std={init:g}" if isinstance(init, float) else NAMES.get(init, init)
