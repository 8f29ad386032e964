"""When to retry and how long to wait: jittered exponential backoff that honours ``Retry-After``."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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

    def delay(self, attempt: int, error: ProviderError | None) -> float | None:
        """Seconds to wait before retry number ``attempt`` (1-based), or ``None`` to give up."""
        if attempt > self.max_retries:
            return None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_wait else None
        # Full jitter spreads out clients that failed together (no synchronized retry storms).
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))
