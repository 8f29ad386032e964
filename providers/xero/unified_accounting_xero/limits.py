"""Client-side pacing for Xero's rate limits, so calls slow down before Xero answers 429.

Xero limits each app per organisation (tenant) to 5 calls in flight, 60 calls a minute and a daily
budget (5,000; 1,000 on the Starter tier), and each app to 10,000 calls a minute across tenants.
:class:`RateLimits` keeps rolling windows of the calls it let through and, from every answer, reads
``X-MinLimit-Remaining``, ``X-DayLimit-Remaining`` and ``X-AppMinLimit-Remaining`` (which also count
calls made by other processes) and the ``Retry-After`` of a 429:

* minute and app-minute windows full, or Xero says 0 remaining: wait until the window frees a slot;
* daily budget spent: refuse at once with :class:`XeroRateLimited` (``limit_kind="day"``) — waiting
  hours inside a call helps nobody;
* 5 calls in flight for the tenant: wait for one to finish.

State belongs to one settings object (one client), per tenant. The clock and the sleep function are
attributes so tests drive time without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from unified_accounting.http.errors import retry_after_seconds

from .errors import PROVIDER, XeroRateLimited
from .settings import XeroSettings

MINUTE = 60.0
DAY = 86_400.0
#: How often a call waiting for a concurrency slot looks again.
CONCURRENCY_POLL = 0.05


@dataclass
class Window:
    """Calls in a rolling window, and a time before which no call may start (from Xero's headers)."""

    span: float
    calls: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0

    def prune(self, now: float) -> None:
        while self.calls and self.calls[0] <= now - self.span:
            self.calls.popleft()

    def frees_at(self, now: float) -> float:
        """When the oldest call leaves the window (now + span when none is known)."""
        return self.calls[0] + self.span if self.calls else now + self.span

    def wait(self, now: float, limit: int) -> float:
        self.prune(now)
        full = self.frees_at(now) - now if len(self.calls) >= limit else 0.0
        return max(full, self.blocked_until - now, 0.0)

    def exhausted(self, now: float) -> None:
        """Xero said nothing is left: block until our oldest call ages out."""
        self.blocked_until = max(self.blocked_until, self.frees_at(now))


@dataclass
class TenantBudget:
    minute: Window = field(default_factory=lambda: Window(MINUTE))
    day: Window = field(default_factory=lambda: Window(DAY))
    in_flight: int = 0


@dataclass
class AppBudget:
    """The limits of one app (one settings object): the app-wide minute and each tenant's budget."""

    minute: Window = field(default_factory=lambda: Window(MINUTE))
    tenants: dict[str, TenantBudget] = field(default_factory=dict)

    def tenant(self, tenant_id: str) -> TenantBudget:
        return self.tenants.setdefault(tenant_id.lower(), TenantBudget())


class RateLimits:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        # Keyed by the settings object's identity: each client resolves its own settings, and the
        # entry goes away with them.
        self._apps: dict[int, tuple[weakref.ref[XeroSettings], AppBudget]] = {}

    def app(self, settings: XeroSettings) -> AppBudget:
        key = id(settings)
        entry = self._apps.get(key)
        if entry is None or entry[0]() is not settings:
            entry = self._apps[key] = (weakref.ref(settings), AppBudget())
            weakref.finalize(settings, self._apps.pop, key, None)
        return entry[1]

    def _refuse_if_day_spent(self, budget: TenantBudget, settings: XeroSettings, now: float) -> None:
        day = budget.day
        day.prune(now)
        spent = len(day.calls) >= settings.effective_daily_budget
        if spent or day.blocked_until > now:
            until = max(day.blocked_until, day.frees_at(now) if spent else 0.0)
            raise XeroRateLimited(
                f"the daily Xero call budget of this organisation is spent "
                f"({settings.effective_daily_budget} calls a day)",
                limit_kind="day",
                retry_after=max(0.0, until - now),
                provider=PROVIDER,
                code="DayLimit",
            )

    @contextlib.asynccontextmanager
    async def slot(self, settings: XeroSettings, tenant_id: str) -> AsyncIterator[None]:
        """Wait until a call to ``tenant_id`` may start, count it, and free its place afterwards."""
        app = self.app(settings)
        tenant = app.tenant(tenant_id)
        while True:
            now = self.clock()
            self._refuse_if_day_spent(tenant, settings, now)
            wait = max(
                tenant.minute.wait(now, settings.minute_call_limit),
                app.minute.wait(now, settings.app_minute_call_limit),
            )
            if wait <= 0 and tenant.in_flight >= settings.concurrent_call_limit:
                wait = CONCURRENCY_POLL
            if wait <= 0:
                break
            await self.sleep(wait)
        for window in (tenant.minute, tenant.day, app.minute):
            window.calls.append(now)
        tenant.in_flight += 1
        try:
            yield
        finally:
            tenant.in_flight -= 1

    def observe(self, settings: XeroSettings, tenant_id: str, response: httpx.Response) -> None:
        """Learn from Xero's limit headers (and from a 429) what the windows really hold."""
        app = self.app(settings)
        tenant = app.tenant(tenant_id)
        now = self.clock()
        windows = {
            "X-MinLimit-Remaining": tenant.minute,
            "X-DayLimit-Remaining": tenant.day,
            "X-AppMinLimit-Remaining": app.minute,
        }
        for header, window in windows.items():
            remaining = response.headers.get(header)
            if remaining is not None and remaining.strip().isdigit() and int(remaining) <= 0:
                window.exhausted(now)
        if response.status_code == 429:
            kinds = {"minute": tenant.minute, "day": tenant.day, "appminute": app.minute}
            limited = kinds.get((response.headers.get("X-Rate-Limit-Problem") or "").lower())
            retry_after = retry_after_seconds(response)
            if limited is not None and retry_after is not None:
                limited.blocked_until = max(limited.blocked_until, now + retry_after)
