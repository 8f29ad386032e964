"""The client-side limiter, on a fake clock (no real sleeping, no timing assertions)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from unified_accounting_quickbooks.emulator.limits import RateLimiter as QuickBooksThrottle
from unified_accounting_quickbooks.limits import Limits, RateLimiter
from unified_accounting_quickbooks.settings import QuickBooksSettings

pytestmark = pytest.mark.anyio


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def limiter(fake: FakeTime) -> RateLimiter:
    return RateLimiter(clock=fake.clock, sleep=fake.sleep)


async def test_per_second_limit_waits_for_the_window() -> None:
    fake = FakeTime()
    rate = limiter(fake)
    limits = Limits(per_minute=500, per_second=10, concurrent=10)
    started: list[float] = []
    for _ in range(25):
        async with rate.slot("company", limits):
            started.append(fake.now)
    assert started[:10] == [0.0] * 10
    assert all(later >= 1.0 for later in started[10:20])
    assert all(later >= 2.0 for later in started[20:])
    # Never more than 10 starts within any one-second span.
    assert all(started[i + 10] - started[i] >= 1.0 for i in range(len(started) - 10))


async def test_per_minute_limit() -> None:
    fake = FakeTime()
    rate = limiter(fake)
    limits = Limits(per_minute=5, per_second=100, concurrent=100)
    started = []
    for _ in range(6):
        async with rate.slot("company", limits):
            started.append(fake.now)
    assert started[5] >= 60.0


async def test_batch_limit_applies_to_batches_only() -> None:
    fake = FakeTime()
    rate = limiter(fake)
    limits = Limits(per_minute=500, per_second=100, concurrent=100, batch_per_minute=2)
    for _ in range(2):
        async with rate.slot("company", limits, batch=True):
            pass
    async with rate.slot("company", limits):
        assert fake.now == 0.0  # an ordinary call is not held back
    async with rate.slot("company", limits, batch=True):
        assert fake.now >= 60.0


async def test_concurrency_is_capped() -> None:
    fake = FakeTime()
    rate = limiter(fake)
    limits = Limits(per_minute=1000, per_second=1000, concurrent=3)
    peak = 0

    async def call() -> None:
        nonlocal peak
        async with rate.slot("company", limits):
            peak = max(peak, rate.in_flight("company"))
            await asyncio.sleep(0)

    await asyncio.gather(*(call() for _ in range(12)))
    assert peak == 3 and rate.in_flight("company") == 0


async def test_companies_do_not_share_windows() -> None:
    fake = FakeTime()
    rate = limiter(fake)
    limits = Limits(per_minute=1, per_second=1, concurrent=1)
    async with rate.slot("a", limits):
        pass
    async with rate.slot("b", limits):
        assert fake.now == 0.0
    assert rate.recent("a") == rate.recent("b") == 1


async def _eleventh_start(mode: str, latency: float) -> float:
    """Ten requests sent at once and answered after ``latency``: when may the eleventh start?"""
    fake = FakeTime()
    rate = limiter(fake)
    limits = Limits(per_minute=500, per_second=10, concurrent=10, count_from=mode, margin=0.1)  # type: ignore[arg-type]
    async with contextlib.AsyncExitStack() as in_flight:
        for _ in range(10):
            await in_flight.enter_async_context(rate.slot("company", limits))
        fake.now += latency  # the answers arrive
    async with rate.slot("company", limits):
        return fake.now


async def test_counting_from_send_time_does_not_pay_the_round_trip_per_window() -> None:
    # From send time a window costs one second plus the jitter margin, whatever the latency...
    assert await _eleventh_start("send", latency=0.15) == pytest.approx(1.1)
    assert await _eleventh_start("send", latency=0.6) == pytest.approx(1.1)
    # ...from answer time it also waits out the round trip of the previous window.
    assert await _eleventh_start("answer", latency=0.15) == pytest.approx(1.15)
    assert await _eleventh_start("answer", latency=0.6) == pytest.approx(1.6)


async def test_send_margin_is_configurable() -> None:
    fake = FakeTime()
    rate = limiter(fake)
    limits = Limits(per_second=2, concurrent=10, count_from="send", margin=0.5)
    started = []
    for _ in range(3):
        async with rate.slot("company", limits):
            started.append(fake.now)
    assert started == [0.0, 0.0, pytest.approx(1.5)]


def default_limits() -> Limits:
    """The limits a QuickBooks connection gets when nothing is configured."""
    settings = QuickBooksSettings()
    return Limits(
        settings.requests_per_minute,
        settings.requests_per_second,
        settings.max_concurrent,
        settings.batch_per_minute,
        count_from=settings.limiter_counts_from,
        margin=settings.limiter_margin_s,
    )


async def test_a_starved_process_never_sends_more_than_quickbooks_allows() -> None:
    """Ten requests take their slots, then the process is starved of CPU for 0.9 s before they go
    out; their answers are read at 1.05 s. Twenty more follow. QuickBooks' own throttle (the
    emulator's, fed the moments the requests reach it) must admit every one."""
    fake = FakeTime()
    rate = limiter(fake)
    limits = default_limits()
    quickbooks = QuickBooksThrottle(per_minute=500, per_second=10, concurrent=10)
    epoch = datetime(2026, 1, 5, tzinfo=UTC)
    refused: list[str] = []

    def arrives() -> None:
        exceeded = quickbooks.admit("company", epoch + timedelta(seconds=fake.now))
        if exceeded:
            refused.append(exceeded)

    async with contextlib.AsyncExitStack() as starved:
        for _ in range(10):
            await starved.enter_async_context(rate.slot("company", limits))
        fake.now = 0.9  # the loop gets round to sending only now
        for _ in range(10):
            arrives()
        fake.now = 1.05  # ...and to reading the answers
        for _ in range(10):
            quickbooks.release("company")
    for _ in range(20):
        async with rate.slot("company", limits):
            arrives()
            quickbooks.release("company")
    assert refused == []
