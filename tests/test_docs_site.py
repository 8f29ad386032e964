"""The docs site: every page reachable from the navigation once, and a newcomer's path first."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"


def nav_pages(entries: Any) -> list[str]:
    pages: list[str] = []
    for entry in entries:
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            pages.extend(nav_pages(value) if isinstance(value, list) else [value])
    return pages


NAV = nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"])


def test_every_page_is_in_the_navigation_exactly_once() -> None:
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    counts = Counter(NAV)
    assert {page for page, n in counts.items() if n > 1} == set()
    assert set(NAV) == on_disk  # a page written later (performance.md) must be added to the nav
    for required in ("portability.md", "architecture.md"):
        assert required in NAV


def test_the_newcomers_path_comes_first_and_walks_every_step() -> None:
    assert NAV[:2] == ["index.md", "quickstart.md"]
    steps = re.findall(r"^### \d\. (.+)$", (DOCS / "quickstart.md").read_text(), re.M)
    assert steps == [
        "Start a sandbox",
        "Connect a consumer",
        "A first invoice",
        "Sync into a local mirror",
        "Webhooks keep it fresh",
        "Beyond invoices: a bill, its receipt, a report",
    ]
