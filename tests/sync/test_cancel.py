"""A sync cancelled mid-listing (as a shutdown does) leaves no transaction and no lease behind.

The cancellation is delivered at the worst moment, deterministically: while the database runs the
upsert of a page (from SQLAlchemy's ``before_cursor_execute``), or while a page is being fetched.
Right after, a writer that does not wait must find the database free, and the lease free.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, text

from unified_accounting.storage import Database, sqlite_path
from unified_accounting.sync import SyncOptions, SyncService, lease
from unified_accounting.sync.checkpoint import read_state
from unified_accounting.sync.state import Phase

from .churn import UNLIMITED_EMULATOR, churn_client
from .providers import CASES, mirror_summary

pytestmark = pytest.mark.anyio

PAGE_SIZE = 40


async def assert_nothing_held(db: Database, database_url: str, provider: str, company_id: str) -> None:
    if db.dialect == "sqlite":
        # A connection that does not wait at all: BEGIN IMMEDIATE fails at once if a writer is left.
        path = sqlite_path(database_url)
        assert path is not None
        raw = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("ROLLBACK")
        finally:
            raw.close()
    else:
        async with db.engine.connect() as conn, conn.begin():
            # NOWAIT: fails at once on a row another transaction still holds.
            for table in ("ua_mirror_records", "ua_sync_states", "ua_sync_leases"):
                await conn.execute(text(f"SELECT 1 FROM {table} FOR UPDATE NOWAIT"))
            left = await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            )
            assert left.scalar_one() == 0
    assert await lease.try_acquire(db, provider, company_id, "the-next-worker")
    await lease.release(db, provider, company_id, "the-next-worker")


async def cancel_when(
    client: Any, conn: Any, db: Database, arm: Callable[[asyncio.Task[Any]], Callable[[], None]]
) -> None:
    """Run a sync, let ``arm`` cancel it at the moment it chooses, and wait for the cancellation."""
    service = SyncService(client, SyncOptions(page_size=PAGE_SIZE))
    task: asyncio.Task[Any] = asyncio.create_task(service.sync(conn))
    disarm = arm(task)
    try:
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        disarm()
    state = await read_state(db, conn.key)
    assert state.phase is Phase.INITIAL and state.pages >= 1, "cancelled before or after the listing"


async def test_cancelled_while_a_page_is_written(database_url: str, secret_key: str) -> None:
    case = CASES["quickbooks"]
    app = case.seeded(invoices=300, **UNLIMITED_EMULATOR["quickbooks"])
    client, _ = churn_client(case, app, database_url, secret_key)
    async with client:
        conn = await case.connect(client, app)
        db = await client.database()
        for attempt in range(3):  # each time at another page, in another statement of the upsert

            def arm(task: asyncio.Task[Any], attempt: int = attempt) -> Callable[[], None]:
                upserts = 0
                loop = asyncio.get_running_loop()

                def on_execute(*args: Any) -> None:
                    nonlocal upserts
                    statement = str(args[2])
                    if "ua_mirror_records" in statement and "INSERT" in statement.upper():
                        upserts += 1
                        if upserts == 3 + attempt:
                            # Delivered while the driver runs this very statement (on SQLite, in the
                            # writer thread: hence through the loop).
                            loop.call_soon_threadsafe(task.cancel)

                for engine in db.engines:
                    event.listen(engine, "before_cursor_execute", on_execute)

                def disarm() -> None:
                    for engine in db.engines:
                        event.remove(engine, "before_cursor_execute", on_execute)

                return disarm

            await cancel_when(client, conn, db, arm)
            await assert_nothing_held(db, database_url, "quickbooks", conn.company_id)
        # And the next sync resumes and completes.
        report = await SyncService(client, SyncOptions(page_size=PAGE_SIZE)).sync(conn)
        assert report.kind == "initial"
        assert await mirror_summary(conn, "invoice") == case.expected(app, "invoice")


async def test_cancelled_while_a_page_is_fetched(database_url: str, secret_key: str) -> None:
    case = CASES["quickbooks"]
    app = case.seeded(invoices=300, **UNLIMITED_EMULATOR["quickbooks"])
    client, transport = churn_client(case, app, database_url, secret_key)
    async with client:
        conn = await case.connect(client, app)
        db = await client.database()

        def arm(task: asyncio.Task[Any]) -> Callable[[], None]:
            async def on_page(page: int) -> None:
                if page == 4:
                    task.cancel()

            transport.on_page = on_page

            def disarm() -> None:
                transport.on_page = None

            return disarm

        await cancel_when(client, conn, db, arm)
        await assert_nothing_held(db, database_url, "quickbooks", conn.company_id)
