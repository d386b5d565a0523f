"""The package's shape: imports run one way (no cycles), and no imports hide inside functions.

The import graph is read from the source with ``ast``: an edge a -> b for every ``import`` or ``from ... import``
of a trainlab module that runs when a is imported (module level, including ``try`` and ``if`` blocks, but
not ``if TYPE_CHECKING:``, which only type checkers run). ``from package import name`` is an edge to
``package.name`` when that is a module, else to the package. An import inside a function is allowed only
for an optional or heavy dependency, with a comment saying so ("optional", "heavy" or "slow to import") on
its line or in the comment just above; a trainlab module is never imported inside a function (that is how
cycles hide).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "trainlab"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def resolve(module: str, level: int, importer: str, is_package: bool) -> str:
    """The absolute name of ``from <level dots><module> import ...`` written in ``importer``."""
    if level == 0:
        return module
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_modules(node: ast.Import | ast.ImportFrom, importer: str) -> list[str]:
    """The trainlab modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "trainlab"]
    target = resolve(node.module or "", node.level, importer, MODULES[importer].name == "__init__.py")
    if target.split(".")[0] != "trainlab":
        return []
    out = []
    for alias in node.names:
        candidate = f"{target}.{alias.name}"
        out.append(candidate if candidate in MODULES else target)
    return out


def module_level_imports(tree: ast.Module):
    """Import statements that run at import time (not in functions, classes' methods or TYPE_CHECKING)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not is_type_checking(node):
                stack.extend(node.body)
            stack.extend(node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                stack.extend(handler.body)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            stack.extend(node.body)


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = {target for node in module_level_imports(tree) for target in imported_modules(node, name)
                       if target in MODULES and target != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (depth-first search with colours)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for successor in sorted(graph[node]):
            if state.get(successor) == 1:
                return [*path[path.index(successor):], successor]
            if successor not in state and (cycle := visit(successor)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


MARKERS = ("optional", "heavy", "slow to import")


def comment_around(lines: list[str], index: int) -> str:
    """The comment on line ``index`` and the comment lines right above it (or above the group of imports
    it belongs to), lower case."""
    text = lines[index].partition("#")[2]
    above = index - 1
    while above >= 0 and lines[above].strip().startswith(("#", "import ", "from ")):
        text += lines[above].partition("#")[2]
        above -= 1
    return text.lower()


def imports_inside_functions(name: str, path: Path) -> list[str]:
    """'module:line statement' for each import inside a function that is not a marked optional dependency."""
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source, str(path))):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            marked = any(word in comment_around(lines, node.lineno - 1) for word in MARKERS)
            if imported_modules(node, name) or not marked:
                found.append(f"{name}:{node.lineno} {lines[node.lineno - 1].strip()}")
    return sorted(set(found))


def test_the_graph_sees_the_imports_it_should():
    graph = import_graph()
    assert "trainlab.model" in graph["trainlab"]
    assert "trainlab.layers" in graph["trainlab.model"] or "trainlab.base" in graph["trainlab.model"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_inside_trainlab():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_imports_inside_functions_except_marked_optional_dependencies(name):
    assert imports_inside_functions(name, MODULES[name]) == []
