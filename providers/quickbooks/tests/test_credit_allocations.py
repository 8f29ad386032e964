"""Credit memos and vendor credits read back with their allocations on QuickBooks.

QuickBooks records where credit went only on the payments that apply it (a Payment linking the
invoice and the CreditMemo, a BillPayment linking the bill and the VendorCredit); ``get`` and
``list`` find those payments — one query per page of credits — and give each credit its
``allocations``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from unified_accounting_quickbooks.credit_uses import USES, allocations_of

from unified_accounting import Customer, Invoice, LineItem
from unified_accounting.models import (
    Allocation,
    Bill,
    CreditAllocation,
    CreditNote,
    Payment,
    Supplier,
    SupplierCredit,
)

from .test_api import Env, make_env
from .test_spend import office

pytestmark = pytest.mark.anyio


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = await make_env()
    yield made
    await made.client.aclose()


def queries(env: Env, since: int) -> list[str]:
    """The query statements sent since entry ``since`` of the emulator's request log."""
    return [r.query["query"] for r in env.emulator.request_log[since:] if "query" in r.query]


async def customer_documents(env: Env, name: str, invoiced: str, credited: str) -> tuple[Invoice, CreditNote]:
    customer = await env.conn.customers.create(Customer(display_name=name))
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


async def test_an_allocated_credit_note_reads_back_its_allocations(env: Env) -> None:
    invoice, note = await customer_documents(env, "Allocated Ltd", "100.00", "30.00")
    assert note.allocations == []
    allocated = await env.conn.credit_notes.allocate(
        str(note.id), invoice_id=str(invoice.id), amount=Decimal("20.00"), date=date(2026, 1, 9)
    )
    expected = [CreditAllocation(document_id=str(invoice.id), amount=Decimal("20.00"), date=date(2026, 1, 9))]
    assert allocated.allocations == expected
    read = await env.conn.credit_notes.get(str(note.id))
    assert read.allocations == expected
    # What is left is the total less what the allocations used.
    assert read.remaining_credit == read.total - sum(a.amount for a in read.allocations) == Decimal("10.00")
    [listed] = [n async for n in env.conn.credit_notes.list()]
    assert listed.allocations == expected

    await env.conn.credit_notes.allocate(str(note.id), invoice_id=str(invoice.id), amount=Decimal("10.00"))
    used = await env.conn.credit_notes.get(str(note.id))
    assert sorted(a.amount for a in used.allocations) == [Decimal("10.00"), Decimal("20.00")]
    assert {a.document_id for a in used.allocations} == {str(invoice.id)}
    assert used.remaining_credit == 0

    # A payment deleted gives its credit back, and its allocation disappears.
    payments = [p async for p in env.conn.payments.list()]
    first = next(p for p in payments if any(a.amount == Decimal("20.00") for a in p.allocations))
    await env.conn.payments.delete(str(first.id))
    back = await env.conn.credit_notes.get(str(note.id))
    assert [(a.document_id, a.amount) for a in back.allocations] == [(str(invoice.id), Decimal("10.00"))]
    assert back.remaining_credit == Decimal("20.00")


async def test_a_page_of_credit_notes_costs_one_payment_query(env: Env) -> None:
    pairs = [await customer_documents(env, f"Paged {n} Ltd", "50.00", "10.00") for n in range(3)]
    for invoice, note in pairs:
        await env.conn.credit_notes.allocate(str(note.id), invoice_id=str(invoice.id), amount=Decimal("4.00"))
    unused = (await customer_documents(env, "Unused Ltd", "50.00", "10.00"))[1]
    since = len(env.emulator.request_log)
    listed = {str(n.id): n for n in [n async for n in env.conn.credit_notes.list()]}
    payment_queries = [q for q in queries(env, since) if "from payment" in q.lower()]
    assert len(payment_queries) == 1
    for invoice, note in pairs:
        assert [(a.document_id, a.amount) for a in listed[str(note.id)].allocations] == [
            (str(invoice.id), Decimal("4.00"))
        ]
    assert listed[str(unused.id)].allocations == []


async def test_credit_used_in_a_payment_with_money_is_allocated_to_its_invoice(env: Env) -> None:
    invoice, note = await customer_documents(env, "Mixed Ltd", "50.00", "15.00")
    await env.conn.payments.create(
        Payment(
            customer_id=invoice.customer_id,
            total_amount=Decimal("35.00"),
            date=date(2026, 1, 12),
            allocations=[
                Allocation(invoice_id=str(invoice.id), amount=Decimal("50.00")),
                Allocation(credit_note_id=str(note.id), amount=Decimal("15.00")),
            ],
        )
    )
    read = await env.conn.credit_notes.get(str(note.id))
    assert read.allocations == [
        CreditAllocation(document_id=str(invoice.id), amount=Decimal("15.00"), date=date(2026, 1, 12))
    ]


async def test_a_vendor_credit_reads_back_the_bill_it_was_applied_to(env: Env) -> None:
    account = await office(env)
    supplier = await env.conn.suppliers.create(Supplier(display_name="Allocating supplier"))
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
    allocated = await env.conn.supplier_credits.allocate(
        str(credit.id), bill_id=str(bill.id), amount=Decimal("15.00"), date=date(2026, 1, 8)
    )
    expected = [CreditAllocation(document_id=str(bill.id), amount=Decimal("15.00"), date=date(2026, 1, 8))]
    assert allocated.allocations == expected
    read = await env.conn.supplier_credits.get(str(credit.id))
    assert read.allocations == expected and read.remaining_credit == Decimal("10.00")
    assert [c.allocations async for c in env.conn.supplier_credits.list()] == [expected]


async def test_the_change_feed_and_batched_reads_carry_allocations(env: Env) -> None:
    """What syncs (CDC) and webhook batches (``Id IN`` reads) mirror carries the allocations too."""
    since = env.emulator.now()
    env.emulator.advance(5)
    invoice, note = await customer_documents(env, "Mirrored Ltd", "40.00", "12.00")
    await env.conn.credit_notes.allocate(str(note.id), invoice_id=str(invoice.id), amount=Decimal("12.00"))
    expected = [(str(invoice.id), Decimal("12.00"))]
    changes = await env.provider.read_change_feed(
        env.conn.session(), ["credit_note"], since - timedelta(seconds=1)
    )
    [changed] = changes.records["credit_note"]
    assert [(a.document_id, a.amount) for a in changed.allocations] == expected
    batch = await env.provider.get_many(env.conn.session(), "credit_note", [str(note.id)])
    assert [(a.document_id, a.amount) for a in batch.items[0].allocations] == expected


def test_credit_lines_are_matched_to_the_documents_in_line_order() -> None:
    payment = {
        "TxnDate": "2026-02-01",
        "Line": [
            {"Amount": 30, "LinkedTxn": [{"TxnId": "i-1", "TxnType": "Invoice"}]},
            {"Amount": 20, "LinkedTxn": [{"TxnId": "i-2", "TxnType": "Invoice"}]},
            {"Amount": 40, "LinkedTxn": [{"TxnId": "cm-1", "TxnType": "CreditMemo"}]},
            {"Amount": 5, "LinkedTxn": [{"TxnId": "cm-2", "TxnType": "CreditMemo"}]},
        ],
    }
    found = [(credit, a.document_id, a.amount) for credit, a in allocations_of(USES["credit_note"], payment)]
    assert found == [
        ("cm-1", "i-1", Decimal(30)),
        ("cm-1", "i-2", Decimal(10)),
        ("cm-2", "i-2", Decimal(5)),
    ]
