"""The query builder quotes every value and refuses anything it cannot render safely."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from unified_accounting_quickbooks.query import literal, quote, select


def test_plain_select() -> None:
    assert str(select("Invoice")) == "SELECT * FROM Invoice"


def test_conditions_order_and_paging() -> None:
    query = (
        select("Customer")
        .where("DisplayName", "LIKE", "%Acme%")
        .where("Active", "IN", [True, False])
        .order_by("Id")
        .page(1001, 1000)
    )
    assert str(query) == (
        "SELECT * FROM Customer WHERE DisplayName LIKE '%Acme%' AND Active IN (true, false) "
        "ORDERBY Id ASC STARTPOSITION 1001 MAXRESULTS 1000"
    )


def test_quotes_and_backslashes_are_escaped() -> None:
    assert quote("O'Brien") == "'O\\'Brien'"
    assert quote("a\\' OR 1=1") == "'a\\\\\\' OR 1=1'"
    assert str(select("Customer").where("DisplayName", "=", "x' OR Id > '0")) == (
        "SELECT * FROM Customer WHERE DisplayName = 'x\\' OR Id > \\'0'"
    )


def test_literals() -> None:
    pacific = timezone(timedelta(hours=-8))
    assert literal(datetime(2026, 1, 5, 4, 30, 15, 999, tzinfo=pacific)) == "'2026-01-05T12:30:15+00:00'"
    assert literal(date(2026, 1, 5)) == "'2026-01-05'"
    assert literal(Decimal("12.10")) == "12.10" and literal(3) == "3" and literal(False) == "false"
    with pytest.raises(ValueError, match="timezone"):
        literal(datetime(2026, 1, 5))


def test_ids_in_a_list() -> None:
    assert (
        str(select("Invoice").where("Id", "IN", ["1", "2"])) == "SELECT * FROM Invoice WHERE Id IN ('1', '2')"
    )


def test_count() -> None:
    assert str(select("Invoice").counting()) == "SELECT COUNT(*) FROM Invoice"


@pytest.mark.parametrize("bad", ["Name; DROP", "a b", "1abc", "x'--"])
def test_field_names_are_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="field or entity"):
        select("Customer").where(bad, "=", "x")


def test_operators_and_paging_are_checked() -> None:
    with pytest.raises(ValueError, match="operator"):
        select("Customer").where("Id", "OR", "1")
    with pytest.raises(ValueError, match="MAXRESULTS"):
        select("Customer").page(1, 1001)
    with pytest.raises(ValueError, match="1-based"):
        select("Customer").page(0, 10)
    with pytest.raises(ValueError, match="at least one"):
        select("Customer").where("Id", "IN", [])
