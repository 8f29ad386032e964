"""The emulator packages import in one direction: no cycles, no imports hidden in functions to dodge one.

Every import between modules of one package counts, at module level, under ``TYPE_CHECKING`` or
inside a function; a cycle among them is a failure, and so is a function-local import of a sibling
module (the usual way a cycle is hidden).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "unified_accounting.emulation": ROOT / "unified_accounting" / "emulation",
    "unified_accounting_quickbooks.emulator": ROOT
    / "providers/quickbooks/unified_accounting_quickbooks/emulator",
    "unified_accounting_xero.emulator": ROOT / "providers/xero/unified_accounting_xero/emulator",
}


def imports(package: str, folder: Path) -> tuple[dict[str, set[str]], list[str]]:
    """Sibling modules each module imports, and the function-local sibling imports found."""
    modules = {path.stem for path in folder.glob("*.py")} - {"__init__", "__main__"}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    hidden: list[str] = []

    def siblings(node: ast.Import | ast.ImportFrom) -> set[str]:
        found: set[str] = set()
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 1:
                names = [base] if base else [alias.name for alias in node.names]
                found.update(name.split(".")[0] for name in names)
            elif base.startswith(package + "."):
                found.add(base[len(package) + 1 :].split(".")[0])
            elif base == package:
                found.update(alias.name for alias in node.names)
        else:
            for alias in node.names:
                if alias.name.startswith(package + "."):
                    found.add(alias.name[len(package) + 1 :].split(".")[0])
        return found & modules

    for name in modules:
        tree = ast.parse((folder / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom) and siblings(inner):
                        hidden.append(f"{name}.{node.name} imports {sorted(siblings(inner))}")
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name] |= siblings(node) - {name}
    return graph, hidden


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for following in sorted(graph[node]):
            if state.get(following) == 1:
                return [*path[path.index(following) :], following]
            if following not in state and (found := visit(following)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_cycle_and_no_hidden_imports(package: str) -> None:
    graph, hidden = imports(package, PACKAGES[package])
    assert cycle(graph) is None, " -> ".join(cycle(graph) or [])
    assert hidden == []


def test_the_checker_sees_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    (tmp_path / "emulator.py").write_text("def app():\n    from .app import build\n    return build()\n")
    (tmp_path / "app.py").write_text("from .emulator import Emulator\n")
    graph, hidden = imports("pkg", tmp_path)
    assert cycle(graph) in (["app", "emulator", "app"], ["emulator", "app", "emulator"])
    assert hidden == ["emulator.app imports ['app']"]


def test_the_kit_does_not_depend_on_any_provider() -> None:
    for path in PACKAGES["unified_accounting.emulation"].glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("unified_accounting_", "ua_")), (path.name, node.module)
