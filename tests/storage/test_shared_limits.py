"""The shared rate limiter: windows kept in the database, shared by every process that uses it.

Two limiters on separate engines stand for two processes (a real second process is in
``test_shared_limits_processes.py``). Time is a :class:`LimiterTime` both read: waits happen at
once and move it on; nothing here measures time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks.emulator import create_emulator as create_quickbooks
from unified_accounting_quickbooks.testing import QuickBooksHarness, new_realm_id
from unified_accounting_xero.limits import RATE_LIMITS as XERO_LIMITS

from unified_accounting import AsyncClient, ConfigurationError, MemoryConnectionStore, RateLimited
from unified_accounting.client import session as session_module
from unified_accounting.ratelimits import (
    LimitFeedback,
    LimitKey,
    RateLimiter,
    RateLimits,
    Unlimited,
    Window,
    counting_departure,
    departing,
)
from unified_accounting.shared_limits import SharedLimiter, ledger
from unified_accounting.shared_limits.limiter import RESERVE_AHEAD
from unified_accounting.storage.database import Database
from unified_accounting.testing import LimiterTime

pytestmark = pytest.mark.anyio

KEY = LimitKey("acme", "app-1", "production", "company-1")
OTHER_COMPANY = LimitKey("acme", "app-1", "production", "company-2")
START = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
SETTINGS = {**QuickBooksHarness.settings, "base_url": QuickBooksHarness.base_url}


@pytest.fixture
def time() -> LimiterTime:
    return LimiterTime(now=1_000_000.0)


@contextlib.asynccontextmanager
async def processes(
    database_url: str, time: LimiterTime, count: int = 2, **options: Any
) -> AsyncIterator[list[SharedLimiter]]:
    """``count`` limiters on one database, each with an engine of its own (as processes have)."""
    databases = [await Database.open(database_url) for _ in range(count)]
    limiters = [SharedLimiter(db, clock=time.clock, sleep=time.sleep, **options) for db in databases]
    try:
        yield limiters
    finally:
        for limiter, db in zip(limiters, databases, strict=True):
            with contextlib.suppress(Exception):  # the crash test's limiter holds a slot forever
                await limiter.aclose()
            await db.dispose()


class Traffic:
    """When each request started and ended, on the shared clock."""

    def __init__(self, time: LimiterTime) -> None:
        self.time = time
        self.spans: list[tuple[float, float]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def call(self, limiter: SharedLimiter, limits: RateLimits, key: LimitKey = KEY) -> None:
        async with limiter.slot(key, limits):
            start = self.time.now
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            await asyncio.sleep(0)  # others run while this one is "on the wire"
            self.in_flight -= 1
            self.spans.append((start, self.time.now))

    def most_in_any(self, seconds: float) -> int:
        """The most requests whose time at the provider touched one ``seconds``-long span."""
        return max(
            sum(1 for start, end in self.spans if end >= begin and start < begin + seconds)
            for begin, _ in self.spans
        )


async def test_two_processes_never_exceed_a_window_or_the_concurrency_cap_together(
    database_url: str, time: LimiterTime
) -> None:
    limits = RateLimits(windows=(Window("second", calls=10, seconds=1.0),), concurrent=3)
    traffic = Traffic(time)
    async with processes(database_url, time) as (one, two):
        await asyncio.gather(*(traffic.call(one if n % 2 else two, limits) for n in range(45)))
    assert len(traffic.spans) == 45
    assert traffic.most_in_any(1.0) <= 10 and traffic.most_in_flight <= 3
    assert time.slept  # the second process waited for the first one's calls


async def test_a_process_sees_what_another_spent_before_it_started(
    database_url: str, time: LimiterTime
) -> None:
    limits = RateLimits(windows=(Window("minute", calls=5, seconds=60.0),))
    async with processes(database_url, time) as (one, two):
        for _ in range(5):
            async with one.slot(KEY, limits):
                pass
        assert await two.used(KEY, limits.windows[0]) == 5
        started = time.now
        async with two.slot(KEY, limits):
            assert time.now >= started + 60.0
        async with two.slot(OTHER_COMPANY, limits):  # another company's budget is its own
            pass


async def test_quickbooks_clients_of_one_database_share_a_realms_budget(
    database_url: str, secret_key: str, time: LimiterTime
) -> None:
    app = create_quickbooks(realms=[new_realm_id()], start_time=START, retry_after_s=0)
    emulator = app.state.emulator
    time.on_sleep = emulator.advance  # QuickBooks' clock moves with the limiters'
    async with processes(database_url, time) as limiters:
        clients = [
            AsyncClient(
                providers={"quickbooks": SETTINGS},
                transport=httpx.ASGITransport(app=app),
                environ={},
                database_url=database_url,
                secret_key=secret_key,
                rate_limits=limiter,
                max_retries=0,
            )
            for limiter in limiters
        ]
        issued = emulator.issue_tokens()
        first = await clients[0].import_connection(
            consumer_id="acme",
            provider="quickbooks",
            company_id=issued["realm_id"],
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
        second = await clients[1].connection(consumer_id="acme", provider="quickbooks")
        # 2 x 12 reads at once: 10 a second and 10 in flight at most, whichever process sends them.
        path = f"http://qbo.test{emulator.api_path()}/companyinfo/{issued['realm_id']}"
        sessions = [conn.session() for conn in (first, second)]
        answers = await asyncio.gather(
            *(session.request("GET", path) for session in sessions for _ in range(12))
        )
        for client in clients:
            await client.aclose()
    assert [answer.status_code for answer in answers] == [200] * 24
    assert emulator.limiter.throttled == 0
    assert len(emulator.requests("/companyinfo")) == 24
    assert sum(time.slept) >= 2.0  # 24 reads at 10 a second


async def test_separate_process_limiters_would_overrun_quickbooks(time: LimiterTime) -> None:
    """The control for the test above: two limiters that do not share a database let twice the
    limit through, and QuickBooks throttles."""
    from unified_accounting_quickbooks.limits import RATE_LIMITS as QUICKBOOKS_LIMITS

    app = create_quickbooks(realms=[new_realm_id()], start_time=START)
    emulator = app.state.emulator
    realm = emulator.default_realm_id
    token = emulator.issue_tokens(realm)["access_token"]
    limiters = [RateLimiter(clock=time.clock, sleep=time.sleep) for _ in range(2)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://qbo.test") as http:

        async def read(limiter: RateLimiter) -> int:
            async with limiter.slot(KEY, QUICKBOOKS_LIMITS):
                answer = await http.get(
                    f"/v3/company/{realm}/companyinfo/{realm}", headers={"Authorization": f"Bearer {token}"}
                )
                return answer.status_code

        statuses = await asyncio.gather(*(read(limiters[n % 2]) for n in range(20)))
    assert 429 in statuses and emulator.limiter.throttled > 0


async def test_xero_tenant_minute_day_and_app_windows_are_shared(
    database_url: str, time: LimiterTime
) -> None:
    limits = XERO_LIMITS.adjusted(calls={"day": 4, "appminute": 6})
    tenant = LimitKey("xero", "app-1", "production", "tenant-1")
    other_tenant = LimitKey("xero", "app-1", "production", "tenant-2")
    async with processes(database_url, time) as (one, two):
        for limiter in (one, two, one):
            async with limiter.slot(tenant, limits):
                pass
        async with two.slot(other_tenant, limits):
            pass
        assert await two.used(tenant, limits.window("day") or limits.windows[0]) == 3
        async with one.slot(tenant, limits):  # the fourth call of the day, in either process
            pass
        with pytest.raises(RateLimited) as refused:
            async with two.slot(tenant, limits):
                pass
        assert refused.value.code == "day" and refused.value.retry_after is not None
        # The app's minute counts both tenants in both processes: 5 so far, one more fits.
        async with two.slot(other_tenant, limits):
            pass
        started = time.now
        async with one.slot(other_tenant, limits):
            assert time.now >= started + 60.0


async def test_what_one_process_learns_from_an_answer_holds_the_other_back(
    database_url: str, time: LimiterTime
) -> None:
    limits = XERO_LIMITS
    async with processes(database_url, time) as (one, two):
        async with one.slot(KEY, limits):
            pass
        # Xero says the minute is spent (other apps' processes, say): the other process waits.
        one.learn(KEY, limits, LimitFeedback(remaining={"minute": 0}))
        await one.settle()  # what answers told is written
        started = time.now
        async with two.slot(KEY, limits):
            assert time.now >= started + 59.0
        one.learn(KEY, limits, LimitFeedback(retry_after=30.0, exceeded=None))
        await one.settle()
        started = time.now
        async with two.slot(KEY, limits):
            assert time.now >= started + 30.0


async def test_a_crashed_holders_reservations_expire(database_url: str, time: LimiterTime) -> None:
    limits = RateLimits(windows=(Window("minute", calls=100, seconds=60.0),), concurrent=1)
    hold = timedelta(seconds=5)
    async with processes(database_url, time, hold=hold, poll=1.0) as (crashed, alive):
        taken = crashed.slot(KEY, limits)
        await taken.__aenter__()  # its process dies here: the slot is never released
        await crashed.database()
        assert await alive.in_flight(KEY) == 1
        started = time.now
        async with alive.slot(KEY, limits):
            assert time.now >= started + hold.total_seconds()
            assert await alive.in_flight(KEY) == 1  # the expired hold no longer counts as in flight
        # The lost call still counts in the window it may have reached QuickBooks in.
        assert await alive.used(KEY, limits.windows[0]) == 2


async def test_no_transaction_is_open_while_a_request_is(database_url: str, time: LimiterTime) -> None:
    limits = RateLimits(windows=(Window("second", calls=10, seconds=1.0),), concurrent=2)
    async with processes(database_url, time, count=1) as (limiter,):
        db = await limiter.database()
        pool: Any = db.engine.pool
        async with limiter.slot(KEY, limits):
            assert pool.checkedout() == 0
        assert pool.checkedout() == 0


async def test_a_request_cancelled_while_waiting_leaves_nothing_behind(
    database_url: str, time: LimiterTime
) -> None:
    limits = RateLimits(windows=(Window("second", calls=10, seconds=1.0),), concurrent=1)
    async with processes(database_url, time) as (one, two):
        holding = one.slot(KEY, limits)
        await holding.__aenter__()
        waiting = asyncio.ensure_future(two.slot(KEY, limits).__aenter__())
        for _ in range(5):
            await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await two.in_flight(KEY) == 1
        await holding.__aexit__(None, None, None)
        await one.settle()  # the answer is written (else it is, a few milliseconds later)
        assert await two.in_flight(KEY) == 0


async def test_a_vault_client_shares_limits_through_its_database(database_url: str, secret_key: str) -> None:
    async with AsyncClient(environ={}, database_url=database_url, secret_key=secret_key) as client:
        assert isinstance(client.limiter, SharedLimiter)
    for choice in ("process", None):
        environ = {"UA_RATE_LIMITS": "process"} if choice is None else {}
        async with AsyncClient(
            environ=environ, database_url=database_url, secret_key=secret_key, rate_limits=choice
        ) as client:
            assert isinstance(client.limiter, RateLimiter)


async def test_rate_limits_are_per_process_without_a_database() -> None:
    async with AsyncClient(environ={}, store=MemoryConnectionStore()) as client:
        assert isinstance(client.limiter, RateLimiter)
    async with AsyncClient(environ={"UA_RATE_LIMITS": "off"}, store=MemoryConnectionStore()) as client:
        assert isinstance(client.limiter, Unlimited)
        tight = RateLimits(windows=(Window("minute", calls=1, seconds=60.0),), concurrent=1)
        async with client.limiter.slot(KEY, tight), client.limiter.slot(KEY, tight):
            pass  # never waits, not even for a full window
    with pytest.raises(ConfigurationError, match=r"rate_limits='shared'.*database_url="):
        AsyncClient(environ={}, store=MemoryConnectionStore(), rate_limits="shared")
    with pytest.raises(ConfigurationError, match="must be 'process', 'shared' or 'off', got 'everywhere'"):
        AsyncClient(environ={"UA_RATE_LIMITS": "everywhere"}, store=MemoryConnectionStore())


async def test_a_call_counted_from_its_send_counts_from_when_it_really_left(
    database_url: str, time: LimiterTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The moment of a call counted from its send is written in its take; the call leaves once that
    # transaction has committed, which a busy database can delay past the margin. The provider
    # counts the call when it arrives: the tenth call after it must wait a full window from then.
    limits = RateLimits(windows=(Window("second", calls=10, seconds=1.0),), count_from="send", margin=0.05)
    async with processes(database_url, time, count=1) as (limiter,):
        db = await limiter.database()
        real = db.transaction
        taken = 0

        async def slow_first_commit(work: Any) -> Any:
            nonlocal taken
            result = await real(work)
            taken += 1
            if taken == 1:
                time.now += 0.3  # committed 0.3 s after the moment written in it
            return result

        monkeypatch.setattr(db, "transaction", slow_first_commit)
        left: list[float] = []
        for _ in range(11):
            async with limiter.slot(KEY, limits):
                left.append(time.now)
    assert left[10] >= left[0] + 1.0 + 0.05


async def test_a_call_counted_from_its_send_counts_from_when_its_request_left(
    database_url: str, time: LimiterTime
) -> None:
    # The HTTP layer says when a request starts to leave (it may first wait for a connection).
    limits = RateLimits(windows=(Window("second", calls=10, seconds=1.0),), count_from="send", margin=0.05)
    async with processes(database_url, time, count=1) as (limiter,):
        left: list[float] = []
        for index in range(11):
            async with limiter.slot(KEY, limits):
                if index == 0:
                    time.now += 0.3  # no connection was free for 0.3 s
                departing()
                left.append(time.now)
    assert left[10] >= left[0] + 1.0 + 0.05


async def test_a_call_waiting_for_a_window_takes_its_room_before_its_moment(
    database_url: str, time: LimiterTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sync writing a page holds SQLite's write lock for tens of milliseconds. A take that waited
    # for it at the call's moment would send the call that much late, and every later call of the
    # window's chain with it: the room is taken ahead, the call leaves at its moment.
    limits = RateLimits(windows=(Window("second", calls=10, seconds=1.0),), count_from="send", margin=0.05)
    async with processes(database_url, time, count=1) as (limiter,):
        for _ in range(10):
            async with limiter.slot(KEY, limits):
                pass
        first = time.now
        db = await limiter.database()
        real = db.transaction
        taken: list[float] = []

        async def busy_near_the_moment(work: Any) -> Any:
            if time.now >= first + 1.0:
                time.now += 0.2  # a page write holds the database from then on
            taken.append(time.now)
            return await real(work)

        monkeypatch.setattr(db, "transaction", busy_near_the_moment)
        async with limiter.slot(KEY, limits):
            left, took = time.now, taken[-1]
    assert left == pytest.approx(first + 1.05, abs=1e-6)
    assert first < took <= first + 1.05 - RESERVE_AHEAD


async def test_a_call_cancelled_before_its_moment_gives_its_room_back(
    database_url: str, time: LimiterTime
) -> None:
    limits = RateLimits(windows=(Window("second", calls=10, seconds=1.0),), count_from="send", margin=0.05)
    moment_reached = asyncio.Event()

    async def sleep(seconds: float) -> None:
        if seconds <= RESERVE_AHEAD + 1e-9:  # the wait from the reservation to the call's moment
            moment_reached.set()
            await asyncio.Event().wait()  # cancelled meanwhile
        await time.sleep(seconds)

    database = await Database.open(database_url)
    limiter = SharedLimiter(database, clock=time.clock, sleep=sleep)
    try:
        for _ in range(10):
            async with limiter.slot(KEY, limits):
                pass
        waiting = asyncio.ensure_future(limiter.slot(KEY, limits).__aenter__())
        await moment_reached.wait()
        assert await limiter.used(KEY, limits.windows[0]) == 11  # its room is taken
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await limiter.used(KEY, limits.windows[0]) == 10
        await limiter.settle()
        assert await limiter.in_flight(KEY) == 0
    finally:
        await limiter.aclose()
        await database.dispose()


def test_a_window_holding_more_than_it_allows_waits_until_enough_calls_left() -> None:
    # Calls reserved ahead of their moment are counted already: a window may hold 12 of its 10
    # when the next call asks, and then three must leave (not only the oldest) before it fits.
    limits = RateLimits(windows=(Window("second", calls=10, seconds=1.0),))
    ask = ledger.Ask.of("company", "app", limits, frozenset())
    over = ledger.WindowCount(calls=12, first_known=100.0, first=100.0, leaving=(100.0, 100.2, 100.4))
    assert ledger.verdict(ask, ledger.Counts((over,), 0, None), now=100.5).wait == pytest.approx(0.9)
    full = ledger.WindowCount(calls=10, first_known=100.0, first=100.0)
    assert ledger.verdict(ask, ledger.Counts((full,), 0, None), now=100.5).wait == pytest.approx(0.5)
    # What another process spent, learnt from an answer, leaves at its own moment, in turn.
    unseen = ledger.WindowCount(
        calls=10, first_known=100.0, first=100.0, unseen=1, unseen_until=101.1, leaving=(100.0, 100.2)
    )
    assert ledger.verdict(ask, ledger.Counts((unseen,), 0, None), now=100.5).wait == pytest.approx(0.6)


async def test_the_http_layer_says_when_a_request_leaves() -> None:
    marked: list[str] = []
    with counting_departure(lambda: marked.append("left")):
        await session_module._trace("connection.connect_tcp.started", {})
        assert marked == []
        await session_module._trace("http11.send_request_headers.started", {})
    assert marked == ["left"]
    await session_module._trace("http11.send_request_headers.started", {})  # outside a slot: nobody
    assert marked == ["left"]
