"""The Alembic chain builds exactly the tables the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import unified_accounting.sync.schema  # noqa: F401  (the sync tables share the vault's metadata)
from unified_accounting.vault.schema import VERSION_TABLE, metadata
from unified_accounting.vault.store import VaultStore

pytestmark = pytest.mark.anyio


def _differences(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        diff
        for diff in compare_metadata(context, metadata)
        if not (diff[0] == "remove_table" and diff[1].name == VERSION_TABLE)
    ]


async def test_migrated_schema_matches_the_declared_tables(database_url: str, secret_key: str) -> None:
    store = VaultStore(database_url, keys=[secret_key])
    try:
        engine = await store.start()
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await store.close()
