"""Same product code, same books: one function invoices the same lines at the same GST rate in each
tax mode, on a QuickBooks Australian company and on a Xero Australian organisation (each against its
emulator), and both providers return identical ``sub_total``, ``total_tax`` and ``total``, to the cent.

Both emulators are seeded to offer "GST on Income" at 10 %; the function finds the rate by listing
``conn.tax_rates``, never by a provider's id. A mode a company cannot do is refused before HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date
from decimal import Decimal

import httpx
import pytest
from unified_accounting_quickbooks.testing import QuickBooksHarness
from unified_accounting_xero.testing import XeroHarness

from unified_accounting import (
    AsyncClient,
    AsyncConnection,
    Customer,
    Invoice,
    LineItem,
    MemoryConnectionStore,
    TaxMode,
    TaxRateUse,
    ValidationFailed,
)
from unified_accounting.testing import ProviderHarness

pytestmark = pytest.mark.anyio

GST = "GST on Income"

#: How each provider's emulator is seeded as an Australian company offering GST 10 % on sales.
AUSTRALIAN: dict[str, Callable[[], ProviderHarness]] = {
    "quickbooks": lambda: QuickBooksHarness(country="AU", sales_tax_codes={GST: "10"}),
    "xero": XeroHarness.australia,
}


async def connect(harness: ProviderHarness) -> AsyncIterator[tuple[AsyncConnection, list[httpx.Request]]]:
    app = harness.create_app()
    grant = await harness.grant(app)
    sent: list[httpx.Request] = []
    emulator = httpx.ASGITransport(app=app)

    class Recording(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return await emulator.handle_async_request(request)

    async with AsyncClient(
        providers={harness.provider: {**harness.settings, "base_url": harness.base_url}},
        transport=Recording(),
        store=MemoryConnectionStore(),
        environ={},
        rate_limits=harness.rate_limits,
    ) as client:
        yield (
            await client.import_connection(
                consumer_id="acme",
                provider=harness.provider,
                company_id=grant.company_id,
                access_token=grant.access_token,
                refresh_token=grant.refresh_token,
                expires_at=grant.expires_at,
            ),
            sent,
        )


@pytest.fixture(params=sorted(AUSTRALIAN))
async def australian(request: pytest.FixtureRequest) -> AsyncIterator[AsyncConnection]:
    async for conn, _ in connect(AUSTRALIAN[request.param]()):
        yield conn


# --- product code: nothing below knows which provider is behind ``conn`` -------------------------


async def sales_rate_named(conn: AsyncConnection, name: str) -> str:
    """The id of the active sales tax rate called ``name``."""
    async for rate in conn.tax_rates.list():
        if rate.name == name and TaxRateUse.SALES in rate.applies_to:
            return str(rate.id)
    raise LookupError(f"no sales tax rate named {name!r}")


async def invoice_in_mode(conn: AsyncConnection, mode: TaxMode) -> tuple[Decimal, Decimal, Decimal]:
    """Invoice two lines at GST in ``mode``; return what the books say, read back."""
    rate_id = await sales_rate_named(conn, GST)
    customer = await conn.customers.create(Customer(display_name=f"Same Books {mode.value}"))
    created = await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            issue_date=date(2026, 3, 2),
            due_date=date(2026, 4, 1),
            tax_mode=mode,
            line_items=[
                LineItem(
                    description="Hours",
                    quantity=Decimal("3"),
                    unit_price=Decimal("33.33"),
                    tax_rate_id=rate_id,
                ),
                LineItem(
                    description="Travel",
                    quantity=Decimal("1"),
                    unit_price=Decimal("10.05"),
                    tax_rate_id=rate_id,
                ),
            ],
        )
    )
    invoice = await conn.invoices.get(str(created.id))
    assert invoice.tax_mode is mode
    assert (invoice.sub_total, invoice.total_tax, invoice.total) == (
        created.sub_total,
        created.total_tax,
        created.total,
    )
    assert invoice.sub_total is not None and invoice.total_tax is not None and invoice.total is not None
    return invoice.sub_total, invoice.total_tax, invoice.total


# --- the books ----------------------------------------------------------------------------------

#: Lines 3 × 33.33 = 99.99 and 10.05, at 10 %, rounded per line, half up, to the cent.
EXPECTED = {
    # tax 9.999 → 10.00 and 1.005 → 1.01
    TaxMode.EXCLUSIVE: ("110.04", "11.01", "121.05"),
    # prices include tax: 99.99 × 10/110 = 9.09 and 10.05 × 10/110 = 0.91
    TaxMode.INCLUSIVE: ("100.04", "10.00", "110.04"),
    TaxMode.NO_TAX: ("110.04", "0.00", "110.04"),
}


@pytest.mark.parametrize("mode", list(EXPECTED), ids=[mode.value for mode in EXPECTED])
async def test_the_same_function_keeps_the_same_books_on_both_providers(
    australian: AsyncConnection, mode: TaxMode
) -> None:
    totals = await invoice_in_mode(australian, mode)
    assert [str(amount) for amount in totals] == list(EXPECTED[mode])


async def test_both_providers_agree_in_one_run() -> None:
    """The same three invoices on both providers side by side: identical digits, mode by mode."""
    books: dict[str, list[tuple[Decimal, Decimal, Decimal]]] = {}
    for name, harness in sorted(AUSTRALIAN.items()):
        async for conn, _ in connect(harness()):
            books[name] = [await invoice_in_mode(conn, mode) for mode in EXPECTED]
    assert books["quickbooks"] == books["xero"]
    assert {str(total) for _, _, total in books["xero"]} == {"121.05", "110.04"}


async def test_a_mode_the_company_cannot_do_is_refused_before_http() -> None:
    """QuickBooks US companies have no tax-inclusive amounts: refused naming ``tax_mode``, no call made."""
    async for conn, sent in connect(QuickBooksHarness()):
        customer = await conn.customers.create(Customer(display_name="Inclusive Co"))
        before = len(sent)
        with pytest.raises(ValidationFailed) as refused:
            await conn.invoices.create(
                Invoice(
                    customer_id=str(customer.id),
                    issue_date=date(2026, 3, 2),
                    tax_mode=TaxMode.INCLUSIVE,
                    line_items=[LineItem(description="Hours", quantity=1, unit_price=Decimal("10.00"))],
                )
            )
        assert any(issue.field == "tax_mode" for issue in refused.value.issues)
        # Only reads of the company's setup may go out; no write is attempted.
        assert all(request.method == "GET" for request in sent[before:])
