"""Where the browser tests find chromium: ``UA_CHROMIUM``, the system, or Playwright's own install.

A machine with none of them skips the browser tests locally, naming the command that installs one;
under CI a skip fails the run (see the repository's ``conftest.py``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

#: Commands a system chromium goes by (Debian, Ubuntu and Fedora packages, Google's build).
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_COMMAND = "uv run --group dev playwright install chromium"
NOT_FOUND = (
    "no chromium found (UA_CHROMIUM, {names} on PATH, or Playwright's own install); "
    f"install Playwright's with: {INSTALL_COMMAND}"
).format(names="/".join(SYSTEM_NAMES))


class ChromiumMissing(Exception):
    """No chromium anywhere the browser tests look, or ``UA_CHROMIUM`` names nothing."""


def playwright_chromium() -> str | None:
    """The chromium Playwright installed for itself (``playwright install chromium``), if it did."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if path and Path(path).exists() else None


def find_chromium(
    environ: dict[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
    playwright: Callable[[], str | None] = playwright_chromium,
) -> Path:
    """The chromium to drive, in order: ``UA_CHROMIUM``, the system's, Playwright's."""
    environ = dict(os.environ) if environ is None else environ
    given = environ.get("UA_CHROMIUM")
    if given:
        if not Path(given).exists():
            raise ChromiumMissing(f"UA_CHROMIUM names {given}, which does not exist")
        return Path(given)
    for name in SYSTEM_NAMES:
        found = which(name)
        if found:
            return Path(found)
    found = playwright()
    if found:
        return Path(found)
    raise ChromiumMissing(NOT_FOUND)
