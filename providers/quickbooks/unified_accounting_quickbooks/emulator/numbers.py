"""Numbers and dates as the emulated service reads them from a request.

Amounts are exact (``Decimal``); Intuit documents them as "max 15 digits in 10.5 format", so a value
with more than ten digits before the point is refused with a validation fault (the real code and
wording are UNVERIFIED; never a server error).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from . import faults
from .faults import QBOFault

CENT = Decimal("0.01")
#: The detail of fault 6070, followed by the amount sent.
AMOUNT_MISMATCH_MESSAGE = "Business Validation Error: Amount is not equal to UnitPrice * Qty. Supplied value:"

#: Intuit documents amounts as "max 15 digits in 10.5 format": ten digits before the point.
MAX_AMOUNT = Decimal("9999999999.99999")


def _out_of_range(element: str, value: Decimal) -> QBOFault:
    # The exact code and wording of the real answer are UNVERIFIED; it is a validation fault (400),
    # never a server error.
    return faults.invalid_property(
        f"{element} {value} is out of range: amounts have at most 15 digits, 10 before the decimal point",
        element,
    )


def money(value: Decimal, element: str = "Amount", quantum: Decimal = CENT) -> Decimal:
    """An amount within QuickBooks' bound, at the currency's minor units (cents by default)."""
    if abs(value) > MAX_AMOUNT:
        raise _out_of_range(element, value)
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def to_decimal(value: Any, element: str) -> Decimal:
    if isinstance(value, bool):
        raise faults.request_parse(f"{element} must be a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float | str):
        try:
            result = Decimal(str(value))
        except InvalidOperation:
            raise faults.request_parse(f"{element} must be a number") from None
    else:
        raise faults.request_parse(f"{element} must be a number")
    if not result.is_finite():
        raise faults.request_parse(f"{element} must be a finite number")
    if abs(result) > MAX_AMOUNT:
        raise _out_of_range(element, result)
    return result


def optional_decimal(value: Any, element: str) -> Decimal | None:
    return None if value is None else to_decimal(value, element)


def check_date(value: Any, element: str) -> str:
    if not isinstance(value, str):
        raise faults.request_parse(f"{element} must be a date (yyyy-mm-dd)")
    try:
        date.fromisoformat(value[:10])
    except ValueError:
        raise faults.request_parse(f"{element} must be a date (yyyy-mm-dd)") from None
    return value[:10]
