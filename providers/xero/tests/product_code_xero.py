"""Product code for the cross-provider tests: functions that take an ``AsyncConnection`` and know
nothing about the accounting system behind it (accounts are found by classification and type, tax
rates by listing them). ``test_product_code.py`` runs them on the Xero emulator."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from unified_accounting import AsyncConnection
from unified_accounting.errors import ValidationFailed
from unified_accounting.models import (
    AccountClassification,
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
    ItemType,
    JournalEntry,
    JournalEntryStatus,
    LedgerAccount,
    LedgerAccountStatus,
    LedgerAccountType,
    LineItem,
    Supplier,
    TaxMode,
    TaxRateStatus,
    TaxRateUse,
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


def _tax(amount: Decimal, rate: Decimal) -> Decimal:
    """Tax on a tax-exclusive line, rounded half-up to cents (how both providers round per line)."""
    return (amount * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


async def payables_and_credit(conn: AsyncConnection, sync: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    """Issue 13, point 7: a supplier, a bill on two expense accounts at two purchase tax rates, part of
    it paid, an expense, and a customer credit note allocated to an invoice; an initial sync (``sync``
    runs the caller's, the first time initial, then incremental) and an incremental one mirror it."""
    tag = uuid.uuid4().hex[:6].upper()
    chart = [a for a in await conn.ledger_accounts.list().to_list() if a.status is LedgerAccountStatus.ACTIVE]
    usable = [a for a in chart if not a.system]
    expenses = [a for a in usable if a.type is LedgerAccountType.EXPENSE]
    bank = next(a for a in usable if a.type is LedgerAccountType.BANK)
    sales = next(a for a in usable if a.type is LedgerAccountType.INCOME)
    rates = sorted(
        (
            r
            for r in await conn.tax_rates.list().to_list()
            if r.status is TaxRateStatus.ACTIVE and TaxRateUse.PURCHASES in r.applies_to
        ),
        key=lambda r: r.rate,
        reverse=True,
    )
    high, low = rates[0], rates[-1]
    assert high.rate > low.rate, "the company needs two purchase tax rates"

    supplier = await conn.suppliers.create(
        Supplier(display_name=f"Stationers {tag}", email="sales@stationers.example")
    )
    assert str(supplier.id) in {str(s.id) for s in await conn.suppliers.list().to_list()}
    bill = await conn.bills.create(
        Bill(
            supplier_id=str(supplier.id),
            number=f"ST-{tag}",
            issue_date=date(2026, 4, 1),
            due_date=date(2026, 4, 30),
            tax_mode=TaxMode.EXCLUSIVE,
            line_items=[
                LineItem(
                    description="Paper",
                    quantity=Decimal(4),
                    unit_price=Decimal("12.50"),
                    account_id=str(expenses[0].id),
                    tax_rate_id=str(high.id),
                ),
                LineItem(
                    description="Courier",
                    quantity=Decimal(1),
                    unit_price=Decimal("30.00"),
                    account_id=str(expenses[1].id),
                    tax_rate_id=str(low.id),
                ),
            ],
        )
    )
    tax = _tax(Decimal("50.00"), high.rate) + _tax(Decimal("30.00"), low.rate)
    assert (bill.sub_total, bill.total_tax, bill.total) == (Decimal("80.00"), tax, Decimal("80.00") + tax)
    assert (bill.status, bill.amount_due) == (BillStatus.OPEN, bill.total)

    part = Decimal("40.00")
    paid = await conn.bill_payments.create(
        BillPayment(
            supplier_id=str(supplier.id),
            date=date(2026, 4, 10),
            total_amount=part,
            account_id=str(bank.id),
            allocations=[BillAllocation(bill_id=str(bill.id), amount=part)],
        )
    )
    bill = await conn.bills.get(str(bill.id))
    assert (bill.status, bill.amount_paid, bill.amount_due) == (
        BillStatus.PARTIALLY_PAID,
        part,
        bill.total - part,
    )

    first = await sync()

    expense = await conn.expenses.create(
        Expense(
            date=date(2026, 4, 12),
            account_id=str(bank.id),
            supplier_id=str(supplier.id),
            tax_mode=TaxMode.EXCLUSIVE,
            line_items=[
                LineItem(
                    description="Printer ink",
                    quantity=Decimal(1),
                    unit_price=Decimal("20.00"),
                    account_id=str(expenses[0].id),
                    tax_rate_id=str(high.id),
                )
            ],
        )
    )
    assert expense.total == Decimal("20.00") + _tax(Decimal("20.00"), high.rate)

    customer = await conn.customers.create(
        Customer(display_name=f"Returns {tag}", email="ap@returns.example")
    )
    invoice = await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            issue_date=date(2026, 4, 2),
            due_date=date(2026, 5, 2),
            tax_mode=TaxMode.NO_TAX,
            line_items=[
                LineItem(
                    description="Desk",
                    quantity=Decimal(1),
                    unit_price=Decimal("300.00"),
                    account_id=str(sales.id),
                )
            ],
        )
    )
    note = await conn.credit_notes.create(
        CreditNote(
            customer_id=str(customer.id),
            issue_date=date(2026, 4, 15),
            tax_mode=TaxMode.NO_TAX,
            line_items=[
                LineItem(
                    description="Scratched desk",
                    quantity=Decimal(1),
                    unit_price=Decimal("75.00"),
                    account_id=str(sales.id),
                )
            ],
        )
    )
    assert (note.status, note.remaining_credit) == (CreditNoteStatus.OPEN, Decimal("75.00"))
    note = await conn.credit_notes.allocate(str(note.id), invoice_id=str(invoice.id), amount=Decimal("75.00"))
    assert (note.status, note.remaining_credit) == (CreditNoteStatus.USED, Decimal("0.00"))
    invoice = await conn.invoices.get(str(invoice.id))
    assert (invoice.status, invoice.amount_due) == (InvoiceStatus.PARTIALLY_PAID, Decimal("225.00"))

    second = await sync()

    mirrored = {
        "supplier": await conn.suppliers.get(str(supplier.id), source="mirror"),
        "bill": await conn.bills.get(str(bill.id), source="mirror"),
        "bill_payment": await conn.bill_payments.get(str(paid.id), source="mirror"),
        "expense": await conn.expenses.get(str(expense.id), source="mirror"),
        "credit_note": await conn.credit_notes.get(str(note.id), source="mirror"),
        "invoice": await conn.invoices.get(str(invoice.id), source="mirror"),
    }
    assert (
        mirrored["bill"].amount_due == bill.amount_due
        and mirrored["bill"].status is BillStatus.PARTIALLY_PAID
    )
    assert mirrored["bill_payment"].total_amount == part
    assert mirrored["expense"].total == expense.total
    assert mirrored["credit_note"].remaining_credit == Decimal("0.00")
    assert mirrored["invoice"].amount_due == Decimal("225.00")
    return {
        "bill": bill,
        "expense": expense,
        "credit_note": note,
        "invoice": invoice,
        "syncs": (first, second),
    }
