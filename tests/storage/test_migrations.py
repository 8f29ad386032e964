"""Every package's Alembic chain builds exactly its declared tables; databases made by earlier
releases (one chain, revisions 0001-0103) open and reach the new heads with everything kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import unified_accounting
from unified_accounting.catalog import RESOURCES
from unified_accounting.connections import ConnectionHealth, ConnectionKey
from unified_accounting.mirror import query
from unified_accounting.mirror.schema import mirror_records
from unified_accounting.storage import Database, async_database_url, installed_schemas
from unified_accounting.storage.engine import create_engine
from unified_accounting.storage.migrations import VERSION_TABLE, Schema, alembic_config
from unified_accounting.sync import checkpoint
from unified_accounting.sync.schema import outbox, sync_leases, sync_states
from unified_accounting.sync.state import SyncState
from unified_accounting.vault.crypto import TokenCipher
from unified_accounting.vault.schema import connections, consumers, grants, oauth_states, vault_meta
from unified_accounting.vault.store import VaultStore
from unified_accounting.web.schema import connect_sessions
from unified_accounting.webhooks import inbox
from unified_accounting.webhooks.schema import webhook_backlog, webhook_deliveries, webhook_events

pytestmark = pytest.mark.anyio

LEGACY = Path(__file__).parent / "legacy"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _run(step: Callable[[Config, str], None], revision: str, schemas: list[Schema] | None = None) -> Any:
    def run(connection: Connection) -> None:
        step(alembic_config(connection, schemas or installed_schemas()), revision)

    return run


def _legacy_to(revision: str) -> Any:
    """Build the schema an earlier release made: the old single chain, up to ``revision``."""

    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(LEGACY))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return run


def _differences(connection: Connection) -> list[Any]:
    """What the migrated schema lacks or has beyond every package's declared tables."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    found = compare_metadata(context, [schema.metadata for schema in installed_schemas()])
    return [d for d in found if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)]


def _heads() -> set[str]:
    heads: set[str] = set()
    for schema in installed_schemas():
        heads |= set(
            ScriptDirectory(str(schema.versions), version_locations=[str(schema.versions)]).get_heads()
        )
    return heads


async def _stored_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return {str(row[0]) for row in await conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}


async def test_every_package_migrates_exactly_its_declared_tables(database_url: str) -> None:
    db = await Database.open(database_url)
    try:
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
        assert await _stored_revisions(db.engine) == _heads()
    finally:
        await db.dispose()


def test_each_package_owns_its_tables_and_every_chain_is_installed() -> None:
    schemas = installed_schemas()
    assert {s.name for s in schemas} >= {"vault", "mirror", "sync", "webhooks", "web"}
    tables = [table for schema in schemas for table in schema.metadata.tables]
    assert len(tables) == len(set(tables)), "a table is declared by two packages"
    package = Path(unified_accounting.__file__).parent
    chains = {path for path in package.rglob("migrations") if path.is_dir()}
    assert chains == {schema.versions for schema in schemas}
    for schema in schemas:
        script = ScriptDirectory(str(schema.versions), version_locations=[str(schema.versions)])
        [base] = script.get_bases()
        assert script.get_revision(base).branch_labels == {schema.name}
        assert len(script.get_heads()) == 1


async def test_a_second_open_finds_the_schema_up_to_date(database_url: str) -> None:
    first = await Database.open(database_url)
    await first.dispose()
    second = await Database.open(database_url)
    try:
        assert await _stored_revisions(second.engine) == _heads()
    finally:
        await second.dispose()


async def test_a_new_body_digest_keeps_old_deliveries_and_stores_a_new_body_once(database_url: str) -> None:
    engine = create_engine(async_database_url(database_url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run(command.upgrade, "webhooks_0002"))
            old = {"provider": "xero", "received_at": NOW, "body": "{}", "events": 0}
            await conn.execute(webhook_deliveries.insert().values(id=1, **old))
            await conn.execute(webhook_deliveries.insert().values(id=2, **old))  # stored twice before
        async with engine.begin() as conn:
            await conn.run_sync(_run(command.upgrade, "heads"))
            assert await conn.run_sync(_differences) == []
            kept = (
                await conn.execute(select(webhook_deliveries.c.id, webhook_deliveries.c.body_sha256))
            ).all()
            assert sorted(kept) == [(1, None), (2, None)]
        db = Database(engine)
        for _ in range(3):
            await db.transaction(lambda conn: inbox.store(db, conn, "xero", b'{"events": []}', [], NOW))
        async with db.read() as conn:
            count = (await conn.execute(select(func.count()).select_from(webhook_deliveries))).scalar_one()
        assert count == 3  # the two old rows and one new one
        async with engine.begin() as conn:  # and the revision can be undone and redone
            await conn.run_sync(_run(command.downgrade, "webhooks_0002"))
            await conn.run_sync(_run(command.upgrade, "heads"))
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()


@pytest.mark.parametrize("revision", ["0001", "0101", "0102", "0103"])
async def test_a_database_of_the_single_chain_is_adopted_at_any_revision(
    database_url: str, revision: str
) -> None:
    engine = create_engine(async_database_url(database_url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_legacy_to(revision))
        assert await _stored_revisions(engine) == {revision}
    finally:
        await engine.dispose()
    db = await Database.open(database_url)
    try:
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
        assert await _stored_revisions(db.engine) == _heads()
    finally:
        await db.dispose()


def _tables_of_0103() -> list[Any]:
    """The tables a vault of the single chain had: those of the schemas it is adopted into (a
    schema added since, such as the shared rate limits, starts empty)."""
    return [
        table
        for schema in installed_schemas()
        if "0103" in schema.legacy
        for table in schema.metadata.sorted_tables
    ]


async def _fill_like_a_0103_vault(conn: AsyncConnection, cipher: TokenCipher) -> None:
    """What a vault of the single chain held: a connection, its mirror, a sync, webhooks, a session."""
    await conn.execute(
        vault_meta.insert().values(name="key_check", value=cipher.encrypt("unified-accounting vault"))
    )
    await conn.execute(consumers.insert().values(id="acme", created_at=NOW))
    await conn.execute(
        grants.insert().values(
            id=1,
            consumer_id="acme",
            provider="quickbooks",
            fingerprint="f" * 64,
            access_token=cipher.encrypt("at-legacy"),
            refresh_token=cipher.encrypt("rt-legacy"),
            token_type="Bearer",
            scopes="com.intuit.quickbooks.accounting",
            expires_at=NOW + timedelta(hours=1),
            created_at=NOW,
            updated_at=NOW,
        )
    )
    await conn.execute(
        connections.insert().values(
            consumer_id="acme",
            provider="quickbooks",
            company_id="9130",
            grant_id=1,
            company_name="Acme Ltd",
            environment="sandbox",
            health="ok",
            grant_metadata="{}",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    await conn.execute(
        oauth_states.insert().values(
            state_hash="s" * 64,
            consumer_id="acme",
            provider="xero",
            redirect_uri="https://app.example/callback",
            scopes="",
            created_at=NOW,
            expires_at=NOW + timedelta(minutes=10),
        )
    )
    invoice = {"id": "42", "customer_id": "7", "total": "120.50", "status": "open", "line_items": []}
    await conn.execute(
        mirror_records.insert().values(
            consumer_id="acme",
            provider="quickbooks",
            company_id="9130",
            resource="invoice",
            record_id="42",
            updated_at=NOW,
            version_rank=3,
            row_version="3",
            deleted=False,
            status="open",
            record=json.dumps(invoice),
            seen_at=NOW,
            changed_at=NOW,
        )
    )
    await conn.execute(
        sync_states.insert().values(
            consumer_id="acme",
            provider="quickbooks",
            company_id="9130",
            state=SyncState(bookmark=NOW).to_json(),
            updated_at=NOW,
        )
    )
    await conn.execute(sync_leases.insert().values(provider="quickbooks", company_id="9130"))
    await conn.execute(
        webhook_deliveries.insert().values(
            id=1, provider="quickbooks", received_at=NOW, body="{}", events=1, body_sha256="d" * 64
        )
    )
    await conn.execute(
        webhook_events.insert().values(
            provider="quickbooks",
            event_id="e-1",
            company_id="9130",
            resource="invoice",
            record_id="42",
            operation="updated",
            received_at=NOW,
            delivery_id=1,
            status="pending",
            attempts=0,
        )
    )
    await conn.execute(
        webhook_backlog.insert().values(
            consumer_id="acme",
            provider="quickbooks",
            company_id="9130",
            resource="invoice",
            record_id="43",
            queued_at=NOW,
            attempts=1,
            last_error="ProviderUnavailable",
        )
    )
    await conn.execute(
        outbox.insert().values(
            idempotency_key="k" * 32,
            payload="{}",
            status="pending",
            attempts=0,
            next_attempt_at=NOW,
            created_at=NOW,
        )
    )
    await conn.execute(
        connect_sessions.insert().values(
            session_hash="h" * 64,
            consumer_id="acme",
            link_hash="l" * 64,
            created_at=NOW,
            expires_at=NOW + timedelta(hours=1),
            keep_until=NOW + timedelta(hours=1),
        )
    )


async def test_a_vault_of_revision_0103_opens_with_everything_it_held(
    database_url: str, secret_key: str
) -> None:
    cipher = TokenCipher([secret_key])
    engine = create_engine(async_database_url(database_url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_legacy_to("0103"))
            await _fill_like_a_0103_vault(conn, cipher)
        async with engine.connect() as conn:
            before = {
                table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                for table in _tables_of_0103()
            }
    finally:
        await engine.dispose()
    assert all(before.values()), before  # every table had a row to keep

    store = VaultStore(database_url, keys=[secret_key])
    try:
        db = await store.start()
        assert await _stored_revisions(db.engine) == _heads()
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
            after = {
                table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                for table in _tables_of_0103()
            }
        assert after == before
        key = ConnectionKey("acme", "quickbooks", "9130")
        record = await store.get(key)
        assert record is not None
        assert record.tokens.access_token.get_secret_value() == "at-legacy"
        assert record.tokens.refresh_token is not None
        assert record.tokens.refresh_token.get_secret_value() == "rt-legacy"
        assert (record.company_name, record.health) == ("Acme Ltd", ConnectionHealth.OK)
        mirrored = await query.get_record(db, key, "invoice", "42")
        assert str(getattr(mirrored, "total", None)) == "120.50"
        assert (await checkpoint.read_state(db, key)).bookmark == NOW
        assert await inbox.pending(db, "quickbooks", "9130") != []
    finally:
        await store.close()


async def test_mirror_rows_of_an_earlier_release_get_their_filter_columns(
    database_url: str, secret_key: str
) -> None:
    """mirror_0002 and mirror_0003 fill the filter columns of rows already stored from their JSON,
    keeping only what the upsert would keep: text a database refuses (NUL) or no filter can match
    (a lone surrogate, over 255 characters) and values of the wrong shape are left NULL, and
    nothing stops the upgrade."""
    records = {
        ("invoice", "1"): {
            "id": "1",
            "customer_id": "c'1",
            "number": "A%",
            "issue_date": "2026-01-05",
            "created_at": "2026-01-05T10:00:00+00:00",
            "status": "open",
        },
        ("invoice", "2"): {
            "id": "2",
            "customer_id": "c\u0000",
            "number": "\ud800",
            "issue_date": "2026-13-01",
            "created_at": "2026-01-05T10:00:00",
            "status": "open",
        },
        ("invoice", "3"): {"id": "3", "customer_id": 7, "number": "N" * 256, "issue_date": None},
        ("bill", "4"): {
            "id": "4",
            "supplier_id": "s_1",
            "number": "B-1",
            "issue_date": "2026-02-01",
            "status": "open",
        },
        ("expense", "5"): {
            "id": "5",
            "supplier_id": "s_1",
            "date": "2026-02-03",
            "account_id": "bank",
            "status": "posted",
        },
        ("expense", "6"): {"id": "6", "supplier_id": ["s_1"], "date": "soon", "account_id": "bank"},
    }
    engine = create_engine(async_database_url(database_url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_legacy_to("0103"))
            for (resource, record_id), record in records.items():
                await conn.execute(
                    mirror_records.insert().values(
                        consumer_id="acme",
                        provider="quickbooks",
                        company_id="9130",
                        resource=resource,
                        record_id=record_id,
                        updated_at=NOW,
                        version_rank=1,
                        row_version="1",
                        deleted=False,
                        status=record.get("status"),
                        # As record_json writes text UTF-8 cannot hold: ASCII escapes.
                        record=json.dumps(record),
                        seen_at=NOW,
                        changed_at=NOW,
                    )
                )
    finally:
        await engine.dispose()

    store = VaultStore(database_url, keys=[secret_key])
    try:
        db = await store.start()
        columns = ["created_at", "customer_id", "number", "issue_date", "supplier_id", "date"]
        async with db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        mirror_records.c.resource,
                        mirror_records.c.record_id,
                        *(mirror_records.c[c] for c in columns),
                    )
                )
            ).all()
        stored = {(row.resource, row.record_id): dict(zip(columns, row[2:], strict=True)) for row in rows}
        assert stored[("invoice", "1")] == {
            "created_at": datetime(2026, 1, 5, 10, tzinfo=UTC),
            "customer_id": "c'1",
            "number": "A%",
            "issue_date": date(2026, 1, 5),
            "supplier_id": None,
            "date": None,
        }
        for record_id in ("2", "3"):
            assert set(stored[("invoice", record_id)].values()) == {None}, record_id
        assert stored[("bill", "4")]["supplier_id"] == "s_1"
        assert stored[("bill", "4")]["issue_date"] == date(2026, 2, 1)
        assert (stored[("expense", "5")]["supplier_id"], stored[("expense", "5")]["date"]) == (
            "s_1",
            date(2026, 2, 3),
        )
        assert set(stored[("expense", "6")].values()) == {None}
        key = ConnectionKey("acme", "quickbooks", "9130")
        number = RESOURCES["invoice"].filter("number")
        dated = RESOURCES["expense"].filter("date_from")
        assert number is not None and dated is not None
        page = await query.list_page(db, key, "invoice", filters=[(number, "A%")])
        assert [r.id for r in page.items] == ["1"]
        page = await query.list_page(db, key, "expense", filters=[(dated, date(2026, 2, 1))])
        assert [r.id for r in page.items] == ["5"]
    finally:
        await store.close()
