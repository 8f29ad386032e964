"""The generated files match their sources: the client (from the catalog and the async client)
and the resources page of the docs (from the catalog and the providers' capabilities)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.integration
def test_generated_client_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_client.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_resources_page_is_up_to_date() -> None:
    # In process: the catalog and the providers are imported already (the script's ``--check`` in a
    # process of its own would import them all again).
    spec = importlib.util.spec_from_file_location("generate_docs", ROOT / "scripts" / "generate_docs.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.PAGE.read_text() == script.page_source(), (
        "docs/resources.md is out of date: run python scripts/generate_docs.py"
    )
