"""A sync is background work: it waits rate limits out and carries on; an interactive call does not.

Waiting is recorded by a fake ``sleep`` (no real time passes, nothing is timed).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from unified_accounting.errors import RateLimited
from unified_accounting.http.retry import RetryPolicy
from unified_accounting.sync import SyncOptions, SyncService
from unified_accounting.sync.checkpoint import read_state
from unified_accounting.sync.state import Phase

from .churn import UNLIMITED_EMULATOR, churn_client
from .providers import CASES, ProviderCase, mirror_summary

pytestmark = pytest.mark.anyio

PAGE_SIZE = 40


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> ProviderCase:
    return CASES[request.param]


class Waits:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)


def throttled_app(case: ProviderCase) -> Any:
    """A seeded emulator whose next API answers can be made 429s with ``Retry-After: 0``."""
    return case.seeded(invoices=200, **UNLIMITED_EMULATOR[case.name])


def throttle(case: ProviderCase, app: Any, count: int) -> None:
    case.harness.throttle(app, count)


async def test_sync_waits_rate_limits_out_where_a_caller_gets_the_error(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    app = throttled_app(case)
    client, transport = churn_client(case, app, database_url, secret_key)
    waits = Waits()
    client.retry_policy = replace(client.retry_policy, sleep=waits.sleep)
    async with client:
        conn = await case.connect(client, app)

        async def on_page(page: int) -> None:
            if page == 2:
                throttle(case, app, 8)  # more than the client's 3 retries

        transport.on_page = on_page
        report = await SyncService(client, SyncOptions(page_size=PAGE_SIZE)).sync(conn)
        transport.on_page = None
        assert report.kind == "initial"
        assert await mirror_summary(conn, "invoice") == case.expected(app, "invoice")
        assert len(waits.delays) >= 8 and all(delay > 0 for delay in waits.delays)

        # Product code asking now gets the error once its retries are spent.
        throttle(case, app, 8)
        with pytest.raises(RateLimited):
            await conn.invoices.list(page_size=10).to_list()
        throttle(case, app, 0)


async def test_patience_spent_the_sync_stops_and_resumes_from_its_checkpoint(
    database_url: str, secret_key: str
) -> None:
    case = CASES["quickbooks"]
    app = case.seeded(invoices=200, **UNLIMITED_EMULATOR[case.name])
    client, transport = churn_client(case, app, database_url, secret_key)
    waits = Waits()
    client.retry_policy = replace(client.retry_policy, sleep=waits.sleep)
    patience = timedelta(seconds=20)
    options = SyncOptions(page_size=PAGE_SIZE, prefetch=1, rate_limit_patience=patience)
    async with client:
        conn = await case.connect(client, app)

        async def on_page(page: int) -> None:
            if page == 3:
                throttle(case, app, 10_000)  # throttled for good

        transport.on_page = on_page
        with pytest.raises(RateLimited):
            await SyncService(client, options).sync(conn)
        transport.on_page = None
        assert sum(waits.delays) <= patience.total_seconds()
        state = await read_state(await client.database(), conn.key)
        assert state.phase is Phase.INITIAL and state.pages >= 2

        throttle(case, app, 0)
        report = await SyncService(client, options).sync(conn)
        assert report.kind == "initial" and report.pages > state.pages
        assert await mirror_summary(conn, "invoice") == case.expected(app, "invoice")


def test_background_policy_honours_retry_after_then_backs_off_within_its_patience() -> None:
    policy = RetryPolicy().background(patience=100.0)
    assert policy.delay(4, RateLimited("slow down", retry_after=1)) is None  # retries spent...
    # ...but background work goes on waiting: Retry-After when longer than the backoff step,
    assert policy.rate_limit_delay(1, RateLimited("slow down", retry_after=7), waited=0) == 7
    # a growing step otherwise (never less than half of it, even for "Retry-After: 0"),
    steps = [policy.rate_limit_delay(n, RateLimited("slow down", retry_after=0), waited=0) for n in (1, 4, 8)]
    assert steps[0] is not None and steps[1] is not None and steps[2] is not None
    assert 0.25 <= steps[0] <= 0.5 and 2 <= steps[1] <= 4 and 15 <= steps[2] <= 30
    # until the patience is spent, or a single wait would exceed what is left of it.
    assert policy.rate_limit_delay(1, RateLimited("slow down", retry_after=7), waited=95) is None
    assert policy.rate_limit_delay(1, RateLimited("monthly budget", retry_after=86_400), waited=0) is None
    assert RetryPolicy().rate_limit_patience is None  # interactive by default
