"""Product code written against the public API only: it runs unchanged on any provider.

``chart_and_journal(conn)`` (issue 14 point 5): list the chart of accounts and find the sales and
bank accounts by classification and type, create an income account and a service item that uses
it, invoice the item, post a balanced journal entry moving an amount between two accounts, and
check that an unbalanced one is refused (the caller checks that it never reached the provider).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from unified_accounting import (
    AccountClassification,
    AsyncConnection,
    Customer,
    Invoice,
    Item,
    ItemPricing,
    ItemType,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LedgerAccountStatus,
    LedgerAccountType,
    LineItem,
    ValidationFailed,
)

MOVED = Decimal("75.00")


@dataclass
class ChartAndJournal:
    """What the function made, for the caller's own checks."""

    income_account_id: str
    item_id: str
    invoice_id: str
    journal_entry_id: str
    refusal: ValidationFailed


async def chart_and_journal(conn: AsyncConnection) -> ChartAndJournal:
    tag = uuid.uuid4().hex[:6]
    chart = [account async for account in conn.ledger_accounts.list()]
    usable = [a for a in chart if a.status is LedgerAccountStatus.ACTIVE and not a.system]
    sales = [a for a in usable if a.classification is AccountClassification.INCOME]
    banks = [a for a in usable if a.type is LedgerAccountType.BANK]
    assert sales, "the chart has no income account"
    assert banks, "the chart has no bank account"
    assert all(a.classification is AccountClassification.ASSET for a in banks)

    income = await conn.ledger_accounts.create(
        LedgerAccount(name=f"Consulting income {tag}", type=LedgerAccountType.INCOME)
    )
    assert income.classification is AccountClassification.INCOME
    assert income.id in {a.id async for a in conn.ledger_accounts.list()}

    item = await conn.items.create(
        Item(
            name=f"Consulting hour {tag}",
            code=f"CH-{tag}",
            type=ItemType.SERVICE,
            sales=ItemPricing(unit_price=Decimal("120.00"), account_id=str(income.id)),
        )
    )
    assert item.sales is not None and item.sales.account_id == income.id

    customer = await conn.customers.create(Customer(display_name=f"Chart customer {tag}"))
    invoice = await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            issue_date=date(2026, 1, 5),
            line_items=[
                LineItem(
                    description="Consulting",
                    item_id=str(item.id),
                    quantity=Decimal(2),
                    unit_price=Decimal("120.00"),
                )
            ],
        )
    )
    assert invoice.line_items[0].item_id == item.id
    assert invoice.sub_total == Decimal("240.00")

    # A reclassification between two expense accounts: every provider posts journals to them.
    expenses = [a for a in usable if a.type is LedgerAccountType.EXPENSE]
    while len(expenses) < 2:
        expenses.append(
            await conn.ledger_accounts.create(
                LedgerAccount(name=f"Reclassified {tag} {len(expenses)}", type=LedgerAccountType.EXPENSE)
            )
        )
    source, target = expenses[0], expenses[1]
    entry = await conn.journal_entries.create(
        JournalEntry(
            date=date(2026, 1, 6),
            memo=f"Reclassification {tag}",
            lines=[
                JournalLine(ledger_account_id=str(target.id), debit=MOVED, description="Moved in"),
                JournalLine(ledger_account_id=str(source.id), credit=MOVED, description="Moved out"),
            ],
        )
    )
    fetched = await conn.journal_entries.get(str(entry.id))
    assert fetched.total_debit == fetched.total_credit == MOVED
    assert {line.ledger_account_id for line in fetched.lines} == {target.id, source.id}

    refused: ValidationFailed | None = None
    try:
        await conn.journal_entries.create(
            {
                "date": "2026-01-06",
                "lines": [
                    {"ledger_account_id": str(target.id), "debit": "75.00"},
                    {"ledger_account_id": str(source.id), "credit": "70.00"},
                ],
            }
        )
    except ValidationFailed as refusal:
        refused = refusal
    assert refused is not None, "an unbalanced journal entry was accepted"
    assert "75.00" in str(refused) and "70.00" in str(refused), str(refused)
    return ChartAndJournal(str(income.id), str(item.id), str(invoice.id), str(entry.id), refused)
