"""Money suppliers pay back on Xero: refunds of supplier credits, over- and prepayments.

Xero records them as payments (``APCREDITPAYMENT``, ``APOVERPAYMENTPAYMENT``,
``APPREPAYMENTPAYMENT``); they are bill payments of their own ``type``, as the customer-side kinds
are payments of theirs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from unified_accounting_xero import api
from unified_accounting_xero.codec import XeroCodec
from unified_accounting_xero.emulator import XeroEmulator

from unified_accounting import AsyncConnection
from unified_accounting.errors import ValidationFailed
from unified_accounting.models import (
    BillAllocation,
    BillPayment,
    BillPaymentType,
    CreditNoteStatus,
    Customer,
    LineItem,
    PaymentType,
    Supplier,
    SupplierCredit,
)

pytestmark = pytest.mark.anyio
Conn = tuple[AsyncConnection, XeroEmulator]


async def _supplier_credit(conn: AsyncConnection, amount: str) -> SupplierCredit:
    supplier = await conn.suppliers.create(Supplier(display_name="Refunding Supplies Ltd"))
    line = LineItem(
        description="Returned stock", quantity=Decimal(1), unit_price=Decimal(amount), account_id="429"
    )
    return await conn.supplier_credits.create(
        SupplierCredit(supplier_id=str(supplier.id), number="RS-CR-1", line_items=[line])
    )


async def test_a_supplier_credit_refund_is_a_bill_payment_of_its_own_type(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    credit = await _supplier_credit(conn, "40.00")
    assert credit.total is not None
    refund = await conn.bill_payments.create(
        BillPayment(
            supplier_id=credit.supplier_id,
            type=BillPaymentType.SUPPLIER_CREDIT_REFUND,
            total_amount=Decimal("15.00"),
            date=date(2026, 3, 9),
            account_id="090",
            allocations=[BillAllocation(supplier_credit_id=str(credit.id), amount=Decimal("15.00"))],
        )
    )
    stored = emulator.record("Payment", str(refund.id))
    assert stored is not None and stored["PaymentType"] == "APCREDITPAYMENT"
    assert stored["CreditNote"]["CreditNoteID"] == str(credit.id)
    assert refund.type is BillPaymentType.SUPPLIER_CREDIT_REFUND
    assert [(a.supplier_credit_id, a.bill_id, a.amount) for a in refund.allocations] == [
        (str(credit.id), None, Decimal("15.00"))
    ]
    assert (refund.supplier_id, refund.account_id) == (credit.supplier_id, "090")
    assert (await conn.supplier_credits.get(str(credit.id))).remaining_credit == credit.total - Decimal(
        "15.00"
    )

    # Listed and read with the bill payments, never with the customer payments.
    listed = await conn.bill_payments.list().to_list()
    assert [(p.id, p.type) for p in listed] == [(refund.id, BillPaymentType.SUPPLIER_CREDIT_REFUND)]
    assert (await conn.bill_payments.get(str(refund.id))).allocations == refund.allocations
    assert await conn.payments.list().to_list() == []

    await conn.bill_payments.delete(str(refund.id))
    back = await conn.supplier_credits.get(str(credit.id))
    assert (back.remaining_credit, back.status) == (credit.total, CreditNoteStatus.OPEN)


async def test_refunding_all_of_a_supplier_credit_uses_it_up(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    credit = await _supplier_credit(conn, "12.50")
    assert credit.total is not None
    await conn.bill_payments.create(
        BillPayment(
            supplier_id=credit.supplier_id,
            type=BillPaymentType.SUPPLIER_CREDIT_REFUND,
            total_amount=credit.total,
            account_id="090",
            allocations=[BillAllocation(supplier_credit_id=str(credit.id), amount=credit.total)],
        )
    )
    used = await conn.supplier_credits.get(str(credit.id))
    assert (used.remaining_credit, used.status) == (Decimal("0.00"), CreditNoteStatus.USED)


async def test_supplier_refund_refusals_come_before_any_write(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    credit = await _supplier_credit(conn, "30.00")
    before = len(emulator.requests_to("/api.xro/"))
    for kind in (BillPaymentType.OVERPAYMENT, BillPaymentType.PREPAYMENT):
        with pytest.raises(ValidationFailed) as caught:
            await conn.bill_payments.create(
                BillPayment(supplier_id=credit.supplier_id, type=kind, total_amount=Decimal("5"))
            )
        assert caught.value.issues[0].field == "type"
    with pytest.raises(ValidationFailed) as caught:
        await conn.bill_payments.create(
            BillPayment(
                supplier_id=credit.supplier_id,
                type=BillPaymentType.SUPPLIER_CREDIT_REFUND,
                total_amount=Decimal("5"),
                account_id="090",
                allocations=[],
            )
        )
    assert caught.value.issues[0].field == "allocations"
    assert [r for r in emulator.requests_to("/api.xro/")[before:] if r.method != "GET"] == []
    # A refund pays no bill: the model says so before the provider is asked.
    with pytest.raises(ValidationError, match="supplier_credit_id"):
        BillPayment(
            supplier_id="s-1",
            type=BillPaymentType.SUPPLIER_CREDIT_REFUND,
            total_amount=Decimal("5"),
            allocations=[BillAllocation(bill_id="b-1", amount=Decimal("5"))],
        )


def test_xero_supplier_payment_kinds_decode_as_what_they_are() -> None:
    codec = XeroCodec()
    base = {"PaymentID": "p-1", "Amount": 5, "Status": "AUTHORISED", "Date": "/Date(1767225600000+0000)/"}
    contact = {"ContactID": "s-1", "Name": "Supplier Ltd"}
    refund = codec.decode(
        "bill_payment",
        {
            **base,
            "PaymentType": "APCREDITPAYMENT",
            "Invoice": {"Type": "ACCPAYCREDIT", "InvoiceID": "cn-1", "Contact": contact},
            "CreditNote": {"CreditNoteID": "cn-1"},
        },
    )
    assert (refund.type, refund.supplier_id) == (BillPaymentType.SUPPLIER_CREDIT_REFUND, "s-1")
    assert [(a.supplier_credit_id, a.amount) for a in refund.allocations] == [("cn-1", Decimal(5))]
    over = codec.decode(
        "bill_payment",
        {
            **base,
            "PaymentType": "APOVERPAYMENTPAYMENT",
            "Overpayment": {"OverpaymentID": "o-1", "Contact": contact, "CurrencyCode": "NZD"},
        },
    )
    assert (over.type, over.allocations, over.supplier_id, over.currency) == (
        BillPaymentType.OVERPAYMENT,
        [],
        "s-1",
        "NZD",
    )
    prepaid = codec.decode(
        "bill_payment",
        {
            **base,
            "PaymentType": "APPREPAYMENTPAYMENT",
            "Prepayment": {"PrepaymentID": "pp-1", "Contact": contact},
        },
    )
    assert (prepaid.type, prepaid.allocations) == (BillPaymentType.PREPAYMENT, [])
    paid = codec.decode(
        "bill_payment",
        {**base, "PaymentType": "ACCPAYPAYMENT", "Invoice": {"InvoiceID": "b-1", "Contact": contact}},
    )
    assert (paid.type, paid.allocations[0].bill_id) == (BillPaymentType.BILL_PAYMENT, "b-1")


def _xero(conn: AsyncConnection, collection: str) -> str:
    """The Xero URL of ``collection`` for this connection (the library has no raw writes on Xero)."""
    return api.url(conn.session(), {"BankTransactions": "expense", "Payments": "payment"}[collection])


@pytest.mark.parametrize(
    ("bank_type", "kind", "expected_payment_type"),
    [
        ("SPEND-PREPAYMENT", "Prepayment", "APPREPAYMENTPAYMENT"),
        ("SPEND-OVERPAYMENT", "Overpayment", "APOVERPAYMENTPAYMENT"),
    ],
)
async def test_refunds_of_supplier_over_and_prepayments_are_listed_bill_payments(
    xero_conn: Conn, bank_type: str, kind: str, expected_payment_type: str
) -> None:
    """Made in Xero (a spend-money over- or prepayment, then money paid back out of it), read here."""
    conn, emulator = xero_conn
    session = conn.session()
    supplier = await conn.suppliers.create(Supplier(display_name=f"{kind} Supplies Ltd"))
    made = await session.request(
        "PUT",
        _xero(conn, "BankTransactions"),
        json={
            "Type": bank_type,
            "Contact": {"ContactID": str(supplier.id)},
            "BankAccount": {"Code": "090"},
            "LineAmountTypes": "NoTax",
            "LineItems": [
                {"Description": "Paid ahead", "Quantity": 1, "UnitAmount": 80, "AccountCode": "429"}
            ],
        },
    )
    held_id = made.json()["BankTransactions"][0][f"{kind}ID"]

    def refund(amount: int) -> dict[str, object]:
        return {"Payments": [{kind: {f"{kind}ID": held_id}, "Account": {"Code": "090"}, "Amount": amount}]}

    refunded = await session.request("PUT", _xero(conn, "Payments"), json=refund(30))
    [payment_id] = [p["PaymentID"] for p in refunded.json()["Payments"]]
    assert emulator.record("Payment", payment_id)["PaymentType"] == expected_payment_type  # type: ignore[index]
    with pytest.raises(ValidationFailed, match="exceeds the amount outstanding"):  # 50 is left
        await session.request("PUT", _xero(conn, "Payments"), json=refund(51))

    [listed] = await conn.bill_payments.list().to_list()
    expected = BillPaymentType.PREPAYMENT if kind == "Prepayment" else BillPaymentType.OVERPAYMENT
    assert (listed.id, listed.type, listed.allocations) == (payment_id, expected, [])
    assert (listed.supplier_id, listed.total_amount, listed.account_id) == (
        str(supplier.id),
        Decimal("30.00"),
        "090",
    )
    assert await conn.payments.list().to_list() == []
    await conn.bill_payments.delete(payment_id)
    # The deleted refund gave its 30 back: all 80 can be paid back now.
    await session.request("PUT", _xero(conn, "Payments"), json=refund(80))


async def test_refunds_of_customer_prepayments_stay_customer_payments(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    session = conn.session()
    customer = await conn.customers.create(Customer(display_name="Prepaying Customer Ltd"))
    made = await session.request(
        "PUT",
        _xero(conn, "BankTransactions"),
        json={
            "Type": "RECEIVE-PREPAYMENT",
            "Contact": {"ContactID": str(customer.id)},
            "BankAccount": {"Code": "090"},
            "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Deposit", "Quantity": 1, "UnitAmount": 60, "AccountCode": "200"}],
        },
    )
    prepayment_id = made.json()["BankTransactions"][0]["PrepaymentID"]
    await session.request(
        "PUT",
        _xero(conn, "Payments"),
        json={"Prepayment": {"PrepaymentID": prepayment_id}, "Account": {"Code": "090"}, "Amount": 25},
    )
    [listed] = await conn.payments.list().to_list()
    assert (listed.type, listed.customer_id, listed.total_amount) == (
        PaymentType.PREPAYMENT,
        str(customer.id),
        Decimal("25.00"),
    )
    assert await conn.bill_payments.list().to_list() == []
