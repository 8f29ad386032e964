"""Per-company throttles of the Accounting API.

Defaults are the documented limits: 500 requests per minute, 10 per second, 10 concurrent requests
and 40 batch requests per minute per company (Intuit announced 120 batch/min from late 2025: set
``batch_per_minute``). Windows are sliding and measured on the emulator clock, so tests can step
past them with ``advance``. Whether the real 429 carries ``Retry-After`` is UNVERIFIED, so the header
is an option (off by default).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class _RealmWindow:
    minute: deque[datetime] = field(default_factory=deque)
    second: deque[datetime] = field(default_factory=deque)
    batch: deque[datetime] = field(default_factory=deque)
    in_flight: int = 0


def _trim(window: deque[datetime], cutoff: datetime) -> None:
    while window and window[0] <= cutoff:
        window.popleft()


@dataclass
class RateLimiter:
    enabled: bool = True
    per_minute: int = 500
    per_second: int = 10
    concurrent: int = 10
    batch_per_minute: int = 40
    throttled: int = 0
    _realms: dict[str, _RealmWindow] = field(default_factory=dict, init=False, repr=False)

    def _window(self, realm_id: str) -> _RealmWindow:
        return self._realms.setdefault(realm_id, _RealmWindow())

    def admit(self, realm_id: str, now: datetime, *, batch: bool = False) -> str | None:
        """Count a request; return the name of the exceeded limit, or ``None`` if admitted.

        An admitted request holds a concurrency slot until :meth:`release`.
        """
        window = self._window(realm_id)
        if not self.enabled:
            window.in_flight += 1
            return None
        _trim(window.minute, now - timedelta(minutes=1))
        _trim(window.second, now - timedelta(seconds=1))
        _trim(window.batch, now - timedelta(minutes=1))
        exceeded: str | None = None
        if window.in_flight >= self.concurrent:
            exceeded = "concurrent"
        elif len(window.second) >= self.per_second:
            exceeded = "per_second"
        elif len(window.minute) >= self.per_minute:
            exceeded = "per_minute"
        elif batch and len(window.batch) >= self.batch_per_minute:
            exceeded = "batch_per_minute"
        if exceeded:
            self.throttled += 1
            return exceeded
        window.minute.append(now)
        window.second.append(now)
        if batch:
            window.batch.append(now)
        window.in_flight += 1
        return None

    def release(self, realm_id: str) -> None:
        window = self._window(realm_id)
        window.in_flight = max(0, window.in_flight - 1)

    def in_flight(self, realm_id: str) -> int:
        return self._window(realm_id).in_flight

    def reset(self) -> None:
        for window in self._realms.values():
            window.minute.clear()
            window.second.clear()
            window.batch.clear()
