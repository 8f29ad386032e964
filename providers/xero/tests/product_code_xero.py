"""Product code for the cross-provider tests: functions that take an ``AsyncConnection`` and know
nothing about the accounting system behind it (accounts are found by classification and type, tax
rates by listing them). ``test_product_code.py`` runs them on the Xero emulator."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from unified_accounting import AsyncConnection
from unified_accounting.errors import ValidationFailed
from unified_accounting.models import (
    AccountClassification,
    Customer,
    Invoice,
    Item,
    ItemPricing,
    ItemType,
    JournalEntry,
    JournalEntryStatus,
    LedgerAccount,
    LedgerAccountStatus,
    LedgerAccountType,
    LineItem,
)


async def chart_and_journal(conn: AsyncConnection) -> dict[str, Any]:
    """Issue 14, point 5: read the chart, add an income account and a service item on it, invoice the
    item, move an amount between two accounts with a balanced journal entry, and see an unbalanced
    one refused before any call."""
    tag = uuid.uuid4().hex[:6].upper()
    chart = await conn.ledger_accounts.list().to_list()
    active = [a for a in chart if a.status is LedgerAccountStatus.ACTIVE and not a.system]
    sales = next(
        a
        for a in active
        if a.classification is AccountClassification.INCOME and a.type is LedgerAccountType.INCOME
    )
    bank = next(a for a in active if a.type is LedgerAccountType.BANK)
    assert bank.classification is AccountClassification.ASSET

    income = await conn.ledger_accounts.create(
        LedgerAccount(code=f"4{tag[:4]}", name=f"Workshops {tag}", type=LedgerAccountType.INCOME)
    )
    assert (income.type, income.classification) == (LedgerAccountType.INCOME, AccountClassification.INCOME)
    assert str(income.id) in {str(a.id) for a in await conn.ledger_accounts.list().to_list()}

    item = await conn.items.create(
        Item(
            code=f"WS-{tag}",
            name=f"Workshop {tag}",
            type=ItemType.SERVICE,
            sales=ItemPricing(unit_price=Decimal("150.00"), account_id=str(income.id)),
        )
    )
    assert item.sales is not None and item.sales.account_id == str(income.id)

    customer = await conn.customers.create(
        Customer(display_name=f"Initech {tag}", email="ap@initech.example")
    )
    invoice = await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            issue_date=date(2026, 3, 2),
            due_date=date(2026, 4, 1),
            line_items=[
                LineItem(
                    item_id=str(item.id),
                    description="Workshop",
                    quantity=Decimal(2),
                    unit_price=Decimal("150.00"),
                )
            ],
        )
    )
    line = invoice.line_items[0]
    assert (line.item_id, line.account_id) == (str(item.id), str(income.id))
    assert invoice.sub_total == Decimal("300.00")

    moved = Decimal("120.00")
    entry = await conn.journal_entries.create(
        JournalEntry(
            date=date(2026, 3, 31),
            memo=f"Reclassify workshop income {tag}",
            lines=[
                {"ledger_account_id": str(sales.id), "debit": moved, "description": "out of sales"},
                {"ledger_account_id": str(income.id), "credit": moved, "description": "into workshops"},
            ],
        )
    )
    assert entry.status is JournalEntryStatus.POSTED
    assert (entry.total_debit, entry.total_credit) == (moved, moved)
    fetched = await conn.journal_entries.get(str(entry.id))
    assert [(line.ledger_account_id, line.debit, line.credit) for line in fetched.lines] == [
        (str(sales.id), moved, None),
        (str(income.id), None, moved),
    ]

    refused: ValidationFailed | None = None
    try:
        await conn.journal_entries.create(
            {
                "memo": "Does not balance",
                "lines": [
                    {"ledger_account_id": str(sales.id), "debit": "100.00"},
                    {"ledger_account_id": str(income.id), "credit": "90.00"},
                ],
            }
        )
    except ValidationFailed as exc:
        refused = exc
    assert refused is not None, "an unbalanced journal entry was accepted"
    return {
        "sales": sales,
        "bank": bank,
        "income": income,
        "item": item,
        "invoice": invoice,
        "journal_entry": fetched,
        "refused": refused,
    }
