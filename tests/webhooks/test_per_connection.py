"""Two consumers connected to the same company: one broken connection never holds back the other.

Each test runs on SQLite and PostgreSQL. The healthy consumer's mirror follows the webhooks; the
broken one's changes wait in its own backlog — never ``failed`` — and are applied once it works.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from unified_accounting import AsyncClient, AsyncConnection, ConnectionHealth, ProviderUnavailable, hookimpl
from unified_accounting.service.embedded import EmbeddedRunner
from unified_accounting.sync import SyncService
from unified_accounting.sync.engine import SyncOptions
from unified_accounting.webhooks import backlog, inbox
from unified_accounting.webhooks.processor import MAX_ATTEMPTS, process_company
from unified_accounting.webhooks.schema import webhook_backlog

from ..sync.providers import CASES, ProviderCase, mirror_summary
from .helpers import RecordingQueue, event_statuses, mount
from .test_receiver import RESOURCES, emulator_with_receiver, make_changes

pytestmark = pytest.mark.anyio


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> ProviderCase:
    return CASES[request.param]


class Outage:
    """Refuses every request made with one consumer's access token (its network is down)."""

    def __init__(self) -> None:
        self.refused: set[str] = set()
        self.attempts = 0

    @hookimpl
    def ua_before_request(self, provider: str, company_id: str, request: httpx.Request) -> None:
        if request.headers.get("authorization", "").removeprefix("Bearer ") in self.refused:
            self.attempts += 1
            raise ProviderUnavailable("connection reset", provider=provider)


async def two_consumers(case: ProviderCase, client: AsyncClient, app: Any) -> tuple[AsyncConnection, ...]:
    """``alpha`` and ``beta`` connected to the same company, both mirrors synced."""
    alpha = await case.connect(client, app, consumer="alpha")
    beta = await case.connect(client, app, consumer="beta")
    assert alpha.company_id == beta.company_id
    for conn in (alpha, beta):
        await SyncService(client).sync(conn)
    return alpha, beta


async def mirrors_match(case: ProviderCase, app: Any, conn: AsyncConnection) -> bool:
    for resource in RESOURCES:
        if await mirror_summary(conn, resource) != case.expected(app, resource):
            return False
    return True


async def set_health(client: AsyncClient, conn: AsyncConnection, health: ConnectionHealth) -> None:
    await client.store.save((await conn.record()).model_copy(update={"health": health}))


async def end_back_off(client: AsyncClient) -> None:
    """What the passing of time does to a back-off."""
    db = await client.database()
    await db.transaction(
        lambda conn: conn.execute(
            update(webhook_backlog)
            .where(webhook_backlog.c.retry_at.is_not(None))
            .values(retry_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    )


async def backlog_rows(client: AsyncClient) -> list[Any]:
    db = await client.database()
    async with db.read() as conn:
        return list((await conn.execute(select(webhook_backlog))).all())


async def test_a_connection_waiting_for_its_user_does_not_hold_back_the_other(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    app, late = emulator_with_receiver(case)
    async with case.client(app, database_url, secret_key) as client:
        alpha, beta = await two_consumers(case, client, app)
        await set_health(client, beta, ConnectionHealth.NEEDS_REAUTH)
        late.target = mount(client, RecordingQueue())
        await make_changes(case, app, alpha)
        await case.emulator(app).deliver_webhooks()

        async with EmbeddedRunner(client, poll_interval=3600) as runner:
            await runner.drain()
            assert runner.failures == []
        assert set(await event_statuses(client)) == {"done"}
        assert await mirrors_match(case, app, alpha)
        assert not await mirrors_match(case, app, beta)  # untouched: it waits for its user
        db = await client.database()
        assert await backlog.waiting(db, beta.key) > 0
        assert await backlog.waiting(db, alpha.key) == 0
        assert await inbox.companies_with_pending(db) == []  # nothing to do until beta reconnects

        await case.connect(client, app, consumer="beta")  # the user connects again
        assert await inbox.companies_with_pending(db) == [(case.name, beta.company_id)]
        async with EmbeddedRunner(client, poll_interval=3600) as runner:  # picks the backlog up
            await runner.drain()
            assert runner.failures == []
        assert await mirrors_match(case, app, beta)
        assert await backlog.waiting(db, beta.key) == 0
        assert set(await event_statuses(client)) == {"done"}


async def test_a_connection_revoked_at_the_provider_waits_and_the_other_is_updated(
    database_url: str, secret_key: str
) -> None:
    """The reported case: the provider revoked one consumer's grant, its vault record still says ok."""
    case = CASES["quickbooks"]
    app, late = emulator_with_receiver(case)
    async with case.client(app, database_url, secret_key) as client:
        alpha, beta = await two_consumers(case, client, app)
        tokens = (await beta.record()).tokens
        assert tokens.refresh_token is not None
        assert case.emulator(app).tokens.revoke(tokens.refresh_token.get_secret_value())
        late.target = mount(client, RecordingQueue())
        await make_changes(case, app, alpha)
        await case.emulator(app).deliver_webhooks()

        report = await process_company(client, case.name, alpha.company_id)
        assert set(report.failures) == {beta.key} and "ReauthorizationRequired" in report.failures[beta.key]
        assert report.waiting == {beta.key}
        assert set(await event_statuses(client)) == {"done"}
        assert await mirrors_match(case, app, alpha)
        assert (await beta.record()).health is ConnectionHealth.NEEDS_REAUTH
        rows = await backlog_rows(client)
        assert rows and {(r.consumer_id, r.attempts, r.retry_at) for r in rows} == {("beta", 0, None)}

        await case.connect(client, app, consumer="beta")
        report = await process_company(client, case.name, alpha.company_id)
        assert report.failures == {} and report.waiting == set()
        assert await mirrors_match(case, app, beta)
        assert await backlog_rows(client) == []


async def test_a_failing_connection_counts_its_own_attempts_and_never_fails_the_events(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    app, late = emulator_with_receiver(case)
    outage = Outage()
    async with case.client(app, database_url, secret_key, plugins=(outage,)) as client:
        alpha, beta = await two_consumers(case, client, app)
        outage.refused.add((await beta.record()).tokens.access_token.get_secret_value())
        late.target = mount(client, RecordingQueue())
        await make_changes(case, app, alpha)
        await case.emulator(app).deliver_webhooks()
        db = await client.database()

        report = await process_company(client, case.name, alpha.company_id)
        assert set(report.failures) == {beta.key} and "connection reset" in report.failures[beta.key]
        assert await mirrors_match(case, app, alpha)
        assert set(await event_statuses(client)) == {"done"}
        [state] = {(r.consumer_id, r.attempts) for r in await backlog_rows(client)}
        assert state == ("beta", 1)
        assert all(r.retry_at > datetime.now(UTC) for r in await backlog_rows(client))

        # Backing off: neither a poll nor a new job tries beta again yet.
        assert await inbox.companies_with_pending(db) == []
        tried = outage.attempts
        await process_company(client, case.name, alpha.company_id)
        assert outage.attempts == tried

        # Failing again and again is counted against beta only; the events stay done.
        for _ in range(MAX_ATTEMPTS):
            await end_back_off(client)
            assert await inbox.companies_with_pending(db) == [(case.name, alpha.company_id)]
            await process_company(client, case.name, alpha.company_id)
        rows = await backlog_rows(client)
        assert {(r.consumer_id, r.attempts) for r in rows} == {("beta", MAX_ATTEMPTS + 1)}
        assert set(await event_statuses(client)) == {"done"}

        outage.refused.clear()  # beta's network is back
        await end_back_off(client)
        report = await process_company(client, case.name, alpha.company_id)
        assert report.failures == {}
        assert await mirrors_match(case, app, beta)
        assert await backlog_rows(client) == []


async def test_a_mirror_write_refused_for_one_connection_fails_that_connection_alone(
    database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unified_accounting.webhooks import processor

    case = CASES["quickbooks"]
    app, late = emulator_with_receiver(case)
    async with case.client(app, database_url, secret_key) as client:
        alpha, beta = await two_consumers(case, client, app)
        late.target = mount(client, RecordingQueue())
        await make_changes(case, app, alpha)
        await case.emulator(app).deliver_webhooks()
        real_apply = processor.apply_writes

        async def refusing(db: Any, conn: Any, key: Any, writes: Any, **options: Any) -> Any:
            changes = await real_apply(db, conn, key, writes, **options)  # written, then refused
            if key.consumer_id == "beta":
                raise ValueError("beta's mirror refused the write")
            return changes

        monkeypatch.setattr(processor, "apply_writes", refusing)
        report = await process_company(client, case.name, alpha.company_id)
        assert set(report.failures) == {beta.key} and "refused" in report.failures[beta.key]
        assert await mirrors_match(case, app, alpha)
        assert not await mirrors_match(case, app, beta)  # its part was rolled back, not half-applied
        assert set(await event_statuses(client)) == {"done"}
        assert {(r.consumer_id, r.attempts) for r in await backlog_rows(client)} == {("beta", 1)}

        monkeypatch.setattr(processor, "apply_writes", real_apply)
        await end_back_off(client)
        await process_company(client, case.name, alpha.company_id)
        assert await mirrors_match(case, app, beta)
        assert await backlog_rows(client) == []


async def test_new_events_join_a_backlog_and_its_back_off(database_url: str, secret_key: str) -> None:
    case = CASES["quickbooks"]
    app, late = emulator_with_receiver(case)
    outage = Outage()
    async with case.client(app, database_url, secret_key, plugins=(outage,)) as client:
        alpha, beta = await two_consumers(case, client, app)
        outage.refused.add((await beta.record()).tokens.access_token.get_secret_value())
        late.target = mount(client, RecordingQueue())
        await make_changes(case, app, alpha)
        await case.emulator(app).deliver_webhooks()
        await process_company(client, case.name, alpha.company_id)
        tried = outage.attempts

        customer_id = next(iter(case.expected(app, "customer")))
        await alpha.invoices.create(case.harness.invoice(customer_id))
        await case.emulator(app).deliver_webhooks()
        await process_company(client, case.name, alpha.company_id)
        assert outage.attempts == tried  # beta is still backing off: not tried for the new event
        assert await mirrors_match(case, app, alpha)
        rows = await backlog_rows(client)
        assert {r.attempts for r in rows} == {1} and len({r.retry_at for r in rows}) == 1


@pytest.mark.slow
async def test_a_backlog_is_bounded_by_retention_and_by_the_connection_existing(
    database_url: str, secret_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    case = CASES["quickbooks"]
    app, late = emulator_with_receiver(case)
    async with case.client(app, database_url, secret_key) as client:
        alpha, beta = await two_consumers(case, client, app)
        gamma = await case.connect(client, app, consumer="gamma")
        for conn in (beta, gamma):
            await set_health(client, conn, ConnectionHealth.REVOKED)
        late.target = mount(client, RecordingQueue())
        await make_changes(case, app, alpha)
        await case.emulator(app).deliver_webhooks()
        await process_company(client, case.name, alpha.company_id)
        db = await client.database()
        changed = await backlog.waiting(db, beta.key)
        assert changed == await backlog.waiting(db, gamma.key) > 0

        # The same records changing again: still one row per record.
        for _ in range(3):
            await make_changes(case, app, alpha)
        await case.emulator(app).deliver_webhooks()
        await process_company(client, case.name, alpha.company_id)
        assert await backlog.waiting(db, beta.key) == changed + 3 * 2  # two new invoices a round

        await client.store.delete(gamma.key)  # disconnected: its backlog goes with it
        expire_now = SyncOptions(webhook_backlog_retention=timedelta(0))
        with caplog.at_level("WARNING", logger="unified_accounting.webhooks.backlog"):
            await process_company(client, case.name, alpha.company_id, options=expire_now)
        assert await backlog_rows(client) == []
        assert "were dropped" in caplog.text and "beta" in caplog.text


def test_back_off_doubles_up_to_an_hour() -> None:
    delays = [backlog.retry_delay(n) for n in range(1, 10)]
    assert delays[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert delays[-1] == timedelta(hours=1) and delays == sorted(delays)
