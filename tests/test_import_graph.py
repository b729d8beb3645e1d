"""The package's import graph has no cycle (issue 15): every module can be read, tested and
moved knowing only what it imports. grimp (import-linter's graph library) builds the graph of
direct imports, lazy ones inside functions and type-only ones included, and a strongly
connected component of more than one module is a cycle."""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if not imported.startswith("pycodex"):
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_the_package_has_no_import_cycle() -> None:
    graph = grimp.build_graph("pycodex")
    assert len(graph.modules) > 100  # the whole package was read
    assert _cycles(graph) == []


def test_a_cycle_would_be_found() -> None:
    graph = grimp.ImportGraph()
    for name in ("pycodex.a", "pycodex.b", "pycodex.c"):
        graph.add_module(name)
    graph.add_import(importer="pycodex.a", imported="pycodex.b")
    graph.add_import(importer="pycodex.b", imported="pycodex.a")
    graph.add_import(importer="pycodex.b", imported="pycodex.c")
    assert _cycles(graph) == [["pycodex.a", "pycodex.b"]]
