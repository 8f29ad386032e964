"""The emulator clock.

Token lifetimes, rate-limit windows, ``UpdatedDateUTC`` and webhook event dates all read this clock, so tests
can move time forward with :meth:`EmulatorClock.advance` instead of sleeping.  The base time comes from a
caller-supplied callable (aware UTC datetimes), a fixed start time, or the system clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class EmulatorClock:
    """Current time = base clock + accumulated offset from :meth:`advance`."""

    def __init__(self, source: Callable[[], datetime] | None = None, start: datetime | None = None) -> None:
        if source is None and start is not None:
            frozen = _aware(start)

            def fixed() -> datetime:
                return frozen

            source = fixed
        self._source: Callable[[], datetime] = source or (lambda: datetime.now(UTC))
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """Aware UTC now, truncated to milliseconds (the precision Xero reports)."""
        value = _aware(self._source()) + self._offset
        return value.replace(microsecond=(value.microsecond // 1000) * 1000)

    def timestamp(self) -> float:
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
