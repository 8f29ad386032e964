"""The examples of docs/documents.md run as written, against the Ledgerly emulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).parents[1] / "docs" / "documents.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 5


def test_the_examples_run_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {"__name__": "docs_documents"}
    for number, block in enumerate(BLOCKS, start=1):
        exec(compile(block, f"{PAGE.name}:block {number}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "content_type: ledgerly does not accept" in printed
    assert "resource: ledgerly cannot attach files to customer records" in printed
    assert "path: segment '..'" in printed
