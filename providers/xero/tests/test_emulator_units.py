"""Unit tests of the emulator's building blocks: dates, JSON money, where/order, journal, clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from unified_accounting_xero.emulator import EmulatorOptions, XeroEmulator
from unified_accounting_xero.emulator.dates import (
    DateParseError,
    date_string,
    iso_utc,
    parse_date,
    parse_datetime,
    parse_if_modified_since,
    webhook_date,
    wire_date,
    wire_envelope_timestamp,
    wire_timestamp,
)
from unified_accounting_xero.emulator.errors import QueryParseError
from unified_accounting_xero.emulator.filters import apply_order, compile_where, parse_order
from unified_accounting_xero.emulator.journal import Journal
from unified_accounting_xero.emulator.wirejson import dumps, loads


def _get(rec: dict[str, Any], parts: list[str]) -> Any:
    value: Any = rec
    for part in parts:
        value = value.get(part) if isinstance(value, dict) else None
    return value


class TestDates:
    def test_wire_formats(self) -> None:
        moment = datetime(2019, 7, 22, 10, 30, 5, 123000, tzinfo=UTC)
        assert wire_timestamp(moment) == "/Date(1563791405123+0000)/"
        assert wire_envelope_timestamp(moment) == "/Date(1563791405123)/"
        assert wire_date(date(2019, 7, 22)) == "/Date(1563753600000+0000)/"
        assert date_string(date(2019, 7, 22)) == "2019-07-22T00:00:00"
        assert webhook_date(moment) == "2019-07-22T10:30:05.123"
        assert iso_utc(moment) == "2019-07-22T10:30:05.1230000"

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("2019-07-22", date(2019, 7, 22)),
            ("2019-07-22T00:00:00", date(2019, 7, 22)),
            ("2019-07-22T23:30:00+13:00", date(2019, 7, 22)),
            ("2019-07-22T10:00:00Z", date(2019, 7, 22)),
            ("/Date(1563753600000)/", date(2019, 7, 22)),
            ("/Date(1563753600000+0000)/", date(2019, 7, 22)),
            # 2019-07-21T11:00Z is already the 22nd in New Zealand (+1300)
            ("/Date(1563706800000+1300)/", date(2019, 7, 22)),
            ("/Date(1563706800000-0100)/", date(2019, 7, 21)),
        ],
    )
    def test_parse_date_accepts_every_form(self, raw: str, expected: date) -> None:
        assert parse_date(raw) == expected

    def test_parse_datetime(self) -> None:
        assert parse_datetime("/Date(1563753600000)/") == datetime(2019, 7, 22, tzinfo=UTC)
        assert parse_datetime("2019-07-22T01:00:00+01:00") == datetime(2019, 7, 22, tzinfo=UTC)
        assert parse_datetime("2019-07-22T00:00:00") == datetime(2019, 7, 22, tzinfo=UTC)
        assert parse_datetime("/Date(-86400000)/") == datetime(1969, 12, 31, tzinfo=UTC)

    @pytest.mark.parametrize("raw", ["", "yesterday", "2019-13-01", "/Date(abc)/", "22/07/2019"])
    def test_bad_dates(self, raw: str) -> None:
        with pytest.raises(DateParseError):
            parse_date(raw)

    def test_if_modified_since_forms(self) -> None:
        expected = datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)
        assert parse_if_modified_since("2024-03-01T12:00:05.987") == expected
        assert parse_if_modified_since("Fri, 01 Mar 2024 12:00:05 GMT") == expected
        assert parse_if_modified_since("2024-03-01T13:00:05+01:00") == expected
        with pytest.raises(DateParseError):
            parse_if_modified_since("not a date")


class TestWireJson:
    def test_decimals_keep_their_digits(self) -> None:
        body = {"Total": Decimal("115.00"), "Rate": Decimal("1.000000"), "Neg": Decimal("-0.10"), "Int": 3}
        assert dumps(body) == b'{"Total":115.00,"Rate":1.000000,"Neg":-0.10,"Int":3}'

    def test_no_float_rounding(self) -> None:
        amount = Decimal("12345678901234.57")
        assert dumps([amount]) == b"[12345678901234.57]"
        assert loads(dumps([amount]))[0] == amount

    def test_loads_uses_decimal(self) -> None:
        assert loads('{"a": 0.1, "b": 2}') == {"a": Decimal("0.1"), "b": 2}

    def test_strings_are_not_touched(self) -> None:
        assert loads(dumps({"s": "xero-emulator-decimal:1"})) == {"s": "xero-emulator-decimal:1"}

    def test_non_finite_rejected(self) -> None:
        with pytest.raises(ValueError, match="serialise"):
            dumps({"x": Decimal("NaN")})


RECORDS: list[dict[str, Any]] = [
    {
        "Name": "Alpha Ltd",
        "Status": "DRAFT",
        "AmountDue": Decimal("10.00"),
        "Date": date(2024, 1, 5),
        "Contact": {"ContactID": "aaaaaaaa-0000-4000-8000-000000000001"},
        "IsCustomer": True,
        "Email": None,
    },
    {
        "Name": "beta co",
        "Status": "AUTHORISED",
        "AmountDue": Decimal("0.00"),
        "Date": date(2024, 2, 5),
        "Contact": {"ContactID": "aaaaaaaa-0000-4000-8000-000000000002"},
        "IsCustomer": False,
        "Email": "b@example.com",
    },
    {
        "Name": "Gamma",
        "Status": "AUTHORISED",
        "AmountDue": Decimal("99.50"),
        "Date": date(2024, 3, 5),
        "Contact": {"ContactID": "aaaaaaaa-0000-4000-8000-000000000001"},
        "IsCustomer": True,
        "Email": None,
    },
]


def _names(where: str, case_insensitive: bool = True) -> list[str]:
    predicate = compile_where(where, _get, case_insensitive)
    return [r["Name"] for r in RECORDS if predicate(r)]


class TestWhere:
    @pytest.mark.parametrize(
        ("where", "expected"),
        [
            ('Status=="DRAFT"', ["Alpha Ltd"]),
            ('Status == "AUTHORISED"', ["beta co", "Gamma"]),
            ('Status="AUTHORISED"', ["beta co", "Gamma"]),
            ('Status!="AUTHORISED"', ["Alpha Ltd"]),
            ("AmountDue>0", ["Alpha Ltd", "Gamma"]),
            ("AmountDue >= 10", ["Alpha Ltd", "Gamma"]),
            ("AmountDue<10.5", ["Alpha Ltd", "beta co"]),
            ('Status=="AUTHORISED" AND AmountDue>0', ["Gamma"]),
            ('Status=="AUTHORISED" && AmountDue>0', ["Gamma"]),
            ('Status=="DRAFT" OR Name=="Gamma"', ["Alpha Ltd", "Gamma"]),
            ('Status=="DRAFT" || (Status=="AUTHORISED" AND AmountDue==0)', ["Alpha Ltd", "beta co"]),
            ('Contact.ContactID==guid("AAAAAAAA-0000-4000-8000-000000000001")', ["Alpha Ltd", "Gamma"]),
            ('Contact.ContactID=Guid("aaaaaaaa-0000-4000-8000-000000000002")', ["beta co"]),
            ('Name=="BETA CO"', ["beta co"]),
            ('Name.Contains("ta")', ["beta co"]),
            ('Name.StartsWith("al")', ["Alpha Ltd"]),
            ('Name.EndsWith("MA")', ["Gamma"]),
            ('Name.ToLower()=="gamma"', ["Gamma"]),
            ("IsCustomer==true", ["Alpha Ltd", "Gamma"]),
            ("IsCustomer", ["Alpha Ltd", "Gamma"]),
            ("NOT IsCustomer", ["beta co"]),
            ("Email!=null", ["beta co"]),
            ("Email==null", ["Alpha Ltd", "Gamma"]),
            ("Date>=DateTime(2024, 02, 01)", ["beta co", "Gamma"]),
            ('Date<DateTime.Parse("2024-02-05")', ["Alpha Ltd"]),
            ('"DRAFT"==Status', ["Alpha Ltd"]),
            ("", ["Alpha Ltd", "beta co", "Gamma"]),
        ],
    )
    def test_where(self, where: str, expected: list[str]) -> None:
        assert _names(where) == expected

    def test_case_sensitive_option(self) -> None:
        assert _names('Name=="BETA CO"', case_insensitive=False) == []

    @pytest.mark.parametrize(
        "where",
        ['Status=="DRAFT', "Status==", "(Status==1", "Name.Frobnicate()", "Status ~ 1", '"x"', "AND"],
    )
    def test_parse_errors(self, where: str) -> None:
        with pytest.raises(QueryParseError):
            compile_where(where, _get)


class TestOrder:
    def test_parse_order(self) -> None:
        assert parse_order("UpdatedDateUTC DESC, InvoiceNumber") == [
            (["UpdatedDateUTC"], True),
            (["InvoiceNumber"], False),
        ]
        with pytest.raises(QueryParseError):
            parse_order("Name; DROP")

    def test_apply_order(self) -> None:
        by_amount = apply_order(RECORDS, parse_order("AmountDue DESC"), _get)
        assert [r["Name"] for r in by_amount] == ["Gamma", "Alpha Ltd", "beta co"]
        by_name = apply_order(RECORDS, parse_order("Name"), _get)
        assert [r["Name"] for r in by_name] == ["Alpha Ltd", "beta co", "Gamma"]
        two_keys = apply_order(RECORDS, parse_order("Status ASC, Date DESC"), _get)
        assert [r["Name"] for r in two_keys] == ["Gamma", "beta co", "Alpha Ltd"]


class TestJournal:
    def test_rollback_restores_everything(self) -> None:
        class Holder:
            counter = 1

        data: dict[str, int] = {"a": 1}
        holder = Holder()
        journal = Journal()
        journal.set(data, "a", 2)
        journal.set(data, "b", 3)
        journal.delete(data, "a")
        journal.setattr(holder, "counter", 5)
        journal.event("t", "INVOICE", "CREATE", "x")
        assert data == {"b": 3} and holder.counter == 5
        journal.rollback()
        assert data == {"a": 1}
        assert holder.counter == 1
        assert journal.events == []


class TestClock:
    # The clock itself is the kit's (tests/emulation); Xero's readings stop at milliseconds.
    def test_manual_clock_and_advance(self) -> None:
        start = datetime(2024, 1, 1, tzinfo=UTC)
        emulator = XeroEmulator(EmulatorOptions(start_time=start))
        assert emulator.now() == start
        assert emulator.advance(90) == start + timedelta(seconds=90)

    def test_clock_truncates_to_ms(self) -> None:
        emulator = XeroEmulator(
            EmulatorOptions(clock=lambda: datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC))
        )
        assert emulator.now().microsecond == 123000
