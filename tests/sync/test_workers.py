"""Runners: one job at a time per company, webhook jobs deferred with the inbox rows, recovery.

The distributed runner needs PostgreSQL; the embedded one runs on both stores.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from unified_accounting_quickbooks.testing import new_realm_id

from unified_accounting import AsyncClient
from unified_accounting.service import distributed as distributed_module
from unified_accounting.service.distributed import DistributedRunner, conninfo_for
from unified_accounting.service.embedded import EmbeddedRunner
from unified_accounting.sync import SyncService
from unified_accounting.sync.engine import SyncEngine
from unified_accounting.sync.jobs import SyncJob

from ..postgres import fresh_database
from ..webhooks.helpers import LateApp, mount
from .providers import CASES, mirror_summary

pytestmark = pytest.mark.anyio

QBO = CASES["quickbooks"]


#: The daily reconciliation at an hour twelve hours away: run at its usual hour (03:00 UTC) the
#: tests would meet its job, deferred by a worker's periodic check, among the ones they count.
QUIET_CRON = f"0 {(datetime.now(UTC).hour + 12) % 24} * * *"


class Intervals:
    """Start and end of every job, per company, to check that none overlapped."""

    def __init__(self) -> None:
        self.spans: list[tuple[tuple[str, str], float, float]] = []
        self.running: dict[tuple[str, str], int] = {}
        self.overlaps = 0
        self.max_parallel = 0

    def wrap(self, original: Any, company_of: Any) -> Any:
        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            company = company_of(*args, **kwargs)
            self.running[company] = self.running.get(company, 0) + 1
            if self.running[company] > 1:
                self.overlaps += 1
            self.max_parallel = max(self.max_parallel, sum(self.running.values()))
            started = time.monotonic()
            try:
                await asyncio.sleep(0.2)  # widen the window in which a second run could sneak in
                return await original(*args, **kwargs)
            finally:
                self.running[company] -= 1
                self.spans.append((company, started, time.monotonic()))

        return wrapped


def two_company_app() -> tuple[Any, list[str]]:
    from unified_accounting_quickbooks.emulator import create_emulator

    realms = [new_realm_id(), new_realm_id()]
    return create_emulator(realms=realms, seed=3, invoices=20, customers=4, retry_after_s=0), realms


async def connect_all(client: AsyncClient, app: Any, realms: list[str], consumers: int) -> None:
    emulator = app.state.emulator
    for realm in realms:
        for n in range(consumers):
            issued = emulator.issue_tokens(realm)
            await client.import_connection(
                consumer_id=f"consumer-{n}",
                provider="quickbooks",
                company_id=realm,
                access_token=issued["access_token"],
                refresh_token=issued["refresh_token"],
            )


@contextlib.asynccontextmanager
async def worker(runner: DistributedRunner, name: str) -> Any:
    task = asyncio.create_task(runner.run_worker(concurrency=3, name=name))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_for_jobs(conninfo: str, limit: float = 60) -> dict[str, int]:
    deadline = time.monotonic() + limit
    while True:
        async with await psycopg.AsyncConnection.connect(conninfo) as conn:
            rows = await (
                await conn.execute("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")
            ).fetchall()
        statuses = {str(status): int(count) for status, count in rows}
        if not statuses.keys() & {"todo", "doing"}:
            return statuses
        assert time.monotonic() < deadline, statuses
        await asyncio.sleep(0.05)


async def test_two_distributed_workers_never_sync_one_company_at_once(
    postgres_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, realms = two_company_app()
    intervals = Intervals()
    monkeypatch.setattr(
        distributed_module,
        "run_job",
        intervals.wrap(distributed_module.run_job, lambda client, options, job, queue: job.company),
    )
    with fresh_database(postgres_url) as url:
        async with QBO.client(app, url, secret_key) as client:
            await connect_all(client, app, realms, consumers=3)
            first, second = (
                DistributedRunner(client, reconcile_cron=QUIET_CRON),
                DistributedRunner(client, reconcile_cron=QUIET_CRON),
            )
            try:
                for record in await client.connections():
                    await first.defer(SyncJob(record.consumer_id, record.provider, record.company_id))
                async with worker(first, "worker-1"), worker(second, "worker-2"):
                    statuses = await wait_for_jobs(first.conninfo)
                synced = list(await first.app.job_manager.list_jobs_async(task="ua.sync"))
            finally:
                await first.close()
                await second.close()
            assert set(statuses) == {"succeeded"}
            assert [job.status for job in synced] == ["succeeded"] * 6
            assert intervals.overlaps == 0
            assert intervals.max_parallel >= 2  # the two companies did run side by side
            for record in await client.connections():
                conn = await client.connection(
                    consumer_id=record.consumer_id, provider="quickbooks", company_id=record.company_id
                )
                expected = {
                    str(raw["Id"]) for raw in app.state.emulator.records("Invoice", record.company_id)
                }
                assert set(await mirror_summary(conn, "invoice")) == expected


async def test_queueing_lock_keeps_one_waiting_job_per_company(postgres_url: str, secret_key: str) -> None:
    app, realms = two_company_app()
    with fresh_database(postgres_url) as url:
        async with QBO.client(app, url, secret_key) as client:
            await connect_all(client, app, realms[:1], consumers=1)
            runner = DistributedRunner(client, reconcile_cron=QUIET_CRON)
            try:
                for _ in range(5):
                    await runner.defer(SyncJob("consumer-0", "quickbooks", realms[0]))
                jobs = list(await runner.app.job_manager.list_jobs_async(status="todo"))
                assert len(jobs) == 1
            finally:
                await runner.close()


async def test_webhook_job_is_deferred_with_the_inbox_rows(postgres_url: str, secret_key: str) -> None:
    late = LateApp()
    app = QBO.seeded(
        invoices=10,
        webhook_url="http://receiver.test/webhooks/quickbooks",
        webhook_transport=httpx.ASGITransport(app=late),
    )
    with fresh_database(postgres_url) as url:
        async with QBO.client(app, url, secret_key) as client:
            conn = await QBO.connect(client, app)
            await SyncService(client).sync(conn)
            runner = DistributedRunner(client, reconcile_cron=QUIET_CRON)
            try:
                await runner.open()
                late.target = mount(client, runner)
                customer_id = next(iter(QBO.expected(app, "customer")))
                for _ in range(3):
                    await conn.invoices.create(QBO.harness.invoice(customer_id))
                    await app.state.emulator.deliver_webhooks()
                waiting = list(await runner.app.job_manager.list_jobs_async(status="todo"))
                assert [job.task_name for job in waiting] == ["ua.webhooks"]  # one, despite 3 deliveries
                async with worker(runner, "worker"):
                    await wait_for_jobs(runner.conninfo)
            finally:
                await runner.close()
            assert await mirror_summary(conn, "invoice") == QBO.expected(app, "invoice")


async def test_jobs_of_a_dead_worker_are_recovered(postgres_url: str, secret_key: str) -> None:
    app, realms = two_company_app()
    with fresh_database(postgres_url) as url:
        async with QBO.client(app, url, secret_key) as client:
            await connect_all(client, app, realms[:1], consumers=1)
            runner = DistributedRunner(client, stalled_after=5, reconcile_cron=QUIET_CRON)
            try:
                await runner.defer(SyncJob("consumer-0", "quickbooks", realms[0]))
                manager = runner.app.job_manager
                # A worker takes the job, then dies: its heartbeat stops.
                dead = await runner.app.connector.execute_query_one_async(
                    "INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id"
                )
                taken = await manager.fetch_job(queues=None, worker_id=dead["id"])
                assert taken is not None
                async with await psycopg.AsyncConnection.connect(runner.conninfo, autocommit=True) as conn:
                    await conn.execute(
                        "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"
                    )
                assert await runner.recover_stalled() == 1
                async with worker(runner, "survivor"):
                    statuses = await wait_for_jobs(runner.conninfo)
                assert statuses.get("succeeded", 0) >= 1
            finally:
                await runner.close()
            conn = await client.connection(consumer_id="consumer-0", provider="quickbooks")
            assert set(await mirror_summary(conn, "invoice")) == {
                str(raw["Id"]) for raw in app.state.emulator.records("Invoice", realms[0])
            }


async def test_two_embedded_runners_never_sync_one_company_at_once(
    database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, realms = two_company_app()
    intervals = Intervals()
    monkeypatch.setattr(
        SyncEngine, "sync", intervals.wrap(SyncEngine.sync, lambda engine, conn, **kw: conn.key[1:])
    )
    async with (
        QBO.client(app, database_url, secret_key) as one,
        QBO.client(app, database_url, secret_key) as two,
    ):
        await connect_all(one, app, realms, consumers=2)
        async with (
            EmbeddedRunner(one, poll_interval=3600) as first,
            EmbeddedRunner(two, poll_interval=3600) as second,
        ):
            for record in await one.connections():
                job = SyncJob(record.consumer_id, record.provider, record.company_id)
                await first.defer(job)
                await second.defer(job)
            await asyncio.gather(first.drain(), second.drain())
            assert first.failures == second.failures == []
    assert len(intervals.spans) == 8
    assert intervals.overlaps == 0


def test_conninfo_refuses_sqlite() -> None:
    from unified_accounting import ConfigurationError

    with pytest.raises(ConfigurationError):
        conninfo_for("sqlite:///x.db")
    assert conninfo_for("postgresql+psycopg://u@h:5/d") == "postgresql://u@h:5/d"


async def test_distributed_runner_delivers_outbound_webhooks(postgres_url: str, secret_key: str) -> None:
    from unified_accounting.sync import OutboundWebhooks, SyncOptions

    app, realms = two_company_app()
    outbound = OutboundWebhooks(url="http://127.0.0.1:9/unreachable", secret="s", max_attempts=1)
    with fresh_database(postgres_url) as url:
        async with QBO.client(app, url, secret_key) as client:
            await connect_all(client, app, realms[:1], consumers=1)
            conn = await client.connection(consumer_id="consumer-0", provider="quickbooks")
            options = SyncOptions(outbound=outbound, resources=("customer", "invoice", "payment"))
            await SyncService(client, options).sync(conn)
            runner = DistributedRunner(client, options, reconcile_cron=QUIET_CRON)
            try:
                # The product's endpoint is down: every notification is tried once, then marked failed.
                assert await runner.deliver_outbound() == 0
            finally:
                await runner.close()
            async with await psycopg.AsyncConnection.connect(runner.conninfo) as pg:
                rows = await (
                    await pg.execute("SELECT status, count(*) FROM ua_outbox GROUP BY status")
                ).fetchall()
            assert dict(rows) == {
                "failed": len(QBO.expected(app, "invoice"))
                + len(QBO.expected(app, "customer"))
                + len(QBO.expected(app, "payment"))
            }
