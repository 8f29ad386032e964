"""The one clock every process sharing a database agrees on: the database's.

Windows compare moments written by different processes, perhaps on different machines, whose
clocks may differ by more than a one-second window. So the moments are the database's: on
PostgreSQL this process measures the offset between its own monotonic clock and the server's
``clock_timestamp()`` (the query's round trip bounds the error), re-measures it every
:data:`RESYNC` seconds, and reads ``monotonic() + offset`` in between — no query per request.
A SQLite file is shared only by processes of one machine, which read one wall clock:
``time.time()`` is the database's clock there.

Moments are stamped late and compared early by the measurement's error (half the round trip):
two processes that measured with errors ``e1`` and ``e2`` still never see a call leave a window
before it did.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import func, select

from ..storage.database import Database

#: Seconds between two measurements of the offset to the database's clock (monotonic clocks and
#: NTP-slewed wall clocks drift apart by well under a millisecond in that time).
RESYNC = 10.0


class DatabaseClock:
    """Seconds since the epoch on the database's clock, as this process best knows it."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._offset: float | None = None
        self._measured_at = 0.0
        self._local = False
        #: How far the reading may be from the database's clock, in seconds.
        self.error = 0.0

    def __call__(self) -> float:
        if self._local or self._offset is None:
            return time.time()
        return self._monotonic() + self._offset

    async def synced(self, db: Database) -> None:
        """Measure the offset to ``db``'s clock when it has not been measured lately."""
        if db.dialect == "sqlite":
            self._local = True
            return
        if self._offset is not None and self._monotonic() - self._measured_at < RESYNC:
            return
        async with db.read() as conn:
            before = self._monotonic()
            server = (await conn.execute(select(func.extract("epoch", func.clock_timestamp())))).scalar_one()
            after = self._monotonic()
        self._offset = float(server) - (before + after) / 2
        self._measured_at = after
        self.error = (after - before) / 2


__all__ = ["RESYNC", "DatabaseClock"]
