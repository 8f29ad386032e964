"""``ua demo``, the README's main job, runs end to end: both providers, OAuth, conflict, sync, webhooks."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

# Runs `ua demo` as a process, with its emulators and servers on loopback: a minute each.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

UA = [sys.executable, "-m", "unified_accounting.cli"]


def demo_env(tmp: str) -> dict[str, str]:
    # Temp files (the demo's vault) go under a folder the test owns, so leftovers can be checked.
    return {**os.environ, "TMPDIR": tmp, "COLUMNS": "120", "NO_COLOR": "1"}


def test_demo_runs_to_completion_and_cleans_up() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [*UA, "demo"], capture_output=True, text=True, timeout=120, env=demo_env(tmp), check=False
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        out = result.stdout
        for expected in (
            "quickbooks: company",
            "xero: company",
            "Conflict (5010)",
            "Conflict (StaleRowVersion)",
            "records in",
            "webhook answered [200]",
            "One invoice, two accounting systems, one model",
            "API calls made by the demo",
            "demo finished",
        ):
            assert expected in out, f"{expected!r} missing from the demo output:\n{out[-3000:]}"
        # Not one call was refused for its rate: the limiter counts every call, the OAuth
        # confirmation included (an uncounted one once cost the demo Intuit's minute-long penalty).
        throttled = re.findall(r"│ (quickbooks|xero)\s+│ \d+\s+│ \d+\s+│ (\d+)\s+│", out)
        assert sorted(throttled) == [("quickbooks", "0"), ("xero", "0")], out[-2000:]
        assert re.search(r"quickbooks: webhook answered \[200\]; mirror due date (\S+) → (?!\1)\S+", out)
        assert os.listdir(tmp) == [], "the demo left files behind"


def test_demo_keep_leaves_everything_running_until_interrupted() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        process = subprocess.Popen(
            [*UA, "demo", "--keep"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=demo_env(tmp),
        )
        try:
            lines: list[str] = []
            deadline = time.monotonic() + 120
            assert process.stdout is not None
            while "Ctrl-C stops everything." not in "".join(lines):
                assert time.monotonic() < deadline and process.poll() is None, "".join(lines)[-3000:]
                lines.append(process.stdout.readline())
            text = "".join(lines)
            link = re.search(r"connect page: (http://\S+)", text)
            emulator = re.search(r"quickbooks emulator: (http://\S+)", text)
            assert link and emulator, text[-2000:]
            with httpx.Client(follow_redirects=True) as browser:
                page = browser.get(link.group(1))
                assert page.status_code == 200
                # The demo consumer's two connections, made by the demo's OAuth flows, are listed.
                assert page.text.count(">Disconnect<") == 2, page.text
                assert "QuickBooks Online" in page.text and "Demo Company (AU)" in page.text
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
        kept = list(Path(tmp).iterdir())
        assert [p.name.startswith("ua-demo-") for p in kept] == [True], "--keep keeps its vault folder"
