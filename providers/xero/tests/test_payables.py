"""Suppliers, bills (ACCPAY invoices) and bill payments on Xero."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from unified_accounting_xero.emulator import XeroEmulator

from unified_accounting import AsyncConnection
from unified_accounting.errors import NotFound, ValidationFailed
from unified_accounting.models import (
    Bill,
    BillAllocation,
    BillPayment,
    BillStatus,
    Customer,
    Expense,
    ExpenseStatus,
    ExpenseType,
    Invoice,
    LineItem,
    PaymentTerms,
    PaymentTermsType,
    Supplier,
)

pytestmark = pytest.mark.anyio
Conn = tuple[AsyncConnection, XeroEmulator]


def api_writes(emulator: XeroEmulator, since: int) -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.requests_to("/api.xro/")[since:] if r.method != "GET"]


def bill_of(supplier_id: str, **fields: object) -> Bill:
    return Bill(
        supplier_id=supplier_id,
        number="RPT412-1",
        issue_date=date(2026, 2, 2),
        due_date=date(2026, 3, 2),
        line_items=[
            LineItem(
                description="Printing", quantity=Decimal(1), unit_price=Decimal("49.00"), account_id="429"
            )
        ],
        **fields,  # type: ignore[arg-type]
    )


async def test_a_contact_on_both_sides_is_listed_by_both_with_one_id(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    both = await conn.customers.create(Customer(display_name="Both Ways Ltd"))
    buyer = await conn.customers.create(Customer(display_name="Buyer Ltd"))
    seller = await conn.suppliers.create(Supplier(display_name="Seller Ltd"))
    await conn.invoices.create(
        Invoice(customer_id=str(both.id), line_items=[LineItem(description="x", quantity=1, unit_price=5)])
    )
    await conn.invoices.create(
        Invoice(customer_id=str(buyer.id), line_items=[LineItem(description="x", quantity=1, unit_price=5)])
    )
    await conn.bills.create(bill_of(str(both.id)))
    await conn.bills.create(bill_of(str(seller.id)))
    customers = {str(c.id) for c in await conn.customers.list().to_list()}
    suppliers = {str(s.id) for s in await conn.suppliers.list().to_list()}
    assert str(both.id) in customers & suppliers
    assert str(buyer.id) in customers - suppliers
    assert str(seller.id) in suppliers - customers
    assert (await conn.suppliers.get(str(both.id))).display_name == "Both Ways Ltd"


async def test_supplier_fields_and_bills_terms(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    supplier = await conn.suppliers.create(
        Supplier(
            display_name="Paper Mill",
            bank_account_details="12-3456-7890123-00",
            default_expense_account_id="453",
            account_number="CUST-77",
            terms=PaymentTerms(type=PaymentTermsType.DAYS_AFTER_ISSUE, days=20),
        )
    )
    stored = emulator.record("Contact", str(supplier.id))
    assert stored is not None and stored["PaymentTerms"]["Bills"] == {"Day": 20, "Type": "DAYSAFTERBILLDATE"}
    fetched = await conn.suppliers.get(str(supplier.id))
    assert (fetched.bank_account_details, fetched.default_expense_account_id, fetched.account_number) == (
        "12-3456-7890123-00",
        "453",
        "CUST-77",
    )
    assert fetched.terms is not None and fetched.terms.days == 20
    archived = await conn.suppliers.archive(str(supplier.id))
    assert archived.status == "archived"


async def test_bills_are_accpay_invoices_and_kept_apart_from_sales(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    supplier = await conn.suppliers.create(Supplier(display_name="Printers Ltd"))
    bill = await conn.bills.create(bill_of(str(supplier.id)))
    stored = emulator.record("Invoice", str(bill.id))
    assert stored is not None and (stored["Type"], stored["InvoiceNumber"]) == ("ACCPAY", "RPT412-1")
    assert (bill.status, bill.number, bill.supplier_id) == (BillStatus.OPEN, "RPT412-1", str(supplier.id))
    assert (bill.sub_total, bill.total_tax, bill.total) == (
        Decimal("49.00"),
        Decimal("7.35"),
        Decimal("56.35"),
    )
    assert [b.id for b in await conn.bills.list().to_list()] == [bill.id]
    assert bill.id not in {i.id for i in await conn.invoices.list().to_list()}
    with pytest.raises(NotFound):
        await conn.invoices.get(str(bill.id))
    renumbered = await conn.bills.update(str(bill.id), {"number": "RPT412-2"}, row_version=bill.row_version)
    assert renumbered.number == "RPT412-2"
    with pytest.raises(ValidationFailed, match="void it instead"):
        await conn.bills.delete(str(bill.id))
    assert (await conn.bills.void(str(bill.id))).status is BillStatus.VOID


async def test_bill_refusals_before_any_call(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    supplier = await conn.suppliers.create(Supplier(display_name="Refused Ltd"))
    since = len(emulator.requests_to("/api.xro/"))
    cases = [
        (
            bill_of(str(supplier.id)).model_copy(
                update={"line_items": [LineItem(description="No account", quantity=1, unit_price=1)]}
            ),
            "line_items.0.account_id",
        ),
        (bill_of(str(supplier.id), reference="PO-1"), "reference"),
        (bill_of(str(supplier.id), memo="note"), "memo"),
        (bill_of(str(supplier.id), status=BillStatus.PAID), "status"),
    ]
    for bill, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            await conn.bills.create(bill)
        assert field in {issue.field for issue in caught.value.issues}
    assert api_writes(emulator, since) == []


async def test_paying_a_bill_moves_what_is_due(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    supplier = await conn.suppliers.create(Supplier(display_name="Couriers Ltd"))
    bill = await conn.bills.create(bill_of(str(supplier.id)))
    payment = await conn.bill_payments.create(
        BillPayment(
            supplier_id=str(supplier.id),
            total_amount=Decimal("20.00"),
            date=date(2026, 2, 10),
            account_id="090",
            allocations=[BillAllocation(bill_id=str(bill.id), amount=Decimal("20.00"))],
        )
    )
    stored = emulator.record("Payment", str(payment.id))
    assert stored is not None and stored["PaymentType"] == "ACCPAYPAYMENT"
    assert (payment.supplier_id, payment.account_id) == (str(supplier.id), "090")
    partly = await conn.bills.get(str(bill.id))
    assert (partly.status, partly.amount_paid, partly.amount_due) == (
        BillStatus.PARTIALLY_PAID,
        Decimal("20.00"),
        Decimal("36.35"),
    )
    assert [p.id for p in await conn.bill_payments.list().to_list()] == [payment.id]
    assert await conn.payments.list().to_list() == []
    with pytest.raises(NotFound):
        await conn.payments.get(str(payment.id))
    await conn.bill_payments.delete(str(payment.id))
    assert (await conn.bills.get(str(bill.id))).amount_due == Decimal("56.35")


async def test_a_bill_payment_pays_one_bill(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    with pytest.raises(ValidationFailed) as caught:
        await conn.bill_payments.create(
            BillPayment(
                supplier_id="s",
                total_amount=Decimal("5"),
                allocations=[
                    BillAllocation(bill_id="a", amount=Decimal("2")),
                    BillAllocation(bill_id="b", amount=Decimal("3")),
                ],
            )
        )
    assert caught.value.issues[0].field == "allocations"


def expense_of(supplier_id: str | None, **fields: object) -> Expense:
    return Expense(
        date=date(2026, 2, 3),
        account_id="090",
        supplier_id=supplier_id,
        line_items=[
            LineItem(description="Fuel", quantity=Decimal(1), unit_price=Decimal("89.00"), account_id="429")
        ],
        **fields,  # type: ignore[arg-type]
    )


async def test_expenses_are_spend_money_and_refunds_receive_money(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    supplier = await conn.suppliers.create(Supplier(display_name="Fuel Co"))
    spent = await conn.expenses.create(expense_of(str(supplier.id), reference="Receipt 9"))
    stored = emulator.record("BankTransaction", str(spent.id))
    assert stored is not None and (stored["Type"], stored["LineAmountTypes"]) == ("SPEND", "Inclusive")
    # Xero's recorded example: 89.00 inclusive at 15 % is 77.39 + 11.61.
    assert (spent.total, spent.total_tax, spent.sub_total) == (
        Decimal("89.00"),
        Decimal("11.61"),
        Decimal("77.39"),
    )
    assert (spent.type, spent.account_id, spent.status) == (ExpenseType.EXPENSE, "090", ExpenseStatus.POSTED)
    refund = await conn.expenses.create(expense_of(str(supplier.id), type=ExpenseType.REFUND))
    assert emulator.record("BankTransaction", str(refund.id))["Type"] == "RECEIVE"  # type: ignore[index]
    assert {e.type for e in await conn.expenses.list().to_list()} == {ExpenseType.EXPENSE, ExpenseType.REFUND}
    changed = await conn.expenses.update(str(spent.id), {"reference": "Receipt 10"})
    assert changed.reference == "Receipt 10"
    await conn.expenses.delete(str(spent.id))
    assert (await conn.expenses.get(str(spent.id))).status is ExpenseStatus.DELETED


async def test_expense_refusals_before_any_write(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    since = len(emulator.requests_to("/api.xro/"))
    with pytest.raises(ValidationFailed) as caught:
        await conn.expenses.create(expense_of(None, number="E-1"))
    assert {issue.field for issue in caught.value.issues} == {"supplier_id", "number"}
    supplier = await conn.suppliers.create(Supplier(display_name="Foreign Co"))
    since = len(emulator.requests_to("/api.xro/"))
    with pytest.raises(ValidationFailed, match="in its currency"):
        await conn.expenses.create(
            expense_of(str(supplier.id), currency="NZD").model_copy(update={"currency": "EUR"})
        )
    assert api_writes(emulator, since) == []


async def test_an_expense_payment_type_is_refused_not_dropped(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    with pytest.raises(ValidationFailed) as caught:
        await conn.expenses.create(expense_of("s", payment_type="card"))
    assert [issue.field for issue in caught.value.issues] == ["payment_type"]
