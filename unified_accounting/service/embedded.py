"""The embedded runner: jobs run in this process on asyncio, next to the app (the default).

- at most one job per company runs at a time, and at most one more of each kind waits behind it
  (a second identical job is merged into the waiting one: it would do the same work);
- the webhook inbox is the durable queue: at start-up, and every ``poll_interval`` seconds, every
  company with pending events gets a :class:`~unified_accounting.sync.jobs.WebhookJob` — so
  events received before a restart, or by another process, are processed;
- every ``reconcile_interval`` an incremental sync of every connection is queued;
- due outbound webhooks are delivered.

A failed job is logged and retried by the next poll (webhook events stay pending until applied).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from ..sync.engine import SyncOptions
from ..sync.jobs import Job, ReconcileJob, SyncJob, WebhookJob
from ..webhooks import inbox
from .worker import run_job

if TYPE_CHECKING:
    from ..client.async_client import AsyncClient

logger = logging.getLogger(__name__)


@dataclass
class _Company:
    running: asyncio.Task[None] | None = None
    waiting: dict[Job, None] = field(default_factory=dict)  # an ordered set


class EmbeddedRunner:
    """In-process job runner; ``async with EmbeddedRunner(client) as runner: ...``."""

    def __init__(
        self,
        client: AsyncClient,
        options: SyncOptions | None = None,
        *,
        poll_interval: float = 5.0,
        reconcile_interval: timedelta | None = timedelta(days=1),
    ) -> None:
        self.client = client
        self.options = options or SyncOptions()
        self.poll_interval = poll_interval
        self.reconcile_interval = reconcile_interval
        self._companies: dict[tuple[str, str], _Company] = {}
        self._background: list[asyncio.Task[None]] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._http: httpx.AsyncClient | None = None
        self.failures: list[tuple[Job, BaseException]] = []

    # ------------------------------------------------------------------------------- JobQueue

    #: The inbox rows are the queue (see :class:`~unified_accounting.sync.jobs.InboxOnly`).
    inbox_is_queue = True

    async def defer(self, job: Job) -> None:
        self._schedule(job)

    async def defer_in_transaction(self, conn: AsyncConnection, job: Job) -> None:
        """Nothing to write: the inbox rows in that transaction are the durable queue."""

    def committed(self, job: Job) -> None:
        self._schedule(job)

    # -------------------------------------------------------------------------------- running

    def _schedule(self, job: Job) -> None:
        if isinstance(job, ReconcileJob):
            self._start(("", ""), job)
            return
        company = self._companies.setdefault(job.company, _Company())
        if company.running is None:
            self._start(job.company, job)
        else:
            company.waiting[job] = None

    def _start(self, company_key: tuple[str, str], job: Job) -> None:
        self._idle.clear()
        company = self._companies.setdefault(company_key, _Company())
        company.running = asyncio.create_task(self._run(company_key, job), name=f"ua-job-{job}")

    async def _run(self, company_key: tuple[str, str], job: Job) -> None:
        try:
            await run_job(self.client, self.options, job, self)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("job %s failed; it is retried later", job)
            self.failures.append((job, exc))
        finally:
            company = self._companies[company_key]
            company.running = None
            if company.waiting:
                following = next(iter(company.waiting))
                del company.waiting[following]
                self._start(company_key, following)
            elif all(c.running is None for c in self._companies.values()):
                self._idle.set()

    async def drain(self) -> None:
        """Wait until no job runs or waits (for tests and orderly shutdown)."""
        while not self._idle.is_set():
            await self._idle.wait()
            await asyncio.sleep(0)

    async def pick_up_inbox(self) -> int:
        """Queue a webhook job for every company with pending events; return how many."""
        db = await self.client.database()
        pending = await inbox.companies_with_pending(db)
        for provider, company_id in pending:
            self._schedule(WebhookJob(provider, company_id))
        return len(pending)

    # ------------------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        await self.pick_up_inbox()
        self._background.append(asyncio.create_task(self._poll(), name="ua-embedded-poll"))
        if self.reconcile_interval is not None:
            self._background.append(asyncio.create_task(self._reconcile(), name="ua-embedded-reconcile"))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                await self.pick_up_inbox()
                await self._deliver_outbound()
            except Exception:
                logger.exception("embedded runner poll failed")

    async def _reconcile(self) -> None:
        assert self.reconcile_interval is not None
        while True:
            await asyncio.sleep(self.reconcile_interval.total_seconds())
            self._schedule(ReconcileJob())

    async def _deliver_outbound(self) -> None:
        if self.options.outbound is None:
            return
        if self._http is None:
            self._http = httpx.AsyncClient()
        db = await self.client.database()
        await self.options.outbound.deliver_due(db, self._http)

    async def stop(self) -> None:
        tasks = [*self._background, *(c.running for c in self._companies.values() if c.running)]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._background.clear()
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> EmbeddedRunner:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def sync(self, job: SyncJob) -> None:
        """Queue a sync and wait for every queued job to finish."""
        self._schedule(job)
        await self.drain()
