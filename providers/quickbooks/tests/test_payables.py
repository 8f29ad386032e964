"""Suppliers, bills and bill payments on QuickBooks: the codec, the emulator's rules and the provider's
checks before any write."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from unified_accounting_quickbooks import QuickBooksProvider
from unified_accounting_quickbooks.codec import EncodeContext, QuickBooksCodec, encode_record
from unified_accounting_quickbooks.testing import CHECKING_ACCOUNT_ID

from unified_accounting import (
    BillStatus,
    ChangeOperation,
    Customer,
    DuplicateRecord,
    LedgerAccount,
    LedgerAccountType,
    LineItem,
    LineItemType,
    NotFound,
    PaymentTerms,
    ValidationFailed,
)
from unified_accounting.models import (
    Bill,
    BillAllocation,
    BillPayment,
    BillPaymentStatus,
    Supplier,
)

from .test_api import Env, api_calls, make_env

pytestmark = pytest.mark.anyio
codec = QuickBooksCodec()


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = await make_env()
    yield made
    await made.client.aclose()


def posts(env: Env) -> int:
    return sum(1 for entry in api_calls(env) if entry.method == "POST")


async def expense_account(env: Env, name: str = "Office Expenses") -> str:
    accounts = [a async for a in env.conn.ledger_accounts.list()]
    return str(next(a for a in accounts if a.name == name).id)


async def new_bill(env: Env, *amounts: str) -> Bill:
    supplier = await env.conn.suppliers.create(Supplier(display_name=f"Supplier {len(api_calls(env))}"))
    account = await expense_account(env)
    return await env.conn.bills.create(
        Bill(
            supplier_id=str(supplier.id),
            number="INV-77",
            issue_date=date(2026, 1, 5),
            line_items=[
                LineItem(description="Goods", total_amount=Decimal(a), account_id=account) for a in amounts
            ],
        )
    )


# ----------------------------------------------------------------------------------------- codec


def test_bill_lines_are_written_by_account_or_by_item() -> None:
    bill = Bill(
        supplier_id="56",
        line_items=[
            LineItem(total_amount=Decimal("200.00"), account_id="7", description="Rent"),
            LineItem(item_id="3", quantity=Decimal(2), unit_price=Decimal("4.50")),
        ],
    )
    payload = encode_record(bill, EncodeContext())
    by_account, by_item = payload["Line"]
    assert by_account["DetailType"] == "AccountBasedExpenseLineDetail"
    assert by_account["AccountBasedExpenseLineDetail"]["AccountRef"] == {"value": "7"}
    assert by_item["DetailType"] == "ItemBasedExpenseLineDetail" and by_item["Amount"] == Decimal("9.00")
    assert payload["VendorRef"] == {"value": "56"}
    decoded = codec.decode(
        "bill",
        {
            **payload,
            "Id": "1",
            "SyncToken": "0",
            "TotalAmt": 209,
            "Balance": 100,
            "CurrencyRef": {"value": "USD"},
        },
    )
    assert decoded.status is BillStatus.PARTIALLY_PAID
    assert (decoded.amount_due, decoded.amount_paid) == (Decimal("100.00"), Decimal("109.00"))
    assert [line.account_id for line in decoded.line_items] == ["7", None]
    assert decoded.line_items[1].item_id == "3" and decoded.line_items[1].quantity == Decimal(2)


def test_bill_payment_reads_its_account_and_allocations() -> None:
    payment = codec.decode(
        "bill_payment",
        {
            "Id": "4",
            "SyncToken": "1",
            "VendorRef": {"value": "56", "name": "Bob's Burgers"},
            "PayType": "CreditCard",
            "CreditCardPayment": {"CCAccountRef": {"value": "41"}},
            "TotalAmt": 30,
            "Line": [{"Amount": 30, "LinkedTxn": [{"TxnId": "9", "TxnType": "Bill"}]}],
        },
    )
    assert payment.account_id == "41" and payment.supplier_name == "Bob's Burgers"
    assert payment.allocations == [BillAllocation(bill_id="9", amount=Decimal(30))]
    assert payment.status is BillPaymentStatus.POSTED


# ------------------------------------------------------------------------------------- suppliers


async def test_suppliers_round_trip_with_terms_and_share_names_with_customers(env: Env) -> None:
    supplier = await env.conn.suppliers.create(
        Supplier(
            display_name="Paper Mill",
            email="ar@mill.example",
            account_number="C-1234",
            tax_number="99-1234567",
            terms=PaymentTerms(days=30),
        )
    )
    fetched = await env.conn.suppliers.get(str(supplier.id))
    assert (fetched.email, fetched.account_number, fetched.tax_number) == (
        "ar@mill.example",
        "C-1234",
        "99-1234567",
    )
    assert fetched.terms is not None and fetched.terms.days == 30
    assert env.emulator.record("Vendor", str(supplier.id))["TermRef"]["value"]
    with pytest.raises(DuplicateRecord):
        await env.conn.customers.create(Customer(display_name="Paper Mill"))
    assert (await env.conn.suppliers.archive(str(supplier.id))).status.value == "archived"


# ----------------------------------------------------------------------------------------- bills


async def test_bills_total_their_lines_and_payments_move_amount_due(env: Env) -> None:
    bill = await new_bill(env, "120.00", "30.00")
    assert (bill.total, bill.amount_due, bill.status) == (
        Decimal("150.00"),
        Decimal("150.00"),
        BillStatus.OPEN,
    )
    assert bill.due_date == date(2026, 1, 5)
    payment = await env.conn.bill_payments.create(
        BillPayment(
            supplier_id=bill.supplier_id,
            total_amount=Decimal("50.00"),
            account_id=CHECKING_ACCOUNT_ID,
            allocations=[BillAllocation(bill_id=str(bill.id), amount=Decimal("50.00"))],
        )
    )
    assert env.emulator.record("BillPayment", str(payment.id))["PayType"] == "Check"
    partly = await env.conn.bills.get(str(bill.id))
    assert (partly.amount_due, partly.amount_paid, partly.status) == (
        Decimal("100.00"),
        Decimal("50.00"),
        BillStatus.PARTIALLY_PAID,
    )
    supplier = await env.conn.suppliers.get(bill.supplier_id)
    assert supplier.balance == Decimal("100.00")
    with pytest.raises(ValidationFailed):  # QuickBooks keeps a paid bill until its payments go
        await env.conn.bills.delete(str(bill.id))
    voided = await env.conn.bill_payments.void(str(payment.id))
    assert voided.status is BillPaymentStatus.VOID and voided.total_amount == 0
    assert (await env.conn.bills.get(str(bill.id))).status is BillStatus.OPEN
    await env.conn.bills.delete(str(bill.id))
    with pytest.raises(NotFound):
        await env.conn.bills.get(str(bill.id))


async def test_a_card_payment_pays_in_full(env: Env) -> None:
    bill = await new_bill(env, "80.00")
    card = await env.conn.ledger_accounts.create(
        LedgerAccount(name="Company card", type=LedgerAccountType.CREDIT_CARD)
    )
    payment = await env.conn.bill_payments.create(
        BillPayment(
            supplier_id=bill.supplier_id,
            total_amount=Decimal("80.00"),
            account_id=str(card.id),
            allocations=[BillAllocation(bill_id=str(bill.id), amount=Decimal("80.00"))],
        )
    )
    stored = env.emulator.record("BillPayment", str(payment.id))
    assert (
        stored["PayType"] == "CreditCard" and stored["CreditCardPayment"]["CCAccountRef"]["value"] == card.id
    )
    assert payment.account_id == card.id
    assert (await env.conn.bills.get(str(bill.id))).status is BillStatus.PAID
    await env.conn.bill_payments.delete(str(payment.id))
    assert (await env.conn.bills.get(str(bill.id))).amount_due == Decimal("80.00")


async def test_payables_are_checked_before_any_write(env: Env) -> None:
    bill = await new_bill(env, "10.00")
    before = posts(env)
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.bills.create(
            Bill(
                supplier_id=bill.supplier_id,
                line_items=[
                    LineItem(description="No account", total_amount=Decimal(1)),
                    LineItem(type=LineItemType.DISCOUNT, discount_amount=Decimal(1)),
                ],
            )
        )
    assert [issue.field for issue in caught.value.issues] == ["line_items.0.account_id", "line_items.1.type"]
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.bill_payments.create(
            BillPayment(
                supplier_id=bill.supplier_id,
                total_amount=Decimal("10.00"),
                allocations=[BillAllocation(bill_id=str(bill.id), amount=Decimal("10.00"))],
            )
        )
    assert caught.value.issues[0].field == "account_id"
    income = await expense_account(env, "Services")
    with pytest.raises(ValidationFailed) as caught:  # the account is read, never written
        await env.conn.bill_payments.create(
            BillPayment(supplier_id=bill.supplier_id, total_amount=Decimal("10.00"), account_id=income)
        )
    assert "bank account" in caught.value.issues[0].message
    assert posts(env) == before


async def test_overpaying_a_bill_is_refused_by_quickbooks(env: Env) -> None:
    bill = await new_bill(env, "10.00")
    with pytest.raises(ValidationFailed) as caught:
        await env.conn.bill_payments.create(
            BillPayment(
                supplier_id=bill.supplier_id,
                total_amount=Decimal("15.00"),
                account_id=CHECKING_ACCOUNT_ID,
                allocations=[BillAllocation(bill_id=str(bill.id), amount=Decimal("15.00"))],
            )
        )
    assert "open balance" in str(caught.value)


async def test_change_feed_and_webhooks_cover_payables(env: Env) -> None:
    since = env.emulator.now()
    env.emulator.advance(5)
    bill = await new_bill(env, "10.00")
    gone = await new_bill(env, "11.00")
    await env.conn.bills.delete(str(gone.id))
    changes = await env.provider.read_change_feed(
        env.conn.session(), ["supplier", "bill"], since - timedelta(seconds=1)
    )
    assert bill.id in {b.id for b in changes.records["bill"]}
    assert changes.deleted["bill"] == [gone.id]
    assert bill.supplier_id in {s.id for s in changes.records["supplier"]}
    body = {
        "eventNotifications": [
            {
                "realmId": "1",
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": name,
                            "id": "3",
                            "operation": "Create",
                            "lastUpdated": "2026-01-05T10:00:00.000Z",
                        }
                        for name in ("Vendor", "Bill", "BillPayment")
                    ]
                },
            }
        ]
    }
    events = QuickBooksProvider().parse_webhook(json.dumps(body).encode())
    assert [(e.resource, e.operation) for e in events] == [
        ("supplier", ChangeOperation.CREATED),
        ("bill", ChangeOperation.CREATED),
        ("bill_payment", ChangeOperation.CREATED),
    ]


async def test_bill_filters_are_pushed_into_the_query(env: Env) -> None:
    kept = await new_bill(env, "10.00")
    await new_bill(env, "12.00")
    listed = [
        b async for b in env.conn.bills.list(supplier_id=kept.supplier_id, issue_date_from=date(2026, 1, 1))
    ]
    assert [b.id for b in listed] == [kept.id]
    query = [e.query["query"] for e in api_calls(env) if e.path.endswith("/query")][-1]
    assert f"VendorRef = '{kept.supplier_id}'" in query and "TxnDate >= '2026-01-01'" in query
