"""One product function — create a customer, bill them, take a payment, list invoices — runs
unchanged on QuickBooks and on Xero (each against its emulator). Only the client's settings differ."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks.testing import QuickBooksHarness
from unified_accounting_xero.testing import XeroHarness

from unified_accounting import (
    Allocation,
    AsyncClient,
    AsyncConnection,
    Customer,
    Invoice,
    InvoiceStatus,
    LineItem,
    MemoryConnectionStore,
    Payment,
)
from unified_accounting.testing import ProviderHarness

pytestmark = pytest.mark.anyio


async def bill_and_collect(conn: AsyncConnection) -> dict[str, Any]:
    """Product code: knows nothing about which accounting system is behind ``conn``."""
    customer = await conn.customers.create(
        Customer(display_name=f"Globex {uuid.uuid4().hex[:8]}", email="ap@globex.example")
    )
    invoice = await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            issue_date=date(2026, 11, 2),
            due_date=date(2026, 12, 2),
            line_items=[LineItem(description="Consulting, November", quantity=3, unit_price="150.00")],
        )
    )
    payment = await conn.payments.create(
        Payment(
            customer_id=str(customer.id),
            total_amount=Decimal("200.00"),
            date=date(2026, 11, 20),
            allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("200.00"))],
        )
    )
    after_payment = await conn.invoices.get(str(invoice.id))
    listed = [listed.id async for listed in conn.invoices.list(page_size=100)]
    return {
        "customer": customer,
        "invoice": invoice,
        "payment": payment,
        "after": after_payment,
        "listed": listed,
    }


@pytest.fixture(params=[QuickBooksHarness, XeroHarness], ids=["quickbooks", "xero"])
async def conn(request: pytest.FixtureRequest) -> Any:
    harness: ProviderHarness = request.param()
    app = harness.create_app()
    grant = await harness.grant(app)
    async with AsyncClient(
        providers={harness.provider: {**harness.settings, "base_url": harness.base_url}},
        transport=httpx.ASGITransport(app=app),
        store=MemoryConnectionStore(),
        environ={},
    ) as client:
        yield await client.import_connection(
            consumer_id="acme",
            provider=harness.provider,
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
        )


async def test_the_same_function_works_on_both_providers(conn: AsyncConnection) -> None:
    result = await bill_and_collect(conn)
    invoice, after = result["invoice"], result["after"]
    net = Decimal("450.00")
    assert invoice.status is InvoiceStatus.OPEN
    assert invoice.total is not None and invoice.total - (invoice.total_tax or 0) == net
    assert [(line.quantity, line.unit_price) for line in invoice.line_items] == [(3, Decimal("150.00"))]
    assert result["payment"].allocations == [Allocation(invoice_id=str(invoice.id), amount=Decimal("200.00"))]
    assert after.status is InvoiceStatus.PARTIALLY_PAID
    assert after.amount_due == invoice.total - Decimal("200.00")
    assert after.row_version != invoice.row_version  # the payment changed the invoice
    assert invoice.id in result["listed"]
    assert after.customer_id == result["customer"].id
