"""The provider contract sits on its infrastructure, never the other way round: no import cycle,
and none dodged with an import inside a function or behind ``TYPE_CHECKING``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "unified_accounting"
INFRASTRUCTURE = [
    *sorted((PACKAGE / "oauth").glob("*.py")),
    *sorted((PACKAGE / "ratelimits").glob("*.py")),
    PACKAGE / "settings.py",
    PACKAGE / "webhook_signatures.py",
]


def imported_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", INFRASTRUCTURE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_infrastructure_does_not_import_the_provider_contract(path: Path) -> None:
    imported = imported_modules(ast.parse(path.read_text()))
    assert not {name for name in imported if name.lstrip(".") in ("provider", "plugins", "client")}


def test_the_provider_contract_imports_nothing_inside_its_functions() -> None:
    tree = ast.parse((PACKAGE / "provider.py").read_text())
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    assert functions
    assert not [f.name for f in functions if imported_modules(f)]
