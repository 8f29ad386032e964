"""Emulator time: a clock tests can move, and a sleep tests can replace.

Everything time-dependent in an emulator (token expiry, rate-limit windows, record timestamps,
webhook dates) reads :class:`EmulatorClock`, so a test steps past an hour with ``advance(3600)``
instead of waiting. Everything that *waits* (configured latency, a hanging fault) awaits
:meth:`EmulatorClock.sleep`, which is ``asyncio.sleep`` unless the emulator was given another
``sleep``: :class:`RecordingSleep` notes each wait and returns at once, so a test checks that
latency was applied, and how much, without measuring wall time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

#: Returns the current time as an aware datetime.
ClockFn = Callable[[], datetime]
#: Waits the given number of seconds.
SleepFn = Callable[[float], Awaitable[None]]


def aware_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class EmulatorClock:
    """Current time = a source (the system clock, a callable, or a fixed ``start``) + what
    :meth:`advance` added.

    ``resolution`` truncates every reading (Xero reports milliseconds, for instance).
    """

    def __init__(
        self,
        source: ClockFn | None = None,
        *,
        start: datetime | None = None,
        sleep: SleepFn | None = None,
        resolution: timedelta = timedelta(0),
    ) -> None:
        if source is None and start is not None:
            frozen = aware_utc(start)

            def fixed() -> datetime:
                return frozen

            source = fixed
        self._source: ClockFn = source or (lambda: datetime.now(UTC))
        self._shift = timedelta(0)
        self._sleep: SleepFn = sleep or asyncio.sleep
        self._resolution = resolution

    def now(self) -> datetime:
        """The emulator's current time, aware and in UTC."""
        raw = self._source()
        if raw.tzinfo is None:
            raise ValueError("an emulator clock must return timezone-aware datetimes")
        value = raw.astimezone(UTC) + self._shift
        if self._resolution > timedelta(0):
            value -= (value - datetime.min.replace(tzinfo=UTC)) % self._resolution
        return value

    def __call__(self) -> datetime:
        return self.now()

    def timestamp(self) -> float:
        return self.now().timestamp()

    def advance(self, seconds: float) -> datetime:
        """Move the emulator's time forward (or back, with a negative value); the new time."""
        self._shift += timedelta(seconds=seconds)
        return self.now()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` the emulator's way (a real wait unless a ``sleep`` was given)."""
        if seconds > 0:
            await self._sleep(seconds)


class RecordingSleep:
    """A ``sleep`` for tests: notes every wait and returns at once (after letting other tasks run).

    ``sleep = RecordingSleep()``, ``create_emulator(latency_ms=40, sleep=sleep)``, one call, then
    ``assert sleep.waits == [0.04]``.
    """

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)

    @property
    def total(self) -> float:
        return sum(self.waits)
