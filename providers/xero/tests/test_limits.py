"""Client-side pacing, driven by a fake clock: no test sleeps or measures time."""

from __future__ import annotations

import httpx
import pytest
from unified_accounting_xero.errors import XeroRateLimited
from unified_accounting_xero.limits import RateLimits
from unified_accounting_xero.settings import XeroSettings


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def limits(time: FakeTime) -> RateLimits:
    return RateLimits(clock=time.clock, sleep=time.sleep)


async def calls(limits: RateLimits, settings: XeroSettings, count: int, tenant: str = "t-1") -> None:
    for _ in range(count):
        async with limits.slot(settings, tenant):
            pass


@pytest.mark.anyio
async def test_minute_window_waits_for_the_oldest_call(limits: RateLimits, time: FakeTime) -> None:
    settings = XeroSettings(minute_call_limit=3)
    await calls(limits, settings, 3)
    assert time.slept == []
    time.now += 10
    await calls(limits, settings, 1)
    assert time.slept == [50.0]


@pytest.mark.anyio
async def test_tenants_have_their_own_windows(limits: RateLimits, time: FakeTime) -> None:
    settings = XeroSettings(minute_call_limit=2)
    await calls(limits, settings, 2, "t-1")
    await calls(limits, settings, 2, "t-2")
    assert time.slept == []


@pytest.mark.anyio
async def test_app_minute_window_spans_tenants(limits: RateLimits, time: FakeTime) -> None:
    settings = XeroSettings(app_minute_call_limit=3)
    for tenant in ("a", "b", "c", "d"):
        await calls(limits, settings, 1, tenant)
    assert time.slept == [60.0]


@pytest.mark.anyio
async def test_daily_budget_is_refused_locally(limits: RateLimits, time: FakeTime) -> None:
    settings = XeroSettings(daily_call_budget=2)
    await calls(limits, settings, 2)
    with pytest.raises(XeroRateLimited) as caught:
        await calls(limits, settings, 1)
    assert caught.value.limit_kind == "day" and caught.value.retry_after == 86_400
    assert time.slept == []


def test_starter_tier_has_a_smaller_budget() -> None:
    assert XeroSettings().effective_daily_budget == 5000
    assert XeroSettings(tier="starter").effective_daily_budget == 1000
    assert XeroSettings(tier="starter", daily_call_budget=1500).effective_daily_budget == 1500


@pytest.mark.anyio
async def test_headers_saying_nothing_is_left_slow_down_before_a_429(
    limits: RateLimits, time: FakeTime
) -> None:
    settings = XeroSettings()
    await calls(limits, settings, 1)
    # Other processes used the rest of this minute: Xero says so in the answer.
    limits.observe(settings, "t-1", httpx.Response(200, headers={"X-MinLimit-Remaining": "0"}))
    time.now += 15
    await calls(limits, settings, 1)
    assert time.slept == [45.0]


@pytest.mark.anyio
async def test_day_remaining_zero_refuses(limits: RateLimits, time: FakeTime) -> None:
    settings = XeroSettings()
    limits.observe(settings, "t-1", httpx.Response(200, headers={"X-DayLimit-Remaining": "0"}))
    with pytest.raises(XeroRateLimited):
        await calls(limits, settings, 1)


@pytest.mark.anyio
async def test_app_remaining_zero_blocks_every_tenant(limits: RateLimits, time: FakeTime) -> None:
    settings = XeroSettings()
    limits.observe(settings, "t-1", httpx.Response(200, headers={"X-AppMinLimit-Remaining": "0"}))
    await calls(limits, settings, 1, "t-2")
    assert time.slept == [60.0]


@pytest.mark.anyio
async def test_a_429_blocks_for_its_retry_after(limits: RateLimits, time: FakeTime) -> None:
    settings = XeroSettings()
    refusal = httpx.Response(429, headers={"Retry-After": "7", "X-Rate-Limit-Problem": "minute"})
    limits.observe(settings, "t-1", refusal)
    await calls(limits, settings, 1)
    assert time.slept == [7.0]


@pytest.mark.anyio
async def test_concurrency_waits_for_a_free_place(limits: RateLimits, time: FakeTime) -> None:
    settings = XeroSettings(concurrent_call_limit=1)
    release_order: list[str] = []
    async with limits.slot(settings, "t-1"):
        budget = limits.app(settings).tenant("t-1")
        assert budget.in_flight == 1

        async def fake_sleep(seconds: float) -> None:
            # The first call finishes while the second waits.
            release_order.append("waited")
            budget.in_flight -= 1

        limits.sleep = fake_sleep
        async with limits.slot(settings, "t-1"):
            release_order.append("entered")
        budget.in_flight += 1  # restore the outer call's place for its own exit
    assert release_order == ["waited", "entered"]
    assert budget.in_flight == 0


def test_each_settings_object_has_its_own_budget(limits: RateLimits) -> None:
    first, second = XeroSettings(), XeroSettings()
    assert limits.app(first) is limits.app(first)
    assert limits.app(first) is not limits.app(second)
