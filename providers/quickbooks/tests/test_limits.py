"""QuickBooks' declared limits, paced by the core limiter on a fake clock (no real sleeping, no
timing assertions)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from unified_accounting_quickbooks import QuickBooksProvider, QuickBooksSettings
from unified_accounting_quickbooks.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_emulator
from unified_accounting_quickbooks.emulator.limits import RateLimiter as QuickBooksThrottle
from unified_accounting_quickbooks.limits import BATCH, RATE_LIMITS

from unified_accounting.ratelimits import RateLimiter, counted_as, limiting_flow
from unified_accounting.testing import LimiterTime

pytestmark = pytest.mark.anyio
provider = QuickBooksProvider()


@dataclass
class Session:
    """What the limiter reads of a provider session: settings and company."""

    settings: QuickBooksSettings
    company_id: str = "company"
    provider_name: str = "quickbooks"
    include_raw: bool = False


@pytest.fixture
def fake(ua_limiter_time: LimiterTime) -> LimiterTime:
    return ua_limiter_time


def session(company: str = "company", **settings: Any) -> Any:
    return Session(QuickBooksSettings(client_id="app", **settings), company)


async def starts(fake: LimiterTime, count: int, call: Any = None) -> list[float]:
    call = call or session()
    started = []
    for _ in range(count):
        async with provider.request_slot(call):
            started.append(fake.now)
    return started


def test_intuits_limits_are_declared_and_settings_adjust_them() -> None:
    assert provider.limits_for(QuickBooksSettings()) == RATE_LIMITS
    assert {w.name: w.calls for w in RATE_LIMITS.windows} == {"second": 10, "minute": 500, BATCH: 40}
    assert RATE_LIMITS.concurrent == 10 and RATE_LIMITS.count_from == "answer"
    adjusted = provider.limits_for(QuickBooksSettings(batch_per_minute=120, limiter_counts_from="send"))
    assert {w.name: w.calls for w in adjusted.windows} == {"second": 10, "minute": 500, BATCH: 120}
    assert adjusted.count_from == "send"


async def test_per_second_limit_waits_for_the_window(fake: LimiterTime) -> None:
    started = await starts(fake, 25)
    assert started[:10] == [0.0] * 10
    assert all(later >= 1.0 for later in started[10:20])
    assert all(later >= 2.0 for later in started[20:])
    assert all(started[i + 10] - started[i] >= 1.0 for i in range(len(started) - 10))


async def test_per_minute_limit(fake: LimiterTime) -> None:
    started = await starts(fake, 6, session(requests_per_minute=5, requests_per_second=100))
    assert started[5] >= 60.0


async def test_batch_limit_applies_to_batch_calls_only(fake: LimiterTime) -> None:
    call = session(batch_per_minute=2, requests_per_second=100)
    with counted_as(BATCH):
        await starts(fake, 2, call)
    assert await starts(fake, 1, call) == [0.0]  # an ordinary call is not held back
    with counted_as(BATCH):
        [third_batch] = await starts(fake, 1, call)
    assert third_batch >= 60.0


async def test_concurrency_is_capped(fake: LimiterTime, ua_fresh_rate_limits: RateLimiter) -> None:
    call = session(max_concurrent=3, requests_per_second=1000)
    key = provider.limit_key(call)
    peak = 0

    async def one() -> None:
        nonlocal peak
        async with provider.request_slot(call):
            peak = max(peak, ua_fresh_rate_limits.in_flight(key))
            await asyncio.sleep(0)

    await asyncio.gather(*(one() for _ in range(12)))
    assert peak == 3 and ua_fresh_rate_limits.in_flight(key) == 0


async def test_companies_and_apps_do_not_share_windows(fake: LimiterTime) -> None:
    await starts(fake, 1, session("a", requests_per_second=1))
    assert await starts(fake, 1, session("b", requests_per_second=1)) == [0.0]
    other_app = Session(QuickBooksSettings(client_id="another-app", requests_per_second=1), "a")
    assert await starts(fake, 1, other_app) == [0.0]
    assert (await starts(fake, 1, session("a", requests_per_second=1)))[0] >= 1.0


async def test_send_margin_is_configurable(fake: LimiterTime) -> None:
    call = session(requests_per_second=2, limiter_counts_from="send", limiter_margin_s=0.5)
    assert await starts(fake, 3, call) == [0.0, 0.0, pytest.approx(1.5)]


async def test_a_starved_process_never_sends_more_than_quickbooks_allows(fake: LimiterTime) -> None:
    """Ten requests take their slots, then the process is starved of CPU for 0.9 s before they go
    out; their answers are read at 1.05 s. Twenty more follow. QuickBooks' own throttle (the
    emulator's, fed the moments the requests reach it) must admit every one."""
    quickbooks = QuickBooksThrottle(per_minute=500, per_second=10, concurrent=10)
    epoch = datetime(2026, 1, 5, tzinfo=UTC)
    refused: list[str] = []
    call = session()

    def arrives() -> None:
        exceeded = quickbooks.admit("company", epoch + timedelta(seconds=fake.now))
        if exceeded:
            refused.append(exceeded)

    async with contextlib.AsyncExitStack() as starved:
        for _ in range(10):
            await starved.enter_async_context(provider.request_slot(call))
        fake.now = 0.9  # the loop gets round to sending only now
        for _ in range(10):
            arrives()
        fake.now = 1.05  # ...and to reading the answers
        for _ in range(10):
            quickbooks.release("company")
    for _ in range(20):
        async with provider.request_slot(call):
            arrives()
            quickbooks.release("company")
    assert refused == []


async def test_confirming_a_new_connection_spends_the_companys_budget(fake: LimiterTime) -> None:
    # The token exchange reads the company to confirm it (QuickBooks counts that call): a burst
    # right after connecting must wait for it, or the tenth call of that second gets a 429 and
    # the connection sits out Intuit's one-minute penalty.
    app = create_emulator()
    settings = QuickBooksSettings(
        client_id=DEFAULT_CLIENT_ID,
        client_secret=SecretStr(DEFAULT_CLIENT_SECRET),
        base_url="http://qbo.test",
    )
    redirect = "https://app.example/callback"
    flow = RateLimiter(clock=fake.clock, sleep=fake.sleep)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://qbo.test") as http:
        consent = await http.get(provider.authorization_url(settings, redirect_uri=redirect, state="s"))
        callback = dict(httpx.URL(consent.headers["location"]).params)
        with limiting_flow(flow):
            [grant] = await provider.exchange_code(
                http, settings, code=callback["code"], redirect_uri=redirect, callback_params=callback
            )
    burst = []
    for _ in range(10):
        async with flow.slot(provider.limit_key(Session(settings, grant.company_id)), RATE_LIMITS):
            burst.append(fake.now)
    assert burst[:9] == [0.0] * 9 and burst[9] >= 1.0  # the confirmation took the tenth place
    # Outside a client's flow the provider's own (process) limiter counts it.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://qbo.test") as http:
        consent = await http.get(provider.authorization_url(settings, redirect_uri=redirect, state="t"))
        callback = dict(httpx.URL(consent.headers["location"]).params)
        await provider.exchange_code(
            http, settings, code=callback["code"], redirect_uri=redirect, callback_params=callback
        )
    started = await starts(fake, 10, Session(settings, grant.company_id))
    assert started[:9] == [started[0]] * 9 and started[9] >= started[0] + 1.0
