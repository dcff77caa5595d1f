"""The onboarding modules import each other without a circle, counting imports inside functions too.

A circle used to be dodged by importing inside a function (application → visits → items → application);
the shared pieces live in onboarding/state.py and common.py now, and this test keeps it that way: it reads
every module's imports with ast (top level, functions, classes alike) and looks for a cycle among them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import siaga112.onboarding

PACKAGE = "siaga112.onboarding"
FOLDER = Path(siaga112.onboarding.__file__).parent


def modules() -> dict[str, Path]:
    return {path.stem: path for path in sorted(FOLDER.glob("*.py"))}


def imported_modules(tree: ast.AST, known: set[str]) -> set[str]:
    """The package's modules that `tree` imports anywhere, relative (`from .x import y`, `from . import x`) or
    absolute (`siaga112.onboarding.x`); a name of the package itself that is no module counts as __init__."""
    found: set[str] = set()

    def add(module: str | None, names: list[str]) -> None:
        if module:
            found.add(module.split(".")[0])
        else:
            found.update(name if name in known else "__init__" for name in names)

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            if node.level == 1:
                add(node.module, names)
            elif node.level == 0 and node.module and (node.module + ".").startswith(PACKAGE + "."):
                add(node.module[len(PACKAGE) + 1:] or None, names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    add(alias.name[len(PACKAGE) + 1:], [])
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imported_modules(ast.parse(path.read_text(), str(path)), set(found)) - {name}
            for name, path in found.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts (None if there is none)."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, [*path, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_the_onboarding_modules_import_each_other_without_a_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "onboarding modules import each other in a circle: " + " → ".join(cycle or ())


def test_the_graph_sees_imports_at_every_level():
    """Guards the test above: a reader that missed imports would find no cycle and prove nothing."""
    graph = import_graph()
    assert {"state", "common", "visits", "routing"} <= graph["application"]  # top-level relative imports
    assert {"api", "api_visits", "views", "views_visits"} <= graph["__init__"]  # inside register()
    assert "service" in graph["api"]  # from . import service
    tree = ast.parse("def f():\n    from .items import item_of\n\n"
                     "class C:\n    import siaga112.onboarding.visits\n"
                     "from siaga112.onboarding import service, no_such_module\n")
    assert imported_modules(tree, {"items", "visits", "service"}) == {"items", "visits", "service", "__init__"}


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
