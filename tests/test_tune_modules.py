"""trainlab.tune's modules import one way: each only modules listed before it, none inside functions."""

import ast
from pathlib import Path

import trainlab.tune

ORDER = [
    "params",
    "space",
    "config",
    "budget",
    "storage",
    "samplers",
    "objective",
    "workers",
    "results",
    "narrowing",
    "search",
    "plots",
    "report",
    "command",
    "__main__",
]
"""The direction of imports (the package docstring's map): a module may import those before it."""

LATE_IMPORTS: set[tuple[str, str]] = set()
"""Imports inside functions that are allowed (module, what it imports): none."""

FOLDER = Path(trainlab.tune.__file__).parent


def tune_imports(node: ast.AST) -> set[str]:
    """The trainlab.tune modules that ``node`` imports (``from trainlab.tune.x import ...``)."""
    names = set()
    for statement in ast.walk(node):
        if isinstance(statement, ast.ImportFrom) and (statement.module or "").startswith(
            "trainlab.tune."
        ):
            names.add(statement.module)
        elif isinstance(statement, ast.Import):
            names.update(
                alias.name for alias in statement.names if alias.name.startswith("trainlab.tune.")
            )
    return names


def test_every_module_is_on_the_map():
    assert sorted(path.stem for path in FOLDER.glob("*.py") if path.stem != "__init__") == sorted(
        ORDER
    )


def test_modules_import_only_the_ones_before_them():
    for index, name in enumerate(ORDER):
        tree = ast.parse((FOLDER / f"{name}.py").read_text())
        imported = {module.removeprefix("trainlab.tune.") for module in tune_imports(tree)}
        later = imported - set(ORDER[:index])
        assert not later, (
            f"trainlab.tune.{name} imports {sorted(later)}, which come after it (or are itself)"
        )


def test_no_imports_inside_functions():
    for name in ORDER:
        tree = ast.parse((FOLDER / f"{name}.py").read_text())
        for function in (
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ):
            for statement in ast.walk(function):
                if isinstance(statement, ast.Import | ast.ImportFrom):
                    modules = (
                        {statement.module}
                        if isinstance(statement, ast.ImportFrom)
                        else {alias.name for alias in statement.names}
                    )
                    assert {(name, module) for module in modules} <= LATE_IMPORTS, (
                        f"trainlab.tune.{name}.{function.name} imports {modules} inside the function"
                    )
