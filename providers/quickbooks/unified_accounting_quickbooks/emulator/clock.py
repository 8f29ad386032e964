"""The emulator clock with the timestamp formats QuickBooks Online puts on the wire.

Every time-dependent behaviour (token expiry, throttle windows, ``MetaData`` times, the CDC
look-back, webhook times) reads this clock (the kit's :class:`EmulatorClock`), so tests can move
time with ``advance``.

QuickBooks writes ``MetaData.CreateTime``/``LastUpdatedTime`` and the ``time`` field of responses in
the company's local time with an explicit offset (``2015-07-24T10:35:08-07:00``). The emulator uses
one fixed offset per emulator (option ``utc_offset``, default ``-08:00``); daylight saving is not
modelled. Webhook ``lastUpdated`` values are UTC with milliseconds and a ``Z`` suffix.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from unified_accounting.emulation import ClockFn, EmulatorClock, SleepFn


def parse_offset(value: str | timedelta | timezone) -> timezone:
    """Turn ``"-08:00"``, ``"+05:30"``, ``"Z"`` or a timedelta into a fixed-offset timezone."""
    if isinstance(value, timezone):
        return value
    if isinstance(value, timedelta):
        return timezone(value)
    text = value.strip()
    if text in ("Z", "z", "+00:00", "-00:00"):
        return timezone(timedelta(0))
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


class QuickBooksClock(EmulatorClock):
    """The kit's emulator clock, plus the company's fixed offset and QuickBooks' timestamp formats."""

    def __init__(
        self,
        source: ClockFn | None = None,
        *,
        utc_offset: str | timedelta | timezone = "-08:00",
        start: datetime | None = None,
        sleep: SleepFn | None = None,
    ) -> None:
        super().__init__(source, start=start, sleep=sleep)
        self.tz = parse_offset(utc_offset)

    def today(self) -> date:
        """The company's local date."""
        return self.now().astimezone(self.tz).date()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def qbo(self, moment: datetime) -> str:
        """``2015-07-24T10:35:08-07:00``: the format of ``MetaData`` times."""
        return moment.astimezone(self.tz).replace(microsecond=0).isoformat()

    def qbo_ms(self, moment: datetime) -> str:
        """``2015-07-24T10:35:08.123-07:00``: the format of a response's ``time``."""
        return moment.astimezone(self.tz).isoformat(timespec="milliseconds")


def utc_z(moment: datetime) -> str:
    """``2025-09-08T20:52:31.657Z``: the format of webhook times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_datetime(text: str, default_tz: timezone) -> datetime:
    """Parse an ISO date or datetime; values without an offset are read in ``default_tz``."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    if len(raw) == 10:
        parsed_date = date.fromisoformat(raw)
        return datetime(parsed_date.year, parsed_date.month, parsed_date.day, tzinfo=default_tz)
    parsed = datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed
