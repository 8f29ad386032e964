"""The Alembic chain builds exactly the declared tables; revision 0103 keeps what a vault holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, select

from unified_accounting.storage.database import SyncDatabase
from unified_accounting.storage.engine import _alembic_config, create_engine
from unified_accounting.sync.schema import webhook_deliveries
from unified_accounting.vault.paths import async_database_url
from unified_accounting.vault.schema import VERSION_TABLE, metadata
from unified_accounting.vault.store import VaultStore
from unified_accounting.web.sessions import connect_sessions
from unified_accounting.webhooks import inbox

pytestmark = pytest.mark.anyio


def _to(revision: str, *, down: bool = False) -> Any:
    def run(connection: Connection) -> None:
        config = _alembic_config(connection)
        (command.downgrade if down else command.upgrade)(config, revision)

    return run


def _differences(connection: Connection) -> list[Any]:
    """What the migrated schema lacks or has beyond the tables' definitions (Alembic's own table aside)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    found = compare_metadata(context, metadata)
    return [d for d in found if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)]


async def test_migrated_schema_matches_the_declared_tables(database_url: str, secret_key: str) -> None:
    store = VaultStore(database_url, keys=[secret_key])
    try:
        engine = await store.start()
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await store.close()


async def test_0103_keeps_old_deliveries_and_stores_a_new_body_once(database_url: str) -> None:
    engine = create_engine(async_database_url(database_url))
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_to("0101"))
            old = {"provider": "xero", "received_at": now, "body": "{}", "events": 0}
            await conn.execute(webhook_deliveries.insert().values(id=1, **old))
            await conn.execute(webhook_deliveries.insert().values(id=2, **old))  # stored twice before
        async with engine.begin() as conn:
            await conn.run_sync(_to("head"))
            assert await conn.run_sync(_differences) == []
            kept = (
                await conn.execute(select(webhook_deliveries.c.id, webhook_deliveries.c.body_sha256))
            ).all()
            assert sorted(kept) == [(1, None), (2, None)]
            assert (await conn.execute(select(func.count()).select_from(connect_sessions))).scalar_one() == 0
        db = SyncDatabase(engine)
        for _ in range(3):
            async with db.write() as conn:
                await inbox.store(db, conn, "xero", b'{"events": []}', [], now)
        async with db.read() as conn:
            count = (await conn.execute(select(func.count()).select_from(webhook_deliveries))).scalar_one()
        assert count == 3  # the two old rows and one new one
        async with engine.begin() as conn:  # and the revision can be undone and redone
            await conn.run_sync(_to("0101", down=True))
            await conn.run_sync(_to("head"))
    finally:
        await engine.dispose()
