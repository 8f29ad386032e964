"""Pure mapping between QuickBooks JSON and the unified models, on JSON fixtures."""

from __future__ import annotations

import copy
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from unified_accounting_quickbooks import Account
from unified_accounting_quickbooks.codec import (
    EncodeContext,
    QuickBooksCodec,
    decode_invoice,
    encode_fields,
    loads,
)

from unified_accounting.errors import DecodeFailed
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
)

FIXTURES = Path(__file__).parent / "fixtures"
codec = QuickBooksCodec()


def fixture(name: str) -> Any:
    return loads((FIXTURES / f"{name}.json").read_bytes())


def invoice_payload(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(fixture("invoice")["Invoice"])
    data.update(changes)
    return data


def test_invoice_fields() -> None:
    invoice = codec.decode("invoice", (FIXTURES / "invoice.json").read_bytes())
    assert isinstance(invoice, Invoice)
    assert (invoice.id, invoice.row_version, invoice.number) == ("130", "3", "1037")
    assert (invoice.customer_id, invoice.customer_name) == ("24", "Sonnenschein Family Store")
    assert (invoice.issue_date, invoice.due_date) == (date(2025, 9, 8), date(2025, 10, 8))
    assert invoice.created_at == datetime(2025, 9, 8, 20, 52, 31, tzinfo=UTC)
    assert invoice.total == Decimal("308.95") and invoice.amount_due == Decimal("108.95")
    assert invoice.amount_paid == Decimal("200.00") and invoice.total_tax == Decimal("22.89")
    assert invoice.sub_total == Decimal("317.85")
    assert invoice.status is InvoiceStatus.PARTIALLY_PAID
    assert invoice.memo == "Thank you for your business and have a great day!"
    assert invoice.email == "Familiystore@intuit.com" and invoice.currency == "USD"
    assert invoice.billing_address == Address(
        line1="Russ Sonnenschein",
        line2="Sonnenschein Family Store",
        line3="5647 Cypress Hill Ave.",
        city="Middlefield",
        region="CA",
        postal_code="94303",
    )
    assert [(f.id, f.name, f.value) for f in invoice.custom_fields] == [("1", "Crew #", "102")]
    assert invoice.raw is None


def test_invoice_lines_by_detail_type() -> None:
    lines = codec.decode("invoice", fixture("invoice")).line_items
    assert [line.type for line in lines] == [
        LineItemType.SALES_ITEM,
        LineItemType.SALES_ITEM,
        LineItemType.DESCRIPTION,
        LineItemType.GROUP,
        LineItemType.DISCOUNT,
    ]
    sale = lines[0]
    assert (sale.item_id, sale.quantity, sale.unit_price, sale.total_amount) == (
        "5",
        1,
        275,
        Decimal("275.0"),
    )
    # A US taxable line is taxed at the transaction's code (TxnTaxCodeRef "2").
    assert (sale.account_id, sale.tax_rate_id) == ("79", "2")
    assert lines[2].description == "Installed on site" and lines[2].total_amount is None
    assert (lines[3].item_id, lines[3].quantity, lines[3].total_amount) == ("19", 2, Decimal("30.10"))
    assert (lines[4].discount_percentage, lines[4].total_amount, lines[4].account_id) == (
        10,
        Decimal("31.79"),
        "86",
    )


def test_money_is_exact_decimal_never_float_at_the_currencys_minor_units() -> None:
    body = (
        b'{"Invoice": {"Id": "1", "CustomerRef": {"value": "2"}, "TotalAmt": 0.30000000000000004441,'
        b' "Balance": 0.1, "Line": []}}'
    )
    invoice = codec.decode("invoice", body)
    # Read from the JSON's own digits (never through a float), then at two decimals, half up.
    assert str(invoice.total) == "0.30"
    assert isinstance(invoice.amount_due, Decimal) and str(invoice.amount_due) == "0.10"
    yen = codec.decode(
        "invoice", invoice_payload(CurrencyRef={"value": "JPY"}, TotalAmt=1350.5, Balance=1350)
    )
    assert (str(yen.total), str(yen.amount_due)) == ("1351", "1350")


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"TotalAmt": 100, "Balance": 100}, InvoiceStatus.OPEN),
        ({"TotalAmt": 100, "Balance": Decimal("40.5")}, InvoiceStatus.PARTIALLY_PAID),
        ({"TotalAmt": 100, "Balance": 0}, InvoiceStatus.PAID),
        ({"TotalAmt": 0, "Balance": 0, "PrivateNote": "Voided - wrong customer"}, InvoiceStatus.VOID),
        ({"TotalAmt": 10, "Balance": 10, "PrivateNote": "Voided is just a word here"}, InvoiceStatus.OPEN),
    ],
)
def test_invoice_status(changes: dict[str, Any], status: InvoiceStatus) -> None:
    assert codec.decode("invoice", invoice_payload(**changes)).status is status


def test_fast_and_reference_decoders_agree() -> None:
    for changes in (
        {},
        {"TotalAmt": 0, "Balance": 0, "PrivateNote": "Voided"},
        {"BillAddr": None, "Line": []},
    ):
        payload = invoice_payload(**changes)
        assert codec.decode("invoice", payload) == decode_invoice(payload)


def test_decoded_models_are_valid() -> None:
    for resource in ("invoice", "customer", "payment", "item", "account"):
        model = codec.decode(resource, fixture(resource))
        assert type(model).model_validate(model.model_dump()) == model


def test_a_1000_invoice_page_decodes_to_valid_models() -> None:
    sys.path.insert(0, str(Path(__file__).parents[3] / "bench"))
    try:
        from quickbooks_decode import query_page
    finally:
        sys.path.pop(0)
    body = query_page(count=1000)
    invoices = codec.decode_list("invoice", body)
    assert len(invoices) == 1000
    for invoice in invoices[:50]:
        assert Invoice.model_validate(invoice.model_dump()) == invoice
    with_raw = codec.decode_list("invoice", body, include_raw=True)
    assert with_raw[0].raw is not None and with_raw[0].raw["Id"] == invoices[0].id


def test_unreadable_records_raise_decode_failed_naming_the_field() -> None:
    with pytest.raises(DecodeFailed, match="customer_id") as caught:
        codec.decode("invoice", invoice_payload(CustomerRef=None))
    assert caught.value.record_id == "130" and caught.value.resource == "invoice"
    assert caught.value.raw["DocNumber"] == "1037"  # the payload as received
    assert [issue.field for issue in caught.value.issues] == ["customer_id"]


def test_a_due_date_before_the_invoice_date_is_read_as_stored() -> None:
    # A rule for user input, not for decoding: QuickBooks and Xero do store such invoices.
    invoice = codec.decode("invoice", invoice_payload(DueDate="2025-01-01"))
    assert invoice.due_date == date(2025, 1, 1) and invoice.issue_date == date(2025, 9, 8)


def test_include_raw_keeps_the_whole_payload() -> None:
    payload = fixture("invoice")["Invoice"]
    invoice = codec.decode("invoice", payload, include_raw=True)
    assert invoice.raw == payload


def test_customer_fields_and_archived() -> None:
    customer = codec.decode("customer", fixture("customer"))
    assert isinstance(customer, Customer)
    assert customer.display_name == "Bill's Windsurf Shop" and customer.company_name == "Bill's Windsurf Shop"
    assert (customer.first_name, customer.last_name) == ("Bill", "Lucchini")
    assert (customer.email, customer.phone) == ("Surf@Intuit.com", "(415) 444-6538")
    assert customer.balance == Decimal("239.00") and customer.status is CustomerStatus.ARCHIVED


def test_payment_allocations() -> None:
    payment = codec.decode("payment", fixture("payment"))
    assert isinstance(payment, Payment)
    assert payment.allocations == [Allocation(invoice_id="130", amount=Decimal("200.00"))]
    assert (payment.total_amount, payment.unapplied_amount) == (Decimal("250.10"), Decimal("50.10"))
    assert (payment.reference, payment.account_id, payment.payment_method) == ("CHK-2231", "4", "2")
    assert payment.status is PaymentStatus.POSTED


def test_item_and_account() -> None:
    item = codec.decode("item", fixture("item"))
    assert isinstance(item, Item) and (item.name, item.code) == ("Rock Fountain", "RF-1")
    assert item.sales is not None and item.sales.unit_price == 275
    account = codec.decode("account", fixture("account"))
    assert isinstance(account, Account) and (account.number, account.current_balance) == (
        "1010",
        Decimal("1201.00"),
    )


def test_encode_invoice_with_default_item_and_pass_through() -> None:
    invoice = Invoice(
        customer_id="24",
        issue_date=date(2026, 1, 5),
        memo="Thanks",
        line_items=[
            LineItem(description="Consulting", quantity=3, unit_price=Decimal("0.10")),
            LineItem(type=LineItemType.DISCOUNT, discount_percentage=10),
            LineItem(type=LineItemType.DESCRIPTION, description="Note"),
        ],
        pass_through={"PrivateNote": "internal", "SalesTermRef": {"value": "3"}},
    )
    payload = codec.encode(invoice, default_item_id="1")
    assert payload["CustomerRef"] == {"value": "24"} and payload["TxnDate"] == "2026-01-05"
    assert payload["CustomerMemo"] == {"value": "Thanks"}
    sale, discount, note = payload["Line"]
    assert sale == {
        "Description": "Consulting",
        "DetailType": "SalesItemLineDetail",
        "Amount": Decimal("0.30"),
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 3, "UnitPrice": Decimal("0.10")},
    }
    assert discount["DiscountLineDetail"] == {"PercentBased": True, "DiscountPercent": 10}
    assert note == {"Description": "Note", "DetailType": "DescriptionOnly", "DescriptionLineDetail": {}}
    assert payload["PrivateNote"] == "internal" and payload["SalesTermRef"] == {"value": "3"}
    assert "TotalAmt" not in payload and "Balance" not in payload


def test_encode_customer_and_payment() -> None:
    customer = Customer(display_name="Acme", email="a@example.com", status=CustomerStatus.ARCHIVED)
    assert codec.encode(customer) == {
        "DisplayName": "Acme",
        "PrimaryEmailAddr": {"Address": "a@example.com"},
        "Active": False,
    }
    payment = Payment(
        customer_id="24",
        total_amount=Decimal("5"),
        allocations=[Allocation(invoice_id="9", amount=Decimal("5"))],
    )
    assert codec.encode(payment)["Line"] == [
        {"Amount": Decimal("5"), "LinkedTxn": [{"TxnId": "9", "TxnType": "Invoice"}]}
    ]


def test_sparse_fields_clear_with_none() -> None:
    assert encode_fields("invoice", {"memo": None, "due_date": date(2026, 2, 1)}, EncodeContext()) == {
        "CustomerMemo": None,
        "DueDate": "2026-02-01",
    }
