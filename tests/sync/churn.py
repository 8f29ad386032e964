"""Records created, changed and deleted at the provider while a sync lists them.

:class:`Churn` is the transport between the client and the emulator: before the emulator answers a
page request of the invoice listing, it calls the test's ``on_page``, which changes records
through the unified API (so the emulator does what the real service would: ids, versions, times).
Deleting records that were already listed moves every later record one position back — the
situation in which a listing by position skips records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import httpx

from unified_accounting import AsyncClient, AsyncConnection, RecordChange, hookimpl

from .providers import ProviderCase

#: An emulator whose limits make no test wait (the client's are off: ``ProviderCase.client``).
UNLIMITED_EMULATOR = {"quickbooks": {"limits": False}, "xero": {"limits": False}}


def is_invoice_page(provider: str, request: httpx.Request) -> bool:
    """A page request of the invoice listing (not a read by id, not a change-feed read)."""
    if request.method != "GET":
        return False
    if provider == "quickbooks":
        if not request.url.path.endswith("/query"):
            return False
        query = parse_qs(request.url.query.decode()).get("query", [""])[0].upper()
        return "FROM INVOICE" in query and "STARTPOSITION" in query and "ID IN" not in query
    return request.url.path.endswith("/Invoices") and "page" in request.url.params


class Churn(httpx.AsyncBaseTransport):
    """The emulator, with a hook before each page request of the invoice listing."""

    def __init__(self, app: Any, provider: str) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._provider = provider
        self.on_page: Callable[[int], Awaitable[None]] | None = None
        self.pages = 0
        self._one_at_a_time = asyncio.Lock()  # speculative pages are requested together
        self.in_flight = 0
        #: The most page requests of the invoice listing that were ever in flight at once.
        self.most_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not is_invoice_page(self._provider, request):
            return await self._inner.handle_async_request(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.on_page is not None:
                async with self._one_at_a_time:
                    self.pages += 1
                    await self.on_page(self.pages)
            response = await self._inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.in_flight -= 1


class Recorder:
    """Every change product code is told about."""

    def __init__(self) -> None:
        self.changes: list[RecordChange] = []

    @hookimpl
    def ua_record_changed(self, change: RecordChange) -> None:
        self.changes.append(change)

    def told_deleted(self) -> set[str]:
        return {c.record_id for c in self.changes if c.operation.value == "deleted"}


def churn_client(
    case: ProviderCase, app: Any, database_url: str, secret_key: str, **options: Any
) -> tuple[AsyncClient, Churn]:
    transport = Churn(app, case.name)
    options.setdefault("rate_limits", "off")
    client = AsyncClient(
        providers={case.name: case.settings(app)},
        transport=transport,
        environ={},
        database_url=database_url,
        secret_key=secret_key,
        **options,
    )
    return client, transport


class Meddler:
    """Changes invoices through the unified API: deletes the oldest deletable ones (already listed),
    changes one, creates one."""

    def __init__(self, case: ProviderCase, app: Any, conn: AsyncConnection, customer_id: str) -> None:
        self.case, self.app, self.conn, self.customer_id = case, app, conn, customer_id
        self.deletable: list[str] = []
        self.deleted: list[str] = []
        self.changed: list[str] = []
        self.created: list[str] = []

    async def prepare(self, count: int) -> None:
        """Invoices this test may delete (QuickBooks: ones no payment is applied to; Xero: drafts)."""
        if self.case.name == "xero":
            for _ in range(count):
                draft = await self.conn.invoices.create(self.case.harness.deletable_invoice(self.customer_id))
                self.deletable.append(str(draft.id))
            return
        records = self.case.raw_records(self.app, "invoice")
        free = [raw["Id"] for raw in records if not raw.get("LinkedTxn")]
        self.deletable = sorted(free, key=int)[:count]

    async def delete(self, count: int) -> None:
        for _ in range(min(count, len(self.deletable))):
            record_id = self.deletable.pop(0)
            await self.conn.invoices.delete(record_id)
            self.deleted.append(record_id)

    async def change_one(self) -> None:
        live = sorted(self.case.expected(self.app, "invoice"))
        target = next(i for i in live if i not in self.deletable)
        await self.conn.invoices.update(target, self.case.harness.invoice_changes())
        self.changed.append(target)

    async def create_one(self) -> None:
        created = await self.conn.invoices.create(self.case.harness.invoice(self.customer_id))
        self.created.append(str(created.id))

    async def churn(self, deletions: int) -> None:
        await self.delete(deletions)
        await self.change_one()
        await self.create_one()
