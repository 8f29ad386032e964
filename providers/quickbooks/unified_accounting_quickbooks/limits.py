"""Staying under QuickBooks' per-company throttles before QuickBooks answers 429.

Intuit limits each company *and app* to 500 requests a minute, 10 a second and 10 in flight at
once, and batch calls to 40 a minute. A 429 costs a minute of waiting, so the provider keeps its
own sliding windows and makes a caller wait for a slot instead.

QuickBooks counts a request when it arrives, some moment between our send and its answer. Two ways
to match that, chosen by ``Limits.count_from``:

* ``"answer"`` (default): a request fills room in the windows from the moment it takes its slot,
  and is counted at the moment its answer has been read. That moment is never before QuickBooks saw
  the request, whatever the network does and however late the process gets round to sending it or
  reading the answer (a starved event loop only makes it later), so the limiter can never let an
  eleventh request into a second QuickBooks counts ten in. The price: every window lasts one
  second plus one round trip (15 % slower at 150 ms latency).
* ``"send"``: a request enters the windows when it takes its slot, stamped ``margin`` seconds later.
  Arrival is later than that moment by the network delay *and by any delay before the request
  really leaves*: under CPU contention a task that took its slot can send a second late, and the
  limiter, which counted it a second earlier, lets the next burst in on top of it (429s). Use it
  only where the process is never starved; windows then cost one second each.

The limiter is shared by every event loop of the process (the blocking ``Client`` runs its own),
so its state is guarded by a thread lock and waiting is done by sleeping on the caller's loop,
never with loop-bound primitives. Clock and sleep are injectable so tests need no real time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal

#: How often a caller waiting only for a concurrency slot looks again, in seconds.
CONCURRENCY_POLL = 0.005


@dataclass(frozen=True)
class Limits:
    per_minute: int = 500
    per_second: int = 10
    concurrent: int = 10
    batch_per_minute: int = 40
    count_from: Literal["send", "answer"] = "answer"
    #: With ``count_from="send"``: seconds added to the send time, covering network-delay jitter.
    margin: float = 0.05


@dataclass
class _Window:
    minute: deque[float] = field(default_factory=deque)
    second: deque[float] = field(default_factory=deque)
    batch: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    batches_in_flight: int = 0


def _wait_for(window: deque[float], room: int, span: float, now: float) -> float:
    """Seconds until ``window`` (answer times of the last ``span`` seconds) leaves ``room`` free."""
    while window and window[0] <= now - span:
        window.popleft()
    if len(window) < room:
        return 0.0
    if room <= 0:
        return CONCURRENCY_POLL  # filled by requests in flight: their answers decide
    return window[len(window) - room] + span - now


class RateLimiter:
    """Sliding-window limiter keyed by (app, company); ``async with limiter.slot(key): ...``."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[object, _Window] = {}

    def _reserve(self, key: object, limits: Limits, batch: bool) -> float:
        """Take a slot now and return 0, or return how long to wait before asking again."""
        with self._lock:
            window = self._windows.setdefault(key, _Window())
            now = self._clock()
            if window.in_flight >= limits.concurrent:
                return CONCURRENCY_POLL
            # Counted at answer time, requests in flight are not in the windows yet: keep room for them.
            busy = window.in_flight if limits.count_from == "answer" else 0
            batches_busy = window.batches_in_flight if limits.count_from == "answer" else 0
            wait = max(
                _wait_for(window.second, limits.per_second - busy, 1.0, now),
                _wait_for(window.minute, limits.per_minute - busy, 60.0, now),
                _wait_for(window.batch, limits.batch_per_minute - batches_busy, 60.0, now) if batch else 0.0,
            )
            if wait > 0:
                return wait
            window.in_flight += 1
            if batch:
                window.batches_in_flight += 1
            if limits.count_from == "send":
                self._count(window, now + limits.margin, batch)
            return 0.0

    @staticmethod
    def _count(window: _Window, moment: float, batch: bool) -> None:
        window.second.append(moment)
        window.minute.append(moment)
        if batch:
            window.batch.append(moment)

    def _release(self, key: object, limits: Limits, batch: bool) -> None:
        with self._lock:
            window = self._windows[key]
            window.in_flight -= 1
            if batch:
                window.batches_in_flight -= 1
            if limits.count_from == "answer":
                self._count(window, self._clock(), batch)

    @asynccontextmanager
    async def slot(self, key: object, limits: Limits, *, batch: bool = False) -> AsyncIterator[None]:
        """Wait until one more request for ``key`` fits every limit, and hold a concurrency slot."""
        while (wait := self._reserve(key, limits, batch)) > 0:
            await self._sleep(wait)
        try:
            yield
        finally:
            self._release(key, limits, batch)

    def in_flight(self, key: object) -> int:
        with self._lock:
            window = self._windows.get(key)
            return window.in_flight if window else 0

    def recent(self, key: object) -> int:
        """Requests in flight or answered within the last minute for ``key`` (for tests and diagnostics)."""
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                return 0
            now = self._clock()
            return window.in_flight + sum(1 for moment in window.minute if moment > now - 60.0)
