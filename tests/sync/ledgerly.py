"""Ledgerly (the test provider) as a sync source: a client on a real store, and bulk seeding."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import AsyncClient, AsyncConnection

LEDGERLY = {
    "client_id": "ledgerly-client",
    "client_secret": "ledgerly-secret",
    "base_url": "http://ledgerly.test",
}


def ledgerly_client(app: Any, database_url: str, secret_key: str, **options: Any) -> AsyncClient:
    return AsyncClient(
        providers={"ledgerly": options.pop("settings", LEDGERLY)},
        transport=options.pop("transport", None) or httpx.ASGITransport(app=app),
        environ={},
        database_url=database_url,
        secret_key=secret_key,
        **options,
    )


async def connect(client: AsyncClient, emulator: LedgerlyEmulator, consumer: str = "acme") -> AsyncConnection:
    issued = emulator.issue_tokens(expires_in=int(timedelta(days=1).total_seconds()))
    return await client.import_connection(
        consumer_id=consumer,
        provider="ledgerly",
        company_id=issued["company"],
        access_token=issued["access_token"],
        refresh_token=issued["refresh_token"],
        expires_at=issued["expires_at"],
    )


def seed(emulator: LedgerlyEmulator, customers: int, invoices: int, company: str = "c-1") -> None:
    """Put records straight into the emulator (as if created long ago), in Ledgerly's wire format."""
    stamp = emulator.now().isoformat()
    people = emulator.table(company, "customers")
    bills = emulator.table(company, "invoices")
    customer_ids = []
    for n in range(customers):
        record_id = f"cus-{next(emulator._ids)}"
        customer_ids.append(record_id)
        people[record_id] = {
            "id": record_id,
            "name": f"Customer {n}",
            "version": 0,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
    for n in range(invoices):
        record_id = f"inv-{next(emulator._ids)}"
        amount = f"{(n % 97) + 1}.{n % 100:02d}"
        bills[record_id] = {
            "id": record_id,
            "customer": customer_ids[n % len(customer_ids)],
            "number": f"INV-{n}",
            "lines": [{"description": "Work", "qty": "1", "price": amount}],
            "total": amount,
            "balance": amount,
            "state": "open",
            "version": 0,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
