"""A sync killed (SIGKILL) mid-way resumes from its checkpoint: no gap, no duplicate."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from unified_accounting.sync import SyncOptions, SyncService
from unified_accounting.sync.checkpoint import read_state
from unified_accounting.sync.state import Phase
from unified_accounting.testing.cassettes import serve

from .providers import CASES, ProviderCase, mirror_summary

pytestmark = [pytest.mark.anyio, pytest.mark.integration]  # kills a sync child process

CHILD = Path(__file__).with_name("sync_child.py")
PAGE_SIZE = 20
RESOURCES = ("customer", "invoice", "payment")


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> ProviderCase:
    return CASES[request.param]


async def test_kill_during_initial_sync_then_resume(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    # Latency makes the child slow enough to be caught between checkpoints.
    app = case.seeded(invoices=160, latency_ms=40)
    with serve(app) as base_url:
        settings = {**case.settings(app), "base_url": base_url}
        async with case.client(app, database_url, secret_key) as client:
            conn = await case.connect(client, app)
            db = await client.database()
            arguments = {
                "provider": case.name,
                "settings": settings,
                "database_url": database_url,
                "secret_key": secret_key,
                "consumer": "acme",
                "page_size": PAGE_SIZE,
                "resources": RESOURCES,
                "lease_ttl": 1.5,
            }
            child = await asyncio.create_subprocess_exec(sys.executable, str(CHILD), json.dumps(arguments))
            try:
                deadline = time.monotonic() + 60
                while (await read_state(db, conn.key)).pages < 2:
                    assert child.returncode is None, "the sync ended before it could be killed"
                    assert time.monotonic() < deadline, "the child never checkpointed"
                    await asyncio.sleep(0.01)
                os.kill(child.pid, signal.SIGKILL)
            finally:
                await child.wait()
            killed_at = await read_state(db, conn.key)
            assert killed_at.phase is Phase.INITIAL and killed_at.pages >= 2
            assert killed_at.next_resource() is not None, "killed too late: nothing left to resume"

            options = SyncOptions(page_size=PAGE_SIZE, resources=RESOURCES)
            report = await SyncService(client, options).sync(conn)
            assert report.kind == "initial"
            for resource in RESOURCES:
                assert await mirror_summary(conn, resource) == case.expected(app, resource), resource
            # Every listed record was stored exactly once across the two runs.
            listed = sum(case.listed_count(app, resource) for resource in RESOURCES)
            assert report.records == listed
            assert (await read_state(db, conn.key)).phase is Phase.IDLE
