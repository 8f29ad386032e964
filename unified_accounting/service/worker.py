"""What a job does, whichever runner runs it (see :mod:`unified_accounting.sync.jobs`)."""

from __future__ import annotations

import logging

from ..client.async_client import AsyncClient, AsyncConnection
from ..sync.engine import SyncOptions
from ..sync.jobs import Job, JobQueue, SyncJob, WebhookJob
from ..sync.service import SyncService
from ..webhooks.processor import process_company

logger = logging.getLogger(__name__)


async def run_job(client: AsyncClient, options: SyncOptions, job: Job, queue: JobQueue) -> None:
    """Do one job's work (the caller serialises jobs per company; the lease double-checks)."""
    if isinstance(job, SyncJob):
        if await client.store.get(job.key) is None:
            logger.warning("sync of %s skipped: the connection no longer exists", job.key)
            return
        report = await SyncService(client, options).sync(AsyncConnection(client, job.key), full=job.full)
        logger.info(
            "%s sync of %s: %d records, %d created, %d updated, %d deleted",
            report.kind,
            job.key,
            report.records,
            report.created,
            report.updated,
            report.deleted,
        )
    elif isinstance(job, WebhookJob):
        result = await process_company(client, job.provider, job.company_id, options=options)
        logger.info(
            "webhooks of %s %s: %d events, %d changes",
            job.provider,
            job.company_id,
            result.events,
            result.changed,
        )
    else:
        for record in await client.connections(provider=job.provider):
            await queue.defer(SyncJob(record.consumer_id, record.provider, record.company_id))
