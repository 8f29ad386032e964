from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from unified_accounting_xero.codec import EncodeOptions, XeroCodec, encode_changes
from unified_accounting_xero.models import Account

from unified_accounting import jsonutil
from unified_accounting.models import (
    Address,
    Allocation,
    Customer,
    CustomerStatus,
    Invoice,
    InvoiceStatus,
    Item,
    LineItem,
    LineItemType,
    Payment,
    PaymentStatus,
    TaxMode,
)

codec = XeroCodec()
FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture(name: str) -> Any:
    return json.loads(fixture_bytes(name))


def test_invoice_decodes_exactly() -> None:
    invoice = codec.decode("invoice", fixture_bytes("invoice.json"))
    assert isinstance(invoice, Invoice)
    assert invoice.id == "243216c5-369e-4056-ac67-05388f86dc81"
    assert invoice.number == "INV-0042" and invoice.reference == "PO 7781"
    assert invoice.customer_id == "025867f1-d741-4d6b-b1af-9ac774b59ba7"
    assert invoice.customer_name == "City Agency"
    assert invoice.issue_date == date(2025, 1, 5) and invoice.due_date == date(2025, 1, 19)
    assert invoice.currency == "NZD"
    assert (invoice.sub_total, invoice.total_tax, invoice.total) == (
        Decimal("100.10"),
        Decimal("15.02"),
        Decimal("115.12"),
    )
    assert all(isinstance(v, Decimal) for v in (invoice.total, invoice.amount_due, invoice.amount_paid))
    assert invoice.amount_due == Decimal("65.12") and invoice.amount_paid == Decimal("50.00")
    assert invoice.row_version is not None and invoice.row_version.startswith("1736164799123-")
    assert invoice.updated_at == datetime(2025, 1, 6, 11, 59, 59, 123000, tzinfo=UTC)
    assert invoice.tax_mode is TaxMode.EXCLUSIVE and invoice.pass_through == {}
    assert invoice.raw is None


def test_authorised_with_payments_is_partially_paid() -> None:
    data = fixture("invoice.json")["Invoices"][0]
    assert codec.decode("invoice", data).status is InvoiceStatus.PARTIALLY_PAID
    assert codec.decode("invoice", {**data, "AmountPaid": 0}).status is InvoiceStatus.OPEN
    expected = {
        "DRAFT": InvoiceStatus.DRAFT,
        "SUBMITTED": InvoiceStatus.SUBMITTED,
        "PAID": InvoiceStatus.PAID,
        "VOIDED": InvoiceStatus.VOID,
        "DELETED": InvoiceStatus.DELETED,
    }
    for xero, unified in expected.items():
        assert codec.decode("invoice", {**data, "Status": xero}).status is unified


def test_invoice_lines() -> None:
    consulting, note, returned = codec.decode("invoice", fixture_bytes("invoice.json")).line_items
    assert consulting.type is LineItemType.SALES_ITEM
    assert (consulting.quantity, consulting.unit_price, consulting.total_amount) == (
        Decimal("3"),
        Decimal("0.1"),
        Decimal("0.30"),
    )
    assert consulting.account_id == "200" and consulting.tax_rate_id == "OUTPUT"
    assert consulting.discount_percentage == 0
    assert note.type is LineItemType.DESCRIPTION and note.description == "Thank you for your business"
    assert note.quantity is None
    # A negative quantity moves its sign to the price: the line amount is unchanged.
    assert (returned.quantity, returned.unit_price, returned.total_amount) == (
        Decimal("2"),
        Decimal("-12.5"),
        Decimal("-25.00"),
    )
    assert returned.item_id == "WIDGET"


def test_raw_when_asked() -> None:
    invoice = codec.decode("invoice", fixture_bytes("invoice.json"), include_raw=True)
    assert invoice.raw is not None and invoice.raw["CurrencyRate"] == Decimal("1.000000")


def test_decode_list_keeps_order() -> None:
    body = jsonutil.dumps({"Contacts": [{"ContactID": "a", "Name": "A"}, {"ContactID": "b", "Name": "B"}]})
    assert [c.id for c in codec.decode_list("customer", body)] == ["a", "b"]


def test_contact_decodes() -> None:
    customer = codec.decode("customer", fixture_bytes("contact.json"))
    assert isinstance(customer, Customer)
    assert customer.display_name == "City Agency"
    assert (customer.first_name, customer.last_name) == ("Ada", "Lovelace")
    assert customer.email == "ap@cityagency.example"
    assert customer.phone == "+64 04 471 0000"
    assert customer.billing_address == Address(
        line1="PO Box 123",
        line2="Level 2",
        line3="Building C",
        city="Wellington",
        region="Wellington",
        postal_code="6011",
        country="New Zealand",
    )
    assert customer.shipping_address is None
    assert customer.balance == Decimal("65.12")
    assert customer.currency == "NZD" and customer.tax_number == "12-345-678"
    assert customer.status is CustomerStatus.ACTIVE
    assert customer.row_version is not None and customer.row_version.startswith("1736078400000-")


def test_archived_contacts() -> None:
    data = fixture("contact.json")["Contacts"][0]
    assert codec.decode("customer", {**data, "ContactStatus": "ARCHIVED"}).status is CustomerStatus.ARCHIVED
    assert (
        codec.decode("customer", {**data, "ContactStatus": "GDPRREQUEST"}).status is CustomerStatus.ARCHIVED
    )


def test_payment_decodes_to_one_allocation() -> None:
    payment = codec.decode("payment", fixture_bytes("payment.json"))
    assert isinstance(payment, Payment)
    assert payment.total_amount == Decimal("50.00")
    assert payment.allocations == [
        Allocation(invoice_id="243216c5-369e-4056-ac67-05388f86dc81", amount=Decimal("50.00"))
    ]
    assert payment.customer_id == "025867f1-d741-4d6b-b1af-9ac774b59ba7"
    assert payment.account_id == "090" and payment.date == date(2025, 1, 6)
    assert payment.currency == "NZD" and payment.reference == "Bank transfer 991"
    assert payment.status is PaymentStatus.POSTED
    deleted = codec.decode("payment", {**fixture("payment.json")["Payments"][0], "Status": "DELETED"})
    assert deleted.status is PaymentStatus.DELETED


def test_accounts_and_items() -> None:
    body = fixture("accounts_items.json")
    account = codec.decode("account", body["Accounts"][0])
    assert isinstance(account, Account)
    assert (account.code, account.type, account.account_class) == ("090", "BANK", "ASSET")
    item = codec.decode("item", body["Items"][0])
    assert isinstance(item, Item)
    assert item.sales is not None and item.purchase is not None
    assert (item.code, item.sales.unit_price, item.purchase.unit_price) == (
        "WIDGET",
        Decimal("12.5"),
        Decimal("7.25"),
    )
    assert item.sales.account_id == "200"


def test_invoice_encodes_with_defaults() -> None:
    invoice = Invoice(
        customer_id="c-1",
        issue_date=date(2026, 1, 5),
        due_date=date(2026, 2, 5),
        line_items=[
            LineItem(description="Consulting", quantity=Decimal("3"), unit_price=Decimal("0.10")),
            LineItem(type=LineItemType.DESCRIPTION, description="Thanks"),
            LineItem(description="Widget", item_id="WIDGET", quantity=Decimal("1"), discount_percentage=10),
        ],
    )
    payload = codec.encode(invoice, EncodeOptions())
    assert payload["Type"] == "ACCREC" and payload["Contact"] == {"ContactID": "c-1"}
    assert payload["Date"] == "2026-01-05" and payload["DueDate"] == "2026-02-05"
    # No unified status: approved, so that it can be paid at once.
    assert payload["Status"] == "AUTHORISED"
    assert payload["LineAmountTypes"] == "Exclusive"
    consulting, thanks, widget = payload["LineItems"]
    assert consulting == {
        "Description": "Consulting",
        "Quantity": Decimal("3"),
        "UnitAmount": Decimal("0.10"),
        "AccountCode": "200",
    }
    assert thanks == {"Description": "Thanks"}
    # An item brings its own account; the discount is a rate.
    assert widget == {
        "Description": "Widget",
        "Quantity": Decimal("1"),
        "ItemCode": "WIDGET",
        "DiscountRate": 10,
    }
    assert "Total" not in payload and "AmountDue" not in payload


def test_invoice_status_and_tax_mode_follow_the_record_then_settings() -> None:
    draft = Invoice(
        customer_id="c", status=InvoiceStatus.DRAFT, pass_through={"LineAmountTypes": "Inclusive"}
    )
    payload = codec.encode(draft, EncodeOptions(line_amount_types="NoTax"))
    assert payload["Status"] == "DRAFT" and payload["LineAmountTypes"] == "Inclusive"
    open_ = Invoice(customer_id="c", status=InvoiceStatus.OPEN)
    assert codec.encode(open_, EncodeOptions(line_amount_types="NoTax"))["LineAmountTypes"] == "NoTax"
    assert codec.encode(open_)["Status"] == "AUTHORISED"
    submitted = Invoice(customer_id="c", status=InvoiceStatus.SUBMITTED)
    assert codec.encode(submitted, EncodeOptions(default_invoice_status="DRAFT"))["Status"] == "SUBMITTED"


def test_total_only_lines_let_xero_derive_the_price() -> None:
    line = LineItem(description="Fee", total_amount=Decimal("99.95"), account_id="260")
    (encoded,) = codec.encode(Invoice(customer_id="c", line_items=[line]))["LineItems"]
    assert encoded == {"Description": "Fee", "LineAmount": Decimal("99.95"), "AccountCode": "260"}
    guid = "ac993f75-035b-433c-82e0-7b7a2d40802c"
    line = LineItem(description="Fee", quantity=1, unit_price=1, account_id=guid)
    (encoded,) = codec.encode(Invoice(customer_id="c", line_items=[line]))["LineItems"]
    assert encoded["AccountID"] == guid and "AccountCode" not in encoded


def test_pass_through_reaches_xero() -> None:
    invoice = Invoice(customer_id="c", pass_through={"BrandingThemeID": "b-1", "Url": "https://x.example"})
    payload = codec.encode(invoice)
    assert payload["BrandingThemeID"] == "b-1" and payload["Url"] == "https://x.example"


def test_contact_encodes() -> None:
    customer = Customer(
        display_name="City Agency",
        first_name="Ada",
        email="ap@cityagency.example",
        phone="04 471 0000",
        billing_address=Address(line1="PO Box 123", city="Wellington"),
        shipping_address=Address(line1="1 Main St"),
        currency="NZD",
        tax_number="12-345-678",
        status=CustomerStatus.ARCHIVED,
        pass_through={"ContactNumber": "C-77"},
    )
    assert codec.encode(customer) == {
        "Name": "City Agency",
        "FirstName": "Ada",
        "EmailAddress": "ap@cityagency.example",
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "04 471 0000"}],
        "Addresses": [
            {"AddressType": "POBOX", "AddressLine1": "PO Box 123", "City": "Wellington"},
            {"AddressType": "STREET", "AddressLine1": "1 Main St"},
        ],
        "DefaultCurrency": "NZD",
        "TaxNumber": "12-345-678",
        "ContactStatus": "ARCHIVED",
        "ContactNumber": "C-77",
    }


def test_contact_name_falls_back_to_company_then_person() -> None:
    assert codec.encode(Customer(company_name="Acme Ltd"))["Name"] == "Acme Ltd"
    assert codec.encode(Customer(first_name="Ada", last_name="Lovelace"))["Name"] == "Ada Lovelace"


def test_payment_encodes_with_the_default_bank_account() -> None:
    payment = Payment(
        total_amount=Decimal("12.34"),
        date=date(2026, 1, 6),
        reference="r-1",
        allocations=[Allocation(invoice_id="inv-1", amount=Decimal("12.34"))],
    )
    assert codec.encode(payment) == {
        "Invoice": {"InvoiceID": "inv-1"},
        "Amount": Decimal("12.34"),
        "Date": "2026-01-06",
        "Reference": "r-1",
        "Account": {"Code": "090"},
    }
    own = payment.model_copy(update={"account_id": "091"})
    assert codec.encode(own, EncodeOptions(default_payment_account_code=None))["Account"] == {"Code": "091"}


def test_partial_updates_encode_only_what_changed() -> None:
    options = EncodeOptions()
    assert encode_changes("customer", {"email": "x@example.com"}, options) == {
        "EmailAddress": "x@example.com"
    }
    assert encode_changes("invoice", {"reference": "R", "status": InvoiceStatus.OPEN}, options) == {
        "Reference": "R",
        "Status": "AUTHORISED",
    }
    assert encode_changes("invoice", {"due_date": None}, options) == {"DueDate": None}
    assert encode_changes("invoice", {"pass_through": {"Url": "u"}}, options) == {"Url": "u"}


def test_money_round_trips_through_json_exactly() -> None:
    line = LineItem(description="x", quantity=Decimal("1.2345"), unit_price=Decimal("1234567.8901"))
    body = jsonutil.dumps(codec.encode(Invoice(customer_id="c", line_items=[line])))
    (sent,) = jsonutil.loads(body)["LineItems"]
    assert sent["UnitAmount"] == Decimal("1234567.8901") and sent["Quantity"] == Decimal("1.2345")
