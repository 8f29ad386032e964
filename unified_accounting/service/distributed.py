"""The distributed runner: jobs in PostgreSQL with procrastinate, run by any number of workers.

Guarantees, per company (``provider:company_id``):

- jobs run one at a time across every worker and machine: each carries the procrastinate
  ``lock`` of its company;
- at most one sync and one webhook job wait behind the running one: each carries a
  ``queueing_lock``; a second one is refused (``AlreadyEnqueued``) and dropped, because the one
  waiting will do the same work (it reads the inbox, or the provider's changes, when it starts);
- a webhook job is deferred in the receiving request's transaction (``defer_in_transaction``):
  the inbox rows and the job commit together or not at all.

Periodic tasks (deduplicated across workers by the database): a daily reconciliation that queues
an incremental sync of every connection, a minute-by-minute recovery of jobs left ``doing`` by a
worker that died (procrastinate's stalled jobs: the worker stopped sending heartbeats) together
with a new job for inbox events left pending (their job gave up), and the delivery of due outbound
webhooks, every minute.
Transient errors (provider unavailable, rate limited, lost connection) are retried with
exponential back-off.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from ..client.async_client import AsyncClient
from ..errors import ConfigurationError, ProviderUnavailable, RateLimited
from ..sync.engine import SyncOptions
from ..sync.jobs import Job, ReconcileJob, SyncJob, WebhookJob
from ..webhooks import inbox
from ..webhooks.inbox import JobRow
from .worker import run_job

if TYPE_CHECKING:
    import procrastinate

logger = logging.getLogger(__name__)

#: Daily at 03:00 UTC (procrastinate cron; a sixth field would be seconds).
RECONCILE_CRON = "0 3 * * *"
RECOVER_CRON = "* * * * *"
#: A worker silent for this long is considered dead and its jobs are run again.
STALLED_AFTER_SECONDS = 60.0
_SCHEMA_LOCK_ID = 0x75615F6A6F6273  # "ua_jobs"


@functools.cache
def _postgres_extra() -> SimpleNamespace:
    """procrastinate and psycopg, imported when a distributed runner is made: they are the optional
    ``postgres`` extra, and the embedded runner (``ua serve`` on SQLite) must start without them."""
    try:
        import procrastinate
        import psycopg
        from procrastinate.exceptions import AlreadyEnqueued
    except ImportError as exc:
        raise ConfigurationError(
            "the distributed runner needs the postgres extra: pip install 'unified-accounting[postgres]'"
        ) from exc
    retry = procrastinate.RetryStrategy(
        max_attempts=10,
        exponential_wait=2,
        retry_exceptions={ProviderUnavailable, RateLimited, OSError, psycopg.OperationalError, TimeoutError},
    )
    return SimpleNamespace(
        procrastinate=procrastinate, psycopg=psycopg, AlreadyEnqueued=AlreadyEnqueued, retry=retry
    )


def conninfo_for(database_url: str) -> str:
    """A libpq connection string for a ``postgresql://`` (or ``postgresql+driver://``) URL."""
    url = make_url(database_url)
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise ConfigurationError(
            "the distributed runner needs PostgreSQL: set UA_DATABASE_URL to a postgresql:// URL "
            "(the embedded runner serves SQLite)"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def company_lock(provider: str, company_id: str) -> str:
    return f"ua-company:{provider}:{company_id}"


class DistributedRunner:
    """Jobs of ``client`` on procrastinate. ``await runner.run_worker()`` processes them."""

    def __init__(
        self,
        client: AsyncClient,
        options: SyncOptions | None = None,
        *,
        database_url: str | None = None,
        reconcile_cron: str = RECONCILE_CRON,
        stalled_after: float = STALLED_AFTER_SECONDS,
    ) -> None:
        url = database_url or client.database_url
        if not url:
            raise ConfigurationError("the distributed runner needs database_url or UA_DATABASE_URL")
        self.client = client
        self.options = options or SyncOptions()
        self.conninfo = conninfo_for(url)
        self.stalled_after = stalled_after
        extra = _postgres_extra().procrastinate
        self.app: procrastinate.App = extra.App(connector=extra.PsycopgConnector(conninfo=self.conninfo))
        self._opened = False
        self._register(reconcile_cron)

    # ------------------------------------------------------------------------------------ tasks

    def _register(self, reconcile_cron: str) -> None:
        app = self.app
        retry = _postgres_extra().retry

        @app.task(name="ua.sync", retry=retry)
        async def sync(consumer_id: str, provider: str, company_id: str, full: bool = False) -> None:
            await run_job(self.client, self.options, SyncJob(consumer_id, provider, company_id, full), self)

        @app.task(name="ua.webhooks", retry=retry)
        async def webhooks(provider: str, company_id: str) -> None:
            await run_job(self.client, self.options, WebhookJob(provider, company_id), self)

        @app.periodic(cron=reconcile_cron, periodic_id="ua-reconcile")
        @app.task(name="ua.reconcile", queueing_lock="ua-reconcile")
        async def reconcile(timestamp: int) -> None:
            await run_job(self.client, self.options, ReconcileJob(), self)

        @app.periodic(cron=RECOVER_CRON, periodic_id="ua-recover")
        @app.task(name="ua.recover_stalled", queueing_lock="ua-recover")
        async def recover(timestamp: int) -> None:
            await self.recover_stalled()
            await self.pick_up_inbox()

        @app.periodic(cron=RECOVER_CRON, periodic_id="ua-outbound")
        @app.task(name="ua.deliver_outbound", queueing_lock="ua-outbound", retry=retry)
        async def deliver_outbound(timestamp: int) -> None:
            await self.deliver_outbound()

        self._tasks: dict[str, Any] = {"sync": sync, "webhooks": webhooks, "reconcile": reconcile}

    def _deferrer(self, job: Job, connection: Any = None) -> tuple[Any, dict[str, Any]]:
        extra: dict[str, Any] = {} if connection is None else {"connection": connection}
        if isinstance(job, SyncJob):
            deferrer = self._tasks["sync"].configure(
                lock=company_lock(job.provider, job.company_id),
                queueing_lock=f"ua-sync:{job.provider}:{job.company_id}:{job.consumer_id}",
                **extra,
            )
            return deferrer, {
                "consumer_id": job.consumer_id,
                "provider": job.provider,
                "company_id": job.company_id,
                "full": job.full,
            }
        if isinstance(job, WebhookJob):
            deferrer = self._tasks["webhooks"].configure(
                lock=company_lock(job.provider, job.company_id),
                queueing_lock=f"ua-webhooks:{job.provider}:{job.company_id}",
                **extra,
            )
            return deferrer, {"provider": job.provider, "company_id": job.company_id}
        return self._tasks["reconcile"].configure(**extra), {"timestamp": 0}

    # -------------------------------------------------------------------------------- JobQueue

    async def defer(self, job: Job) -> None:
        """Queue ``job`` (dropped when the same job already waits: it will do the same work)."""
        await self.open()
        deferrer, arguments = self._deferrer(job)
        try:
            await deferrer.defer_async(**arguments)
        except _postgres_extra().AlreadyEnqueued:
            logger.debug("%s already waits: not queued again", job)

    async def defer_in_transaction(self, conn: AsyncConnection, job: Job) -> None:
        raw = await conn.get_raw_connection()
        deferrer, arguments = self._deferrer(job, raw.driver_connection)
        try:
            # A savepoint: a refused duplicate must not abort the caller's transaction.
            async with conn.begin_nested():
                await deferrer.defer_async(**arguments)
        except _postgres_extra().AlreadyEnqueued:
            logger.debug("%s already waits: not queued again", job)

    def committed(self, job: Job) -> None:
        """Nothing to do: workers are woken by PostgreSQL notifications."""

    def webhook_job_rows(self, companies: Sequence[tuple[str, str]]) -> list[JobRow]:
        """The ``procrastinate_jobs`` row of each (provider, company)'s webhook job, as
        :meth:`defer_in_transaction` would defer it: for the webhook receiver, which inserts them
        with its deliveries in one statement (a job already waiting is kept, as ``AlreadyEnqueued``
        keeps it here)."""
        rows = []
        for provider, company_id in companies:
            deferrer, arguments = self._deferrer(WebhookJob(provider, company_id))
            job = deferrer.make_new_job(**arguments)
            rows.append(
                JobRow(
                    provider,
                    company_id,
                    job.queue,
                    job.task_name,
                    job.priority,
                    job.lock,
                    job.queueing_lock,
                    job.task_kwargs,
                )
            )
        return rows

    # ------------------------------------------------------------------------------- lifecycle

    async def install_schema(self) -> None:
        """Create procrastinate's tables unless they exist (safe when several workers start)."""
        connect = _postgres_extra().psycopg.AsyncConnection.connect
        async with await connect(self.conninfo, autocommit=True) as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK_ID,))
            try:
                found = await (await conn.execute("SELECT to_regclass('procrastinate_jobs')")).fetchone()
                if found is None or found[0] is None:
                    await conn.execute(self.app.schema_manager.get_schema())
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK_ID,))

    async def open(self) -> None:
        if not self._opened:
            await self.install_schema()
            await self.app.open_async()
            self._opened = True

    async def close(self) -> None:
        if self._opened:
            await self.app.close_async()
            self._opened = False

    async def run_worker(self, *, concurrency: int = 4, wait: bool = True, name: str | None = None) -> None:
        """Process jobs until cancelled (``wait=False``: until the queue is empty)."""
        await self.open()
        if name:
            await self.app.run_worker_async(
                concurrency=concurrency, wait=wait, install_signal_handlers=False, name=name
            )
        else:
            await self.app.run_worker_async(concurrency=concurrency, wait=wait, install_signal_handlers=False)

    async def deliver_outbound(self) -> int:
        """Send the outbound webhooks that are due (every minute; each claimed by one worker)."""
        outbound = self.options.outbound
        if outbound is None:
            return 0
        db = await self.client.database()
        async with httpx.AsyncClient() as http:
            return await outbound.deliver_due(db, http, limit=1000)

    async def pick_up_inbox(self) -> int:
        """Queue a webhook job for every company with pending inbox events (normally each has one
        already: this catches events whose job gave up after its retries)."""
        pending = await inbox.companies_with_pending(await self.client.database())
        for provider, company_id in pending:
            await self.defer(WebhookJob(provider, company_id))
        return len(pending)

    async def recover_stalled(self) -> int:
        """Run again the jobs whose worker died while running them; return how many."""
        stalled = list(
            await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=self.stalled_after)
        )
        for job in stalled:
            logger.warning("job %s (%s) was left by a dead worker: retrying it", job.id, job.task_name)
            await self.app.job_manager.retry_job(job)
        return len(stalled)
