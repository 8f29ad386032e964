"""Xero's date formats.

Responses carry Microsoft JSON dates, ``/Date(1439434356790)/`` or ``/Date(1451988985943+1300)/``:
milliseconds since the epoch in UTC, and an optional offset that only names the organisation's
local zone. The instant is therefore the milliseconds alone; applying the offset would shift it.
Calendar fields (``Date``, ``DueDate``) also come as ``DateString`` (``2019-07-22T00:00:00``), which
is preferred when present. ISO 8601 forms are accepted everywhere. Requests send ``YYYY-MM-DD``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

_MS_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_datetime(value: Any) -> datetime | None:
    """A Xero timestamp (``/Date(ms±hhmm)/`` or ISO 8601) as an aware UTC datetime; naive ISO is UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    text = str(value).strip()
    match = _MS_DATE.match(text)
    if match:
        return _EPOCH + timedelta(milliseconds=int(match.group(1)))
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_date(value: Any) -> date | None:
    """A Xero calendar date: ``YYYY-MM-DD``, ``2019-07-22T00:00:00`` or ``/Date(ms)/`` (midnight UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if _MS_DATE.match(text):
        instant = parse_datetime(text)
        return instant.date() if instant else None
    if len(text) == 10:
        return date.fromisoformat(text)
    # A DateString is the calendar date as written, whatever zone it would imply.
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def record_date(record: dict[str, Any], field: str) -> date | None:
    """A calendar field of a record, from its ``<Field>String`` twin when Xero sent one."""
    return parse_date(record.get(f"{field}String") or record.get(field))


def format_date(value: date) -> str:
    return value.isoformat()


def to_milliseconds(value: datetime) -> int:
    delta = value.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def row_version(updated: Any) -> str | None:
    """The optimistic-lock token of a record: its ``UpdatedDateUTC`` in epoch milliseconds."""
    instant = parse_datetime(updated)
    return None if instant is None else str(to_milliseconds(instant))


def if_modified_since(value: datetime) -> str:
    """The ``If-Modified-Since`` value Xero documents: UTC, second precision, ISO without zone."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
