"""Rules for user input apply to what users send, not to what providers store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from unified_accounting import Invoice, Payment, ValidationFailed
from unified_accounting.amounts import amounts_beyond
from unified_accounting.client.updates import check_record_id, validate_update
from unified_accounting.models import Customer
from unified_accounting.models.context import from_provider, lone_surrogate

INVERTED = {"customer_id": "c1", "issue_date": date(2025, 11, 10), "due_date": date(2025, 10, 31)}


def test_inverted_dates_are_refused_from_users_and_read_from_providers() -> None:
    with pytest.raises(ValidationError, match="due_date must not be before issue_date"):
        Invoice(**INVERTED)
    invoice = from_provider(Invoice, INVERTED)
    assert invoice.due_date < invoice.issue_date  # type: ignore[operator]
    invoice.memo = "still editable"  # another field: the provider's dates are not re-judged
    with pytest.raises(ValidationError, match="due_date"):
        invoice.due_date = date(2025, 10, 1)  # but a date the user sets is


def test_provider_amounts_and_quantities_are_read_as_stored() -> None:
    data = {
        **INVERTED,
        "amount_due": "-5",
        "line_items": [{"quantity": "-2", "unit_price": "3", "discount_percentage": "120"}],
    }
    invoice = from_provider(Invoice, data)
    assert invoice.amount_due == Decimal(-5) and invoice.line_items[0].quantity == Decimal(-2)
    with pytest.raises(ValidationError) as caught:
        Invoice.model_validate({**data, "due_date": None})
    fields = {".".join(str(p) for p in error["loc"]) for error in caught.value.errors()}
    assert fields == {"amount_due", "line_items.0.quantity", "line_items.0.discount_percentage"}
    payment = from_provider(
        Payment, {"total_amount": "1", "allocations": [{"invoice_id": "i", "amount": "2"}]}
    )
    assert payment.allocations[0].amount == 2


def test_lone_surrogates_are_refused_from_users_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        Customer(display_name="ok", billing_address={"line2": "x\udc00"}, pass_through={"Notes": ["\ud83d"]})
    fields = {".".join(str(p) for p in error["loc"]) for error in caught.value.errors()}
    assert fields == {"billing_address.line2", "pass_through"}
    assert from_provider(Customer, {"display_name": "x\ud800"}).display_name == "x\ud800"
    assert Customer(display_name="emoji 😀 and accents é").display_name  # valid Unicode passes
    assert lone_surrogate("fine") is None


def test_changes_are_checked_for_surrogates_and_inverted_dates() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_update(
            Invoice, {"memo": "\ud800", "issue_date": date(2025, 2, 2), "due_date": date(2025, 1, 1)}
        )
    assert [issue.field for issue in caught.value.issues] == ["memo", "due_date"]
    with pytest.raises(ValidationFailed) as caught:
        validate_update(Invoice, {"billing_address": {"line1": "\udfff"}})
    assert [issue.field for issue in caught.value.issues] == ["billing_address.line1"]


@pytest.mark.parametrize("record_id", ["", "a\ud800", 7])
def test_bad_record_ids_are_validation_errors(record_id: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_record_id(record_id)
    assert [issue.field for issue in caught.value.issues] == ["record_id"]


def test_amounts_beyond_a_bound_are_named() -> None:
    invoice = Invoice(
        customer_id="c", total_tax=Decimal("1e30"), line_items=[{"quantity": 1, "unit_price": "1e12"}]
    )
    issues = amounts_beyond(invoice, Decimal("9999999999.99999"), provider="quickbooks")
    assert [issue.field for issue in issues] == [
        "line_items.0.unit_price",
        "line_items.0.total_amount",
        "total_tax",
    ]
    assert amounts_beyond({"total_tax": Decimal(5)}, Decimal(10), provider="x") == []
