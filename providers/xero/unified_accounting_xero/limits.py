"""Xero's rate limits, declared for the core's rate limiter, and what Xero's answers say about them.

Xero limits each app per organisation (tenant) to 5 calls in flight, 60 calls a minute and a daily
budget (5,000; 1,000 on the Starter tier), and each app to 10,000 calls a minute across tenants.
Every answer carries ``X-MinLimit-Remaining``, ``X-DayLimit-Remaining`` and
``X-AppMinLimit-Remaining`` (which count other processes' calls too), and a 429 names the limit it
hit in ``X-Rate-Limit-Problem``, with a ``Retry-After``: :func:`feedback` reads them for the
limiter. A spent daily budget is refused at once (``XeroRateLimited(limit_kind="day")``) rather
than waited out for hours inside a call.
"""

from __future__ import annotations

import httpx

from unified_accounting.http.errors import retry_after_seconds
from unified_accounting.ratelimits import LimitFeedback, RateLimits, Window

MINUTE = 60.0
DAY = 86_400.0
#: Daily calls per organisation Xero allows each tier (Starter is the only tier with a lower budget).
STARTER_DAILY_CALLS = 1_000
DEFAULT_DAILY_CALLS = 5_000

#: Window names are the limit names of Xero's ``X-Rate-Limit-Problem`` header.
RATE_LIMITS = RateLimits(
    windows=(
        Window("minute", calls=60, seconds=MINUTE),
        Window("day", calls=DEFAULT_DAILY_CALLS, seconds=DAY, when_full="refuse"),
        Window("appminute", calls=10_000, seconds=MINUTE, scope="app"),
    ),
    concurrent=5,
)

#: Each remaining-calls header, and the window it speaks of.
REMAINING_HEADERS = {
    "X-MinLimit-Remaining": "minute",
    "X-DayLimit-Remaining": "day",
    "X-AppMinLimit-Remaining": "appminute",
}
#: The ``code`` of a local refusal, as Xero would name the limit.
REFUSAL_CODES = {"minute": "MinuteLimit", "day": "DayLimit", "appminute": "AppMinuteLimit"}


def feedback(response: httpx.Response) -> LimitFeedback | None:
    """The remaining calls Xero reports, and a 429's wait for the limit it names."""
    remaining: dict[str, int] = {}
    for header, window in REMAINING_HEADERS.items():
        value = (response.headers.get(header) or "").strip()
        if value.isdigit():
            remaining[window] = int(value)
    retry_after = retry_after_seconds(response) if response.status_code == 429 else None
    problem = (response.headers.get("X-Rate-Limit-Problem") or "").strip().lower() or None
    if not remaining and retry_after is None:
        return None
    return LimitFeedback(remaining=remaining, retry_after=retry_after, exceeded=problem)
