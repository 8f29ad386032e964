"""A write cancelled while its statement runs (as a shutdown does) still ends its transaction.

Every package writes through ``Database.transaction``: the vault's saves, the connect page's
sessions, the webhook inbox, the outbox. The cancellation is delivered while the driver runs the
write's ``INSERT`` (from SQLAlchemy's ``before_cursor_execute``); right after, a writer that does not
wait must find the database free, and the unit of work must have run to its end.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from unified_accounting.connections import ConnectionRecord
from unified_accounting.storage import Database, sqlite_path
from unified_accounting.tokens import TokenSet
from unified_accounting.vault.schema import consumers
from unified_accounting.vault.store import VaultStore
from unified_accounting.web.schema import connect_sessions
from unified_accounting.web.sessions import SqlSessionStore

pytestmark = pytest.mark.anyio


@pytest.fixture
async def store(database_url: str, secret_key: str) -> AsyncIterator[VaultStore]:
    vault = VaultStore(database_url, keys=[secret_key])
    yield vault
    await vault.close()


async def cancelled_during_insert(db: Database, table: str, write: Callable[[], Awaitable[Any]]) -> None:
    """Run ``write`` and cancel it while the driver runs its ``INSERT INTO table``."""
    task: asyncio.Task[Any] = asyncio.ensure_future(write())

    def on_execute(*args: Any) -> None:
        statement = str(args[2])
        if statement.upper().startswith("INSERT") and table in statement:
            task.cancel()  # delivered while the driver runs this very statement

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


async def assert_nothing_held(db: Database, database_url: str) -> None:
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
        return
    async with db.engine.connect() as conn, conn.begin():
        left = await conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
            )
        )
        assert left.scalar_one() == 0


async def count(db: Database, table: Any) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_a_unit_of_work_runs_to_its_end_when_its_caller_is_cancelled(
    store: VaultStore, database_url: str
) -> None:
    db = await store.start()

    async def work(conn: AsyncConnection) -> None:
        await conn.execute(consumers.insert().values(id="acme", created_at=datetime.now(UTC)))

    await cancelled_during_insert(db, "ua_consumers", lambda: db.transaction(work))
    await assert_nothing_held(db, database_url)
    assert await count(db, consumers) == 1  # committed: the work was let finish


async def test_a_vault_save_cancelled_mid_statement_leaves_the_database_free(
    store: VaultStore, database_url: str
) -> None:
    db = await store.start()
    record = ConnectionRecord(
        consumer_id="acme",
        provider="ledgerly",
        company_id="c-1",
        tokens=TokenSet(access_token=SecretStr("at"), refresh_token=SecretStr("rt")),
    )
    await cancelled_during_insert(db, "ua_connections", lambda: store.save(record))
    await assert_nothing_held(db, database_url)
    saved = await store.get(record.key)
    assert saved is not None and saved.tokens.refresh_token == SecretStr("rt")


async def test_a_connect_session_cancelled_mid_statement_leaves_the_database_free(
    store: VaultStore, database_url: str
) -> None:
    db = await store.start()
    sessions = SqlSessionStore(db)
    now = datetime.now(UTC)

    def open_session() -> Awaitable[str | None]:
        return sessions.open(
            link_nonce="nonce",
            link_expires_at=now + timedelta(hours=1),
            consumer_id="acme",
            display_name=None,
            lifetime=timedelta(hours=1),
        )

    await cancelled_during_insert(db, "ua_connect_sessions", open_session)
    await assert_nothing_held(db, database_url)
    assert await count(db, connect_sessions) == 1
    assert await open_session() is None  # the link was spent by the cancelled visit
