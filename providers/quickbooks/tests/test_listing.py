"""List filters and sorts pushed down into QuickBooks' WHERE and ORDERBY; hostile values stay values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest
from unified_accounting_quickbooks import listing
from unified_accounting_quickbooks.query import select
from unified_accounting_quickbooks.testing import QuickBooksHarness

from unified_accounting import AsyncClient, Customer, Invoice, LineItem, MemoryConnectionStore

pytestmark = pytest.mark.anyio

HOSTILE = (
    "1' OR Id > '0",
    "1\\' OR Id > \\'0",
    "x\\",
    "'; SELECT * FROM Customer --",
    "Rechnung ä漢 %_",
)


def test_filters_become_conditions_and_sorts_order_then_by_id() -> None:
    query = listing.narrowed(
        select("Invoice"),
        "invoice",
        {
            "customer_id": "58",
            "number": "1038",
            "issue_date_from": date(2026, 1, 1),
            "issue_date_to": date(2026, 1, 31),
            "created_since": datetime(2026, 1, 5, 10, 30, 15, 999, tzinfo=UTC),
            "status": ("open",),  # no QuickBooks field: left to the core
        },
    )
    sort = SimpleNamespace(field="issue_date", descending=True)
    assert str(listing.ordered(query, "invoice", sort)) == (
        "SELECT * FROM Invoice WHERE CustomerRef = '58' AND DocNumber = '1038' AND TxnDate >= "
        "'2026-01-01' AND TxnDate <= '2026-01-31' AND MetaData.CreateTime >= '2026-01-05T10:30:15+00:00' "
        "ORDERBY TxnDate DESC, Id ASC"
    )
    assert str(
        listing.ordered(select("Invoice"), "invoice", SimpleNamespace(field="number", descending=False))
    ) == ("SELECT * FROM Invoice ORDERBY Id ASC")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_stay_one_quoted_literal(value: str) -> None:
    text = str(listing.narrowed(select("Invoice"), "invoice", {"number": value}))
    literal = text.removeprefix("SELECT * FROM Invoice WHERE DocNumber = ")
    assert literal.startswith("'") and literal.endswith("'")
    # Inside the quotes every quote and backslash is escaped: none ends the literal early.
    inner = literal[1:-1]
    unescaped = inner.replace("\\\\", "").replace("\\'", "")
    assert "'" not in unescaped and "\\" not in unescaped


async def test_pushed_down_filters_and_sort_against_the_emulator() -> None:
    harness = QuickBooksHarness()
    app = harness.create_app()
    grant = await harness.grant(app)
    async with AsyncClient(
        providers={"quickbooks": {**harness.settings, "base_url": harness.base_url}},
        transport=httpx.ASGITransport(app=app),
        store=MemoryConnectionStore(),
        environ={},
    ) as client:
        conn = await client.import_connection(
            consumer_id="tests",
            provider="quickbooks",
            company_id=grant.company_id,
            access_token=grant.access_token,
        )
        ann = await conn.customers.create(Customer(display_name="Ann"))
        bob = await conn.customers.create(Customer(display_name="Bob"))
        made = {}
        for customer, day, number in (
            (ann, 3, "A-1"),
            (bob, 4, "B-1"),
            (ann, 9, "A-2"),
            (ann, 20, HOSTILE[0]),
        ):
            made[number] = await conn.invoices.create(
                Invoice(
                    customer_id=str(customer.id),
                    number=number,
                    issue_date=date(2026, 1, day),
                    line_items=[LineItem(quantity=1, unit_price=Decimal("5"))],
                )
            )
        provider = client.provider("quickbooks")
        session = conn.session()
        page = await provider.list_page(
            session,
            "invoice",
            cursor=None,
            updated_since=None,
            page_size=10,
            filters={"customer_id": str(ann.id), "issue_date_to": date(2026, 1, 10)},
            sort=SimpleNamespace(field="issue_date", descending=True),
        )
        assert [invoice.number for invoice in page.items] == ["A-2", "A-1"]
        for value in HOSTILE:
            found = await provider.list_page(
                session, "invoice", cursor=None, updated_since=None, page_size=10, filters={"number": value}
            )
            assert [invoice.number for invoice in found.items] == ([value] if value == HOSTILE[0] else [])
        hostile_customer = await provider.list_page(
            session,
            "invoice",
            cursor=None,
            updated_since=None,
            page_size=10,
            filters={"customer_id": HOSTILE[0]},
        )
        assert hostile_customer.items == []
