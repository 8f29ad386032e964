"""Xero's API rate limits.

Per tenant: at most ``concurrent_limit`` calls in flight (5), ``minute_limit`` calls in any rolling minute
(60) and a daily budget over a rolling 24 hours (5,000; lower on the Starter tier, configurable per tenant);
per app across tenants ``app_minute_limit`` calls per rolling minute (10,000).  Every Accounting API response
carries ``X-MinLimit-Remaining``, ``X-DayLimit-Remaining`` and ``X-AppMinLimit-Remaining``.  A refused call
is answered 429 with ``Retry-After`` (whole seconds until the window frees a slot) and
``X-Rate-Limit-Problem`` (``minute``/``day``; the ``appminute``/``concurrent`` names are unverified and
configurable).  Refused calls do not consume budget.  Windows read the emulator clock.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field

from unified_accounting.emulation import EmulatorClock

MINUTE = 60.0
DAY = 86_400.0


@dataclass
class Decision:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    retry_after: int = 0


@dataclass
class _TenantWindow:
    minute: deque[float] = field(default_factory=deque)
    day: deque[float] = field(default_factory=deque)
    in_flight: int = 0


@dataclass
class RateLimiter:
    clock: EmulatorClock
    _: KW_ONLY
    enabled: bool = True
    concurrent_limit: int = 5
    minute_limit: int = 60
    day_limit: int = 5000
    app_minute_limit: int = 10_000
    problem_names: Mapping[str, str] = field(default_factory=dict)
    concurrent_retry_after_s: int = 1
    _tenants: dict[str, _TenantWindow] = field(default_factory=dict, init=False, repr=False)
    _apps: dict[str, deque[float]] = field(default_factory=dict, init=False, repr=False)

    def _window(self, tenant_id: str) -> _TenantWindow:
        window = self._tenants.get(tenant_id)
        if window is None:
            window = self._tenants[tenant_id] = _TenantWindow()
        return window

    @staticmethod
    def _prune(window: deque[float], now: float, span: float) -> None:
        while window and window[0] <= now - span:
            window.popleft()

    @staticmethod
    def _retry_after(window: deque[float], now: float, span: float) -> int:
        if not window:
            return 1
        return max(1, math.ceil(window[0] + span - now))

    def acquire(self, tenant_id: str, app_id: str, day_limit: int | None = None) -> Decision:
        """Count one call; on refusal nothing is counted and nothing needs releasing."""
        if not self.enabled:
            return Decision(True)
        now = self.clock.timestamp()
        daily = day_limit if day_limit is not None else self.day_limit
        tw = self._window(tenant_id)
        app = self._apps.setdefault(app_id, deque())
        self._prune(tw.minute, now, MINUTE)
        self._prune(tw.day, now, DAY)
        self._prune(app, now, MINUTE)

        def headers() -> dict[str, str]:
            return {
                "X-MinLimit-Remaining": str(max(0, self.minute_limit - len(tw.minute))),
                "X-DayLimit-Remaining": str(max(0, daily - len(tw.day))),
                "X-AppMinLimit-Remaining": str(max(0, self.app_minute_limit - len(app))),
            }

        problem: str | None = None
        retry = 0
        if tw.in_flight >= self.concurrent_limit:
            problem, retry = "concurrent", self.concurrent_retry_after_s
        elif len(tw.day) >= daily:
            problem, retry = "day", self._retry_after(tw.day, now, DAY)
        elif len(tw.minute) >= self.minute_limit:
            problem, retry = "minute", self._retry_after(tw.minute, now, MINUTE)
        elif len(app) >= self.app_minute_limit:
            problem, retry = "appminute", self._retry_after(app, now, MINUTE)
        if problem is not None:
            h = headers()
            h["Retry-After"] = str(retry)
            h["X-Rate-Limit-Problem"] = self.problem_names.get(problem, problem)
            return Decision(False, h, problem, retry)
        tw.minute.append(now)
        tw.day.append(now)
        app.append(now)
        tw.in_flight += 1
        return Decision(True, headers())

    def release(self, tenant_id: str) -> None:
        if not self.enabled:
            return
        tw = self._window(tenant_id)
        tw.in_flight = max(0, tw.in_flight - 1)

    def in_flight(self, tenant_id: str) -> int:
        return self._window(tenant_id).in_flight

    def reset(self) -> None:
        self._tenants.clear()
        self._apps.clear()
