"""The blocking ``Client`` reads the mirror too (its methods are derived from the async ones)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from ua_ledgerly.emulator import create_emulator

from unified_accounting import Client
from unified_accounting.sync import SyncService

from .ledgerly import LEDGERLY, connect, ledgerly_client, seed


def test_blocking_client_reads_the_mirror(database_url: str, secret_key: str) -> None:
    app = create_emulator()
    emulator = app.state.emulator
    seed(emulator, customers=2, invoices=7)

    async def fill() -> Any:
        async with ledgerly_client(app, database_url, secret_key) as client:
            conn = await connect(client, emulator)
            await SyncService(client).sync(conn)
            return conn.company_id

    company = asyncio.run(fill())
    with Client(
        providers={"ledgerly": LEDGERLY},
        transport=httpx.ASGITransport(app=app),
        environ={},
        database_url=database_url,
        secret_key=secret_key,
    ) as client:
        conn = client.connection(consumer_id="acme", provider="ledgerly", company_id=company)
        invoices = list(conn.invoices.list(source="mirror", page_size=3))
        assert sorted(str(i.id) for i in invoices) == sorted(emulator.table(company, "invoices"))
        first = invoices[0]
        assert conn.invoices.get(str(first.id), source="mirror").total == first.total
