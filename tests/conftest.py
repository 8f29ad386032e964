"""Fixtures for the core tests: a Ledgerly emulator and clients connected to it (no sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator, create_emulator

from unified_accounting import AsyncClient, AsyncConnection, MemoryConnectionStore
from unified_accounting.http.retry import RetryPolicy

LEDGERLY = {
    "client_id": "ledgerly-client",
    "client_secret": "ledgerly-secret",
    "base_url": "http://ledgerly.test",
}


class RecordedSleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def ledgerly_app() -> Any:
    return create_emulator()


@pytest.fixture
def emulator(ledgerly_app: Any) -> LedgerlyEmulator:
    emulator: LedgerlyEmulator = ledgerly_app.state.emulator
    return emulator


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


def make_client(app: Any, sleeps: RecordedSleeps | None = None, **options: Any) -> AsyncClient:
    transport = options.pop("transport", None) or httpx.ASGITransport(app=app)
    options.setdefault("store", MemoryConnectionStore())
    client = AsyncClient(providers={"ledgerly": LEDGERLY}, transport=transport, environ={}, **options)
    if sleeps is not None:
        client.retry_policy = RetryPolicy(
            max_retries=client.retry_policy.max_retries, max_wait=client.retry_policy.max_wait, sleep=sleeps
        )
    return client


@pytest.fixture
async def client(ledgerly_app: Any, sleeps: RecordedSleeps) -> AsyncIterator[AsyncClient]:
    async with make_client(ledgerly_app, sleeps) as client:
        yield client


async def connect(
    client: AsyncClient, emulator: LedgerlyEmulator, consumer: str = "acme", **tokens: Any
) -> AsyncConnection:
    issued = emulator.issue_tokens()
    return await client.import_connection(
        consumer_id=consumer,
        provider="ledgerly",
        company_id=issued["company"],
        access_token=tokens.get("access_token", issued["access_token"]),
        refresh_token=tokens.get("refresh_token", issued["refresh_token"]),
        expires_at=tokens.get("expires_at", issued["expires_at"]),
    )


@pytest.fixture
async def conn(client: AsyncClient, emulator: LedgerlyEmulator) -> AsyncConnection:
    return await connect(client, emulator)
