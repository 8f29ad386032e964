"""The core imports its own modules at the top of each module, never inside a function.

A function-local import hides a dependency from readers and from the layer contracts that
``lint-imports`` checks (``pyproject.toml``, ``docs/architecture.md``): it is how an import cycle
hides. Only optional third-party dependencies are imported late, where they are needed, so that the
library works without them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import unified_accounting

PACKAGE = Path(unified_accounting.__file__).parent
#: Not dependencies of the library itself: the ``postgres`` extra, and test tools.
OPTIONAL_DEPENDENCIES = frozenset({"procrastinate", "psycopg", "vcr", "playwright"})


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def function_local_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports inside a function (at any depth), except those under ``if TYPE_CHECKING:``."""

    def walk(node: ast.AST, in_function: bool) -> Iterator[ast.Import | ast.ImportFrom]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom) and in_function:
                yield child
            yield from walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    return walk(tree, False)


def imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        if node.level:  # relative: always one of ours
            return [f"unified_accounting.{'.' * node.level}{node.module or ''}"]
        return [node.module or ""]
    return [alias.name for alias in node.names]


def violations(source: str) -> list[str]:
    found = []
    for node in function_local_imports(ast.parse(source)):
        for module in imported_modules(node):
            top = module.split(".")[0]
            if top == "unified_accounting" or top not in OPTIONAL_DEPENDENCIES:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_the_check_sees_what_it_must() -> None:
    source = """
from typing import TYPE_CHECKING
from .errors import ConfigurationError
if TYPE_CHECKING:
    from .client import AsyncClient

def ok() -> None:
    if TYPE_CHECKING:
        from .vault import VaultStore
    import procrastinate

def hidden() -> None:
    from .sync import SyncService
    async def inner() -> None:
        import unified_accounting.web
    import json
"""
    assert violations(source) == [
        "line 13: from .sync import SyncService",
        "line 15: import unified_accounting.web",
        "line 16: import json",
    ]


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda path: str(path.relative_to(PACKAGE))
)
def test_no_module_of_the_core_is_imported_inside_a_function(path: Path) -> None:
    assert violations(path.read_text()) == [], (
        f"{path.relative_to(PACKAGE.parent)} imports inside a function: import at the top of the "
        "module (an import cycle means a module is in the wrong layer, see docs/architecture.md)"
    )
