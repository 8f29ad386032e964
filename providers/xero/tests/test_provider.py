"""The provider end to end: AsyncClient → ASGI transport → the Xero emulator (no sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from unified_accounting_xero import Account, XeroRateLimited
from unified_accounting_xero.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    XeroEmulator,
    create_emulator,
)

from unified_accounting import AsyncClient
from unified_accounting.client import AsyncConnection
from unified_accounting.errors import Conflict, NotFound, ValidationFailed
from unified_accounting.models import (
    Allocation,
    Customer,
    CustomerStatus,
    Invoice,
    InvoiceStatus,
    LineItem,
    Payment,
    TaxMode,
)
from unified_accounting.plugins import get_provider
from unified_accounting.provider import BulkUpdate
from unified_accounting.testing import LimiterTime

pytestmark = pytest.mark.anyio
BASE = "http://xero.test"


@dataclass
class Env:
    client: AsyncClient
    conn: AsyncConnection
    emulator: XeroEmulator

    @property
    def api_calls(self) -> list[Any]:
        return self.emulator.requests_to("/api.xro/")


async def connect(app: Any, *, max_retries: int = 2, **settings: Any) -> AsyncIterator[Env]:
    emulator: XeroEmulator = app.state.emulator
    issued = emulator.issue_tokens([emulator.default_tenant_id])
    options = {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "base_url": BASE,
        **settings,
    }
    async with AsyncClient(
        transport=httpx.ASGITransport(app=app),
        providers={"xero": options},
        max_retries=max_retries,
        environ={},
    ) as client:
        conn = await client.import_connection(
            consumer_id="u",
            provider="xero",
            company_id=emulator.default_tenant_id,
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            expires_at=issued["expires_at"],
        )
        yield Env(client, conn, emulator)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async for value in connect(create_emulator()):
        yield value


async def new_customer(env: Env, name: str = "Acme Ltd") -> Customer:
    return await env.conn.customers.create(Customer(display_name=name, email="ap@acme.example"))


def sample_invoice(customer_id: str, **changes: Any) -> Invoice:
    return Invoice(
        customer_id=customer_id,
        issue_date=date(2026, 1, 5),
        due_date=date(2026, 2, 4),
        line_items=[LineItem(description="Consulting", quantity=Decimal("3"), unit_price=Decimal("33.3333"))],
        **changes,
    )


async def test_every_call_names_the_tenant_and_asks_for_json(env: Env) -> None:
    customer = await new_customer(env)
    await env.conn.customers.get(str(customer.id))
    await env.conn.customers.list().to_list()
    assert len(env.api_calls) == 3
    for call in env.api_calls:
        assert call.headers["xero-tenant-id"] == env.emulator.default_tenant_id
        assert call.headers["accept"] == "application/json"


async def test_invoice_create_defaults_to_open_and_keeps_four_decimal_prices(env: Env) -> None:
    customer = await new_customer(env)
    invoice = await env.conn.invoices.create(sample_invoice(str(customer.id)))
    assert invoice.status is InvoiceStatus.OPEN and invoice.number
    (line,) = invoice.line_items
    assert line.unit_price == Decimal("33.3333") and line.total_amount == Decimal("100.00")
    assert line.account_id == "200"
    assert (invoice.sub_total, invoice.total_tax, invoice.total) == (
        Decimal("100.00"),
        Decimal("15.00"),
        Decimal("115.00"),
    )
    stored = env.emulator.record("Invoice", str(invoice.id))
    assert stored is not None and stored["Status"] == "AUTHORISED" and stored["Type"] == "ACCREC"


async def test_inclusive_amounts(env: Env) -> None:
    customer = await new_customer(env)
    invoice = await env.conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            line_items=[LineItem(description="Gross", quantity=1, unit_price=Decimal("115"))],
            pass_through={"LineAmountTypes": "Inclusive"},
        )
    )
    # Under Inclusive the unit price and line total include tax; sub_total does not.
    assert invoice.line_items[0].total_amount == Decimal("115.00")
    assert (invoice.sub_total, invoice.total_tax, invoice.total) == (
        Decimal("100.00"),
        Decimal("15.00"),
        Decimal("115.00"),
    )
    assert invoice.tax_mode is TaxMode.INCLUSIVE


async def test_inclusive_by_setting() -> None:
    async for env in connect(create_emulator(), line_amount_types="Inclusive"):
        customer = await new_customer(env)
        invoice = await env.conn.invoices.create(sample_invoice(str(customer.id)))
        assert invoice.total == Decimal("100.00") and invoice.total_tax == Decimal("13.04")


async def test_pay_an_invoice_with_the_default_bank_account(env: Env) -> None:
    customer = await new_customer(env)
    invoice = await env.conn.invoices.create(sample_invoice(str(customer.id)))
    payment = await env.conn.payments.create(
        Payment(
            total_amount=Decimal("15.00"),
            allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("15.00"))],
        )
    )
    assert payment.account_id == "090" and payment.customer_id == customer.id
    after = await env.conn.invoices.get(str(invoice.id))
    assert after.status is InvoiceStatus.PARTIALLY_PAID and after.amount_due == Decimal("100.00")
    await env.conn.payments.delete(str(payment.id))
    assert (await env.conn.invoices.get(str(invoice.id))).status is InvoiceStatus.OPEN
    assert (await env.conn.payments.get(str(payment.id))).status == "deleted"


async def test_a_payment_pays_exactly_one_invoice_checked_before_http(env: Env) -> None:
    payment = Payment(
        total_amount=Decimal("2"),
        allocations=[
            Allocation(invoice_id="a", amount=Decimal("1")),
            Allocation(invoice_id="b", amount=Decimal("1")),
        ],
    )
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.payments.create(payment)
    assert [issue.field for issue in caught.value.issues] == ["allocations"]
    assert env.api_calls == []


async def test_memo_is_refused_rather_than_lost(env: Env) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.invoices.create(sample_invoice("c-1", memo="hello"))
    assert [issue.field for issue in caught.value.issues] == ["memo"]
    with pytest.raises(ValidationFailed):
        await env.conn.invoices.update("i-1", {"total": Decimal("1")})
    assert env.api_calls == []


async def test_xero_validation_messages_are_kept(env: Env) -> None:
    customer = await new_customer(env)
    invoice = await env.conn.invoices.create(sample_invoice(str(customer.id)))
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.payments.create(
            Payment(
                total_amount=Decimal("500"),
                allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("500"))],
            )
        )
    assert caught.value.provider == "xero" and caught.value.status_code == 400
    assert any("exceeds the amount outstanding" in issue.message for issue in caught.value.issues)


async def test_idempotency_key_is_reused_across_retries(env: Env) -> None:
    env.emulator.fail_next(1, status=500)
    customer = await new_customer(env)
    writes = [call for call in env.api_calls if call.method == "PUT"]
    assert [call.status for call in writes] == [500, 200]
    first, second = (call.headers.get("idempotency-key") for call in writes)
    assert first and first == second
    assert [c["ContactID"] for c in env.emulator.records("Contact")] == [customer.id]


async def test_every_write_has_its_own_key(env: Env) -> None:
    customer = await new_customer(env)
    await env.conn.customers.update(str(customer.id), {"email": "new@acme.example"})
    keys = [call.headers.get("idempotency-key") for call in env.api_calls if call.method in ("PUT", "POST")]
    assert len(keys) == 2 and all(keys) and keys[0] != keys[1]


async def test_stale_row_version_is_a_conflict_and_writes_nothing(env: Env) -> None:
    customer = await new_customer(env)
    env.emulator.advance(2)
    await env.conn.customers.update(
        str(customer.id), {"email": "first@acme.example"}, row_version=customer.row_version
    )
    before = env.emulator.record("Contact", str(customer.id))
    env.emulator.advance(2)
    with pytest.raises(Conflict):
        await env.conn.customers.update(
            str(customer.id), {"email": "second@acme.example"}, row_version=customer.row_version
        )
    assert env.emulator.record("Contact", str(customer.id)) == before
    assert env.api_calls[-1].method == "GET"


async def test_invoice_updates(env: Env) -> None:
    customer = await new_customer(env)
    invoice = await env.conn.invoices.create(sample_invoice(str(customer.id), status=InvoiceStatus.DRAFT))
    env.emulator.advance(1)
    updated = await env.conn.invoices.update(
        str(invoice.id),
        {
            "reference": "PO-9",
            "status": InvoiceStatus.OPEN,
            "line_items": [LineItem(description="More", quantity=2, unit_price=Decimal("10"))],
        },
        row_version=invoice.row_version,
    )
    assert updated.reference == "PO-9" and updated.status is InvoiceStatus.OPEN
    assert updated.total == Decimal("23.00") and updated.row_version != invoice.row_version


async def test_delete_void_and_archive_follow_xero_transitions(env: Env) -> None:
    customer = await new_customer(env)
    draft = await env.conn.invoices.create(sample_invoice(str(customer.id), status=InvoiceStatus.DRAFT))
    await env.conn.invoices.delete(str(draft.id))
    assert env.emulator.record("Invoice", str(draft.id))["Status"] == "DELETED"  # type: ignore[index]
    approved = await env.conn.invoices.create(sample_invoice(str(customer.id)))
    calls = len(env.api_calls)
    with pytest.raises(ValidationFailed) as refused:
        await env.conn.invoices.delete(str(approved.id))
    assert [issue.field for issue in refused.value.issues] == ["status"]
    assert env.emulator.record("Invoice", str(approved.id))["Status"] == "AUTHORISED"  # type: ignore[index]
    assert all(call.method == "GET" for call in env.api_calls[calls:])  # nothing written
    voided = await env.conn.invoices.void(str(approved.id))
    assert voided.status is InvoiceStatus.VOID
    archived = await env.conn.customers.archive(str(customer.id))
    assert archived.status is CustomerStatus.ARCHIVED
    listed = await env.conn.customers.list().to_list()
    assert [c.status for c in listed if c.id == customer.id] == [CustomerStatus.ARCHIVED]


async def test_lists_page_by_page_and_only_sales_invoices() -> None:
    async for env in connect(create_emulator(seed=7, contacts=5, invoices=12, payments=3, items=2)):
        pages = [page async for page in env.conn.invoices.list(page_size=5).pages()]
        assert [len(p.items) for p in pages][:-1] == [5] * (len(pages) - 1)
        assert [p.next_cursor for p in pages][:-1] == [str(n) for n in range(2, len(pages) + 1)]
        listed = [invoice for page in pages for invoice in page.items]
        wire = env.emulator.records("Invoice")
        assert sorted(i.id for i in listed) == sorted(r["InvoiceID"] for r in wire if r["Type"] == "ACCREC")
        bill = next(r for r in wire if r["Type"] == "ACCPAY")
        with pytest.raises(NotFound):
            await env.conn.invoices.get(bill["InvoiceID"])
        assert all(
            call.query.get("where") == 'Type=="ACCREC"' for call in env.api_calls if call.query.get("page")
        )
        resumed = await env.conn.invoices.list(page_size=5, cursor="2").to_list()
        assert [i.id for i in resumed] == [i.id for i in listed[5:]]


async def test_accounts_and_items(env: Env) -> None:
    accounts = await env.conn.resource("account", Account).list().to_list()
    bank = next(a for a in accounts if a.code == "090")
    assert bank.type == "BANK"
    assert (await env.conn.resource("account", Account).get(str(bank.id))).code == "090"
    assert await env.conn.items.list().to_list() == []


async def test_updated_since_and_read_change_feed(env: Env) -> None:
    old = await new_customer(env, "Old Co")
    keep = await new_customer(env, "Keep Co")
    invoice = await env.conn.invoices.create(sample_invoice(str(keep.id)))
    draft = await env.conn.invoices.create(sample_invoice(str(keep.id), status=InvoiceStatus.DRAFT))
    env.emulator.advance(120)
    since = env.emulator.now()
    env.emulator.advance(5)
    new = await new_customer(env, "New Co")
    await env.conn.customers.archive(str(old.id))
    await env.conn.invoices.delete(str(draft.id))
    payment = await env.conn.payments.create(
        Payment(
            total_amount=Decimal("1"),
            allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("1"))],
        )
    )
    listed = {c.id for c in await env.conn.customers.list(updated_since=since).to_list()}
    assert listed == {new.id, old.id}
    assert any(call.headers.get("if-modified-since") for call in env.api_calls)
    provider = env.conn.provider
    changes = await provider.read_change_feed(env.conn.session(), ["customer", "invoice", "payment"], since)
    assert [c.id for c in changes.records["customer"]] == [new.id]
    assert changes.deleted["customer"] == [old.id]
    assert [i.id for i in changes.records["invoice"]] == [invoice.id]  # its payment changed it
    assert changes.deleted["invoice"] == [draft.id]
    assert [p.id for p in changes.records["payment"]] == [payment.id]
    assert changes.server_time is not None and changes.server_time >= since


async def test_bulk_create_reports_each_element(env: Env) -> None:
    results = await env.conn.customers.create_many(
        [Customer(display_name="Bulk A"), Customer(display_name="Bulk B"), Customer(display_name="Bulk A")]
    )
    assert [r.ok for r in results] == [True, True, False]
    assert results[0].record.display_name == "Bulk A"  # type: ignore[union-attr]
    assert "already assigned" in str(results[2].error)
    write = next(call for call in env.api_calls if call.method == "PUT")
    assert write.query["summarizeErrors"] == "false"


async def test_bulk_writes_go_in_batches() -> None:
    async for env in connect(create_emulator(), bulk_batch_size=2):
        results = await env.conn.customers.create_many(
            [Customer(display_name=f"Batch {n}") for n in range(5)]
        )
        assert all(r.ok for r in results)
        assert len([call for call in env.api_calls if call.method == "PUT"]) == 3


async def test_bulk_update_checks_row_versions(env: Env) -> None:
    first, second = await new_customer(env, "One"), await new_customer(env, "Two")
    env.emulator.advance(1)
    results = await env.conn.customers.update_many(
        [
            BulkUpdate(str(first.id), {"email": "one@example.com"}, first.row_version),
            BulkUpdate(str(second.id), {"email": "two@example.com"}, "12345"),
            BulkUpdate("00000000-0000-4000-8000-000000000000", {"email": "x@example.com"}),
        ]
    )
    assert results[0].ok and results[0].record.email == "one@example.com"  # type: ignore[union-attr]
    assert isinstance(results[1].error, Conflict) and isinstance(results[2].error, NotFound)
    assert env.emulator.record("Contact", str(second.id))["EmailAddress"] == "ap@acme.example"  # type: ignore[index]


async def test_a_429_names_the_limit() -> None:
    async for env in connect(create_emulator(), max_retries=0):
        env.emulator.fail_next(1, status=429)
        with pytest.raises(XeroRateLimited) as caught:
            await env.conn.customers.list().to_list()
        assert caught.value.limit_kind == "minute" and caught.value.retry_after == 60


async def test_the_limiter_slows_down_before_xero_says_429(ua_limiter_time: LimiterTime) -> None:
    from datetime import UTC, datetime

    app = create_emulator(minute_limit=3, start_time=datetime(2026, 1, 5, tzinfo=UTC))
    fake = ua_limiter_time
    fake.on_sleep = app.state.emulator.advance  # the emulator's minute passes as the limiter waits
    # The local window allows 60 a minute; the emulator only 3: its headers are what slows us.
    async for env in connect(app):
        for _ in range(5):
            fake.now += 1
            env.emulator.advance(1)
            await env.conn.resource("account", Account).list().to_list()
        assert [call.status for call in env.api_calls] == [200] * 5
        assert fake.slept and all(wait > 0 for wait in fake.slept)


def test_create_emulator_delegates() -> None:
    app = get_provider("xero").create_emulator(tenants=2)
    assert len(app.state.emulator.tenant_ids) == 2  # type: ignore[attr-defined]
