"""Outbound webhooks: one signed notification per change, delivered at least once, same key on retry."""

from __future__ import annotations

import json

import httpx
import pytest
from ua_ledgerly.emulator import create_emulator

from unified_accounting.sync import OutboundWebhooks, SyncOptions, SyncService, verify_signature

from .ledgerly import connect, ledgerly_client, seed

pytestmark = pytest.mark.anyio

SECRET = "product-shared-secret"


async def test_changes_are_posted_signed_with_idempotency_keys(database_url: str, secret_key: str) -> None:
    app = create_emulator()
    emulator = app.state.emulator
    seed(emulator, customers=2, invoices=3)
    outbound = OutboundWebhooks(url="https://product.test/hooks", secret=SECRET)
    received: list[httpx.Request] = []
    failures = [500]

    def product(request: httpx.Request) -> httpx.Response:
        received.append(request)
        if failures:
            return httpx.Response(failures.pop())
        return httpx.Response(204)

    async with (
        ledgerly_client(app, database_url, secret_key) as client,
        httpx.AsyncClient(transport=httpx.MockTransport(product)) as http,
    ):
        conn = await connect(client, emulator)
        service = SyncService(client, SyncOptions(outbound=outbound))
        await service.sync(conn)
        db = await service.database()
        delivered = await outbound.deliver_due(db, http)
        assert delivered == 4  # five changes; the first POST failed and waits for its back-off
        assert await outbound.deliver_due(db, http) == 0  # not due yet

        bodies = [json.loads(r.content) for r in received]
        assert sorted(b["type"] for b in bodies) == ["customer.created"] * 2 + ["invoice.created"] * 3
        assert {b["source"] for b in bodies} == {"sync"}
        for request in received:
            assert verify_signature(SECRET, request.content, request.headers)
            assert not verify_signature("another secret", request.content, request.headers)
            assert request.headers["UA-Idempotency-Key"] == json.loads(request.content)["id"]
        keys = [r.headers["UA-Idempotency-Key"] for r in received]
        assert len(set(keys)) == 5

        # The failed one is retried later with the same key (here: made due at once).
        from sqlalchemy import update
        from sqlalchemy.ext.asyncio import AsyncConnection

        from unified_accounting.sync.schema import outbox

        async def make_due(c: AsyncConnection) -> None:
            await c.execute(
                update(outbox).where(outbox.c.status == "pending").values(next_attempt_at=outbox.c.created_at)
            )

        await db.transaction(make_due)
        assert await outbound.deliver_due(db, http) == 1
        assert received[-1].headers["UA-Idempotency-Key"] == keys[0]
        assert received[-1].content == received[0].content
