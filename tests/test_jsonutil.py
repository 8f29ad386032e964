from decimal import Decimal

import pytest

from unified_accounting import jsonutil


def test_decimals_go_out_as_exact_numbers() -> None:
    body = jsonutil.dumps({"Amount": Decimal("12.10"), "Qty": Decimal("0.3"), "Lines": [Decimal("1E+2")]})
    assert body == b'{"Amount":12.1,"Qty":0.3,"Lines":[100.0]}'
    assert jsonutil.loads(body)["Qty"] == Decimal("0.3")


def test_amounts_that_a_double_cannot_carry_are_refused() -> None:
    with pytest.raises(ValueError, match="too many significant digits"):
        jsonutil.dumps({"Amount": Decimal("12345678901234567.89")})


def test_dates_are_iso() -> None:
    from datetime import date

    assert jsonutil.dumps({"TxnDate": date(2026, 1, 5)}) == b'{"TxnDate":"2026-01-05"}'
