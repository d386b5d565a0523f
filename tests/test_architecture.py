"""The package's shape is the map of docs/architecture.md: imports run up its table (a module
imports only modules of its own row or of the rows above), the arrows it draws are imports the code
makes, there are no cycles, type-only imports included, no imports hide inside functions, and the
laboratory reaches the lessons only by name through their catalogue.

The import graph is read from the source with ``ast``: an edge a -> b for every ``import`` or ``from
... import`` of a trainlab module at module level (including ``try`` and ``if`` blocks, and ``if
TYPE_CHECKING:``: a type-only import is a dependency too, and a cycle through one is a cycle).
``from package import name`` is an edge to ``package.name`` when that is a module, else to the
package. An import inside a function is allowed only for an optional or heavy dependency, with a
comment saying so ("optional", "heavy" or "slow to import") on its line or in the comment just
above; a trainlab module is never imported inside a function (that is how cycles hide).
"""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "trainlab"
MAP = ROOT / "docs" / "architecture.md"


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
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(node: ast.Import | ast.ImportFrom, importer: str) -> list[str]:
    """The trainlab modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "trainlab"]
    target = resolve(
        node.module or "", node.level, importer, MODULES[importer].name == "__init__.py"
    )
    if target.split(".")[0] != "trainlab":
        return []
    out = []
    for alias in node.names:
        candidate = f"{target}.{alias.name}"
        out.append(candidate if candidate in MODULES else target)
    return out


def module_level_imports(tree: ast.Module, type_checking: bool = True):
    """Import statements at module level (not in functions or methods): those that run when the
    module is imported, and those under ``if TYPE_CHECKING:`` unless ``type_checking`` is False."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if type_checking or not is_type_checking(node):
                stack.extend(node.body)
            stack.extend(node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                stack.extend(handler.body)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            stack.extend(node.body)


def import_graph(type_checking: bool = True) -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = {
            target
            for node in module_level_imports(tree, type_checking)
            for target in imported_modules(node, name)
            if target in MODULES and target != name
        }
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
                return [*path[path.index(successor) :], successor]
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
    """The comment on line ``index`` and the comment lines right above it (or above the group of
    imports it belongs to), lower case."""
    text = lines[index].partition("#")[2]
    above = index - 1
    while above >= 0 and lines[above].strip().startswith(("#", "import ", "from ")):
        text += lines[above].partition("#")[2]
        above -= 1
    return text.lower()


def imports_inside_functions(name: str, path: Path) -> list[str]:
    """'module:line statement' for each import inside a function that is not a marked optional
    dependency."""
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


# -- the map: docs/architecture.md's table and arrows ----------------------------------------------
def map_section(title: str) -> str:
    text = MAP.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def table_rows() -> list[tuple[str, list[str]]]:
    """(layer, module names relative to trainlab) for each row of the map's table, top (most basic)
    first."""
    rows = []
    for line in map_section("Who owns what").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[1].startswith("`"):
            rows.append((cells[0], re.findall(r"`([^`]+)`", cells[1])))
    return rows


def qualified(name: str) -> str:
    return "trainlab" if name == "trainlab" else f"trainlab.{name}"


def covers(name: str, module: str) -> bool:
    """Whether a name of the table covers ``module``: ``x.*`` what is inside x, ``x`` x and what is
    inside it, ``trainlab`` the package's ``__init__`` alone."""
    if name.endswith(".*"):
        return module.startswith(name[:-1])
    return module == name or (name != "trainlab" and module.startswith(f"{name}."))


def layers() -> dict[str, int]:
    """The row of every module: that of the most specific name in the table covering it."""
    names = {
        qualified(name): index for index, (_, names) in enumerate(table_rows()) for name in names
    }
    rows = {}
    for module in MODULES:
        covering = [name for name in names if covers(name, module)]
        if covering:
            rows[module] = names[max(covering, key=len)]
    return rows


def arrows() -> list[tuple[str, str]]:
    """(importer, imported) for every arrow of the map's code block."""
    block = map_section("Which way imports run").split("```")[1]
    edges = []
    for line in block.strip().splitlines():
        groups = [
            [qualified(name.strip()) for name in group.split(",")] for group in line.split("->")
        ]
        edges += [(a, b) for left, right in itertools.pairwise(groups) for a in left for b in right]
    return edges


def test_the_map_covers_every_module_once():
    rows = table_rows()
    assert [layer for layer, _ in rows][:3] == ["basics", "maths", "updates"] and len(rows) >= 10
    names = [qualified(name) for _, row in rows for name in row]
    assert len(names) == len(set(names)), "a module is named in two rows"
    assert not [name for name in names if name.removesuffix(".*") not in MODULES], (
        "the table names a module that does not exist"
    )
    assert sorted(set(MODULES) - set(layers())) == [], (
        "modules in no row of docs/architecture.md's table"
    )


def test_imports_run_up_the_table():
    """A module imports (type-only imports included) only modules of its own row or of the rows
    above."""
    row, titles = layers(), [layer for layer, _ in table_rows()]
    upward = [
        f"{a} ({titles[row[a]]}) imports {b} ({titles[row[b]]})"
        for a, targets in import_graph().items()
        for b in sorted(targets)
        if row[b] > row[a]
    ]
    assert upward == []


def test_the_maps_arrows_are_imports_the_code_makes():
    graph, edges = import_graph(), arrows()
    assert len(edges) > 40
    assert [f"{a} -> {b}" for a, b in edges if b not in graph.get(a, ())] == []


def test_the_graph_sees_the_imports_it_should():
    graph = import_graph()
    assert "trainlab.model" in graph["trainlab"]
    assert (
        "trainlab.layers" in graph["trainlab.model"] or "trainlab.base" in graph["trainlab.model"]
    )
    assert "trainlab.optimizers" in graph["trainlab.step"]  # under TYPE_CHECKING: counted
    assert "trainlab.optimizers" not in import_graph(type_checking=False)["trainlab.step"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_inside_trainlab_type_only_imports_included():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_laboratory_reaches_the_lessons_only_by_name():
    """Outside the lessons, only their catalogue (``trainlab.lessons``) is imported, which imports
    none of them itself: a lesson is loaded by name with importlib."""
    lessons = {name for name in MODULES if name.startswith("trainlab.lessons.")}
    graph = import_graph()
    reaching = [
        f"{a} -> {b}"
        for a, targets in graph.items()
        if not a.startswith("trainlab.lessons")
        for b in targets & lessons
    ]
    assert reaching == [] and not graph["trainlab.lessons"] & lessons


def test_a_lesson_never_imports_another_lesson():
    lessons = {name for name in MODULES if name.startswith("trainlab.lessons.")}
    graph = import_graph()
    assert [f"{a} -> {b}" for a in sorted(lessons) for b in sorted(graph[a] & lessons)] == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_imports_inside_functions_except_marked_optional_dependencies(name):
    assert imports_inside_functions(name, MODULES[name]) == []


def private_names(tree: ast.Module) -> set[str]:
    """The private names a module defines: functions, classes, class attributes and ``self._x`` it
    assigns."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Attribute):
                        names.add(leaf.attr)
                    elif isinstance(leaf, ast.Name):
                        names.add(leaf.id)
    return {name for name in names if name.startswith("_") and not name.startswith("__")}


def test_no_private_attribute_is_used_across_modules():
    """``obj._name`` only for a private name the module itself defines: a trainlab module never
    reaches into another's privates (the optimizers' layout once reached seven of Optimizer's).
    Other libraries' privates (argparse's) are not trainlab's to police here."""
    trees = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}
    defined = {name: private_names(tree) for name, tree in trees.items()}
    found = []
    for name, tree in trees.items():
        others = set().union(*(names for module, names in defined.items() if module != name))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in others
                and node.attr not in defined[name]
                and node.attr.startswith("_")
            ):
                found.append(f"{name}:{node.lineno} {ast.unparse(node)}")
    assert found == []
    assert "_dims" in defined["trainlab.tune.space"] and "_entries" in defined["trainlab.registry"]
