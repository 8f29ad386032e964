"""Every hook is documented in docs/hooks.md with its exact signature."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from unified_accounting import hookspecs

HOOKS_DOC = (Path(__file__).parents[1] / "docs" / "hooks.md").read_text()
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("ua_"))


def documented_signature(name: str) -> str:
    parameters = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
    return f"### `{name}({parameters})"


def test_there_are_hooks() -> None:
    assert "ua_register_providers" in HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_its_signature(name: str) -> None:
    assert documented_signature(name) in HOOKS_DOC, (
        f"docs/hooks.md lacks a heading {documented_signature(name)}…"
    )


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_docstring(name: str) -> None:
    assert (getattr(hookspecs, name).__doc__ or "").strip()


def test_no_documented_hook_is_gone() -> None:
    documented = {
        line.split("`")[1].split("(")[0] for line in HOOKS_DOC.splitlines() if line.startswith("### `ua_")
    }
    assert documented == set(HOOKS)
