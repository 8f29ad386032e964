"""Xero's declared limits and its limit headers, paced by the core limiter on a fake clock: no test
sleeps or measures time."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from unified_accounting_xero.errors import XeroRateLimited
from unified_accounting_xero.limits import RATE_LIMITS
from unified_accounting_xero.provider import XeroProvider
from unified_accounting_xero.settings import XeroSettings

from unified_accounting import ProviderSettings
from unified_accounting.ratelimits import RateLimiter
from unified_accounting.testing import LimiterTime

provider = XeroProvider()


@dataclass
class Session:
    settings: Any
    company_id: str
    provider_name: str = "xero"
    include_raw: bool = False


@pytest.fixture
def time(ua_limiter_time: LimiterTime) -> LimiterTime:
    return ua_limiter_time


async def calls(settings: Any, count: int, tenant: str = "t-1") -> None:
    for _ in range(count):
        async with provider.request_slot(Session(settings, tenant)):
            pass


def observe(settings: Any, response: httpx.Response, tenant: str = "t-1") -> None:
    provider.observe_response(Session(settings, tenant), response)


def test_xeros_limits_are_declared_and_settings_adjust_them() -> None:
    assert provider.limits_for(XeroSettings()) == RATE_LIMITS
    assert {w.name: w.calls for w in RATE_LIMITS.windows} == {"minute": 60, "day": 5000, "appminute": 10_000}
    assert RATE_LIMITS.concurrent == 5
    starter = provider.limits_for(XeroSettings(tier="starter", minute_call_limit=30))
    assert {w.name: w.calls for w in starter.windows} == {"minute": 30, "day": 1000, "appminute": 10_000}


def test_starter_tier_has_a_smaller_budget() -> None:
    assert XeroSettings().effective_daily_budget == 5000
    assert XeroSettings(tier="starter").effective_daily_budget == 1000
    assert XeroSettings(tier="starter", daily_call_budget=1500).effective_daily_budget == 1500


@pytest.mark.anyio
async def test_minute_window_waits_for_the_oldest_call(time: LimiterTime) -> None:
    settings = XeroSettings(minute_call_limit=3)
    await calls(settings, 3)
    assert time.slept == []
    time.now += 10
    await calls(settings, 1)
    assert time.slept == [50.0]


@pytest.mark.anyio
async def test_tenants_have_their_own_windows(time: LimiterTime) -> None:
    settings = XeroSettings(minute_call_limit=2)
    await calls(settings, 2, "t-1")
    await calls(settings, 2, "t-2")
    assert time.slept == []


@pytest.mark.anyio
async def test_app_minute_window_spans_tenants(time: LimiterTime) -> None:
    settings = XeroSettings(app_minute_call_limit=3)
    for tenant in ("a", "b", "c", "d"):
        await calls(settings, 1, tenant)
    assert time.slept == [60.0]


@pytest.mark.anyio
async def test_daily_budget_is_refused_locally(time: LimiterTime) -> None:
    settings = XeroSettings(daily_call_budget=2)
    await calls(settings, 2)
    with pytest.raises(XeroRateLimited) as caught:
        await calls(settings, 1)
    assert caught.value.limit_kind == "day" and caught.value.retry_after == 86_400
    assert caught.value.code == "DayLimit" and caught.value.provider == "xero"
    assert time.slept == []


@pytest.mark.anyio
async def test_headers_saying_nothing_is_left_slow_down_before_a_429(time: LimiterTime) -> None:
    settings = XeroSettings()
    await calls(settings, 1)
    # Other processes used the rest of this minute: Xero says so in the answer.
    observe(settings, httpx.Response(200, headers={"X-MinLimit-Remaining": "0"}))
    time.now += 15
    await calls(settings, 1)
    assert time.slept == [45.0]


@pytest.mark.anyio
async def test_headers_saying_a_few_are_left_let_only_those_through(time: LimiterTime) -> None:
    settings = XeroSettings()
    await calls(settings, 1)
    observe(settings, httpx.Response(200, headers={"X-MinLimit-Remaining": "2"}))
    await calls(settings, 3)
    assert time.slept == [60.0]


@pytest.mark.anyio
async def test_day_remaining_zero_refuses(time: LimiterTime) -> None:
    settings = XeroSettings()
    observe(settings, httpx.Response(200, headers={"X-DayLimit-Remaining": "0"}))
    with pytest.raises(XeroRateLimited):
        await calls(settings, 1)


@pytest.mark.anyio
async def test_app_remaining_zero_blocks_every_tenant(time: LimiterTime) -> None:
    settings = XeroSettings()
    observe(settings, httpx.Response(200, headers={"X-AppMinLimit-Remaining": "0"}))
    await calls(settings, 1, "t-2")
    assert time.slept == [60.0]


@pytest.mark.anyio
async def test_a_429_blocks_for_its_retry_after(time: LimiterTime) -> None:
    settings = XeroSettings()
    refusal = httpx.Response(429, headers={"Retry-After": "7", "X-Rate-Limit-Problem": "minute"})
    observe(settings, refusal)
    await calls(settings, 1)
    assert time.slept == [7.0]


@pytest.mark.anyio
async def test_concurrency_waits_for_a_free_place(
    time: LimiterTime, ua_fresh_rate_limits: RateLimiter
) -> None:
    session = Session(XeroSettings(concurrent_call_limit=1), "t-1")
    order: list[str] = []

    async def call(name: str) -> None:
        async with provider.request_slot(session):
            order.append(f"{name} in")
            await asyncio.sleep(0)
            order.append(f"{name} out")

    await asyncio.gather(call("first"), call("second"))
    assert order == ["first in", "first out", "second in", "second out"]
    assert ua_fresh_rate_limits.in_flight(provider.limit_key(session)) == 0


@pytest.mark.anyio
async def test_every_settings_object_of_one_app_spends_one_budget(time: LimiterTime) -> None:
    """The limiter once kept its state by the settings object's identity, so a plain
    ``ProviderSettings`` (validated afresh into ``XeroSettings`` on each call) got a new budget on
    every call and nothing was ever limited. Budgets are keyed by app and tenant now."""
    plain = ProviderSettings(client_id="app")
    await calls(plain, 60)
    await calls(XeroSettings(client_id="app"), 1)
    assert time.slept == [60.0]
    await calls(XeroSettings(client_id="another-app"), 1)
    assert time.slept == [60.0]
