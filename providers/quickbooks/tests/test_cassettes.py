"""Recorded HTTP: the provider against the emulator over real loopback HTTP, replayed offline.

By default the cassettes in ``cassettes/quickbooks/`` are replayed and nothing is listening.
``UA_RECORD_CASSETTES=1`` re-records them against a fresh emulator served on a loopback port; add
``UA_QUICKBOOKS_REALM_ID`` and ``UA_QUICKBOOKS_REFRESH_TOKEN`` (with ``UA_QUICKBOOKS_CLIENT_ID``,
``UA_QUICKBOOKS_CLIENT_SECRET`` and ``UA_QUICKBOOKS_DEFAULT_ITEM_ID``) to record against a real
QuickBooks sandbox company instead. Scenarios only an emulator can stage are left out of that
run (deselected, not skipped: ``deselect_if``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from unified_accounting_quickbooks import QuickBooksProvider, QuickBooksSettings
from unified_accounting_quickbooks import changes as change_reads
from unified_accounting_quickbooks.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REALM_ID,
    create_emulator,
)

from unified_accounting import (
    AccountClassification,
    AsyncClient,
    Conflict,
    Customer,
    Invoice,
    InvoiceStatus,
    Item,
    ItemPricing,
    ItemStatus,
    ItemType,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LedgerAccountType,
    LineItem,
    NotFound,
    Payment,
    RateLimited,
)
from unified_accounting.models import (
    Allocation,
    Bill,
    BillAllocation,
    BillPayment,
    BillPaymentStatus,
    BillStatus,
    CreditNote,
    CreditNoteStatus,
    Expense,
    ExpensePaymentType,
    Supplier,
    SupplierCredit,
)
from unified_accounting.testing.cassettes import cassette_vcr, find_secrets, recording, serve

pytestmark = pytest.mark.anyio

LIBRARY = Path(__file__).resolve().parents[3] / "cassettes" / "quickbooks"
TARGET_FILE = LIBRARY / "target.json"
#: The emulator's fixed clock while recording, so every request (and so every cassette) is repeatable.
RECORDED_AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
REDIRECT = "https://app.example/callback"


def sandbox_recording() -> bool:
    return recording() and bool(os.environ.get("UA_QUICKBOOKS_REFRESH_TOKEN"))


@dataclass
class Target:
    client: AsyncClient
    conn: Any
    app: Any | None
    base_url: str

    @property
    def provider(self) -> QuickBooksProvider:
        provider = self.client.provider("quickbooks")
        assert isinstance(provider, QuickBooksProvider)
        return provider


def _emulator() -> Any:
    app = create_emulator(clock=lambda: RECORDED_AT, limits=False)
    app.state.emulator.create("Item", {"Name": "Services", "Type": "Service", "UnitPrice": 0})
    return app


@contextlib.contextmanager
def _server(app: Any | None) -> Iterator[str]:
    if app is None or not recording():
        yield "http://qbo.replay"  # hosts are not matched: any name replays
        return
    with serve(app) as url:
        yield url


@contextlib.asynccontextmanager
async def target(**client_options: Any) -> AsyncIterator[Target]:
    if sandbox_recording():
        realm = os.environ["UA_QUICKBOOKS_REALM_ID"]
        TARGET_FILE.write_text(json.dumps({"realm_id": realm}) + "\n")
        client = AsyncClient(providers={"quickbooks": {"environment": "sandbox"}}, **client_options)
        conn = await client.import_connection(
            consumer_id="cassettes",
            provider="quickbooks",
            company_id=realm,
            access_token="expired",
            refresh_token=os.environ["UA_QUICKBOOKS_REFRESH_TOKEN"],
            expires_at=datetime.now(UTC) - timedelta(minutes=1),
        )
        try:
            yield Target(client, conn, None, "")
        finally:
            await client.aclose()
        return
    app = _emulator() if recording() else None
    if recording():
        TARGET_FILE.write_text(json.dumps({"realm_id": DEFAULT_REALM_ID}) + "\n")
    realm = json.loads(TARGET_FILE.read_text())["realm_id"]
    with _server(app) as base_url:
        settings = {
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "base_url": base_url,
            "default_item_id": "1",
        }
        # Replayed answers need no pacing (recording against the emulator runs it without limits).
        client_options.setdefault("rate_limits", "off")
        client = AsyncClient(providers={"quickbooks": settings}, environ={}, **client_options)
        token = app.state.emulator.issue_tokens()["access_token"] if app is not None else "replayed"
        conn = await client.import_connection(
            consumer_id="cassettes", provider="quickbooks", company_id=realm, access_token=token
        )
        try:
            yield Target(client, conn, app, base_url)
        finally:
            await client.aclose()


def cassette(name: str) -> Any:
    return cassette_vcr(LIBRARY).use_cassette(f"{name}.yaml")


#: A scenario only the emulator can stage: not part of a recording against a real sandbox.
emulator_only = pytest.mark.deselect_if(sandbox_recording(), reason="needs the emulator to stage this answer")


@emulator_only
async def test_oauth_code_exchange_and_refresh() -> None:
    provider = QuickBooksProvider()
    app = _emulator() if recording() else None
    with _server(app) as base_url, cassette("oauth_code_exchange_refresh"):
        settings = QuickBooksSettings.model_validate(
            {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET, "base_url": base_url}
        )
        import httpx

        async with httpx.AsyncClient() as http:
            consent = await http.get(
                provider.authorization_url(settings, redirect_uri=REDIRECT, state="state-1")
            )
            callback = {k: v[0] for k, v in parse_qs(urlsplit(consent.headers["location"]).query).items()}
            [grant] = await provider.exchange_code(
                http, settings, code=callback["code"], redirect_uri=REDIRECT, callback_params=callback
            )
            assert grant.company_id == callback["realmId"] and grant.company_name  # read with the token
            refreshed = await provider.refresh(http, settings, grant.tokens)
            assert refreshed.hard_expires_at is not None and refreshed.refresh_token_expires_at is not None


async def test_crud_of_customer_invoice_and_payment() -> None:
    async with target() as t:
        with cassette("crud"):
            customers, invoices, payments = t.conn.customers, t.conn.invoices, t.conn.payments
            customer = await customers.create(
                Customer(display_name="Cassette Customer 1", email="a@example.com")
            )
            assert (await customers.get(str(customer.id))).email == "a@example.com"
            changed = await customers.update(str(customer.id), {"email": "b@example.com"})
            assert changed.email == "b@example.com"
            invoice = await invoices.create(
                Invoice(
                    customer_id=str(customer.id),
                    issue_date=date(2026, 1, 15),
                    line_items=[
                        LineItem(description="Work", quantity=Decimal(3), unit_price=Decimal("12.10"))
                    ],
                )
            )
            assert invoice.total == Decimal("36.30") and invoice.status is InvoiceStatus.OPEN
            memo = await invoices.update(str(invoice.id), {"memo": "Thanks"}, row_version=invoice.row_version)
            assert memo.memo == "Thanks"
            payment = await payments.create(
                Payment(
                    customer_id=str(customer.id),
                    total_amount=Decimal("10.00"),
                    date=date(2026, 1, 15),
                    allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("10.00"))],
                )
            )
            assert (await payments.get(str(payment.id))).total_amount == Decimal("10.00")
            assert (await invoices.get(str(invoice.id))).status is InvoiceStatus.PARTIALLY_PAID
            await payments.delete(str(payment.id))
            assert (await invoices.void(str(invoice.id))).status is InvoiceStatus.VOID
            other = await invoices.create(
                Invoice(customer_id=str(customer.id), line_items=[LineItem(quantity=1, unit_price=5)])
            )
            await invoices.delete(str(other.id))
            with pytest.raises(NotFound):
                await invoices.get(str(other.id))


async def test_paged_query() -> None:
    async with target() as t:
        with cassette("paged_query"):
            for index in range(3):
                await t.conn.customers.create(Customer(display_name=f"Paged Customer {index}"))
            pages = [page async for page in t.conn.customers.list(page_size=2).pages()]
            assert len(pages) >= 2 and pages[0].next_cursor == "3"


async def test_change_data_capture() -> None:
    async with target() as t:
        with cassette("cdc"):
            customer = await t.conn.customers.create(Customer(display_name="CDC Customer"))
            invoice = await t.conn.invoices.create(
                Invoice(customer_id=str(customer.id), line_items=[LineItem(quantity=1, unit_price=7)])
            )
            gone = await t.conn.invoices.create(
                Invoice(customer_id=str(customer.id), line_items=[LineItem(quantity=1, unit_price=8)])
            )
            await t.conn.invoices.delete(str(gone.id))
            now = datetime.now(UTC) if sandbox_recording() else RECORDED_AT
            since = now - timedelta(hours=1) if sandbox_recording() else RECORDED_AT - timedelta(seconds=1)
            changes = await change_reads.read_changes(
                t.provider.api, t.conn.session(), ["invoice", "customer"], since, now=now
            )
            assert invoice.id in {i.id for i in changes.records["invoice"]}
            assert gone.id in changes.deleted["invoice"]


async def test_chart_items_and_journal_entries() -> None:
    async with target() as t:
        with cassette("chart_and_journal"):
            chart = [a async for a in t.conn.ledger_accounts.list()]
            bank = next(a for a in chart if a.type is LedgerAccountType.BANK and not a.system)
            income = await t.conn.ledger_accounts.create(
                LedgerAccount(name="Cassette consulting", type=LedgerAccountType.INCOME, code="4100")
            )
            renamed = await t.conn.ledger_accounts.update(str(income.id), {"description": "Advice"})
            assert renamed.description == "Advice" and renamed.classification is AccountClassification.INCOME
            item = await t.conn.items.create(
                Item(
                    name="Cassette hour",
                    type=ItemType.SERVICE,
                    sales=ItemPricing(unit_price=Decimal("90.00"), account_id=str(income.id)),
                )
            )
            assert (await t.conn.items.get(str(item.id))).sales.account_id == income.id  # type: ignore[union-attr]
            entry = await t.conn.journal_entries.create(
                JournalEntry(
                    date=date(2026, 1, 15),
                    memo="Cassette journal",
                    lines=[
                        JournalLine(ledger_account_id=str(bank.id), debit=Decimal("12.34")),
                        JournalLine(ledger_account_id=str(income.id), credit=Decimal("12.34")),
                    ],
                )
            )
            fetched = await t.conn.journal_entries.get(str(entry.id))
            assert fetched.total_debit == fetched.total_credit == Decimal("12.34")
            await t.conn.journal_entries.delete(str(entry.id))
            archived = await t.conn.items.archive(str(item.id))
            assert archived.status is ItemStatus.ARCHIVED


async def test_payables_and_customer_credit() -> None:
    async with target() as t:
        with cassette("payables_and_credit"):
            chart = [a async for a in t.conn.ledger_accounts.list()]
            bank = next(a for a in chart if a.type is LedgerAccountType.BANK and not a.system)
            spend = next(a for a in chart if a.type is LedgerAccountType.EXPENSE and not a.system)
            supplier = await t.conn.suppliers.create(Supplier(display_name="Cassette Supplier"))
            line = LineItem(description="Paper", total_amount=Decimal("45.00"), account_id=str(spend.id))
            bill = await t.conn.bills.create(
                Bill(supplier_id=str(supplier.id), issue_date=date(2026, 1, 15), line_items=[line])
            )
            paid = await t.conn.bill_payments.create(
                BillPayment(
                    supplier_id=str(supplier.id),
                    date=date(2026, 1, 15),
                    total_amount=Decimal("20.00"),
                    account_id=str(bank.id),
                    allocations=[BillAllocation(bill_id=str(bill.id), amount=Decimal("20.00"))],
                )
            )
            assert (await t.conn.bills.get(str(bill.id))).status is BillStatus.PARTIALLY_PAID
            credit = await t.conn.supplier_credits.create(
                SupplierCredit(supplier_id=str(supplier.id), issue_date=date(2026, 1, 15), line_items=[line])
            )
            left = await t.conn.supplier_credits.allocate(
                str(credit.id), bill_id=str(bill.id), amount=Decimal("25.00")
            )
            assert left.remaining_credit == Decimal("20.00")
            assert [(a.document_id, a.amount) for a in left.allocations] == [(str(bill.id), Decimal("25.00"))]
            assert (await t.conn.bills.get(str(bill.id))).status is BillStatus.PAID
            expense = await t.conn.expenses.create(
                Expense(date=date(2026, 1, 15), account_id=str(bank.id), line_items=[line])
            )
            assert expense.payment_type is ExpensePaymentType.CASH
            customer = await t.conn.customers.create(Customer(display_name="Cassette Credit Customer"))
            invoice = await t.conn.invoices.create(
                Invoice(
                    customer_id=str(customer.id),
                    issue_date=date(2026, 1, 15),
                    line_items=[
                        LineItem(description="Work", quantity=Decimal(1), unit_price=Decimal("30.00"))
                    ],
                )
            )
            note = await t.conn.credit_notes.create(
                CreditNote(
                    customer_id=str(customer.id),
                    issue_date=date(2026, 1, 15),
                    line_items=[
                        LineItem(description="Refund", quantity=Decimal(1), unit_price=Decimal("10.00"))
                    ],
                )
            )
            used = await t.conn.credit_notes.allocate(
                str(note.id), invoice_id=str(invoice.id), amount=Decimal("10.00")
            )
            assert used.status is CreditNoteStatus.USED
            assert [(a.document_id, a.amount) for a in used.allocations] == [
                (str(invoice.id), Decimal("10.00"))
            ]
            assert (await t.conn.invoices.get(str(invoice.id))).amount_due == Decimal("20.00")
            assert (await t.conn.bill_payments.void(str(paid.id))).status is BillPaymentStatus.VOID


async def test_stale_sync_token_is_a_conflict() -> None:
    async with target() as t:
        with cassette("conflict_5010"):
            customer = await t.conn.customers.create(Customer(display_name="Conflict Customer"))
            await t.conn.customers.update(
                str(customer.id), {"email": "x@example.com"}, row_version=customer.row_version
            )
            with pytest.raises(Conflict) as caught:
                await t.conn.customers.update(
                    str(customer.id), {"email": "y@example.com"}, row_version=customer.row_version
                )
            assert caught.value.code == "5010"


async def test_reports_attachments_pdf_and_raw_requests() -> None:
    async with target() as t:
        with cassette("documents"):
            customer = await t.conn.customers.create(Customer(display_name="Cassette Documents Customer"))
            before = await t.conn.reports.profit_and_loss(date(2026, 1, 1), date(2026, 1, 31))
            invoice = await t.conn.invoices.create(
                Invoice(
                    customer_id=str(customer.id),
                    issue_date=date(2026, 1, 15),
                    line_items=[
                        LineItem(description="Work", quantity=Decimal(2), unit_price=Decimal("21.50"))
                    ],
                )
            )
            after = await t.conn.reports.profit_and_loss(date(2026, 1, 1), date(2026, 1, 31))
            income = AccountClassification.INCOME
            grown = after.classified_total(income, "total") - before.classified_total(income, "total")
            assert grown == Decimal("43.00")
            sheet = await t.conn.reports.balance_sheet(date(2026, 1, 31))
            assets = sheet.classified_total(AccountClassification.ASSET, "total")
            claims = sheet.classified_total(AccountClassification.LIABILITY, "total")
            assert assets == claims + sheet.classified_total(AccountClassification.EQUITY, "total")
            aged = await t.conn.reports.aged_receivables(date(2026, 3, 1), customer_id=str(customer.id))
            assert any(row.party_id == customer.id for row in aged.walk())
            content = bytes(range(256)) * 4
            attachment = await t.conn.attachments.upload(
                "invoice", str(invoice.id), content, file_name="cassette.pdf", note="Recorded"
            )
            (listed,) = await t.conn.attachments.list("invoice", str(invoice.id))
            assert listed.id == attachment.id and listed.size == len(content)
            assert b"".join([chunk async for chunk in t.conn.attachments.download(attachment)]) == content
            await t.conn.attachments.delete(attachment)
            document = await t.conn.invoices.pdf(str(invoice.id))
            assert document.startswith(b"%PDF-")
            info = await t.conn.request("GET", "query", params={"query": "select * from CompanyInfo"})
            assert info.json()["QueryResponse"]["CompanyInfo"][0]["CompanyName"]


@emulator_only
async def test_throttle_answers_xml_429() -> None:
    async with target(max_retry_wait=5) as t:
        with cassette("throttle_429"):
            customer = await t.conn.customers.create(Customer(display_name="Throttled Customer"))
            if t.app is not None:
                t.app.state.emulator.fail_next(1, status=429)
            with pytest.raises(RateLimited) as caught:
                await t.conn.customers.get(str(customer.id))
            assert (caught.value.code, caught.value.retry_after) == ("3001", 60.0)


def test_cassettes_hold_no_secrets() -> None:
    files = sorted(LIBRARY.glob("*.yaml"))
    assert len(files) >= 6
    known = [
        DEFAULT_CLIENT_SECRET,
        *(os.environ.get(k, "") for k in ("UA_QUICKBOOKS_CLIENT_SECRET", "UA_QUICKBOOKS_REFRESH_TOKEN")),
    ]
    assert find_secrets(files, known_secrets=known) == []
