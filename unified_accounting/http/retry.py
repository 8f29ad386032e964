"""When to retry and how long to wait: jittered exponential backoff that honours ``Retry-After``.

Two kinds of caller. An *interactive* one (product code waiting for an answer) gets its error
after ``max_retries`` retries, rate limits included: better an error now than a request that hangs.
*Background* work (a sync, a webhook job) has nobody waiting: :meth:`RetryPolicy.background` gives it
a policy that waits rate limits out — ``Retry-After`` when the provider sends one, growing backoff
otherwise — however many attempts that takes, until one request has waited ``rate_limit_patience``
seconds in all. Only then is ``RateLimited`` raised (a sync then stops, and the next run resumes from
its checkpoint). A ``Retry-After`` longer than the patience left (a daily or monthly limit) is raised
at once: waiting it out would only hold the company's lease.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from ..errors import ProviderError, RateLimited


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    #: First backoff step in seconds; doubled per attempt, with full jitter.
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    #: A ``Retry-After`` longer than this is not waited for: the error is raised instead.
    max_wait: float = 60.0
    #: How to wait; tests replace it to record delays instead of sleeping.
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    #: Background work only: seconds one request may spend waiting out rate limits, in all, however
    #: many attempts that takes. ``None`` (interactive): a rate limit is retried like any failure.
    rate_limit_patience: float | None = None

    def background(self, patience: float) -> RetryPolicy:
        """This policy for background work: rate limits are waited out for up to ``patience`` seconds."""
        return replace(self, rate_limit_patience=patience)

    def delay(self, attempt: int, error: ProviderError | None) -> float | None:
        """Seconds to wait before retry number ``attempt`` (1-based), or ``None`` to give up."""
        if attempt > self.max_retries:
            return None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_wait else None
        # Full jitter spreads out clients that failed together (no synchronized retry storms).
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))

    def rate_limit_delay(self, attempt: int, error: RateLimited, waited: float) -> float | None:
        """Background work: seconds to wait before retry number ``attempt`` of a rate-limited request
        that already waited ``waited`` seconds, or ``None`` once the patience is spent."""
        assert self.rate_limit_patience is not None
        step = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        # Never less than half the step: a provider answering "Retry-After: 0" again and again must
        # not turn the wait into a busy loop that never spends the patience.
        wait = max(error.retry_after or 0.0, random.uniform(step / 2, step))
        return wait if waited + wait <= self.rate_limit_patience else None
