"""The unified models refuse bad input with field-named errors and keep money exact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from unified_accounting import (
    Address,
    Allocation,
    Customer,
    CustomerStatus,
    Invoice,
    InvoiceStatus,
    LineItem,
    LineItemType,
    Payment,
    WebhookEvent,
)
from unified_accounting.models import ChangeOperation, webhook_event


def error_locations(excinfo: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in excinfo.value.errors()}


def test_float_input_goes_through_its_shortest_repr() -> None:
    line = LineItem(quantity=3, unit_price=0.1)
    assert line.unit_price == Decimal("0.1")  # not 0.1000000000000000055511151231257827
    assert line.total_amount == Decimal("0.3")  # 0.1 × 3 is exactly 0.3, unlike 0.1 * 3 in floats


def test_money_strings_and_scale_are_kept() -> None:
    invoice = Invoice(customer_id="c1", total="12.10", amount_due=Decimal("12.10"))
    assert invoice.total == Decimal("12.10") and str(invoice.total) == "12.10"
    assert invoice.model_dump(mode="json")["total"] == "12.10"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "NaN", "twelve", True])
def test_non_numbers_are_refused_as_money(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        LineItem(quantity=1, unit_price=bad)
    assert error_locations(caught) == {"unit_price"}


def test_line_total_applies_discount() -> None:
    line = LineItem(quantity=2, unit_price="50", discount_percentage="10")
    assert line.total_amount == Decimal("90")
    assert LineItem(quantity=2, unit_price=5, total_amount=7).total_amount == Decimal("7")


def test_invoice_refuses_missing_customer_negative_quantity_and_unknown_currency() -> None:
    with pytest.raises(ValidationError) as caught:
        Invoice(currency="ABC", line_items=[{"quantity": -1, "unit_price": 1}])
    assert error_locations(caught) == {"customer_id", "currency", "line_items.0.quantity"}
    assert "ISO 4217" in str(caught.value)


def test_currency_is_normalised_to_upper_case() -> None:
    assert Invoice(customer_id="c", currency=" eur ").currency == "EUR"


def test_discount_percentage_must_be_a_percentage() -> None:
    with pytest.raises(ValidationError) as caught:
        LineItem(type=LineItemType.DISCOUNT, discount_percentage=120)
    assert error_locations(caught) == {"discount_percentage"}


def test_due_date_before_issue_date_is_refused() -> None:
    with pytest.raises(ValidationError, match="due_date must not be before issue_date"):
        Invoice(customer_id="c", issue_date=date(2026, 2, 1), due_date=date(2026, 1, 1))


def test_naive_datetimes_are_refused_and_aware_ones_become_utc() -> None:
    with pytest.raises(ValidationError) as caught:
        Invoice(customer_id="c", updated_at=datetime(2026, 1, 1, 12, 0))
    assert error_locations(caught) == {"updated_at"}
    assert "timezone-aware" in str(caught.value)
    pacific = timezone(timedelta(hours=-8))
    invoice = Invoice(customer_id="c", updated_at=datetime(2026, 1, 1, 4, 0, tzinfo=pacific))
    assert invoice.updated_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert invoice.updated_at is not None and invoice.updated_at.utcoffset() == timedelta(0)


def test_unknown_fields_are_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        Customer(display_name="A", nickname="B")
    assert error_locations(caught) == {"nickname"}


def test_customer_needs_some_name() -> None:
    with pytest.raises(ValidationError, match="display_name, company_name, first_name or last_name"):
        Customer(email="a@example.com")
    assert Customer(company_name="Acme").status is CustomerStatus.ACTIVE


def test_payment_allocations_cannot_exceed_total() -> None:
    with pytest.raises(ValidationError, match="more than total_amount"):
        Payment(
            total_amount=10,
            allocations=[Allocation(invoice_id="1", amount=6), Allocation(invoice_id="2", amount=5)],
        )
    with pytest.raises(ValidationError) as caught:
        Payment(total_amount=-1)
    assert error_locations(caught) == {"total_amount"}


def test_assignment_is_validated_too() -> None:
    invoice = Invoice(customer_id="c")
    with pytest.raises(ValidationError):
        invoice.currency = "nope"
    invoice.status = InvoiceStatus.PAID
    assert invoice.status == "paid"


def test_raw_and_pass_through_stay_out_of_reprs() -> None:
    invoice = Invoice(
        customer_id="c", raw={"secretish": "payload"}, pass_through={"SalesTermRef": {"value": "3"}}
    )
    assert "secretish" not in repr(invoice) and "SalesTermRef" not in repr(invoice)
    assert invoice.pass_through == {"SalesTermRef": {"value": "3"}}


def test_address_and_change_event_shapes() -> None:
    address = Address(line1="1 Main St", city="Springfield", postal_code="12345", country="US")
    assert address.model_dump(exclude_none=True) == {
        "line1": "1 Main St",
        "city": "Springfield",
        "postal_code": "12345",
        "country": "US",
    }
    event = WebhookEvent(
        provider="quickbooks", company_id="1", resource="invoice", record_id="9", operation="updated"
    )
    assert event.operation == "updated" and event.event_id is None


EVENT_FIELDS = {
    "provider": "quickbooks",
    "company_id": "9341",
    "resource": "invoice",
    "record_id": "130",
    "operation": ChangeOperation.UPDATED,
    "occurred_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    "event_id": "e-1",
}


@pytest.mark.parametrize(
    "changes",
    [
        {},  # built from its slots: plain values
        {"occurred_at": None, "event_id": None},
        {"record_id": "130\x00"},  # NUL is text like any other (the inbox refuses it, not the model)
        {"record_id": "130é"},  # validated from here on: not ASCII
        {"operation": "updated"},  # a value, not the member
        {"occurred_at": datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))},
        {"company_id": CustomerStatus.ACTIVE},  # a str subclass
    ],
)
def test_webhook_event_is_the_validated_event(changes: dict[str, object]) -> None:
    """``webhook_event`` (what providers' webhook parsers call) gives what validation gives."""
    fields = EVENT_FIELDS | changes
    built, validated = webhook_event(**fields), WebhookEvent(**fields)  # type: ignore[arg-type]
    assert built == validated and repr(built) == repr(validated)
    assert list(built.__dict__) == list(validated.__dict__)
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump_json() == validated.model_dump_json()
    assert type(built.operation) is ChangeOperation and type(built.company_id) is type(validated.company_id)
    built.record_id = "131"  # still validated on assignment
    with pytest.raises(ValidationError):
        built.operation = "archived"  # type: ignore[assignment]


@pytest.mark.parametrize(
    "changes",
    [
        {"record_id": "\ud800"},  # a lone surrogate
        {"occurred_at": datetime(2026, 1, 2, 3, 4, 5)},  # naive
        {"operation": "archived"},
        {"company_id": 9341},
    ],
)
def test_webhook_event_refuses_what_validation_refuses(changes: dict[str, object]) -> None:
    fields = EVENT_FIELDS | changes
    with pytest.raises(ValidationError) as expected:
        WebhookEvent(**fields)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as got:
        webhook_event(**fields)  # type: ignore[arg-type]
    assert got.value.errors(include_context=False) == expected.value.errors(include_context=False)


def test_a_lazy_raw_payload_dumps_like_a_dict() -> None:
    import json

    from unified_accounting.models import RawPayload

    raw = RawPayload(b'{"Id": "7", "TotalAmt": 12.10}')
    invoice = Invoice.model_construct(customer_id="c", raw=raw)
    assert invoice.model_dump()["raw"] == {"Id": "7", "TotalAmt": Decimal("12.10")}
    assert json.loads(invoice.model_dump_json())["raw"] == {"Id": "7", "TotalAmt": "12.10"}
    assert raw == {"Id": "7", "TotalAmt": Decimal("12.10")} and repr(raw) == "RawPayload(30 bytes)"
