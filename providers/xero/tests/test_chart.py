"""Ledger accounts, items and journal entries on Xero: ids, refusals before any call, Xero's rules."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from unified_accounting_xero.emulator import XeroEmulator

from unified_accounting import AsyncConnection
from unified_accounting.errors import NotFound, ValidationFailed
from unified_accounting.models import (
    AccountClassification,
    Item,
    ItemPricing,
    ItemType,
    JournalEntry,
    JournalEntryStatus,
    JournalLine,
    LedgerAccount,
    LedgerAccountStatus,
    LedgerAccountType,
)

pytestmark = pytest.mark.anyio
Conn = tuple[AsyncConnection, XeroEmulator]


def writes(emulator: XeroEmulator, since: int) -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.requests_to("/api.xro/")[since:] if r.method != "GET"]


async def test_the_chart_reads_with_unified_types_and_codes_as_ids(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    chart = {str(a.id): a for a in await conn.ledger_accounts.list().to_list()}
    assert chart["610"].type is LedgerAccountType.ACCOUNTS_RECEIVABLE and chart["610"].system
    assert chart["800"].type is LedgerAccountType.ACCOUNTS_PAYABLE
    assert chart["310"].type is LedgerAccountType.COST_OF_SALES
    assert (chart["200"].type, chart["200"].classification, chart["200"].provider_type) == (
        LedgerAccountType.INCOME,
        AccountClassification.INCOME,
        "REVENUE",
    )
    assert chart["090"].bank_account_number and chart["090"].currency == "NZD"
    assert (await conn.ledger_accounts.get("200")).name == "Sales"
    with pytest.raises(NotFound):
        await conn.ledger_accounts.get('20"0')


async def test_system_accounts_are_refused_before_any_write(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    since = len(emulator.requests_to("/api.xro/"))
    for call in (
        conn.ledger_accounts.update("610", {"name": "Debtors"}),
        conn.ledger_accounts.archive("800"),
        conn.ledger_accounts.delete("960"),
    ):
        with pytest.raises(ValidationFailed, match="system account"):
            await call
    with pytest.raises(ValidationFailed) as caught:
        await conn.ledger_accounts.create(
            LedgerAccount(code="1100", name="Debtors two", type=LedgerAccountType.ACCOUNTS_RECEIVABLE)
        )
    assert caught.value.issues[0].field == "type"
    assert writes(emulator, since) == []


async def test_details_and_status_go_in_separate_requests(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    made = await conn.ledger_accounts.create(
        LedgerAccount(code="455", name="Software", type=LedgerAccountType.EXPENSE, tax_rate_id="INPUT2")
    )
    assert (made.id, made.tax_rate_id, made.classification) == (
        "455",
        "INPUT2",
        AccountClassification.EXPENSE,
    )
    since = len(emulator.requests_to("/api.xro/"))
    changed = await conn.ledger_accounts.update(
        "455", {"name": "Software subscriptions", "status": "archived"}, row_version=made.row_version
    )
    assert (changed.name, changed.status) == ("Software subscriptions", LedgerAccountStatus.ARCHIVED)
    assert len(writes(emulator, since)) == 2
    await conn.ledger_accounts.delete("455")
    with pytest.raises(NotFound):
        await conn.ledger_accounts.get("455")


async def test_an_account_documents_use_is_archived_not_deleted(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    await conn.journal_entries.create(balanced())
    with pytest.raises(ValidationFailed, match="archive it instead"):
        await conn.ledger_accounts.delete("453")
    assert (await conn.ledger_accounts.archive("453")).status is LedgerAccountStatus.ARCHIVED


async def test_a_card_account(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    card = await conn.ledger_accounts.create(
        LedgerAccount(name="Company Visa", type=LedgerAccountType.CREDIT_CARD, bank_account_number="4111-01")
    )
    assert card.type is LedgerAccountType.CREDIT_CARD and card.code is None
    stored = emulator.record("Account", str(card.id))
    assert stored is not None and (stored["Type"], stored["BankAccountType"]) == ("BANK", "CREDITCARD")
    assert (await conn.ledger_accounts.get(str(card.id))).name == "Company Visa"


async def test_items_are_named_by_code_everywhere(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    item = await conn.items.create(
        Item(
            code="CHAIR",
            name="Chair",
            description="Office chair",
            sales=ItemPricing(unit_price=Decimal("120.1234"), account_id="200", tax_rate_id="OUTPUT2"),
            purchase=ItemPricing(unit_price=Decimal("80.00"), account_id="429", description="Chair (bought)"),
        )
    )
    assert item.id == "CHAIR" and item.sales is not None and item.sales.unit_price == Decimal("120.1234")
    assert item.purchase is not None and item.purchase.description == "Chair (bought)"
    renamed = await conn.items.update(
        "CHAIR", {"name": "Desk chair", "sales": None}, row_version=item.row_version
    )
    assert renamed.name == "Desk chair" and renamed.sales is None and renamed.purchase is not None
    assert emulator.records("Item")[-1]["IsSold"] is False
    await conn.items.delete("CHAIR")
    with pytest.raises(NotFound):
        await conn.items.get("CHAIR")


async def test_item_rules_are_checked_before_any_call(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    since = len(emulator.requests_to("/api.xro/"))
    with pytest.raises(ValidationFailed) as caught:
        await conn.items.create(Item(name="No code"))
    assert caught.value.issues[0].field == "code"
    with pytest.raises(ValidationFailed, match="inventory_account_id"):
        await conn.items.create(Item(code="BOX", name="Box", type=ItemType.INVENTORY))
    assert writes(emulator, since) == []


def balanced(amount: str = "55.00", memo: str | None = "Accrual", **fields: object) -> JournalEntry:
    return JournalEntry(
        date=date(2026, 2, 1),
        memo=memo,
        lines=[
            JournalLine(ledger_account_id="453", debit=Decimal(amount)),
            JournalLine(ledger_account_id="429", credit=Decimal(amount)),
        ],
        **fields,  # type: ignore[arg-type]
    )


async def test_journal_lines_are_signed_amounts(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    entry = await conn.journal_entries.create(balanced())
    stored = emulator.record("ManualJournal", str(entry.id))
    assert stored is not None and stored["Narration"] == "Accrual" and stored["Status"] == "POSTED"
    assert [line["LineAmount"] for line in stored["JournalLines"]] == [Decimal("55.00"), Decimal("-55.00")]
    assert entry.lines[1].credit == Decimal("55.00") and entry.lines[1].debit is None
    changed = await conn.journal_entries.update(
        str(entry.id),
        {
            "lines": [
                {"ledger_account_id": "453", "debit": "70"},
                {"ledger_account_id": "404", "credit": "70"},
            ]
        },
    )
    assert changed.total_debit == Decimal("70.00") and changed.lines[1].ledger_account_id == "404"


async def test_journal_statuses_follow_xero(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    posted = await conn.journal_entries.create(balanced())
    draft = await conn.journal_entries.create(balanced(status=JournalEntryStatus.DRAFT))
    since = len(emulator.requests_to("/api.xro/"))
    with pytest.raises(ValidationFailed, match="void it instead"):
        await conn.journal_entries.delete(str(posted.id))
    with pytest.raises(ValidationFailed, match="delete it instead"):
        await conn.journal_entries.void(str(draft.id))
    assert writes(emulator, since) == []
    assert (await conn.journal_entries.void(str(posted.id))).status is JournalEntryStatus.VOID
    await conn.journal_entries.delete(str(draft.id))
    assert (await conn.journal_entries.get(str(draft.id))).status is JournalEntryStatus.DELETED


async def test_journal_refusals_before_any_call(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    since = len(emulator.requests_to("/api.xro/"))
    for bad, field in (
        (balanced(memo=None), "memo"),
        (balanced(number="J-1"), "number"),
        (balanced(currency="EUR"), "currency"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            await conn.journal_entries.create(bad)
        assert field in {issue.field for issue in caught.value.issues}
    with pytest.raises(ValidationFailed, match=r"debits total 10\.00 and credits total 9\.00"):
        await conn.journal_entries.update(
            "00000000-0000-4000-8000-000000000000",
            {
                "lines": [
                    {"ledger_account_id": "453", "debit": "10.00"},
                    {"ledger_account_id": "429", "credit": "9.00"},
                ]
            },
        )
    assert emulator.requests_to("/api.xro/")[since:] == []


async def test_a_bank_account_on_a_journal_is_xeros_refusal(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    entry = balanced()
    entry.lines[0].ledger_account_id = "090"
    with pytest.raises(ValidationFailed, match="cannot be used on a manual journal"):
        await conn.journal_entries.create(entry)


async def test_incremental_reads_see_changed_chart_items_and_journals(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    mark = emulator.now()
    emulator.advance(5)
    await conn.ledger_accounts.create(LedgerAccount(code="477", name="Wages", type=LedgerAccountType.EXPENSE))
    await conn.items.create(Item(code="NEW", name="New"))
    await conn.journal_entries.create(balanced())
    after = mark + timedelta(seconds=1)
    assert [a.id for a in await conn.ledger_accounts.list(updated_since=after).to_list()] == ["477"]
    assert [i.id for i in await conn.items.list(updated_since=after).to_list()] == ["NEW"]
    assert len(await conn.journal_entries.list(updated_since=after).to_list()) == 1
