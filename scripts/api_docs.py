"""Write docs/api.md: every name of ``trainlab.__all__``, grouped by what it is, from its signature
and docstring.

    .venv/bin/python scripts/api_docs.py           # write the page
    .venv/bin/python scripts/api_docs.py --check   # exit 1 if the page is not what the code gives

Each entry is the call signature (annotations left out) and the first paragraph of the docstring; a
class also lists the public methods and properties it defines, with the first paragraph of theirs.
``tests/test_api_docs.py`` fails when the page is stale: run the script after changing a public
docstring or signature.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

import trainlab

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "api.md"

# (title, module prefixes), in the order of the page; the first group whose prefix matches wins
GROUPS = [
    ("Model", ("trainlab.model", "trainlab.ensemble", "trainlab.mlp", "trainlab.params")),
    ("Layers", ("trainlab.base", "trainlab.layers")),
    ("Activations", ("trainlab.activations",)),
    ("Losses and metrics", ("trainlab.losses", "trainlab.metrics")),
    ("Initializers", ("trainlab.initializers",)),
    ("Regularizers and constraints", ("trainlab.regularizers",)),
    ("Optimizers and gradient clipping", ("trainlab.optimizers",)),
    ("Learning-rate schedules", ("trainlab.schedules",)),
    (
        "Training: the step, the loop, callbacks, saving",
        (
            "trainlab.step",
            "trainlab.training",
            "trainlab.epochs",
            "trainlab.history",
            "trainlab.callbacks",
            "trainlab.progress",
            "trainlab.widgets",
            "trainlab.liveplot",
            "trainlab.saving",
            "trainlab.lr_finder",
        ),
    ),
    ("Data", ("trainlab.data",)),
    ("Gradient checks", ("trainlab.gradcheck",)),
    ("Utilities", ("trainlab.backend", "trainlab.registry", "trainlab.validation")),
]


def group_of(obj: Any, name: str) -> str:
    module = getattr(obj, "__module__", None) or ""
    for title, prefixes in GROUPS:
        if module.startswith(prefixes):
            return title
    raise ValueError(
        f"trainlab.{name} comes from {module!r}, which no group of scripts/api_docs.py takes"
    )


def signature(obj: Any) -> str:
    """``(a, b=1, *, c=None)``: the call signature without annotations (they are in the
    docstrings)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    parameters = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    text = str(sig.replace(parameters=parameters, return_annotation=inspect.Signature.empty))
    if " at 0x" in text:
        raise ValueError(
            f"the signature of {obj!r} shows a memory address, which would change at "
            f"every run: {text}"
        )
    return text


def summary(obj: Any) -> list[str]:
    """The first paragraph of the docstring as one line, and the literal block that follows it if it
    ends in ``::`` (a formula), as a code block."""
    paragraphs = (inspect.getdoc(obj) or "").split("\n\n")
    text = " ".join(line.strip() for line in paragraphs[0].splitlines())
    if not text.endswith("::") or len(paragraphs) < 2:
        return [text]
    return [text[:-1], "", "```text", inspect.cleandoc(paragraphs[1]), "```"]


def members(cls: type) -> list[str]:
    """``- `name(...)`: first paragraph`` for the public methods and properties the class itself
    defines (the inherited ones are listed under its base class)."""
    lines = []
    for name, attribute in sorted(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(attribute, property):
            doc, call = attribute.__doc__, ""
        elif isinstance(attribute, (staticmethod, classmethod)) or inspect.isfunction(attribute):
            function = attribute if inspect.isfunction(attribute) else attribute.__func__
            doc, call = function.__doc__, signature(function)
            if not isinstance(attribute, staticmethod):  # drop self (or cls, or fit's model)
                call = "(" + call[1:].partition(", ")[2] if ", " in call else "()"
        else:
            continue
        summary = " ".join(
            line.strip() for line in inspect.cleandoc(doc or "").split("\n\n")[0].splitlines()
        )
        lines.append(f"- `{name}{call}`" + (f": {summary}" if summary else ""))
    return lines


def base_of(cls: type) -> str:
    """ ", a subclass of `trainlab.X`" with X the nearest public trainlab class it derives from, if
    any."""
    for base in cls.__mro__[1:]:
        if base.__name__ in trainlab.__all__ and getattr(trainlab, base.__name__) is base:
            return f", a subclass of `trainlab.{base.__name__}`"
    return ""


def entry(name: str, obj: Any) -> list[str]:
    kind = "class" if isinstance(obj, type) else "function" if callable(obj) else "value"
    call = signature(obj) if callable(obj) else ""
    kind += base_of(obj) if isinstance(obj, type) else ""
    first, *rest = summary(obj)
    lines = [f"### `trainlab.{name}{call}`", "", f"*{kind}*. {first}".rstrip(), *rest, ""]
    if isinstance(obj, type):
        methods = members(obj)
        if methods:
            lines += [*methods, ""]
    return lines


def render() -> str:
    """The page, from the code as it is imported now."""
    grouped: dict[str, list[str]] = {title: [] for title, _ in GROUPS}
    for name in sorted(trainlab.__all__, key=str.lower):
        if name.startswith("__"):
            continue
        grouped[group_of(getattr(trainlab, name), name)].append(name)
    lines = [
        "# The public API (`trainlab.__all__`)",
        "",
        "Generated from the docstrings by `scripts/api_docs.py`; do not edit by hand (a test "
        "checks that this page is what the code gives). Formulas, choices and examples are in the "
        "other pages: "
        "[library.md](library.md), [optimizers.md](optimizers.md), [training.md](training.md), "
        "[data.md](data.md).",
        "",
    ]
    for title, names in grouped.items():
        if names:
            lines += [f"- [{title}](#{anchor(title)}): " + ", ".join(f"`{name}`" for name in names)]
    lines.append("")
    for title, names in grouped.items():
        if names:
            lines += [f"## {title}", ""]
            for name in names:
                lines += entry(name, getattr(trainlab, name))
    return "\n".join(lines).rstrip() + "\n"


def anchor(title: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return "".join(c for c in title.lower() if c.isalnum() or c in " -").replace(" ", "-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if docs/api.md is stale, write nothing"
    )
    args = parser.parse_args()
    page = render()
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != page:
            print(
                f"{PAGE.relative_to(ROOT)} is stale: run python scripts/api_docs.py",
                file=sys.stderr,
            )
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)} ({len(page.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
