"""The settings a notebook passes to ``run_lesson(NAME, ...)``, read from its source (for the lesson
tests that check a lesson's ``Config.NOTEBOOK`` is what its notebook really runs)."""

import ast
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def notebook_settings(notebook: str, lesson: str) -> list[dict]:
    """The keyword arguments of every ``run_lesson(lesson, ...)`` call in ``notebooks/<notebook>.py``."""
    tree = ast.parse((NOTEBOOKS / f"{notebook}.py").read_text())
    return [
        {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "run_lesson"
        and node.args
        and ast.literal_eval(node.args[0]) == lesson
    ]
