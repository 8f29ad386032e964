"""A refresh holds a lease on the grant's row, not a database lock: nothing is held open across the
call to the token endpoint, and the rotated refresh token is committed before anything else runs.

Each test runs on SQLite and on PostgreSQL. The token endpoint is held by a gate: the emulator has
already rotated the refresh token when its answer waits for the test to let it through.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import AsyncClient, ConnectionHealth, ProviderUnavailable, hookimpl
from unified_accounting.types import Receive, Scope, Send
from unified_accounting.vault.crypto import TokenCipher
from unified_accounting.vault.schema import connections, grants
from unified_accounting.vault.store import VaultStore
from unified_accounting.webhooks import inbox

from .test_refresh import expired_connection

pytestmark = pytest.mark.anyio


class TokenGate:
    """Wraps the emulator: a token-endpoint answer, already decided (tokens rotated), waits until
    ``release`` is set; ``arrived`` tells that one is waiting."""

    def __init__(self, app: Any, path: str = "/oauth/token") -> None:
        self.app = app
        self.path = path
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return

        async def held(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.arrived.set()
                await self.release.wait()
            await send(message)

        await self.app(scope, receive, held)


def sync_engine(database_url: str) -> Engine:
    """A blocking engine on the same database, standing for another process."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, poolclass=None)


async def grant_id_of(client: AsyncClient, consumer_id: str) -> int:
    db = await client.database()
    async with db.read() as conn:
        found = await conn.execute(
            select(connections.c.grant_id).where(connections.c.consumer_id == consumer_id)
        )
        return int(found.scalar_one())


def write_without_waiting(database_url: str, grant_id: int) -> None:
    """Write the grant's row from another connection, refusing to wait for any lock.

    A refresh holding SQLite's write lock or a PostgreSQL row lock makes this fail at once.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        db = sqlite3.connect(url.database, timeout=0, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE ua_grants SET updated_at = updated_at WHERE id = ?", (grant_id,))
            db.execute("COMMIT")
        finally:
            db.close()
        return
    engine = sync_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(select(grants.c.id).where(grants.c.id == grant_id).with_for_update(nowait=True))
            conn.execute(update(grants).where(grants.c.id == grant_id).values(updated_at=grants.c.updated_at))
            # Nobody else sits in an open transaction (a refresh waiting for the provider would).
            idle = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            assert idle == 0
    finally:
        engine.dispose()


@pytest.fixture
async def gated(
    ledgerly_app: Any, database_url: str, secret_key: str, make_client: Any
) -> AsyncIterator[tuple[TokenGate, AsyncClient]]:
    gate = TokenGate(ledgerly_app)
    async with make_client(gate, database_url, secret_key) as client:
        yield gate, client


async def test_writes_go_on_while_a_refresh_waits_for_a_slow_token_endpoint(
    gated: tuple[TokenGate, AsyncClient], emulator: LedgerlyEmulator, database_url: str
) -> None:
    gate, client = gated
    conn = await expired_connection(client, emulator)
    other = await client.import_connection(
        consumer_id="globex",
        provider="ledgerly",
        company_id="other",
        access_token="at-x",
        refresh_token="rt-x",
    )
    grant_id = await grant_id_of(client, "acme")
    call = asyncio.create_task(conn.customers.list().to_list())
    await gate.arrived.wait()  # the refresh is waiting for the provider's answer now

    await asyncio.to_thread(write_without_waiting, database_url, grant_id)
    await client.store.save((await other.record()).model_copy(update={"company_name": "Globex"}))
    db = await client.database()

    async def deliver(tx: AsyncConnection) -> bool:
        return await inbox.store(db, tx, "ledgerly", b"{}", [], datetime.now(UTC))

    await db.transaction(deliver)
    assert not call.done()

    gate.release.set()
    assert await call == []
    assert emulator.refresh_calls == 1
    assert (await other.record()).company_name == "Globex"
    assert (await conn.record()).health is ConnectionHealth.OK


@pytest.mark.slow
async def test_a_lease_outlives_a_slow_refresh_and_another_process_waits_for_it(
    ledgerly_app: Any,
    emulator: LedgerlyEmulator,
    database_url: str,
    secret_key: str,
    make_client: Any,
) -> None:
    gate = TokenGate(ledgerly_app)
    async with (
        make_client(gate, database_url, secret_key) as first,
        make_client(gate, database_url, secret_key) as second,  # its own store: only the row is shared
    ):
        for client in (first, second):
            client.store.refresh_lease_ttl = timedelta(seconds=1)
        conn = await expired_connection(first, emulator)
        slow = asyncio.create_task(conn.customers.list().to_list())
        await gate.arrived.wait()
        same = await second.connection(consumer_id="acme", provider="ledgerly", company_id=conn.company_id)
        waiting = asyncio.create_task(same.customers.list().to_list())
        await asyncio.sleep(2.5)  # longer than a lease lives unrenewed: the holder keeps renewing it
        assert not waiting.done()
        gate.release.set()
        assert await slow == [] and await waiting == []
    assert emulator.refresh_calls == 1  # a second refresh would have met invalid_grant


async def test_a_lease_left_by_a_dead_holder_is_taken_over_once_expired(
    client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    conn = await expired_connection(client, emulator)
    grant_id = await grant_id_of(client, "acme")
    engine = (await client.database()).engine
    async with engine.begin() as tx:  # a process took the lease, then died
        await tx.execute(
            update(grants)
            .where(grants.c.id == grant_id)
            .values(
                refresh_owner="dead-process", refresh_until=datetime.now(UTC) + timedelta(milliseconds=300)
            )
        )
    assert await conn.customers.list().to_list() == []
    assert emulator.refresh_calls == 1
    async with engine.connect() as tx:
        owner = await tx.execute(select(grants.c.refresh_owner).where(grants.c.id == grant_id))
        assert owner.scalar_one() is None  # released with the new tokens


async def test_waiting_for_a_live_holder_gives_up_with_a_clear_error(
    client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    conn = await expired_connection(client, emulator)
    client.store.refresh_wait = timedelta(milliseconds=200)  # type: ignore[attr-defined]
    grant_id = await grant_id_of(client, "acme")
    engine = (await client.database()).engine
    async with engine.begin() as tx:  # another process is refreshing, and renewing its lease
        await tx.execute(
            update(grants)
            .where(grants.c.id == grant_id)
            .values(refresh_owner="busy-process", refresh_until=datetime.now(UTC) + timedelta(hours=1))
        )
    with pytest.raises(ProviderUnavailable, match="refreshing elsewhere"):
        await conn.customers.list().to_list()
    assert emulator.refresh_calls == 0


async def test_the_rotated_refresh_token_is_committed_before_any_hook_runs(
    ledgerly_app: Any, emulator: LedgerlyEmulator, database_url: str, secret_key: str, make_client: Any
) -> None:
    """Product code told "ok again" can crash the process: the new refresh token must be durable."""
    reader = sync_engine(database_url)
    cipher = TokenCipher([secret_key])
    stored_when_told: list[tuple[str, str]] = []

    class Observer:
        @hookimpl
        def ua_connection_health_changed(self, connection: Any, previous: Any, current: Any) -> None:
            with reader.connect() as db:  # what another process reads now
                row = db.execute(
                    select(grants.c.refresh_token)
                    .join(connections, connections.c.grant_id == grants.c.id)
                    .where(connections.c.consumer_id == connection.consumer_id)
                ).one()
            stored_when_told.append((current.value, cipher.decrypt(row.refresh_token)))

    try:
        async with make_client(ledgerly_app, database_url, secret_key, plugins=(Observer(),)) as client:
            conn = await expired_connection(client, emulator)
            emulator.fail_next(1, status=503, target="token")
            with pytest.raises(ProviderUnavailable):
                await conn.customers.list().to_list()  # health: error
            assert await conn.customers.list().to_list() == []  # refreshed: health ok again
    finally:
        reader.dispose()
    [stored] = [token for health, token in stored_when_told if health == "ok"]
    assert stored in emulator.refresh_tokens  # the rotated token, not the one the provider retired


async def test_a_caller_cancelled_while_the_provider_answers_does_not_lose_the_rotated_token(
    gated: tuple[TokenGate, AsyncClient], emulator: LedgerlyEmulator
) -> None:
    gate, client = gated
    conn = await expired_connection(client, emulator)
    call = asyncio.create_task(conn.customers.list().to_list())
    await gate.arrived.wait()  # the provider has rotated the refresh token; its answer is on the way
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    gate.release.set()
    assert await conn.customers.list().to_list() == []  # the answer was stored: no invalid_grant
    record = await conn.record()
    assert record.health is ConnectionHealth.OK
    assert record.tokens.refresh_token is not None
    assert record.tokens.refresh_token.get_secret_value() in emulator.refresh_tokens
    assert emulator.refresh_calls == 1


async def test_refresh_lock_is_not_reentrant_and_leaves_no_lease_behind(
    client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    conn = await expired_connection(client, emulator)
    store = client.store
    assert isinstance(store, VaultStore)
    async with store.refresh_lock(conn.key):
        with pytest.raises(RuntimeError, match="re-entrant"):
            async with store.refresh_lock(conn.key):
                pass
    grant_id = await grant_id_of(client, "acme")
    db = await store.start()
    async with db.read() as tx:
        row = (
            await tx.execute(
                select(grants.c.refresh_owner, grants.c.refresh_until).where(grants.c.id == grant_id)
            )
        ).one()
    assert tuple(row) == (None, None)
