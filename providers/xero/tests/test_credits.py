"""Customer credit notes and supplier credits on Xero, and their allocation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from unified_accounting_xero.codec import XeroCodec
from unified_accounting_xero.emulator import XeroEmulator

from unified_accounting import AsyncConnection
from unified_accounting.errors import NotFound, ValidationFailed
from unified_accounting.models import (
    Allocation,
    Bill,
    BillStatus,
    CreditNote,
    CreditNoteStatus,
    Customer,
    Invoice,
    InvoiceStatus,
    LineItem,
    Payment,
    PaymentType,
    Supplier,
    SupplierCredit,
)

pytestmark = pytest.mark.anyio
Conn = tuple[AsyncConnection, XeroEmulator]


def line(amount: str, account: str) -> LineItem:
    return LineItem(description="Goods", quantity=Decimal(1), unit_price=Decimal(amount), account_id=account)


async def test_a_credit_note_allocated_to_an_invoice(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    customer = await conn.customers.create(Customer(display_name="Returns Ltd"))
    invoice = await conn.invoices.create(
        Invoice(customer_id=str(customer.id), issue_date=date(2026, 3, 1), line_items=[line("100.00", "200")])
    )
    note = await conn.credit_notes.create(
        CreditNote(
            customer_id=str(customer.id),
            issue_date=date(2026, 3, 5),
            reference="RMA-7",
            line_items=[line("40.00", "200")],
        )
    )
    stored = emulator.record("CreditNote", str(note.id))
    assert stored is not None and (stored["Type"], stored["Status"]) == ("ACCRECCREDIT", "AUTHORISED")
    assert (note.status, note.number, note.reference) == (CreditNoteStatus.OPEN, "CN-0001", "RMA-7")
    assert note.remaining_credit == note.total == Decimal("46.00")
    with pytest.raises(NotFound):
        await conn.supplier_credits.get(str(note.id))

    allocated = await conn.credit_notes.allocate(
        str(note.id), invoice_id=str(invoice.id), amount=Decimal("30.00")
    )
    assert allocated.remaining_credit == Decimal("16.00")
    assert [(a.document_id, a.amount, a.date) for a in allocated.allocations] == [
        (str(invoice.id), Decimal("30.00"), date(2026, 3, 5))
    ]
    credited = await conn.invoices.get(str(invoice.id))
    assert credited.amount_due == Decimal("85.00")
    rest = await conn.credit_notes.allocate(str(note.id), invoice_id=str(invoice.id), amount=Decimal("16.00"))
    assert (rest.status, rest.remaining_credit) == (CreditNoteStatus.USED, Decimal("0.00"))
    with pytest.raises(ValidationFailed, match="void it instead"):
        await conn.credit_notes.delete(str(note.id))


async def test_allocation_refusals_come_before_the_write(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    customer = await conn.customers.create(Customer(display_name="Careful Ltd"))
    invoice = await conn.invoices.create(
        Invoice(customer_id=str(customer.id), line_items=[line("10.00", "200")], status=InvoiceStatus.OPEN)
    )
    note = await conn.credit_notes.create(
        CreditNote(customer_id=str(customer.id), line_items=[line("40.00", "200")])
    )
    draft = await conn.credit_notes.create(
        CreditNote(
            customer_id=str(customer.id), line_items=[line("5.00", "200")], status=CreditNoteStatus.DRAFT
        )
    )
    since = len(emulator.requests_to("/api.xro/"))
    with pytest.raises(ValidationFailed) as caught:
        await conn.credit_notes.allocate(str(note.id), invoice_id=str(invoice.id), amount=Decimal("30.00"))
    assert {issue.field for issue in caught.value.issues} == {"amount"}
    with pytest.raises(ValidationFailed, match="approved credit"):
        await conn.credit_notes.allocate(str(draft.id), invoice_id=str(invoice.id), amount=Decimal("1.00"))
    writes = [r for r in emulator.requests_to("/api.xro/")[since:] if r.method != "GET"]
    assert writes == []


async def test_a_supplier_credit_allocated_to_a_bill(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    supplier = await conn.suppliers.create(Supplier(display_name="Wholesale Ltd"))
    bill = await conn.bills.create(
        Bill(
            supplier_id=str(supplier.id),
            number="W-1",
            issue_date=date(2026, 3, 1),
            line_items=[line("200.00", "429")],
        )
    )
    credit = await conn.supplier_credits.create(
        SupplierCredit(supplier_id=str(supplier.id), number="W-CR-1", line_items=[line("50.00", "429")])
    )
    stored = emulator.record("CreditNote", str(credit.id))
    assert stored is not None and (stored["Type"], stored["CreditNoteNumber"]) == ("ACCPAYCREDIT", "W-CR-1")
    assert [c.id for c in await conn.supplier_credits.list().to_list()] == [credit.id]
    assert await conn.credit_notes.list().to_list() == []
    allocated = await conn.supplier_credits.allocate(
        str(credit.id), bill_id=str(bill.id), amount=credit.total
    )
    assert allocated.status is CreditNoteStatus.USED
    paid_down = await conn.bills.get(str(bill.id))
    # Part of it settled by credit: partially paid, as on QuickBooks (credit applied by a payment).
    assert (paid_down.status, paid_down.amount_due) == (BillStatus.PARTIALLY_PAID, bill.total - credit.total)
    with pytest.raises(NotFound):  # a supplier credit goes to bills, never to sales invoices
        await conn.supplier_credits.allocate(
            str(credit.id), bill_id="00000000-0000-4000-8000-000000000001", amount=1
        )


async def test_a_credit_note_refund_is_a_payment_of_its_own_type(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    customer = await conn.customers.create(Customer(display_name="Refunded Ltd"))
    note = await conn.credit_notes.create(
        CreditNote(customer_id=str(customer.id), line_items=[line("20.00", "200")])
    )
    refund = await conn.payments.create(
        Payment(
            type=PaymentType.CREDIT_NOTE_REFUND,
            total_amount=Decimal("10.00"),
            date=date(2026, 3, 9),
            account_id="090",
            allocations=[Allocation(credit_note_id=str(note.id), amount=Decimal("10.00"))],
        )
    )
    stored = emulator.record("Payment", str(refund.id))
    assert stored is not None and stored["PaymentType"] == "ARCREDITPAYMENT"
    assert refund.type is PaymentType.CREDIT_NOTE_REFUND
    assert [(a.credit_note_id, a.invoice_id) for a in refund.allocations] == [(str(note.id), None)]
    assert refund.customer_id == str(customer.id)
    assert (await conn.credit_notes.get(str(note.id))).remaining_credit == Decimal("13.00")
    listed = await conn.payments.list().to_list()
    assert [(p.id, p.type) for p in listed] == [(refund.id, PaymentType.CREDIT_NOTE_REFUND)]
    await conn.payments.delete(str(refund.id))
    assert (await conn.credit_notes.get(str(note.id))).remaining_credit == Decimal("23.00")


def test_xero_payment_kinds_decode_as_what_they_are() -> None:
    codec = XeroCodec()
    base = {"PaymentID": "p-1", "Amount": 5, "Status": "AUTHORISED", "Date": "/Date(1767225600000+0000)/"}
    refund = codec.decode(
        "payment",
        {**base, "PaymentType": "ARCREDITPAYMENT", "Invoice": {"Type": "ACCRECCREDIT", "InvoiceID": "cn-1"}},
    )
    assert (refund.type, refund.allocations[0].credit_note_id) == (PaymentType.CREDIT_NOTE_REFUND, "cn-1")
    over = codec.decode(
        "payment", {**base, "PaymentType": "AROVERPAYMENTPAYMENT", "Overpayment": {"OverpaymentID": "o-1"}}
    )
    assert (over.type, over.allocations) == (PaymentType.OVERPAYMENT, [])
    prepaid = codec.decode("payment", {**base, "PaymentType": "ARPREPAYMENTPAYMENT"})
    assert prepaid.type is PaymentType.PREPAYMENT
    paid = codec.decode("payment", {**base, "PaymentType": "ACCRECPAYMENT", "Invoice": {"InvoiceID": "i-1"}})
    assert (paid.type, paid.allocations[0].invoice_id) == (PaymentType.INVOICE_PAYMENT, "i-1")


async def test_overpayments_are_read_not_made(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    with pytest.raises(ValidationFailed) as caught:
        await conn.payments.create(Payment(type=PaymentType.OVERPAYMENT, total_amount=Decimal("5")))
    assert caught.value.issues[0].field == "type"
