"""What a sync asks of the provider besides pages: records by id, rewound cursors, changes by query."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from unified_accounting_quickbooks import changes as change_reads

from unified_accounting import Invoice, LineItem

from .test_api import Env, api_calls, make_env, new_customer

pytestmark = pytest.mark.anyio

#: Limits out of the way: these tests make many calls and are not about limits.
FAST = {"requests_per_second": 10_000, "requests_per_minute": 100_000, "max_concurrent": 100}


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = await make_env(FAST, **FAST)
    yield made
    await made.client.aclose()


async def new_invoices(env: Env, count: int) -> list[Invoice]:
    customer = await new_customer(env)
    line = LineItem(description="Work", quantity=Decimal(1), unit_price=Decimal("10.00"))
    return [
        await env.conn.invoices.create(Invoice(customer_id=str(customer.id), line_items=[line]))
        for _ in range(count)
    ]


async def test_get_many_answers_the_records_that_still_exist_in_one_query(env: Env) -> None:
    *kept, gone = await new_invoices(env, 4)
    await env.conn.invoices.delete(str(gone.id))
    before = len(api_calls(env))
    ids = [str(kept[0].id), str(gone.id), str(kept[1].id), str(kept[2].id)]
    found = await env.provider.get_many(env.conn.session(), "invoice", ids)
    assert sorted(str(r.id) for r in found.items) == sorted(str(i.id) for i in kept)
    assert found.issues == []
    calls = api_calls(env)[before:]
    assert len(calls) == 1 and "Id IN" in calls[0].query["query"]


async def test_get_many_finds_archived_customers(env: Env) -> None:
    customer = await new_customer(env)
    await env.conn.customers.archive(str(customer.id))
    [found] = (await env.provider.get_many(env.conn.session(), "customer", [str(customer.id)])).items
    assert found.status.value == "archived"


def test_cursors_rewind_by_position() -> None:
    from unified_accounting_quickbooks import QuickBooksProvider

    provider = QuickBooksProvider()
    assert provider.rewind_cursor("invoice", "1001", 20) == "981"
    assert provider.rewind_cursor("invoice", "5", 20) == "1"
    assert provider.rewind_cursor("invoice", "not-a-position", 20) is None


async def test_changes_read_by_query_skip_nothing_when_records_move(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond CDC's window changes are read by query, page by page. Between two pages invoices
    already read are deleted (positions shift back) and one is changed (ordered by
    LastUpdatedTime, it would move to the end): every invoice still there must be read."""
    monkeypatch.setattr(change_reads, "MAX_RESULTS", 6)
    monkeypatch.setattr(change_reads, "OVERLAP", 2)
    invoices = await new_invoices(env, 30)
    original = env.provider.api.query
    queries = 0

    async def meddling(session: Any, text: str) -> Any:
        nonlocal queries
        queries += 1
        if queries == 3:
            for invoice in invoices[:4]:
                await env.conn.invoices.delete(str(invoice.id))
            await env.conn.invoices.update(str(invoices[5].id), {"memo": "moved"})
        return await original(session, text)

    monkeypatch.setattr(env.provider.api, "query", meddling)
    since = env.emulator.now() - timedelta(days=45)
    changes = await env.provider.read_change_feed(env.conn.session(), ["invoice"], since)
    read = [str(record.id) for record in changes.records["invoice"]]
    assert set(read) >= {str(invoice.id) for invoice in invoices[4:]}
    assert len(read) == len(set(read))
