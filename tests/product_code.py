"""Product code written against the public API only: it runs unchanged on any provider
(``test_same_product_code_breadth.py`` runs it on QuickBooks and Xero).

``chart_and_journal(conn)`` (issue 14 point 5): list the chart of accounts and find the sales and
bank accounts by classification and type, create an income account and a service item that uses
it, invoice the item, post a balanced journal entry moving an amount between two accounts, and
check that an unbalanced one is refused (the caller checks that it never reached the provider).

``payables_and_credit(conn, sync)`` (issue 13 point 7): see its docstring.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from unified_accounting import (
    AccountClassification,
    AsyncConnection,
    BillStatus,
    Customer,
    Invoice,
    InvoiceStatus,
    Item,
    ItemPricing,
    ItemType,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LedgerAccountStatus,
    LedgerAccountType,
    LineItem,
    TaxMode,
    TaxRateUse,
    ValidationFailed,
)
from unified_accounting.models import (
    Bill,
    BillAllocation,
    BillPayment,
    CreditNote,
    CreditNoteStatus,
    Expense,
    Supplier,
)
from unified_accounting.sync import SyncService

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
        LedgerAccount(code=f"C{tag[:5]}", name=f"Consulting income {tag}", type=LedgerAccountType.INCOME)
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

    # Companies that charge sales tax want a rate on every line: take the highest sales rate.
    sold = [r async for r in conn.tax_rates.list(status="active") if TaxRateUse.SALES in r.applies_to]
    sales_rate = max(sold, key=lambda r: r.rate)
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
                    tax_rate_id=str(sales_rate.id),
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
                LedgerAccount(
                    code=f"R{tag[:5]}{len(expenses)}",
                    name=f"Reclassified {tag} {len(expenses)}",
                    type=LedgerAccountType.EXPENSE,
                )
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


@dataclass
class PayablesAndCredit:
    """What ``payables_and_credit`` made, for the caller's own checks."""

    supplier_id: str
    bill_id: str
    bill_payment_id: str
    expense_id: str
    invoice_id: str
    credit_note_id: str


async def payables_and_credit(conn: AsyncConnection, sync: SyncService) -> PayablesAndCredit:
    """Issue 13 point 7: a supplier, a bill with two lines on different expense accounts and tax
    rates, a partial bill payment, an expense, and a customer credit note allocated to an invoice;
    amounts due, statuses and totals; an initial and an incremental sync mirror all of it. Expects
    a company taxing purchases at a positive rate and at zero (GST 10 % and GST free, say)."""
    tag = uuid.uuid4().hex[:6]
    await sync.sync(conn)  # the initial sync: what the company held before

    rates = [r async for r in conn.tax_rates.list(status="active")]
    bought = [r for r in rates if TaxRateUse.PURCHASES in r.applies_to]
    sold = [r for r in rates if TaxRateUse.SALES in r.applies_to]
    taxed = max(bought, key=lambda r: r.rate)
    free = next(r for r in bought if r.rate == 0)
    sales_rate = max(sold, key=lambda r: r.rate)
    assert taxed.rate > 0

    chart = [a async for a in conn.ledger_accounts.list()]
    usable = [a for a in chart if a.status is LedgerAccountStatus.ACTIVE and not a.system]
    bank = next(a for a in usable if a.type is LedgerAccountType.BANK)
    expenses = [a for a in usable if a.type is LedgerAccountType.EXPENSE]
    while len(expenses) < 2:
        expenses.append(
            await conn.ledger_accounts.create(
                LedgerAccount(
                    code=f"S{tag[:5]}{len(expenses)}",
                    name=f"Supplies {tag} {len(expenses)}",
                    type=LedgerAccountType.EXPENSE,
                )
            )
        )

    supplier = await conn.suppliers.create(Supplier(display_name=f"Stationers {tag}"))
    bill = await conn.bills.create(
        Bill(
            supplier_id=str(supplier.id),
            number=f"S-{tag}",
            issue_date=date(2026, 1, 5),
            due_date=date(2026, 2, 4),
            tax_mode=TaxMode.EXCLUSIVE,
            line_items=[
                LineItem(
                    description="Paper",
                    quantity=Decimal(1),
                    unit_price=Decimal("100.00"),
                    account_id=str(expenses[0].id),
                    tax_rate_id=str(taxed.id),
                ),
                LineItem(
                    description="Postage",
                    quantity=Decimal(1),
                    unit_price=Decimal("50.00"),
                    account_id=str(expenses[1].id),
                    tax_rate_id=str(free.id),
                ),
            ],
        )
    )
    tax = (Decimal("100.00") * taxed.rate / 100).quantize(Decimal("0.01"))
    assert bill.sub_total == Decimal("150.00")
    assert bill.total_tax == tax
    assert bill.total == Decimal("150.00") + tax
    assert bill.status is BillStatus.OPEN and bill.amount_due == bill.total

    paid = await conn.bill_payments.create(
        BillPayment(
            supplier_id=str(supplier.id),
            date=date(2026, 1, 10),
            total_amount=Decimal("60.00"),
            account_id=str(bank.id),
            allocations=[BillAllocation(bill_id=str(bill.id), amount=Decimal("60.00"))],
        )
    )
    owed = await conn.bills.get(str(bill.id))
    assert owed.amount_due == bill.total - Decimal("60.00") and owed.amount_paid == Decimal("60.00")
    assert owed.status is BillStatus.PARTIALLY_PAID

    expense = await conn.expenses.create(
        Expense(
            date=date(2026, 1, 11),
            account_id=str(bank.id),
            supplier_id=str(supplier.id),
            tax_mode=TaxMode.EXCLUSIVE,
            line_items=[
                LineItem(
                    description="Toner",
                    quantity=Decimal(1),
                    unit_price=Decimal("20.00"),
                    account_id=str(expenses[0].id),
                    tax_rate_id=str(taxed.id),
                )
            ],
        )
    )
    assert expense.total == Decimal("20.00") + (Decimal("20.00") * taxed.rate / 100).quantize(Decimal("0.01"))

    customer = await conn.customers.create(Customer(display_name=f"Credited {tag}"))
    invoice = await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            issue_date=date(2026, 1, 5),
            tax_mode=TaxMode.EXCLUSIVE,
            line_items=[
                LineItem(
                    description="Service",
                    quantity=Decimal(1),
                    unit_price=Decimal("100.00"),
                    tax_rate_id=str(sales_rate.id),
                )
            ],
        )
    )
    note = await conn.credit_notes.create(
        CreditNote(
            customer_id=str(customer.id),
            issue_date=date(2026, 1, 12),
            tax_mode=TaxMode.EXCLUSIVE,
            line_items=[
                LineItem(
                    description="Discount agreed",
                    quantity=Decimal(1),
                    unit_price=Decimal("20.00"),
                    tax_rate_id=str(sales_rate.id),
                )
            ],
        )
    )
    assert note.total is not None and invoice.total is not None
    credited = await conn.credit_notes.allocate(str(note.id), invoice_id=str(invoice.id), amount=note.total)
    assert credited.remaining_credit == 0 and credited.status is CreditNoteStatus.USED
    after = await conn.invoices.get(str(invoice.id))
    assert after.amount_due == invoice.total - note.total and after.status is InvoiceStatus.PARTIALLY_PAID

    await sync.sync(conn)  # incremental: everything above reaches the mirror
    mirrored_bill = await conn.bills.get(str(bill.id), source="mirror")
    assert mirrored_bill.amount_due == owed.amount_due and mirrored_bill.status is BillStatus.PARTIALLY_PAID
    assert (await conn.suppliers.get(str(supplier.id), source="mirror")).display_name == supplier.display_name
    assert (await conn.bill_payments.get(str(paid.id), source="mirror")).total_amount == Decimal("60.00")
    assert (await conn.expenses.get(str(expense.id), source="mirror")).total == expense.total
    assert (await conn.credit_notes.get(str(note.id), source="mirror")).remaining_credit == 0
    assert (await conn.invoices.get(str(invoice.id), source="mirror")).amount_due == after.amount_due
    return PayablesAndCredit(
        str(supplier.id), str(bill.id), str(paid.id), str(expense.id), str(invoice.id), str(note.id)
    )
