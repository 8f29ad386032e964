"""Recorded HTTP: the provider against Xero's wire format, replayed offline (no emulator, no network).

Modes, chosen by environment variables:

* default — replay ``cassettes/xero/*.yaml``; a request not in the cassette fails the test;
* ``UA_RECORD_CASSETTES=1`` — record again against the emulator, served on a loopback port;
* ``UA_RECORD_CASSETTES=1 UA_XERO_LIVE=1`` — record against a real Xero organisation (a demo company)
  with ``UA_XERO_CLIENT_ID``, ``UA_XERO_CLIENT_SECRET``, ``UA_XERO_TENANT_ID`` and
  ``UA_XERO_TOKEN_FILE`` (a JSON file holding ``{"refresh_token": ...}``, rewritten after every
  rotation). The token exchange also needs ``UA_XERO_AUTH_CODE`` and ``UA_XERO_REDIRECT_URI``.
  See docs/providers/xero.md.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from unified_accounting_xero import XeroRateLimited
from unified_accounting_xero.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REDIRECT_URIS,
    DEFAULT_WEBHOOK_KEY,
    XeroEmulator,
    create_emulator,
)
from unified_accounting_xero.provider import XeroProvider

from unified_accounting import AsyncClient
from unified_accounting.client import AsyncConnection
from unified_accounting.emulation.pdf import pdf_problems
from unified_accounting.errors import ValidationFailed
from unified_accounting.models import (
    AccountClassification,
    Allocation,
    Bill,
    BillAllocation,
    BillPayment,
    BillStatus,
    CreditNote,
    CreditNoteStatus,
    Customer,
    Expense,
    Invoice,
    InvoiceStatus,
    Item,
    ItemPricing,
    JournalEntry,
    JournalEntryStatus,
    JournalLine,
    LedgerAccount,
    LedgerAccountType,
    LineItem,
    Payment,
    Supplier,
    SupplierCredit,
)
from unified_accounting.testing.cassettes import cassette_vcr, find_secrets, recording, serve
from unified_accounting.tokens import TokenSet

CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "xero"
LIVE = recording() and os.environ.get("UA_XERO_LIVE") == "1"
provider = XeroProvider()
pytestmark = pytest.mark.anyio


@dataclass
class Backend:
    """Where requests go, and the tokens and tenant to use there."""

    settings: dict[str, Any]
    access_token: str
    refresh_token: str
    tenant_id: str
    emulator: XeroEmulator | None = None

    async def advance(self, seconds: float) -> None:
        """Let time pass: the emulator's clock moves; real Xero needs a real wait; replay none."""
        if self.emulator is not None:
            self.emulator.advance(seconds)
        elif LIVE:
            await asyncio.sleep(seconds)

    def now(self) -> datetime:
        return self.emulator.now() if self.emulator is not None else datetime.now(UTC)


def _live_settings() -> dict[str, Any]:
    return {
        "client_id": os.environ["UA_XERO_CLIENT_ID"],
        "client_secret": os.environ["UA_XERO_CLIENT_SECRET"],
    }


def _token_file() -> Path:
    return Path(os.environ["UA_XERO_TOKEN_FILE"])


def save_rotated(tokens: TokenSet) -> None:
    """Real Xero refresh tokens are single use: keep the new one for the next recording."""
    if LIVE and tokens.refresh_token is not None:
        _token_file().write_text(json.dumps({"refresh_token": tokens.refresh_token.get_secret_value()}))


@pytest.fixture
def backend() -> Iterator[Backend]:
    if not recording():
        yield Backend(
            {"base_url": "http://xero.cassette", **_emulator_credentials()}, "replayed", "replayed", "t"
        )
        return
    if LIVE:
        settings = _live_settings()
        stored = json.loads(_token_file().read_text())["refresh_token"]
        tokens = asyncio.run(_live_refresh(settings, stored))
        yield Backend(
            settings,
            tokens.access_token.get_secret_value(),
            tokens.refresh_token.get_secret_value() if tokens.refresh_token else "",
            os.environ["UA_XERO_TENANT_ID"],
        )
        return
    app = create_emulator()
    emulator: XeroEmulator = app.state.emulator
    with serve(app) as url:
        issued = emulator.issue_tokens()
        yield Backend(
            {"base_url": url, **_emulator_credentials()},
            issued["access_token"],
            issued["refresh_token"],
            emulator.default_tenant_id,
            emulator,
        )


def _emulator_credentials() -> dict[str, str]:
    return {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET}


async def _live_refresh(settings: dict[str, Any], refresh_token: str) -> TokenSet:
    from pydantic import SecretStr
    from unified_accounting_xero.settings import XeroSettings

    async with httpx.AsyncClient() as http:
        tokens = await provider.refresh(
            http,
            XeroSettings(**settings),
            TokenSet(access_token=SecretStr("-"), refresh_token=SecretStr(refresh_token)),
        )
    save_rotated(tokens)
    return tokens


@pytest.fixture
def cassette(request: pytest.FixtureRequest) -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(cassette_vcr(CASSETTES).use_cassette(f"{request.node.name}.yaml"))
        yield


async def connect(backend: Backend, **options: Any) -> AsyncIterator[AsyncConnection]:
    async with AsyncClient(providers={"xero": backend.settings}, environ={}, **options) as client:
        yield await client.import_connection(
            consumer_id="cassette",
            provider="xero",
            company_id=backend.tenant_id,
            access_token=backend.access_token,
            refresh_token=backend.refresh_token,
            expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        )


def xero_settings(backend: Backend) -> Any:
    from unified_accounting_xero.settings import XeroSettings

    return XeroSettings(**backend.settings)


@pytest.mark.deselect_if(
    LIVE and "UA_XERO_AUTH_CODE" not in os.environ,
    reason="set UA_XERO_AUTH_CODE (a fresh authorization code) to record the exchange",
)
async def test_token_exchange_and_connections(backend: Backend, cassette: None) -> None:
    redirect_uri = os.environ.get("UA_XERO_REDIRECT_URI", DEFAULT_REDIRECT_URIS[0])
    if LIVE:
        code = os.environ["UA_XERO_AUTH_CODE"]
    elif backend.emulator is not None:
        identity = backend.emulator.identity
        code = identity.issue_code(
            DEFAULT_CLIENT_ID,
            redirect_uri,
            ["offline_access", "accounting.contacts"],
            backend.emulator.tenant_ids,
            None,
        )
    else:
        code = "replayed-code"
    async with httpx.AsyncClient() as http:
        grants = await provider.exchange_code(
            http, xero_settings(backend), code=code, redirect_uri=redirect_uri, callback_params={}
        )
    assert grants and all(g.metadata.get("connection_id") for g in grants)
    assert all(g.tokens.refresh_token is not None for g in grants)
    save_rotated(grants[0].tokens)


async def test_refresh_rotation(backend: Backend, cassette: None) -> None:
    from pydantic import SecretStr

    tokens = TokenSet(
        access_token=SecretStr(backend.access_token), refresh_token=SecretStr(backend.refresh_token)
    )
    async with httpx.AsyncClient() as http:
        first = await provider.refresh(http, xero_settings(backend), tokens)
        save_rotated(first)
        second = await provider.refresh(http, xero_settings(backend), first)
        save_rotated(second)
    assert first.refresh_token is not None and second.refresh_token is not None
    if recording():  # replayed cassettes hold REDACTED tokens
        assert (
            len({t.refresh_token.get_secret_value() for t in (tokens, first, second) if t.refresh_token}) == 3
        )


async def test_crud(backend: Backend, cassette: None) -> None:
    async for conn in connect(backend):
        customer = await conn.customers.create(
            Customer(display_name=f"Cassette Co {backend.now().timestamp()}")
        )
        fetched = await conn.customers.get(str(customer.id))
        await backend.advance(2)
        updated = await conn.customers.update(
            str(customer.id), {"email": "ap@cassette.example"}, row_version=fetched.row_version
        )
        assert updated.email == "ap@cassette.example"

        invoice = await conn.invoices.create(
            Invoice(
                customer_id=str(customer.id),
                issue_date=date(2026, 1, 5),
                line_items=[
                    LineItem(description="Consulting", quantity=Decimal("3"), unit_price=Decimal("12.3456"))
                ],
            )
        )
        assert invoice.status is InvoiceStatus.OPEN
        assert invoice.line_items[0].unit_price == Decimal("12.3456")
        changed = await conn.invoices.update(str(invoice.id), {"reference": "PO-1"})
        assert changed.reference == "PO-1"

        payment = await conn.payments.create(
            Payment(
                total_amount=Decimal("10.00"),
                date=date(2026, 1, 6),
                allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("10.00"))],
            )
        )
        assert (await conn.payments.get(str(payment.id))).total_amount == Decimal("10.00")
        assert (await conn.invoices.get(str(invoice.id))).status is InvoiceStatus.PARTIALLY_PAID
        await conn.payments.delete(str(payment.id))
        voided = await conn.invoices.void(str(invoice.id))
        assert voided.status is InvoiceStatus.VOID
        archived = await conn.customers.archive(str(customer.id))
        assert archived.status == "archived"


async def test_chart_items_and_journals(backend: Backend, cassette: None) -> None:
    async for conn in connect(backend):
        tag = f"{int(backend.now().timestamp()) % 100000:05d}"
        account = await conn.ledger_accounts.create(
            LedgerAccount(code=f"C{tag}", name=f"Cassette costs {tag}", type=LedgerAccountType.EXPENSE)
        )
        # Replayed, the answers carry the tag of the recording: read it back from them.
        tag = str(account.code)[1:]
        assert account.id == f"C{tag}" and account.classification == "expense"
        fetched = await conn.ledger_accounts.get(str(account.id))
        renamed = await conn.ledger_accounts.update(
            str(account.id), {"name": f"Cassette overheads {tag}"}, row_version=fetched.row_version
        )
        assert renamed.name == f"Cassette overheads {tag}"

        item = await conn.items.create(
            Item(
                code=f"CAS-{tag}",
                name=f"Cassette {tag}",
                sales=ItemPricing(unit_price=Decimal("9.5"), account_id="200"),
                purchase=ItemPricing(unit_price=Decimal("4.25"), account_id=str(account.id)),
            )
        )
        assert item.id == f"CAS-{tag}" and (await conn.items.get(str(item.id))).name == f"Cassette {tag}"
        changed = await conn.items.update(str(item.id), {"name": f"Cassette item {tag}"})
        assert changed.purchase is not None and changed.purchase.account_id == str(account.id)

        entry = await conn.journal_entries.create(
            JournalEntry(
                date=date(2026, 1, 31),
                memo=f"Cassette accrual {tag}",
                lines=[
                    JournalLine(ledger_account_id=str(account.id), debit=Decimal("25.00")),
                    JournalLine(ledger_account_id="429", credit=Decimal("25.00")),
                ],
            )
        )
        assert entry.status is JournalEntryStatus.POSTED
        assert (await conn.journal_entries.get(str(entry.id))).total_credit == Decimal("25.00")
        assert (await conn.journal_entries.void(str(entry.id))).status is JournalEntryStatus.VOID

        await conn.items.delete(str(item.id))
        archived = await conn.ledger_accounts.archive(str(account.id))
        assert archived.status == "archived"


async def test_payables_and_credit(backend: Backend, cassette: None) -> None:
    async for conn in connect(backend):
        supplier = await conn.suppliers.create(
            Supplier(display_name=f"Cassette Supplies {backend.now().timestamp()}")
        )
        assert (await conn.suppliers.get(str(supplier.id))).display_name == supplier.display_name
        bill = await conn.bills.create(
            Bill(
                supplier_id=str(supplier.id),
                number="CAS-BILL-1",
                issue_date=date(2026, 1, 5),
                line_items=[
                    LineItem(
                        description="Paper",
                        quantity=Decimal(2),
                        unit_price=Decimal("20.00"),
                        account_id="453",
                    )
                ],
            )
        )
        paid = await conn.bill_payments.create(
            BillPayment(
                supplier_id=str(supplier.id),
                total_amount=Decimal("10.00"),
                date=date(2026, 1, 6),
                allocations=[BillAllocation(bill_id=str(bill.id), amount=Decimal("10.00"))],
            )
        )
        assert (await conn.bill_payments.get(str(paid.id))).total_amount == Decimal("10.00")
        assert (await conn.bills.get(str(bill.id))).status is BillStatus.PARTIALLY_PAID

        credit = await conn.supplier_credits.create(
            SupplierCredit(
                supplier_id=str(supplier.id),
                number="CAS-CR-1",
                line_items=[
                    LineItem(
                        description="Return",
                        quantity=Decimal(1),
                        unit_price=Decimal("5.00"),
                        account_id="453",
                    )
                ],
            )
        )
        credited = await conn.supplier_credits.allocate(
            str(credit.id), bill_id=str(bill.id), amount=credit.total
        )
        assert credited.status is CreditNoteStatus.USED

        customer = await conn.customers.create(
            Customer(display_name=f"Cassette Returns {backend.now().timestamp()}")
        )
        invoice = await conn.invoices.create(
            Invoice(
                customer_id=str(customer.id),
                issue_date=date(2026, 1, 5),
                line_items=[LineItem(description="Desk", quantity=Decimal(1), unit_price=Decimal("100.00"))],
            )
        )
        note = await conn.credit_notes.create(
            CreditNote(
                customer_id=str(customer.id),
                line_items=[
                    LineItem(
                        description="Scratch",
                        quantity=Decimal(1),
                        unit_price=Decimal("10.00"),
                        account_id="200",
                    )
                ],
            )
        )
        allocated = await conn.credit_notes.allocate(
            str(note.id), invoice_id=str(invoice.id), amount=Decimal("5.00")
        )
        assert allocated.remaining_credit == note.total - Decimal("5.00")

        expense = await conn.expenses.create(
            Expense(
                date=date(2026, 1, 7),
                account_id="090",
                supplier_id=str(supplier.id),
                line_items=[
                    LineItem(
                        description="Taxi", quantity=Decimal(1), unit_price=Decimal("23.00"), account_id="429"
                    )
                ],
            )
        )
        assert (await conn.expenses.get(str(expense.id))).total == Decimal("23.00")
        await conn.expenses.delete(str(expense.id))


async def test_paging_and_if_modified_since(backend: Backend, cassette: None) -> None:
    async for conn in connect(backend):
        old = await conn.customers.create(Customer(display_name=f"Old {backend.now().timestamp()}"))
        await backend.advance(2)
        since = backend.now()
        await backend.advance(2)
        new = [
            await conn.customers.create(Customer(display_name=f"New {n} {backend.now().timestamp()}"))
            for n in range(3)
        ]
        pages = [page async for page in conn.customers.list(updated_since=since, page_size=2).pages()]
        ids = [c.id for page in pages for c in page.items]
        assert len(pages) >= 2 and old.id not in ids
        assert {c.id for c in new} <= set(ids)


async def test_validation_error(backend: Backend, cassette: None) -> None:
    async for conn in connect(backend):
        customer = await conn.customers.create(
            Customer(display_name=f"Invalid Co {backend.now().timestamp()}")
        )
        with pytest.raises(ValidationFailed) as caught:
            await conn.invoices.create(
                Invoice(
                    customer_id=str(customer.id),
                    line_items=[LineItem(description="x", quantity=1, unit_price=1, account_id="99999")],
                )
            )
        assert caught.value.provider == "xero" and caught.value.issues
        assert any("99999" in issue.message for issue in caught.value.issues)


@pytest.mark.deselect_if(
    LIVE, reason="a real 429 cannot be provoked on demand; this cassette comes from the emulator"
)
async def test_rate_limited(backend: Backend, cassette: None) -> None:
    if backend.emulator is not None:
        backend.emulator.fail_next(1, status=429)
    async for conn in connect(backend, max_retries=0):
        with pytest.raises(XeroRateLimited) as caught:
            await conn.customers.list().to_list()
        assert caught.value.limit_kind == "minute" and caught.value.retry_after == 60


async def test_reports_attachments_and_pdf(backend: Backend, cassette: None) -> None:
    async for conn in connect(backend):
        customer = await conn.customers.create(
            Customer(display_name=f"Cassette Reports {backend.now().timestamp()}", email="ap@reports.example")
        )
        invoice = await conn.invoices.create(
            Invoice(
                customer_id=str(customer.id),
                issue_date=date(2031, 3, 3),
                line_items=[
                    LineItem(
                        description="Survey",
                        quantity=Decimal(1),
                        unit_price=Decimal("200.00"),
                        account_id="200",
                    )
                ],
            )
        )
        march = await conn.reports.profit_and_loss(date(2031, 3, 1), date(2031, 3, 31))
        (column,) = march.amount_columns
        sales = march.find("Sales")
        assert sales.ledger_account_id and (sales.amount(column) or 0) >= Decimal("200.00")
        sheet = await conn.reports.balance_sheet(date(2031, 3, 31))
        day = sheet.amount_columns[0]
        claims = sheet.classified_total(AccountClassification.LIABILITY, day)
        claims += sheet.classified_total(AccountClassification.EQUITY, day)
        assert sheet.classified_total(AccountClassification.ASSET, day) == claims
        aged = await conn.reports.aged_receivables(date(2031, 4, 30), customer_id=str(customer.id))
        (row,) = [r for r in aged.walk() if r.document_id == str(invoice.id)]
        assert row.amount("due") == invoice.amount_due

        made = await conn.attachments.upload(
            "invoice", str(invoice.id), b"%PDF-1.4 cassette", file_name="cassette.pdf"
        )
        assert [a.id for a in await conn.attachments.list("invoice", str(invoice.id))] == [made.id]
        assert b"".join([c async for c in conn.attachments.download(made)]) == b"%PDF-1.4 cassette"
        document = await conn.invoices.pdf(str(invoice.id))
        assert pdf_problems(document) == []
        organisation = await conn.request("GET", "Organisation")
        assert organisation.json()["Organisations"][0]["OrganisationID"]


def test_cassettes_hold_no_secrets() -> None:
    paths = sorted(CASSETTES.glob("*.yaml"))
    assert paths, "no cassettes recorded"
    known = [
        DEFAULT_CLIENT_SECRET,
        DEFAULT_WEBHOOK_KEY,
        *(os.environ.get(k, "") for k in ("UA_XERO_CLIENT_SECRET",)),
    ]
    assert find_secrets(paths, known) == []
