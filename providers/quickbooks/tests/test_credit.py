"""Customer credit on QuickBooks: credit memos, their allocation to invoices through payments naming
both, and payments that pay invoices with money and credit together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from unified_accounting_quickbooks.codec import QuickBooksCodec

from unified_accounting import Customer, Invoice, InvoiceStatus, LineItem, ValidationFailed
from unified_accounting.models import Allocation, CreditNote, CreditNoteStatus, Payment, PaymentType

from .test_api import Env, make_env

pytestmark = pytest.mark.anyio


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = await make_env()
    yield made
    await made.client.aclose()


async def invoice_and_credit(env: Env, invoiced: str, credited: str) -> tuple[Invoice, CreditNote]:
    customer = await env.conn.customers.create(
        Customer(display_name=f"Credit customer {invoiced}-{credited}")
    )
    invoice = await env.conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            issue_date=date(2026, 1, 5),
            line_items=[LineItem(description="Work", quantity=Decimal(1), unit_price=Decimal(invoiced))],
        )
    )
    note = await env.conn.credit_notes.create(
        CreditNote(
            customer_id=str(customer.id),
            issue_date=date(2026, 1, 6),
            line_items=[LineItem(description="Refund", quantity=Decimal(1), unit_price=Decimal(credited))],
        )
    )
    return invoice, note


async def test_allocating_credit_lowers_the_invoice_and_the_note(env: Env) -> None:
    invoice, note = await invoice_and_credit(env, "100.00", "30.00")
    assert (note.total, note.remaining_credit, note.status) == (
        Decimal("30.00"),
        Decimal("30.00"),
        CreditNoteStatus.OPEN,
    )
    assert (await env.conn.customers.get(invoice.customer_id)).balance == Decimal("70.00")
    after = await env.conn.credit_notes.allocate(
        str(note.id), invoice_id=str(invoice.id), amount=Decimal("20.00")
    )
    assert after.remaining_credit == Decimal("10.00") and after.status is CreditNoteStatus.OPEN
    owed = await env.conn.invoices.get(str(invoice.id))
    assert (owed.amount_due, owed.status) == (Decimal("80.00"), InvoiceStatus.PARTIALLY_PAID)
    [payment] = [p async for p in env.conn.payments.list()]
    assert payment.total_amount == 0 and payment.type is PaymentType.INVOICE_PAYMENT
    assert {(a.invoice_id, a.credit_note_id, a.amount) for a in payment.allocations} == {
        (invoice.id, None, Decimal("20.00")),
        (None, note.id, Decimal("20.00")),
    }
    used = await env.conn.credit_notes.allocate(
        str(note.id), invoice_id=str(invoice.id), amount=Decimal("10.00")
    )
    assert used.remaining_credit == 0 and used.status is CreditNoteStatus.USED
    with pytest.raises(ValidationFailed):  # more credit than is left
        await env.conn.credit_notes.allocate(str(note.id), invoice_id=str(invoice.id), amount=Decimal("1.00"))
    with pytest.raises(ValidationFailed):  # its credit is in use
        await env.conn.credit_notes.void(str(note.id))
    await env.conn.payments.delete(str(payment.id))
    assert (await env.conn.credit_notes.get(str(note.id))).remaining_credit == Decimal("20.00")
    assert (await env.conn.invoices.get(str(invoice.id))).amount_due == Decimal("90.00")


async def test_a_payment_uses_money_and_credit_together(env: Env) -> None:
    invoice, note = await invoice_and_credit(env, "50.00", "15.00")
    payment = await env.conn.payments.create(
        Payment(
            customer_id=invoice.customer_id,
            total_amount=Decimal("35.00"),
            allocations=[
                Allocation(invoice_id=str(invoice.id), amount=Decimal("50.00")),
                Allocation(credit_note_id=str(note.id), amount=Decimal("15.00")),
            ],
        )
    )
    assert payment.unapplied_amount == 0
    assert (await env.conn.invoices.get(str(invoice.id))).status is InvoiceStatus.PAID
    assert (await env.conn.credit_notes.get(str(note.id))).status is CreditNoteStatus.USED


async def test_credit_notes_update_void_and_delete(env: Env) -> None:
    _, note = await invoice_and_credit(env, "10.00", "4.00")
    changed = await env.conn.credit_notes.update(
        str(note.id),
        {"line_items": [LineItem(description="Refund", quantity=Decimal(2), unit_price=Decimal("4.00"))]},
    )
    assert changed.total == Decimal("8.00") and changed.remaining_credit == Decimal("8.00")
    voided = await env.conn.credit_notes.void(str(note.id))
    assert voided.status is CreditNoteStatus.VOID and voided.total == 0
    _, other = await invoice_and_credit(env, "11.00", "5.00")
    await env.conn.credit_notes.delete(str(other.id))
    assert other.id not in {n.id async for n in env.conn.credit_notes.list()}


def test_credit_memo_decodes_remaining_credit() -> None:
    note = QuickBooksCodec().decode(
        "credit_note",
        {
            "Id": "73",
            "SyncToken": "0",
            "CustomerRef": {"value": "3", "name": "Cool Cars"},
            "TxnDate": "2026-01-05",
            "CurrencyRef": {"value": "USD"},
            "Line": [
                {
                    "Id": "1",
                    "Amount": 100,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 100},
                },
                {"Amount": 100, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
            ],
            "TotalAmt": 100,
            "RemainingCredit": 40,
            "Balance": 40,
        },
    )
    assert (note.customer_id, note.customer_name, note.sub_total) == ("3", "Cool Cars", Decimal(100))
    assert note.remaining_credit == Decimal("40.00") and note.status is CreditNoteStatus.OPEN


async def test_payment_kinds_quickbooks_lacks_are_refused_before_http(env: Env) -> None:
    invoice, _ = await invoice_and_credit(env, "12.00", "2.00")
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.payments.create(
            Payment(
                customer_id=invoice.customer_id, total_amount=Decimal(2), type=PaymentType.CREDIT_NOTE_REFUND
            )
        )
    assert caught.value.issues[0].field == "type"
    assert "RefundReceipt" in caught.value.issues[0].message
