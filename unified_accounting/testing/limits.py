"""Driving the rate limiter's time in tests: waits happen at once, and are recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class LimiterTime:
    """A clock and a sleep for :class:`~unified_accounting.ratelimits.RateLimiter`: sleeping moves
    the clock on (and calls ``on_sleep``, say to move an emulator's clock too) instead of waiting.

    ``limiter.clock, limiter.sleep = time.clock, time.sleep`` — or the ``ua_limiter_time`` fixture,
    which does that to the process's limiter for one test.
    """

    def __init__(self, now: float = 0.0, on_sleep: Callable[[float], None] | None = None) -> None:
        self.now = now
        self.slept: list[float] = []
        self.on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        await asyncio.sleep(0)  # still a point where other tasks run, as a real sleep is


__all__ = ["LimiterTime"]
