from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from unified_accounting_xero.dates import (
    format_date,
    if_modified_since,
    parse_date,
    parse_datetime,
    record_date,
    row_version,
)


def test_microsoft_date_is_the_utc_instant_of_its_milliseconds() -> None:
    assert parse_datetime("/Date(1439434356790)/") == datetime(2015, 8, 13, 2, 52, 36, 790000, tzinfo=UTC)


def test_offset_names_the_zone_and_does_not_shift_the_instant() -> None:
    plain = parse_datetime("/Date(1451988985943)/")
    assert parse_datetime("/Date(1451988985943+1300)/") == plain
    assert parse_datetime("/Date(1451988985943-0500)/") == plain


def test_iso_forms_are_accepted() -> None:
    assert parse_datetime("2024-06-21T01:15:39.902") == datetime(2024, 6, 21, 1, 15, 39, 902000, tzinfo=UTC)
    assert parse_datetime("2024-06-21T13:15:39+12:00") == datetime(2024, 6, 21, 1, 15, 39, tzinfo=UTC)
    assert parse_datetime(None) is None and parse_datetime("") is None


def test_aware_datetimes_are_normalised_to_utc() -> None:
    local = datetime(2024, 1, 1, 13, 0, tzinfo=timezone(timedelta(hours=13)))
    assert parse_datetime(local) == datetime(2024, 1, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-07-22", date(2019, 7, 22)),
        ("2019-07-22T00:00:00", date(2019, 7, 22)),
        ("/Date(1563753600000+0000)/", date(2019, 7, 22)),
        (date(2019, 7, 22), date(2019, 7, 22)),
        (None, None),
    ],
)
def test_calendar_dates(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected


def test_record_date_prefers_the_date_string() -> None:
    # The DateString is the calendar date as entered; the ms value is only its midnight UTC.
    record = {"DueDate": "/Date(1737244800000+1300)/", "DueDateString": "2025-01-19T00:00:00"}
    assert record_date(record, "DueDate") == date(2025, 1, 19)
    assert record_date({"Date": "/Date(1736035200000+0000)/"}, "Date") == date(2025, 1, 5)


def test_row_version_is_the_millisecond_value() -> None:
    assert row_version("/Date(1736164799123+0000)/") == "1736164799123"
    assert row_version("/Date(1736164799123+1300)/") == "1736164799123"
    assert row_version(None) is None


def test_request_formats() -> None:
    assert format_date(date(2026, 1, 5)) == "2026-01-05"
    since = datetime(2026, 1, 5, 13, 4, 5, 999999, tzinfo=timezone(timedelta(hours=1)))
    assert if_modified_since(since) == "2026-01-05T12:04:05"
