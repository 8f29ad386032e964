"""The chart of accounts, items and journal entries: codec both ways, the emulator's rules, and the
provider's refusals before any write."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from unified_accounting_quickbooks import QuickBooksProvider
from unified_accounting_quickbooks.codec import (
    EncodeContext,
    QuickBooksCodec,
    encode_fields,
    encode_record,
)
from unified_accounting_quickbooks.emulator.faults import QBOFault

from unified_accounting import (
    AccountClassification,
    ChangeOperation,
    Customer,
    Item,
    ItemPricing,
    ItemStatus,
    ItemType,
    JournalEntry,
    JournalEntryStatus,
    JournalLine,
    LedgerAccount,
    LedgerAccountStatus,
    LedgerAccountType,
    NotFound,
    ValidationFailed,
)

from .test_api import Env, api_calls, make_env

pytestmark = pytest.mark.anyio
codec = QuickBooksCodec()


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = await make_env()
    yield made
    await made.client.aclose()


def writes(env: Env) -> list[str]:
    return [entry.path for entry in api_calls(env) if entry.method == "POST"]


async def account_named(env: Env, name: str) -> LedgerAccount:
    accounts = [a async for a in env.conn.ledger_accounts.list()]
    return next(a for a in accounts if a.name == name)


# ----------------------------------------------------------------------------------------- codec


def test_account_decodes_with_unified_type_classification_and_provider_type() -> None:
    account = codec.decode(
        "ledger_account",
        {
            "Id": "94",
            "SyncToken": "2",
            "Name": "Stock on hand",
            "AcctNum": "1300",
            "AccountType": "Other Current Asset",
            "AccountSubType": "Inventory",
            "Classification": "Asset",
            "CurrentBalance": 1234.5,
            "CurrencyRef": {"value": "USD"},
            "ParentRef": {"value": "12"},
            "Active": False,
        },
    )
    assert account.type is LedgerAccountType.INVENTORY
    assert account.classification is AccountClassification.ASSET
    assert (account.provider_type, account.sub_type, account.code) == (
        "Other Current Asset",
        "Inventory",
        "1300",
    )
    assert account.current_balance == Decimal("1234.50")
    assert account.parent_id == "12"
    assert account.status is LedgerAccountStatus.ARCHIVED
    assert account.system is False


def test_system_accounts_and_unknown_types_decode() -> None:
    retained = codec.decode(
        "ledger_account",
        {
            "Id": "3",
            "Name": "Retained Earnings",
            "AccountType": "Equity",
            "AccountSubType": "RetainedEarnings",
        },
    )
    assert retained.system and retained.type is LedgerAccountType.EQUITY
    # A type added later reads by its classification rather than failing the page.
    later = codec.decode(
        "ledger_account",
        {"Id": "4", "Name": "New kind", "AccountType": "Shiny", "Classification": "Liability"},
    )
    assert later.type is LedgerAccountType.CURRENT_LIABILITY and later.provider_type == "Shiny"


def test_account_type_is_written_with_a_sub_type_of_its_own() -> None:
    account = LedgerAccount(
        name="Depreciation", type=LedgerAccountType.DEPRECIATION, code="6100", parent_id="7"
    )
    payload = encode_record(account, EncodeContext())
    assert payload["AccountType"] == "Other Expense"
    assert payload["AccountSubType"] == "Depreciation"
    assert payload["ParentRef"] == {"value": "7"} and payload["SubAccount"] is True
    # A type change writes the new type's sub-type; a given sub-type wins whatever the order.
    fields = encode_fields(
        "ledger_account", {"sub_type": "Travel", "type": LedgerAccountType.EXPENSE}, EncodeContext()
    )
    assert (fields["AccountType"], fields["AccountSubType"]) == ("Expense", "Travel")
    assert (
        encode_fields("ledger_account", {"type": LedgerAccountType.INCOME}, EncodeContext())["AccountSubType"]
        == "OtherPrimaryIncome"
    )


def test_journal_entry_round_trips_through_the_codec() -> None:
    entry = JournalEntry(
        date=date(2026, 1, 5),
        number="JE-1",
        memo="Payroll",
        lines=[
            JournalLine(ledger_account_id="10", debit=Decimal("100.00"), description="Wages"),
            JournalLine(ledger_account_id="3", credit=Decimal("100.00"), customer_id="58"),
        ],
    )
    payload = encode_record(entry, EncodeContext())
    first, second = payload["Line"]
    assert first["JournalEntryLineDetail"]["PostingType"] == "Debit" and first["Amount"] == Decimal("100.00")
    assert second["JournalEntryLineDetail"]["Entity"] == {"Type": "Customer", "EntityRef": {"value": "58"}}
    decoded = codec.decode("journal_entry", {**payload, "Id": "9", "SyncToken": "0"})
    assert [(line.debit, line.credit) for line in decoded.lines] == [
        (Decimal("100.00"), None),
        (None, Decimal("100.00")),
    ]
    assert decoded.lines[1].customer_id == "58"
    assert decoded.status is JournalEntryStatus.POSTED
    assert (decoded.memo, decoded.number, decoded.date) == ("Payroll", "JE-1", date(2026, 1, 5))


# ----------------------------------------------------------------------------- ledger accounts


async def test_chart_of_accounts_lists_with_classifications(env: Env) -> None:
    accounts = [a async for a in env.conn.ledger_accounts.list()]
    kinds = {a.name: (a.type, a.classification) for a in accounts}
    assert kinds["Checking"] == (LedgerAccountType.BANK, AccountClassification.ASSET)
    assert kinds["Services"] == (LedgerAccountType.INCOME, AccountClassification.INCOME)
    assert kinds["Inventory Asset"] == (LedgerAccountType.INVENTORY, AccountClassification.ASSET)


async def test_account_create_update_archive(env: Env) -> None:
    parent = await env.conn.ledger_accounts.create(
        LedgerAccount(name="Travel", type=LedgerAccountType.EXPENSE, code="6200")
    )
    child = await env.conn.ledger_accounts.create(
        LedgerAccount(
            name="Flights", type=LedgerAccountType.EXPENSE, sub_type="Travel", parent_id=str(parent.id)
        )
    )
    assert child.parent_id == parent.id and child.sub_type == "Travel"
    assert env.emulator.record("Account", str(child.id))["FullyQualifiedName"] == "Travel:Flights"
    with pytest.raises(ValidationFailed):  # a sub-account keeps its parent's type
        await env.conn.ledger_accounts.update(str(child.id), {"type": LedgerAccountType.OTHER_EXPENSE})
    alone = await env.conn.ledger_accounts.create(LedgerAccount(name="Fines", type=LedgerAccountType.EXPENSE))
    updated = await env.conn.ledger_accounts.update(str(alone.id), {"type": LedgerAccountType.OTHER_EXPENSE})
    assert (updated.provider_type, updated.sub_type) == ("Other Expense", "OtherMiscellaneousExpense")
    archived = await env.conn.ledger_accounts.archive(str(parent.id))
    assert archived.status is LedgerAccountStatus.ARCHIVED
    assert (await env.conn.ledger_accounts.get(str(parent.id))).status is LedgerAccountStatus.ARCHIVED


async def test_system_account_changes_are_refused_before_any_write(env: Env) -> None:
    funds = await account_named(env, "Undeposited Funds")
    assert funds.system
    before = len(writes(env))
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.ledger_accounts.archive(str(funds.id))
    assert caught.value.issues[0].field == "status"
    assert "system account" in caught.value.issues[0].message
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.ledger_accounts.update(str(funds.id), {"type": LedgerAccountType.BANK})
    assert [issue.field for issue in caught.value.issues] == ["type"]
    assert len(writes(env)) == before
    renamed = await env.conn.ledger_accounts.update(str(funds.id), {"description": "Cheques to bank"})
    assert renamed.description == "Cheques to bank"


def test_emulator_checks_account_types_sub_types_and_parents() -> None:
    from unified_accounting_quickbooks.emulator import create_emulator

    emulator = create_emulator(limits=False).state.emulator
    with pytest.raises(QBOFault) as caught:
        emulator.create("Account", {"Name": "No type"})
    assert caught.value.code == "6010"
    with pytest.raises(QBOFault):
        emulator.create("Account", {"Name": "Mixed", "AccountType": "Bank", "AccountSubType": "Travel"})
    made = emulator.create("Account", {"Name": "Petty cash", "AccountSubType": "CashOnHand"})
    assert (made["AccountType"], made["Classification"]) == ("Bank", "Asset")
    income = emulator.create("Account", {"Name": "Consulting", "AccountType": "Income"})
    with pytest.raises(QBOFault):  # a sub-account has its parent's type
        emulator.create(
            "Account", {"Name": "Sub", "AccountType": "Bank", "ParentRef": {"value": income["Id"]}}
        )
    sub = emulator.create(
        "Account", {"Name": "Till", "AccountType": "Bank", "ParentRef": {"value": made["Id"]}}
    )
    assert (sub["SubAccount"], sub["FullyQualifiedName"]) == (True, "Petty cash:Till")
    emulator.create("Account", {"Name": "A", "AccountType": "Expense", "AcctNum": "77"})
    with pytest.raises(QBOFault):  # account numbers are unique
        emulator.create("Account", {"Name": "B", "AccountType": "Expense", "AcctNum": "77"})
    funds = next(a for a in emulator.records("Account") if a["AccountSubType"] == "UndepositedFunds")
    with pytest.raises(QBOFault):  # system accounts stay active
        emulator.update("Account", {**funds, "Active": False})


# ----------------------------------------------------------------------------------------- items


async def test_items_are_created_updated_and_archived(env: Env) -> None:
    services = await account_named(env, "Services")
    item = await env.conn.items.create(
        Item(
            name="Audit",
            code="AUD-1",
            type=ItemType.SERVICE,
            sales=ItemPricing(unit_price=Decimal("150.00"), account_id=str(services.id)),
        )
    )
    assert item.sales is not None and item.sales.account_id == services.id
    assert item.sales.unit_price == Decimal("150.00") and item.code == "AUD-1"
    changed = await env.conn.items.update(
        str(item.id), {"sales": ItemPricing(unit_price=Decimal("175.00"), account_id=str(services.id))}
    )
    assert changed.sales is not None and changed.sales.unit_price == Decimal("175.00")
    assert (await env.conn.items.archive(str(item.id))).status is ItemStatus.ARCHIVED


async def test_inventory_items_need_their_accounts_and_quantity(env: Env) -> None:
    before = len(writes(env))
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.items.create(
            Item(name="Widget", type=ItemType.INVENTORY, sales=ItemPricing(unit_price=Decimal(3)))
        )
    assert {issue.field for issue in caught.value.issues} == {
        "sales.account_id",
        "purchase.account_id",
        "inventory_account_id",
        "quantity_on_hand",
    }
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.items.create(
            Item(name="Kit", type=ItemType.BUNDLE, sales=ItemPricing(unit_price=Decimal(3)))
        )
    assert caught.value.issues[0].field == "type"
    assert len(writes(env)) == before
    sales = await account_named(env, "Sales of Product Income")
    cost = await account_named(env, "Cost of Goods Sold")
    stock = await account_named(env, "Inventory Asset")
    widget = await env.conn.items.create(
        Item(
            name="Widget",
            type=ItemType.INVENTORY,
            sales=ItemPricing(unit_price=Decimal("3.00"), account_id=str(sales.id)),
            purchase=ItemPricing(unit_price=Decimal("1.20"), account_id=str(cost.id)),
            inventory_account_id=str(stock.id),
            quantity_on_hand=Decimal(40),
        )
    )
    assert widget.type is ItemType.INVENTORY and widget.quantity_on_hand == Decimal(40)
    assert widget.purchase is not None and widget.purchase.account_id == cost.id
    stored = env.emulator.record("Item", str(widget.id))
    assert stored["TrackQtyOnHand"] is True and stored["InvStartDate"]


# ------------------------------------------------------------------------------- journal entries


async def test_journal_entries_post_update_and_delete(env: Env) -> None:
    checking = await account_named(env, "Checking")
    savings = await account_named(env, "Savings")
    entry = await env.conn.journal_entries.create(
        JournalEntry(
            date=date(2026, 1, 5),
            memo="Sweep",
            lines=[
                JournalLine(ledger_account_id=str(savings.id), debit=Decimal("500.00")),
                JournalLine(ledger_account_id=str(checking.id), credit=Decimal("500.00")),
            ],
        )
    )
    assert entry.total_debit == entry.total_credit == Decimal("500.00")
    assert env.emulator.record("JournalEntry", str(entry.id))["TotalAmt"] == Decimal("500.00")
    moved = await env.conn.journal_entries.update(
        str(entry.id),
        {
            "lines": [
                JournalLine(ledger_account_id=str(savings.id), debit=Decimal("450.00")),
                JournalLine(ledger_account_id=str(checking.id), credit=Decimal("450.00")),
            ]
        },
    )
    assert [line.debit for line in moved.lines] == [Decimal("450.00"), None]
    await env.conn.journal_entries.delete(str(entry.id))
    with pytest.raises(NotFound):
        await env.conn.journal_entries.get(str(entry.id))


async def test_unbalanced_journal_entries_are_refused_before_http(env: Env) -> None:
    checking = await account_named(env, "Checking")
    before = len(api_calls(env))
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.journal_entries.create(
            JournalEntry.model_construct(
                lines=[
                    JournalLine(ledger_account_id=str(checking.id), debit=Decimal("10.00")),
                    JournalLine(ledger_account_id=str(checking.id), credit=Decimal("9.99")),
                ]
            )
        )
    assert "10.00" in str(caught.value) and "9.99" in str(caught.value)
    assert len(api_calls(env)) == before


async def test_receivable_lines_name_a_customer(env: Env) -> None:
    receivable = await account_named(env, "Accounts Receivable (A/R)")
    services = await account_named(env, "Services")
    lines = [
        JournalLine(ledger_account_id=str(receivable.id), debit=Decimal("20.00")),
        JournalLine(ledger_account_id=str(services.id), credit=Decimal("20.00")),
    ]
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.journal_entries.create(JournalEntry(lines=lines))
    assert "Customer" in str(caught.value.detail or caught.value)
    customer = await env.conn.customers.create(Customer(display_name="Journal customer"))
    lines[0] = lines[0].model_copy(update={"customer_id": str(customer.id)})
    entry = await env.conn.journal_entries.create(JournalEntry(lines=lines))
    assert entry.lines[0].customer_id == customer.id


def test_emulator_refuses_unbalanced_entries_itself() -> None:
    from unified_accounting_quickbooks.emulator import create_emulator

    emulator = create_emulator(limits=False).state.emulator
    line = {"DetailType": "JournalEntryLineDetail", "Amount": "5.00"}
    with pytest.raises(QBOFault) as caught:
        emulator.create(
            "JournalEntry",
            {
                "Line": [
                    {
                        **line,
                        "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": "1"}},
                    },
                    {
                        **line,
                        "Amount": "4.00",
                        "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": "2"}},
                    },
                ]
            },
        )
    assert "debits total 5.00, credits total 4.00" in caught.value.detail


# ------------------------------------------------------------------------ changes and webhooks


async def test_change_feed_reads_accounts_items_and_journal_entries(env: Env) -> None:
    since = env.emulator.now()
    env.emulator.advance(5)
    account = await env.conn.ledger_accounts.create(
        LedgerAccount(name="Fees", type=LedgerAccountType.EXPENSE)
    )
    checking = await account_named(env, "Checking")
    entry = await env.conn.journal_entries.create(
        JournalEntry(
            lines=[
                JournalLine(ledger_account_id=str(account.id), debit=Decimal("3.00")),
                JournalLine(ledger_account_id=str(checking.id), credit=Decimal("3.00")),
            ]
        )
    )
    gone = await env.conn.journal_entries.create(
        JournalEntry(
            lines=[
                JournalLine(ledger_account_id=str(account.id), debit=Decimal("1.00")),
                JournalLine(ledger_account_id=str(checking.id), credit=Decimal("1.00")),
            ]
        )
    )
    await env.conn.journal_entries.delete(str(gone.id))
    changes = await env.provider.read_change_feed(
        env.conn.session(), ["ledger_account", "journal_entry"], since - timedelta(seconds=1)
    )
    assert [a.id for a in changes.records["ledger_account"]] == [account.id]
    assert [e.id for e in changes.records["journal_entry"]] == [entry.id]
    assert changes.deleted["journal_entry"] == [gone.id]


def test_account_and_journal_webhooks_route_to_the_unified_resources() -> None:
    body = {
        "eventNotifications": [
            {
                "realmId": "9341",
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": "Account",
                            "id": "7",
                            "operation": "Update",
                            "lastUpdated": "2026-01-05T10:00:00.000Z",
                        },
                        {
                            "name": "JournalEntry",
                            "id": "8",
                            "operation": "Delete",
                            "lastUpdated": "2026-01-05T10:00:00.000Z",
                        },
                    ]
                },
            }
        ]
    }
    account, entry = QuickBooksProvider().parse_webhook(json.dumps(body).encode())
    assert (account.resource, account.operation) == ("ledger_account", ChangeOperation.UPDATED)
    assert (entry.resource, entry.operation) == ("journal_entry", ChangeOperation.DELETED)
