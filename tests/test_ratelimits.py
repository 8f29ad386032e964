"""The core rate limiter, on a fake clock: no real sleeping, no timing assertions."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import httpx
import pytest

from unified_accounting import AsyncClient, ProviderSettings, RateLimited
from unified_accounting.ratelimits import (
    LimitFeedback,
    LimitKey,
    RateLimiter,
    RateLimits,
    Window,
    counted_as,
    process_limiter,
)
from unified_accounting.testing import LimiterTime

from .sync.ledgerly import connect

pytestmark = pytest.mark.anyio

KEY = LimitKey("acme", "app-1", "production", "company-1")
OTHER_COMPANY = LimitKey("acme", "app-1", "production", "company-2")


@pytest.fixture
def time() -> LimiterTime:
    return LimiterTime()


@pytest.fixture
def limiter(time: LimiterTime) -> RateLimiter:
    return RateLimiter(clock=time.clock, sleep=time.sleep)


async def starts(
    limiter: RateLimiter, time: LimiterTime, limits: RateLimits, count: int, key: LimitKey = KEY
) -> list[float]:
    """``count`` calls one after the other (answered at once): the moment each one started."""
    started = []
    for _ in range(count):
        async with limiter.slot(key, limits):
            started.append(time.now)
    return started


async def test_a_window_lets_in_no_more_than_declared_in_any_span(
    limiter: RateLimiter, time: LimiterTime
) -> None:
    limits = RateLimits(windows=(Window("second", calls=10, seconds=1.0),))
    started = await starts(limiter, time, limits, 25)
    assert started[:10] == [0.0] * 10
    assert all(later >= 1.0 for later in started[10:20]) and all(later >= 2.0 for later in started[20:])
    assert all(started[i + 10] - started[i] >= 1.0 for i in range(len(started) - 10))


async def test_every_window_applies(limiter: RateLimiter, time: LimiterTime) -> None:
    limits = RateLimits(windows=(Window("second", 100, 1.0), Window("minute", 5, 60.0)))
    started = await starts(limiter, time, limits, 6)
    assert started[:5] == [0.0] * 5 and started[5] >= 60.0


async def test_a_kind_window_counts_only_calls_of_that_kind(limiter: RateLimiter, time: LimiterTime) -> None:
    limits = RateLimits(windows=(Window("minute", 500, 60.0), Window("batch", 2, 60.0, kind="batch")))
    with counted_as("batch"):
        await starts(limiter, time, limits, 2)
    assert await starts(limiter, time, limits, 1) == [0.0]  # an ordinary call is not held back
    with counted_as("batch"):
        [third_batch] = await starts(limiter, time, limits, 1)
    assert third_batch >= 60.0


async def test_concurrency_is_capped_and_a_release_lets_the_next_one_in(limiter: RateLimiter) -> None:
    limits = RateLimits(concurrent=3)
    peak = 0

    async def call() -> None:
        nonlocal peak
        async with limiter.slot(KEY, limits):
            peak = max(peak, limiter.in_flight(KEY))
            await asyncio.sleep(0)

    await asyncio.gather(*(call() for _ in range(12)))
    assert peak == 3 and limiter.in_flight(KEY) == 0


async def test_companies_have_their_own_budgets_and_app_windows_span_them(
    limiter: RateLimiter, time: LimiterTime
) -> None:
    limits = RateLimits(windows=(Window("minute", 1, 60.0), Window("app", 3, 60.0, scope="app")))
    assert await starts(limiter, time, limits, 1, KEY) == [0.0]
    assert await starts(limiter, time, limits, 1, OTHER_COMPANY) == [0.0]
    assert await starts(limiter, time, limits, 1, LimitKey("acme", "app-1", "production", "c-3")) == [0.0]
    # The app has spent its three calls of the minute, whichever company asks next.
    assert (await starts(limiter, time, limits, 1, LimitKey("acme", "app-1", "production", "c-4")))[0] >= 60.0
    # Another app of the same provider has a budget of its own.
    assert await starts(limiter, time, limits, 1, LimitKey("acme", "app-2", "production", "c-5")) == [60.0]


async def test_budgets_are_keyed_by_value_never_by_object_identity(
    limiter: RateLimiter, time: LimiterTime
) -> None:
    """Two settings objects with the same values (a client, another client, settings validated
    again) spend one budget: the key is provider, app, realm and company."""
    limits = RateLimits(windows=(Window("minute", 2, 60.0),))
    first = LimitKey.of("acme", ProviderSettings(client_id="app-1"), "company-1")
    second = LimitKey.of("acme", ProviderSettings(client_id="app-1"), "company-1")
    assert first == second and first is not second
    await starts(limiter, time, limits, 2, first)
    assert (await starts(limiter, time, limits, 1, second))[0] >= 60.0
    # Sandbox and an emulator standing in for the provider are other realms.
    sandbox = LimitKey.of("acme", ProviderSettings(client_id="app-1", environment="sandbox"), "company-1")
    emulated = LimitKey.of("acme", ProviderSettings(client_id="app-1", base_url="http://e.test"), "company-1")
    assert len({first, sandbox, emulated}) == 3


async def _eleventh_start(count_from: Any, latency: float) -> float:
    """Ten requests sent at once and answered after ``latency``: when may the eleventh start?"""
    time = LimiterTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep)
    limits = RateLimits(windows=(Window("second", 10, 1.0),), count_from=count_from, margin=0.1)
    async with contextlib.AsyncExitStack() as in_flight:
        for _ in range(10):
            await in_flight.enter_async_context(limiter.slot(KEY, limits))
        time.now += latency  # the answers arrive
    async with limiter.slot(KEY, limits):
        return time.now


async def test_counting_from_the_answer_pays_the_round_trip_and_from_the_send_does_not() -> None:
    assert await _eleventh_start("answer", latency=0.15) == pytest.approx(1.15)
    assert await _eleventh_start("answer", latency=0.6) == pytest.approx(1.6)
    assert await _eleventh_start("send", latency=0.15) == pytest.approx(1.1)
    assert await _eleventh_start("send", latency=0.6) == pytest.approx(1.1)


async def test_calls_in_flight_keep_their_room_until_answered(
    limiter: RateLimiter, time: LimiterTime
) -> None:
    """A starved process: ten calls took their slots, none is answered yet. An eleventh waits for
    an answer (it cannot know when the provider will count those ten), not for a clock time."""
    limits = RateLimits(windows=(Window("second", 10, 1.0),))
    entered = asyncio.Event()

    async def eleventh() -> float:
        async with limiter.slot(KEY, limits):
            entered.set()
            return time.now

    async with contextlib.AsyncExitStack() as in_flight:
        for _ in range(10):
            await in_flight.enter_async_context(limiter.slot(KEY, limits))
        waiting = asyncio.create_task(eleventh())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not entered.is_set() and time.slept == []
        time.now = 3.0  # answered only now: they are counted from here
    assert await waiting == pytest.approx(4.0)


async def test_the_provider_saying_few_calls_remain_holds_calls_back(
    limiter: RateLimiter, time: LimiterTime
) -> None:
    limits = RateLimits(windows=(Window("minute", 60, 60.0),))
    await starts(limiter, time, limits, 1)
    # Other processes spent all but two calls of this minute: the provider says so.
    limiter.learn(KEY, limits, LimitFeedback(remaining={"minute": 2}))
    time.now = 15.0
    started = await starts(limiter, time, limits, 3)
    assert started[:2] == [15.0, 15.0]
    assert started[2] == pytest.approx(60.0)  # until our oldest call (and theirs) left the window
    assert limiter.used(KEY, limits.windows[0]) == 3


async def test_remaining_zero_waits_a_full_span_when_no_call_of_ours_is_known(
    limiter: RateLimiter, time: LimiterTime
) -> None:
    limits = RateLimits(windows=(Window("minute", 60, 60.0), Window("app", 1000, 60.0, scope="app")))
    limiter.learn(KEY, limits, LimitFeedback(remaining={"app": 0}))
    assert (await starts(limiter, time, limits, 1, OTHER_COMPANY)) == [60.0]  # app-wide: every company


async def test_a_429_blocks_the_window_it_names_or_else_the_company(
    limiter: RateLimiter, time: LimiterTime
) -> None:
    limits = RateLimits(windows=(Window("minute", 60, 60.0),))
    limiter.learn(KEY, limits, LimitFeedback(retry_after=7, exceeded="minute"))
    assert await starts(limiter, time, limits, 1) == [7.0]
    limiter.learn(KEY, limits, LimitFeedback(retry_after=3))
    assert await starts(limiter, time, limits, 1) == [10.0]
    assert await starts(limiter, time, limits, 1, OTHER_COMPANY) == [10.0]  # not blocked


async def test_a_full_refusing_window_refuses_at_once(limiter: RateLimiter, time: LimiterTime) -> None:
    limits = RateLimits(windows=(Window("day", 2, 86_400.0, when_full="refuse"),))
    await starts(limiter, time, limits, 2)
    time.now = 400.0
    with pytest.raises(RateLimited) as refused:
        await starts(limiter, time, limits, 1)
    assert refused.value.code == "day" and refused.value.retry_after == pytest.approx(86_000.0)
    assert time.slept == [] and limiter.in_flight(KEY) == 0


async def test_a_refusal_is_the_callers_error(limiter: RateLimiter) -> None:
    class Spent(RateLimited):
        pass

    limits = RateLimits(windows=(Window("day", 1, 86_400.0, when_full="refuse"),))
    limiter.learn(KEY, limits, LimitFeedback(remaining={"day": 0}))
    with pytest.raises(Spent, match="day after 86400"):
        async with limiter.slot(KEY, limits, refuse=lambda w, wait: Spent(f"{w.name} after {wait:g}")):
            pass


def test_adjusted_limits_override_only_what_is_given() -> None:
    declared = RateLimits(windows=(Window("second", 10, 1.0), Window("minute", 500, 60.0)), concurrent=10)
    adjusted = declared.adjusted(calls={"second": 5, "minute": None}, concurrent=None, count_from="send")
    assert [w.calls for w in adjusted.windows] == [5, 500] and adjusted.concurrent == 10
    assert adjusted.count_from == "send" and declared.count_from == "answer"
    with pytest.raises(ValueError, match="hour"):
        declared.adjusted(calls={"hour": 1})
    with pytest.raises(ValueError, match="positive span"):
        Window("broken", calls=0, seconds=1.0)


async def test_one_limiter_serves_every_event_loop_of_the_process() -> None:
    """The blocking client runs its own loop in another thread: a slot released there wakes a
    caller waiting on this loop."""
    limiter = RateLimiter()
    limits = RateLimits(concurrent=1)
    held, release = threading.Event(), threading.Event()

    def other_loop() -> None:
        async def hold() -> None:
            async with limiter.slot(KEY, limits):
                held.set()
                await asyncio.get_running_loop().run_in_executor(None, release.wait)

        asyncio.run(hold())

    thread = threading.Thread(target=other_loop)
    thread.start()
    await asyncio.get_running_loop().run_in_executor(None, held.wait)
    waiter = asyncio.create_task(_enter(limiter, limits))
    await asyncio.sleep(0)
    assert not waiter.done() and limiter.in_flight(KEY) == 1
    release.set()
    await waiter
    thread.join()
    assert limiter.in_flight(KEY) == 0


async def _enter(limiter: RateLimiter, limits: RateLimits) -> None:
    async with limiter.slot(KEY, limits):
        pass


async def test_a_cleared_limiter_survives_calls_that_were_in_flight(limiter: RateLimiter) -> None:
    limits = RateLimits(windows=(Window("second", 1, 1.0),), concurrent=1)
    async with limiter.slot(KEY, limits):
        limiter.reset()
    assert limiter.in_flight(KEY) == 0
    async with limiter.slot(KEY, limits):
        assert limiter.in_flight(KEY) == 1


async def test_clients_share_the_process_budget_even_with_plain_settings() -> None:
    """A plain ``ProviderSettings`` given to a client is validated into the provider's own model,
    and two clients of one app spend one budget: the limiter keys by value, not by object."""
    from ua_ledgerly.emulator import create_emulator

    app = create_emulator()
    emulator = app.state.emulator
    settings = ProviderSettings(client_id="ledgerly-client", base_url="http://ledgerly.test")
    provider = None
    for _ in range(2):
        async with AsyncClient(
            transport=httpx.ASGITransport(app=app), providers={"ledgerly": settings}, environ={}
        ) as client:
            provider = client.provider("ledgerly")
            assert type(client.settings_for("ledgerly")) is provider.settings_model
            conn = await connect(client, emulator)
            await conn.customers.list().to_list()
    assert provider is not None and provider.rate_limits is not None
    key = LimitKey.of("ledgerly", settings, emulator.companies[0])
    assert process_limiter().used(key, provider.rate_limits.windows[0]) == 2
