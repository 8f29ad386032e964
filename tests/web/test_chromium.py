"""The browser tests find chromium wherever a machine has it, and say how to install one when it has
none (issue: the suite errored on a machine without Debian's chromium at /usr/bin/chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .chromium import INSTALL_COMMAND, ChromiumMissing, find_chromium


def nowhere(name: str) -> str | None:
    return None


def no_playwright() -> str | None:
    return None


def test_ua_chromium_comes_first(tmp_path: Path) -> None:
    given = tmp_path / "my-chromium"
    given.write_text("")
    found = find_chromium(
        {"UA_CHROMIUM": str(given)}, which=lambda name: f"/opt/{name}", playwright=no_playwright
    )
    assert found == given


def test_ua_chromium_naming_nothing_says_so(tmp_path: Path) -> None:
    with pytest.raises(ChromiumMissing, match=r"UA_CHROMIUM names .*missing, which does not exist"):
        find_chromium({"UA_CHROMIUM": str(tmp_path / "missing")}, which=nowhere, playwright=no_playwright)


@pytest.mark.parametrize("name", ["chromium", "chromium-browser", "google-chrome"])
def test_a_system_chromium_by_any_of_its_names(name: str) -> None:
    found = find_chromium({}, which=lambda wanted: f"/usr/bin/{name}" if wanted == name else None)
    assert found == Path(f"/usr/bin/{name}")


def test_playwrights_own_chromium_when_the_system_has_none() -> None:
    found = find_chromium({}, which=nowhere, playwright=lambda: "/root/.cache/ms-playwright/chrome")
    assert found == Path("/root/.cache/ms-playwright/chrome")


def test_none_at_all_names_the_install_command() -> None:
    with pytest.raises(ChromiumMissing) as missing:
        find_chromium({}, which=nowhere, playwright=no_playwright)
    assert INSTALL_COMMAND in str(missing.value)
    assert INSTALL_COMMAND == "uv run --group dev playwright install chromium"
