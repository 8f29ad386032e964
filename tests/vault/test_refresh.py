"""Token lifecycle on the vault: single-flight refresh across tasks and OS processes, 401 → one
refresh and one retry, ``invalid_grant`` → ``needs_reauth``, refresh before long jobs, expiry events."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import (
    AsyncClient,
    AsyncConnection,
    ConnectionHealth,
    ProviderUnavailable,
    ReauthorizationRequired,
    hookimpl,
)
from unified_accounting.testing.cassettes import serve

pytestmark = pytest.mark.anyio
WORKER = Path(__file__).with_name("refresh_worker.py")


async def expired_connection(
    client: AsyncClient, emulator: LedgerlyEmulator, **overrides: Any
) -> AsyncConnection:
    """A connection whose access token expired both for the client and at the emulator."""
    issued = emulator.issue_tokens()
    emulator.expire_access_tokens()
    return await client.import_connection(
        consumer_id="acme",
        provider="ledgerly",
        company_id=issued["company"],
        access_token=issued["access_token"],
        refresh_token=overrides.get("refresh_token", issued["refresh_token"]),
        expires_at=overrides.get("expires_at", datetime.now(UTC) - timedelta(minutes=1)),
    )


async def test_fifty_concurrent_calls_on_an_expired_token_refresh_once(
    client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    conn = await expired_connection(client, emulator)
    results = await asyncio.gather(*(conn.customers.list().to_list() for _ in range(50)))
    assert results == [[]] * 50
    assert emulator.refresh_calls == 1  # a second refresh would have met invalid_grant (single-use tokens)
    record = await conn.record()
    assert record.health is ConnectionHealth.OK
    assert record.tokens.refresh_token is not None
    assert (
        record.tokens.refresh_token.get_secret_value() in emulator.refresh_tokens
    )  # the rotated one was kept


@pytest.mark.integration
async def test_two_os_processes_refresh_once(
    ledgerly_app: Any, emulator: LedgerlyEmulator, database_url: str, secret_key: str, make_client: Any
) -> None:
    with serve(ledgerly_app) as base_url:
        settings = {"client_id": "ledgerly-client", "client_secret": "ledgerly-secret", "base_url": base_url}
        async with make_client(ledgerly_app, database_url, secret_key, settings=settings) as client:
            await expired_connection(client, emulator)
        workers = [_spawn_worker(database_url, secret_key, base_url, calls=25) for _ in range(2)]
        try:
            for worker in workers:  # both have opened the vault: now let them race
                assert worker.stdout is not None
                line = await asyncio.to_thread(worker.stdout.readline)
                assert line.strip() == "ready", await asyncio.to_thread(worker.stderr.read)  # type: ignore[union-attr]
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write("go\n")
                worker.stdin.flush()
            outputs = [await asyncio.to_thread(worker.communicate, timeout=60) for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert summaries == [{"ok": 25, "errors": []}] * 2, [err for _, err in outputs]
    assert emulator.refresh_calls == 1


def _spawn_worker(database_url: str, secret_key: str, base_url: str, *, calls: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), database_url, secret_key, base_url, str(calls)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_a_401_refreshes_once_and_retries(client: AsyncClient, emulator: LedgerlyEmulator) -> None:
    conn = await expired_connection(client, emulator, expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert await conn.customers.list().to_list() == []  # the token looked valid; the API said 401
    assert emulator.refresh_calls == 1
    assert (await conn.record()).tokens.expires_at > datetime.now(UTC) + timedelta(minutes=50)  # type: ignore[operator]


async def test_invalid_grant_marks_needs_reauth_fires_the_hook_and_stops_refreshing(
    ledgerly_app: Any, emulator: LedgerlyEmulator, database_url: str, secret_key: str, make_client: Any
) -> None:
    changes: list[tuple[str, str, str | None]] = []

    class Watcher:
        @hookimpl
        def ua_connection_health_changed(self, connection: Any, previous: Any, current: Any) -> None:
            changes.append((previous.value, current.value, connection.last_error))

    async with make_client(ledgerly_app, database_url, secret_key, plugins=(Watcher(),)) as client:
        conn = await expired_connection(client, emulator, refresh_token="rt-revoked-elsewhere")
        with pytest.raises(ReauthorizationRequired):
            await conn.customers.list().to_list()
        with pytest.raises(ReauthorizationRequired, match="needs_reauth"):
            await conn.customers.list().to_list()
    assert [c[:2] for c in changes] == [("ok", "needs_reauth")] and "no longer valid" in (changes[0][2] or "")
    async with make_client(ledgerly_app, database_url, secret_key) as reopened:  # durable, and still stopped
        record = await (await reopened.connection(consumer_id="acme", provider="ledgerly")).record()
        assert record.health is ConnectionHealth.NEEDS_REAUTH
    assert emulator.api_calls == 0


async def test_a_failed_refresh_is_an_error_until_the_next_one_works(
    client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    conn = await expired_connection(client, emulator)
    emulator.fail_next(1, status=503, target="token")
    with pytest.raises(ProviderUnavailable):
        await conn.customers.list().to_list()
    record = await conn.record()
    assert record.health is ConnectionHealth.ERROR and "token endpoint failed" in (record.last_error or "")
    assert await conn.customers.list().to_list() == []
    assert (await conn.record()).health is ConnectionHealth.OK
    assert emulator.refresh_calls == 1


async def test_a_long_job_gets_a_token_valid_long_enough(
    client: AsyncClient, emulator: LedgerlyEmulator
) -> None:
    conn = await expired_connection(client, emulator, expires_at=datetime.now(UTC) + timedelta(minutes=20))
    record = await conn.ensure_fresh(valid_for=timedelta(minutes=30))
    assert emulator.refresh_calls == 1
    assert record.tokens.expires_at is not None and record.tokens.expires_at > datetime.now(UTC) + timedelta(
        minutes=50
    )
    await conn.ensure_fresh(valid_for=timedelta(minutes=30))
    assert emulator.refresh_calls == 1


async def test_reauthorize_by_dates_raise_an_event_some_days_before(
    ledgerly_app: Any, emulator: LedgerlyEmulator, database_url: str, secret_key: str, make_client: Any
) -> None:
    warned: list[tuple[str, datetime]] = []

    class Reminder:
        @hookimpl
        def ua_connection_expiring(self, connection: Any, reauthorize_by: datetime) -> None:
            warned.append((connection.company_id, reauthorize_by))

    soon = datetime.now(UTC) + timedelta(days=5)
    async with make_client(ledgerly_app, database_url, secret_key, plugins=(Reminder(),)) as client:
        for company, expiry in (("soon", soon), ("later", datetime.now(UTC) + timedelta(days=90))):
            await client.import_connection(
                consumer_id="acme",
                provider="ledgerly",
                company_id=company,
                access_token=f"at-{company}",
                refresh_token=f"rt-{company}",
                refresh_token_expires_at=expiry,
            )
        expiring = await client.check_expiring(within=timedelta(days=14))
        assert [r.company_id for r in expiring] == ["soon"]
        assert expiring[0].reauthorize_by == soon
    assert warned == [("soon", soon)]
