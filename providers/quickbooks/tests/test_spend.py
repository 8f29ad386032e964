"""Supplier credits and expenses on QuickBooks: vendor credits applied to bills through bill payments,
purchases paid from bank and card accounts, card credits as refunds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from unified_accounting_quickbooks.testing import CHECKING_ACCOUNT_ID

from unified_accounting import BillStatus, LedgerAccount, LedgerAccountType, LineItem, ValidationFailed
from unified_accounting.models import (
    Bill,
    BillAllocation,
    BillPayment,
    CreditNoteStatus,
    Expense,
    ExpensePaymentType,
    ExpenseStatus,
    ExpenseType,
    Supplier,
    SupplierCredit,
)

from .test_api import Env, api_calls, make_env

pytestmark = pytest.mark.anyio


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = await make_env()
    yield made
    await made.client.aclose()


async def office(env: Env) -> str:
    return str(
        next(a for a in [a async for a in env.conn.ledger_accounts.list()] if a.name == "Office Expenses").id
    )


async def test_supplier_credit_is_allocated_to_a_bill(env: Env) -> None:
    account = await office(env)
    supplier = await env.conn.suppliers.create(Supplier(display_name="Credit supplier"))
    bill = await env.conn.bills.create(
        Bill(
            supplier_id=str(supplier.id),
            line_items=[LineItem(total_amount=Decimal("60.00"), account_id=account)],
        )
    )
    credit = await env.conn.supplier_credits.create(
        SupplierCredit(
            supplier_id=str(supplier.id),
            issue_date=date(2026, 1, 5),
            line_items=[LineItem(description="Damaged", total_amount=Decimal("25.00"), account_id=account)],
        )
    )
    assert (credit.total, credit.remaining_credit, credit.status) == (
        Decimal("25.00"),
        Decimal("25.00"),
        CreditNoteStatus.OPEN,
    )
    assert (await env.conn.suppliers.get(str(supplier.id))).balance == Decimal("35.00")
    after = await env.conn.supplier_credits.allocate(
        str(credit.id), bill_id=str(bill.id), amount=Decimal("25.00")
    )
    assert after.remaining_credit == 0 and after.status is CreditNoteStatus.USED
    owed = await env.conn.bills.get(str(bill.id))
    assert (owed.amount_due, owed.status) == (Decimal("35.00"), BillStatus.PARTIALLY_PAID)
    [payment] = [p async for p in env.conn.bill_payments.list()]
    assert payment.total_amount == 0
    assert {(a.bill_id, a.supplier_credit_id) for a in payment.allocations} == {
        (bill.id, None),
        (None, credit.id),
    }
    with pytest.raises(ValidationFailed):  # its credit is used by a bill payment
        await env.conn.supplier_credits.delete(str(credit.id))
    await env.conn.bill_payments.void(str(payment.id))
    assert (await env.conn.supplier_credits.get(str(credit.id))).remaining_credit == Decimal("25.00")
    await env.conn.supplier_credits.delete(str(credit.id))


async def test_a_bill_payment_uses_money_and_supplier_credit(env: Env) -> None:
    account = await office(env)
    supplier = await env.conn.suppliers.create(Supplier(display_name="Mixed supplier"))
    bill = await env.conn.bills.create(
        Bill(
            supplier_id=str(supplier.id),
            line_items=[LineItem(total_amount=Decimal("40.00"), account_id=account)],
        )
    )
    credit = await env.conn.supplier_credits.create(
        SupplierCredit(
            supplier_id=str(supplier.id), line_items=[LineItem(total_amount=Decimal(10), account_id=account)]
        )
    )
    await env.conn.bill_payments.create(
        BillPayment(
            supplier_id=str(supplier.id),
            total_amount=Decimal("30.00"),
            account_id=CHECKING_ACCOUNT_ID,
            allocations=[
                BillAllocation(bill_id=str(bill.id), amount=Decimal("40.00")),
                BillAllocation(supplier_credit_id=str(credit.id), amount=Decimal("10.00")),
            ],
        )
    )
    assert (await env.conn.bills.get(str(bill.id))).status is BillStatus.PAID
    assert (await env.conn.suppliers.get(str(supplier.id))).balance == 0


async def test_expenses_from_bank_and_card_and_their_refunds(env: Env) -> None:
    account = await office(env)
    supplier = await env.conn.suppliers.create(Supplier(display_name="Cafe"))
    cash = await env.conn.expenses.create(
        Expense(
            date=date(2026, 1, 5),
            account_id=CHECKING_ACCOUNT_ID,
            supplier_id=str(supplier.id),
            line_items=[LineItem(description="Coffee", total_amount=Decimal("8.40"), account_id=account)],
        )
    )
    assert (cash.payment_type, cash.type, cash.total, cash.status) == (
        ExpensePaymentType.CASH,
        ExpenseType.EXPENSE,
        Decimal("8.40"),
        ExpenseStatus.POSTED,
    )
    assert cash.supplier_id == supplier.id
    card = await env.conn.ledger_accounts.create(
        LedgerAccount(name="Team card", type=LedgerAccountType.CREDIT_CARD)
    )
    refund = await env.conn.expenses.create(
        Expense(
            account_id=str(card.id),
            type=ExpenseType.REFUND,
            line_items=[LineItem(description="Returned", total_amount=Decimal("3.00"), account_id=account)],
        )
    )
    stored = env.emulator.record("Purchase", str(refund.id))
    assert (stored["PaymentType"], stored["Credit"]) == ("CreditCard", True)
    assert (refund.type, refund.payment_type) == (ExpenseType.REFUND, ExpensePaymentType.CARD)
    voided = await env.conn.expenses.void(str(cash.id))
    assert voided.status is ExpenseStatus.VOID and voided.total == 0
    await env.conn.expenses.delete(str(refund.id))


async def test_expense_payment_types_are_checked_against_the_account_before_any_write(env: Env) -> None:
    account = await office(env)
    line = [LineItem(total_amount=Decimal(1), account_id=account)]
    before = sum(1 for e in api_calls(env) if e.method == "POST")
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.expenses.create(
            Expense(account_id=CHECKING_ACCOUNT_ID, type=ExpenseType.REFUND, line_items=line)
        )
    assert caught.value.issues[0].field == "type"
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.expenses.create(
            Expense(account_id=CHECKING_ACCOUNT_ID, payment_type=ExpensePaymentType.CARD, line_items=line)
        )
    assert caught.value.issues[0].field == "payment_type"
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.expenses.create(Expense(account_id=account, line_items=line))
    assert caught.value.issues[0].field == "account_id"
    assert sum(1 for e in api_calls(env) if e.method == "POST") == before
    check = await env.conn.expenses.create(
        Expense(
            account_id=CHECKING_ACCOUNT_ID,
            payment_type=ExpensePaymentType.CHECK,
            number="1001",
            line_items=line,
        )
    )
    assert env.emulator.record("Purchase", str(check.id))["PrintStatus"] == "NeedToPrint"
