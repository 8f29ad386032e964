"""Amounts at their currency's minor units: quantized on the way out, over-precise input refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import AsyncConnection, ValidationFailed
from unified_accounting.models import (
    Allocation,
    Customer,
    EmailAddress,
    Invoice,
    LineItem,
    Payment,
    PaymentTerms,
    PaymentTermsType,
)
from unified_accounting.models.context import from_provider
from unified_accounting.models.currency import minor_units
from unified_accounting.models.money import canonical, excess_precision, excess_precision_in_update, quantized


@pytest.mark.parametrize(
    ("currency", "digits"), [("USD", 2), ("jpy", 0), ("KWD", 3), ("CLF", 4), ("XAU", None), (None, 2)]
)
def test_minor_units_follow_iso_4217(currency: str | None, digits: int | None) -> None:
    assert minor_units(currency) == digits


def test_amounts_come_back_at_the_currency_s_minor_units() -> None:
    usd = from_provider(
        Invoice,
        {
            "customer_id": "1",
            "currency": "USD",
            "total": "1350.0",
            "amount_due": "1350",
            "line_items": [{"quantity": "3", "unit_price": "450.00000", "total_amount": "1350.0"}],
        },
    )
    exact = quantized(usd)
    assert (str(exact.total), str(exact.amount_due)) == ("1350.00", "1350.00")
    [line] = exact.line_items
    # A line total is an amount; a unit price and a quantity are not: they keep every digit that
    # carries value, in one canonical form.
    assert (str(line.total_amount), str(line.unit_price), str(line.quantity)) == ("1350.00", "450.00", "3")
    jpy = quantized(from_provider(Invoice, {"customer_id": "1", "currency": "JPY", "total": "1350.00"}))
    assert str(jpy.total) == "1350"


def test_a_record_already_exact_is_returned_as_it_is() -> None:
    record = from_provider(Invoice, {"customer_id": "1", "currency": "USD", "total": "10.00"})
    assert quantized(record) is record


def test_nested_amounts_take_the_record_s_currency() -> None:
    payment = Payment(currency="KWD", total_amount="5", allocations=[Allocation(invoice_id="1", amount="5")])
    exact = quantized(payment)
    assert (str(exact.total_amount), str(exact.allocations[0].amount)) == ("5.000", "5.000")


def test_amounts_given_with_more_decimals_than_the_currency_has_are_refused() -> None:
    invoice = Invoice(
        customer_id="1",
        currency="JPY",
        total="10.5",
        line_items=[LineItem(quantity=1, unit_price="3.5"), LineItem(total_amount="2.5")],
    )
    issues = excess_precision(invoice)
    # The first line's total was derived from quantity and price: the provider rounds it.
    assert [(i.field, i.message) for i in issues] == [
        ("total", "10.5 has more decimals than JPY amounts have (0): round it first"),
        ("line_items.1.total_amount", "2.5 has more decimals than JPY amounts have (0): round it first"),
    ]
    assert excess_precision(Invoice(customer_id="1", currency="USD", total="10.500")) == []


def test_updates_are_checked_in_the_currency_they_name() -> None:
    issues = excess_precision_in_update(Invoice, {"total": Decimal("1.005"), "currency": "USD"})
    assert [i.field for i in issues] == ["total"]
    assert excess_precision_in_update(Invoice, {"total": Decimal("1.005"), "currency": "KWD"}) == []


@pytest.mark.anyio
async def test_the_client_refuses_over_precise_amounts_before_any_call(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    invoices = conn.invoices
    before = emulator.api_calls
    with pytest.raises(ValidationFailed) as caught:
        await invoices.create(
            Invoice(customer_id="1", currency="USD", line_items=[LineItem(total_amount="1.001")])
        )
    assert [issue.field for issue in caught.value.issues] == ["line_items.0.total_amount"]
    assert emulator.api_calls == before


def test_a_line_takes_one_kind_of_discount() -> None:
    with pytest.raises(ValidationError, match="discount_percentage or discount_amount, not both"):
        LineItem(quantity=1, unit_price=10, discount_percentage=10, discount_amount=1)
    line = LineItem(quantity=2, unit_price="10.00", discount_amount="3.00")
    assert line.total_amount == Decimal("17.00")


def test_terms_on_a_day_of_the_month_name_a_real_day() -> None:
    assert PaymentTerms(days=45).type is PaymentTermsType.DAYS_AFTER_ISSUE
    with pytest.raises(ValidationError, match="day of the month"):
        PaymentTerms(type=PaymentTermsType.DAY_OF_FOLLOWING_MONTH, days=40)


def test_a_customer_s_primary_email_is_said_once() -> None:
    Customer(display_name="A", email="a@example.com", emails=[EmailAddress(address="a@example.com")])
    with pytest.raises(ValidationError, match="not the primary address"):
        Customer(display_name="A", email="a@example.com", emails=[EmailAddress(address="b@example.com")])


@pytest.mark.parametrize(
    ("kind", "currency", "given", "shown"),
    [
        ("unit_price", "USD", "450.0000", "450.00"),  # Xero's four decimals
        ("unit_price", "USD", "450.0", "450.00"),  # QuickBooks' JSON number
        ("unit_price", "USD", "33.3333", "33.3333"),  # digits that carry value are kept
        ("unit_price", "USD", "10.0050", "10.005"),
        ("unit_price", "JPY", "450.0", "450"),
        ("unit_price", "USD", "100", "100.00"),
        ("quantity", None, "3.0000", "3"),
        ("quantity", None, "1.50", "1.5"),
        ("quantity", None, "10", "10"),  # never 1E+1
        ("quantity", None, "1E+2", "100"),
    ],
)
def test_unit_prices_and_quantities_come_back_in_one_form(
    kind: str, currency: str | None, given: str, shown: str
) -> None:
    value = canonical(Decimal(given), kind, currency)
    assert value == Decimal(given) and str(value) == shown


def _canonical_by_normalizing(value: Decimal, kind: str, currency: str | None) -> Decimal:
    # The rule spelled out (what canonical() computes without normalizing when it can).
    digits = max(0, -int(value.normalize().as_tuple().exponent))
    if kind == "unit_price":
        digits = max(digits, minor_units(currency) or 0)
    return value.quantize(Decimal(1).scaleb(-digits))


@pytest.mark.parametrize("kind", ["unit_price", "quantity"])
@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD", "XAU", None])
def test_the_canonical_form_is_found_without_normalizing_when_it_is_already_held(
    kind: str, currency: str | None
) -> None:
    given = [
        "0",
        "0.0",
        "0.00",
        "0.000",
        "1E+2",
        "10",
        "100.0",
        "7.5",
        "7.50",
        "7.500",
        "33.3333",
        "33.33330",
        "10.005",
        "10.0050",
        "-4.10",
        "-4.1",
        "1350",
        "1350.000",
        "0.001",
        "1E-5",
    ]
    for text in given:
        held = Decimal(text)
        value = canonical(held, kind, currency)
        expected = _canonical_by_normalizing(held, kind, currency)
        assert value.as_tuple() == expected.as_tuple(), (text, kind, currency)
        assert (value is held) == (expected.as_tuple() == held.as_tuple()), (text, kind, currency)
