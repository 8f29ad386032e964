"""Xero wire formats for dates.

Xero answers with Microsoft JSON dates: ``/Date(1563753600000+0000)/`` (milliseconds since the epoch in UTC,
followed by an offset naming the local zone) and adds ``DateString`` fields such as ``2019-07-22T00:00:00``.
Requests may carry ``YYYY-MM-DD``, ISO 8601 datetimes (with or without an offset) or ``/Date(ms)/`` /
``/Date(ms+hhmm)/`` (what the official SDK sends); all are accepted.  ``If-Modified-Since`` accepts ISO 8601
and RFC 1123 (HTTP-date) forms and is read as UTC with second precision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DateParseError(ValueError):
    """A request carried a date in no accepted form."""


def to_ms(value: datetime) -> int:
    delta = value.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def wire_timestamp(value: datetime) -> str:
    """``/Date(ms+0000)/`` for timestamps such as ``UpdatedDateUTC``."""
    return f"/Date({to_ms(value)}+0000)/"


def wire_envelope_timestamp(value: datetime) -> str:
    """``/Date(ms)/`` as used by the response envelope's ``DateTimeUTC``."""
    return f"/Date({to_ms(value)})/"


def wire_date(value: date) -> str:
    """``/Date(ms+0000)/`` for a calendar date (midnight UTC)."""
    return wire_timestamp(datetime(value.year, value.month, value.day, tzinfo=UTC))


def date_string(value: date) -> str:
    """``2019-07-22T00:00:00`` as in ``DateString``/``DueDateString``."""
    return f"{value.isoformat()}T00:00:00"


def iso_utc(value: datetime) -> str:
    """``2019-07-09T23:40:30.1833130`` (naive UTC, seven fractional digits) as the identity API writes it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def webhook_date(value: datetime) -> str:
    """``2024-06-21T01:15:39.902`` as in webhook ``eventDateUtc``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def parse_datetime(value: object) -> datetime:
    """Parse any accepted request form into an aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        raise DateParseError(f"not a date: {value!r}")
    text = value.strip()
    match = _MS_DATE.match(text)
    if match:
        return _EPOCH + timedelta(milliseconds=int(match.group(1)))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise DateParseError(f"not a date: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value: object) -> date:
    """Parse a request date field (``Date``, ``DueDate``) into a calendar date.

    ``/Date(ms+hhmm)/`` is read in the zone its offset names; ISO datetimes keep the calendar date written.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise DateParseError(f"not a date: {value!r}")
    text = value.strip()
    match = _MS_DATE.match(text)
    if match:
        instant = _EPOCH + timedelta(milliseconds=int(match.group(1)))
        offset = match.group(2)
        if offset:
            sign = 1 if offset[0] == "+" else -1
            instant += sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        return instant.date()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError as exc:
        raise DateParseError(f"not a date: {value!r}") from exc


def read_date(data: Mapping[str, Any], key: str, errors: list[str]) -> date | None:
    """``data[key]`` as a date, ``None`` when it is absent or empty; a value that is no date adds
    Xero's message for it to ``errors`` (so that every problem of a write is told at once) and
    gives ``None`` too."""
    value = data.get(key)
    if not value:
        return None
    try:
        return parse_date(value)
    except DateParseError:
        errors.append(f"The {key} '{value}' is not a valid date.")
        return None


def parse_if_modified_since(value: str) -> datetime:
    """Parse the ``If-Modified-Since`` header (ISO 8601 or HTTP-date), truncated to the second."""
    text = value.strip()
    try:
        parsed = parse_datetime(text)
    except DateParseError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError) as exc:
            raise DateParseError(f"bad If-Modified-Since: {value!r}") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)
