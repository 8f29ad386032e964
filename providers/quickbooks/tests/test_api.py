"""The provider end to end against the emulator, in process (httpx.ASGITransport)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks import Account, QuickBooksProvider
from unified_accounting_quickbooks.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_emulator
from unified_accounting_quickbooks.testing import SERVICE_ITEM_ID, new_realm_id

from unified_accounting import (
    AsyncClient,
    BulkUpdate,
    Conflict,
    Customer,
    CustomerStatus,
    DuplicateRecord,
    Invoice,
    InvoiceStatus,
    ItemType,
    LineItem,
    NotFound,
    Payment,
    PaymentStatus,
    RateLimited,
    ValidationFailed,
)
from unified_accounting.models import Allocation

pytestmark = pytest.mark.anyio


@dataclass
class Env:
    app: Any
    client: AsyncClient
    conn: Any
    realm: str

    @property
    def emulator(self) -> Any:
        return self.app.state.emulator

    @property
    def provider(self) -> QuickBooksProvider:
        provider = self.client.provider("quickbooks")
        assert isinstance(provider, QuickBooksProvider)
        return provider


async def make_env(
    settings: dict[str, Any] | None = None,
    client_options: dict[str, Any] | None = None,
    *,
    limits: bool = False,
    **emulator_options: Any,
) -> Env:
    """A client connected to a fresh emulator. Without ``limits`` neither side paces requests:
    Intuit's 10 a second would make tests wait on the wall clock (the limits are tested apart)."""
    realm = new_realm_id()
    app = create_emulator(realms=[realm], **{"retry_after_s": 0, "limits": limits, **emulator_options})
    app.state.emulator.create("Item", {"Name": "Services", "Type": "Service", "UnitPrice": 0})
    client = AsyncClient(
        providers={
            "quickbooks": {
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "base_url": "http://qbo.test",
                "default_item_id": SERVICE_ITEM_ID,
                **(settings or {}),
            }
        },
        transport=httpx.ASGITransport(app=app),
        environ={},
        **{"max_retries": 2, "rate_limits": "process" if limits else "off", **(client_options or {})},
    )
    tokens = app.state.emulator.issue_tokens()
    conn = await client.import_connection(
        consumer_id="tests",
        provider="quickbooks",
        company_id=realm,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )
    return Env(app, client, conn, realm)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = await make_env()
    yield made
    await made.client.aclose()


async def new_customer(env: Env, name: str = "Customer") -> Customer:
    return await env.conn.customers.create(Customer(display_name=f"{name} {new_realm_id()[-6:]}"))


async def new_invoice(env: Env, amount: str = "10.00", **fields: Any) -> Invoice:
    customer = await new_customer(env)
    return await env.conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            line_items=[LineItem(description="Work", quantity=Decimal(1), unit_price=Decimal(amount))],
            **fields,
        )
    )


def api_calls(env: Env) -> list[Any]:
    return [entry for entry in env.emulator.request_log if entry.path.startswith("/v3/company/")]


async def test_every_call_carries_minorversion_75(env: Env) -> None:
    invoice = await new_invoice(env)
    await env.conn.invoices.get(str(invoice.id))
    await env.conn.invoices.update(str(invoice.id), {"memo": "hello"})
    [record async for record in env.conn.invoices.list()]
    calls = api_calls(env)
    assert len(calls) >= 5
    assert {entry.query.get("minorversion") for entry in calls} == {"75"}


async def test_writes_carry_a_requestid_reused_across_retries(env: Env) -> None:
    customer = await new_customer(env)
    await env.conn.company_info.get()  # the company's setup, read before invoice writes, is kept
    env.emulator.fail_next(1, status=500)
    invoice = await env.conn.invoices.create(
        Invoice(customer_id=str(customer.id), line_items=[LineItem(quantity=2, unit_price="1.25")])
    )
    assert invoice.total == Decimal("2.50")
    posts = [entry for entry in api_calls(env) if entry.method == "POST" and entry.path.endswith("/invoice")]
    assert [entry.status for entry in posts] == [500, 200]
    assert posts[0].query["requestid"] == posts[1].query["requestid"]
    assert env.emulator.count("Invoice", env.realm) == 1
    all_posts = [entry for entry in api_calls(env) if entry.method == "POST"]
    assert all("requestid" in entry.query for entry in all_posts)


async def test_invoice_mapping_round_trip(env: Env) -> None:
    invoice = await new_invoice(env, "19.99", memo="Thanks", email="ap@example.com", number="INV-7")
    assert invoice.number == "INV-7"
    assert invoice.status is InvoiceStatus.OPEN
    assert invoice.amount_due == invoice.total == Decimal("19.99")
    assert invoice.line_items[0].item_id == SERVICE_ITEM_ID
    assert invoice.sub_total == Decimal("19.99")
    fetched = await env.conn.invoices.get(str(invoice.id), include_raw=True)
    assert fetched.raw is not None and fetched.raw["DocNumber"] == "INV-7"
    assert fetched.memo == "Thanks" and fetched.email == "ap@example.com"
    assert fetched.created_at is not None and fetched.created_at.utcoffset() == timedelta(0)


async def test_missing_item_is_refused_before_any_http() -> None:
    env = await make_env({"default_item_id": None})
    try:
        customer = await new_customer(env)
        before = len(api_calls(env))
        with pytest.raises(ValidationFailed) as caught:
            await env.conn.invoices.create(
                Invoice(customer_id=str(customer.id), line_items=[LineItem(quantity=1, unit_price=1)])
            )
        assert [issue.field for issue in caught.value.issues] == ["line_items.0.item_id"]
        assert len(api_calls(env)) == before
    finally:
        await env.client.aclose()


async def test_pass_through_reaches_quickbooks(env: Env) -> None:
    customer = await new_customer(env)
    invoice = await env.conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            line_items=[LineItem(quantity=1, unit_price=5)],
            pass_through={"PrivateNote": "internal only"},
        ),
        include_raw=True,
    )
    assert invoice.raw is not None and invoice.raw["PrivateNote"] == "internal only"


async def test_payment_partial_then_paid_and_void(env: Env) -> None:
    invoice = await new_invoice(env, "100.00")
    payments = env.conn.payments
    first = await payments.create(
        Payment(
            customer_id=invoice.customer_id,
            total_amount=Decimal("30.00"),
            allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("30.00"))],
        )
    )
    assert first.unapplied_amount == 0 and first.status is PaymentStatus.POSTED
    assert (await env.conn.invoices.get(str(invoice.id))).status is InvoiceStatus.PARTIALLY_PAID
    second = await payments.create(
        Payment(
            customer_id=invoice.customer_id,
            total_amount=Decimal("80.00"),
            allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("70.00"))],
        )
    )
    assert second.unapplied_amount == Decimal("10.00")
    paid = await env.conn.invoices.get(str(invoice.id))
    assert paid.status is InvoiceStatus.PAID and paid.amount_paid == Decimal("100.00")
    voided = await payments.void(str(second.id))
    assert voided.status is PaymentStatus.VOID
    assert (await env.conn.invoices.get(str(invoice.id))).amount_due == Decimal("70.00")
    await payments.delete(str(first.id))
    with pytest.raises(NotFound):
        await payments.get(str(first.id))


async def test_customer_archive_and_list_includes_archived(env: Env) -> None:
    customer = await new_customer(env)
    archived = await env.conn.customers.archive(str(customer.id))
    assert archived.status is CustomerStatus.ARCHIVED
    listed = [c.id async for c in env.conn.customers.list()]
    assert customer.id in listed


async def test_send_invoice(env: Env) -> None:
    invoice = await new_invoice(env)
    sent = await env.conn.invoices.send(str(invoice.id), to="billing@example.com", include_raw=True)
    assert sent.raw is not None and sent.raw["EmailStatus"] == "EmailSent"
    assert sent.email == "billing@example.com"


async def test_a_crafted_id_cannot_leave_the_company_path(env: Env) -> None:
    """Sent to ``send``, this id once walked up to the emulator's revoke-all route with the bearer
    token attached; as one encoded segment it names a record that does not exist."""
    invoice = await new_invoice(env)
    for crafted in ("../../../_emulator/revoke-all?x=", "1?minorversion=1&x="):
        with pytest.raises(NotFound):
            await env.conn.invoices.send(crafted)
        with pytest.raises(NotFound):
            await env.conn.invoices.get(crafted)
    for dots in (".", ".."):
        with pytest.raises(ValidationFailed, match="cannot be used in a URL"):
            await env.conn.invoices.send(dots)
    assert [e.path for e in env.emulator.request_log if e.path.startswith("/_emulator")] == []
    assert all(e.query.get("minorversion") == "75" and "x" not in e.query for e in api_calls(env))
    assert (await env.conn.invoices.get(str(invoice.id))).id == invoice.id  # the grant still works


async def test_items_and_accounts_are_readable(env: Env) -> None:
    items = [i async for i in env.conn.items.list()]
    assert [i.name for i in items] == ["Services"]
    accounts = [a async for a in env.conn.resource("account", Account).list()]
    assert any(a.name == "Checking" and a.account_type == "Bank" for a in accounts)
    item = await env.conn.items.get(SERVICE_ITEM_ID)
    assert item.type is ItemType.SERVICE


async def test_stale_row_version_raises_conflict_by_default(env: Env) -> None:
    invoice = await new_invoice(env)
    await env.conn.invoices.update(str(invoice.id), {"memo": "first"}, row_version=invoice.row_version)
    with pytest.raises(Conflict) as caught:
        await env.conn.invoices.update(str(invoice.id), {"memo": "second"}, row_version=invoice.row_version)
    assert caught.value.code == "5010" and caught.value.request_id


async def test_reapply_policy_survives_an_unrelated_change() -> None:
    env = await make_env({"conflict_policy": "reapply"})
    try:
        invoice = await new_invoice(env, "50.00")
        # A payment bumps the invoice's SyncToken without touching its memo.
        await env.conn.payments.create(
            Payment(
                customer_id=invoice.customer_id,
                total_amount=Decimal(5),
                allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal(5))],
            )
        )
        updated = await env.conn.invoices.update(
            str(invoice.id), {"memo": "kept"}, row_version=invoice.row_version
        )
        assert updated.memo == "kept" and updated.amount_due == Decimal("45.00")
        # A concurrent change to the same field is still a conflict.
        await env.conn.invoices.update(str(invoice.id), {"memo": "theirs"})
        with pytest.raises(Conflict) as caught:
            await env.conn.invoices.update(str(invoice.id), {"memo": "mine"}, row_version=updated.row_version)
        assert "CustomerMemo" in (caught.value.detail or "")
    finally:
        await env.client.aclose()


async def test_update_without_row_version_reads_the_current_sync_token(env: Env) -> None:
    customer = await new_customer(env)
    await env.conn.customers.update(str(customer.id), {"email": "a@example.com"})
    updated = await env.conn.customers.update(str(customer.id), {"email": "b@example.com"})
    assert updated.email == "b@example.com" and updated.row_version == "2"


async def test_bulk_create_splits_into_batches_of_30(env: Env) -> None:
    customers = [Customer(display_name=f"Bulk {index}") for index in range(65)] + [
        Customer(display_name="Bulk 3")  # a duplicate name: one per-item fault
    ]
    results = await env.conn.customers.create_many(customers)
    batches = [entry for entry in api_calls(env) if entry.path.endswith("/batch")]
    assert len(batches) == 3
    assert [r.index for r in results] == list(range(66))
    assert all(r.ok for r in results[:65])
    assert isinstance(results[65].error, DuplicateRecord)


async def test_bulk_update_reads_missing_sync_tokens_with_one_query(env: Env) -> None:
    created = [await new_customer(env, f"Up{index}") for index in range(3)]
    before = len(api_calls(env))
    results = await env.conn.customers.update_many(
        [BulkUpdate(str(c.id), {"email": f"{index}@example.com"}) for index, c in enumerate(created)]
    )
    assert [r.record.email for r in results] == ["0@example.com", "1@example.com", "2@example.com"]
    assert len(api_calls(env)) - before == 2  # one query for the SyncTokens, one batch


async def test_paged_list_uses_start_position(env: Env) -> None:
    for index in range(5):
        await new_customer(env, f"Paged{index}")
    pages = [page async for page in env.conn.customers.list(page_size=2).pages()]
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert [p.next_cursor for p in pages] == ["3", "5", None]
    queries = [entry.query["query"] for entry in api_calls(env) if entry.path.endswith("/query")]
    assert "STARTPOSITION 3 MAXRESULTS 2" in queries[1]


async def test_read_change_feed_uses_cdc_with_deletions(env: Env) -> None:
    session = env.conn.session()
    since = env.emulator.now()
    env.emulator.advance(5)
    kept = await new_invoice(env)
    gone = await new_invoice(env)
    await env.conn.invoices.delete(str(gone.id))
    changes = await env.provider.read_change_feed(
        session, ["invoice", "customer"], since - timedelta(seconds=1)
    )
    assert [i.id for i in changes.records["invoice"]] == [kept.id]
    assert changes.deleted["invoice"] == [gone.id]
    assert len(changes.records["customer"]) == 2
    assert changes.server_time is not None
    assert any(entry.path.endswith("/cdc") for entry in api_calls(env))


async def test_read_change_feed_falls_back_to_queries_beyond_30_days(env: Env) -> None:
    session = env.conn.session()
    since = env.emulator.now() - timedelta(days=45)
    invoice = await new_invoice(env)
    changes = await env.provider.read_change_feed(session, ["invoice"], since)
    assert [i.id for i in changes.records["invoice"]] == [invoice.id]
    assert not any(entry.path.endswith("/cdc") for entry in api_calls(env))


async def test_read_change_feed_falls_back_when_cdc_is_capped() -> None:
    env = await make_env({"cdc_max_objects": 3}, cdc_max_objects=3)
    try:
        since = env.emulator.now() - timedelta(minutes=1)
        created = [await new_invoice(env) for _ in range(3)]
        changes = await env.provider.read_change_feed(env.conn.session(), ["invoice"], since)
        assert sorted(str(i.id) for i in changes.records["invoice"]) == sorted(str(i.id) for i in created)
        assert any("LastUpdatedTime" in entry.query.get("query", "") for entry in api_calls(env))
    finally:
        await env.client.aclose()


# Paced by the real 10-calls-a-second limit: seconds of waiting.
@pytest.mark.slow
async def test_limiter_keeps_a_burst_under_the_emulator_limits() -> None:
    env = await make_env(limits=True)  # the emulator enforces the real 10/s and 10 concurrent limits
    try:
        customer = await new_customer(env)
        await asyncio.gather(*(env.conn.customers.get(str(customer.id)) for _ in range(25)))
        statuses = [entry.status for entry in api_calls(env)]
        assert 429 not in statuses
        assert env.emulator.limiter.throttled == 0
    finally:
        await env.client.aclose()


async def test_meter_counts_reads_and_writes(env: Env) -> None:
    invoice = await new_invoice(env)  # customer create + invoice create: two writes
    await env.conn.invoices.get(str(invoice.id))
    [record async for record in env.conn.invoices.list()]
    usage = env.provider.meter.usage(env.realm)
    # Reads: CompanyInfo and Preferences (once, before the first invoice write), the get, the list.
    assert (usage.metered_reads, usage.free_writes) == (4, 2)


async def test_throttle_xml_without_retry_after_means_a_minute() -> None:
    # The real service sends no Retry-After: the error says 60 s, longer than this client will wait.
    env = await make_env(client_options={"max_retry_wait": 5}, retry_after_s=None)
    try:
        customer = await new_customer(env)
        env.emulator.fail_next(1, status=429)
        with pytest.raises(RateLimited) as caught:
            await env.conn.customers.get(str(customer.id))
        assert caught.value.retry_after == 60 and caught.value.code == "3001"
        assert caught.value.request_id
    finally:
        await env.client.aclose()
