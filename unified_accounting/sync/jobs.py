"""The one job interface both runners share: what a job is, how it is queued, how it runs.

Three kinds of job, all about one company at most:

- :class:`SyncJob` — sync one connection (initial or incremental, or a full listing);
- :class:`WebhookJob` — apply a company's pending inbox events;
- :class:`ReconcileJob` — queue an incremental sync of every connection (the daily catch-up for
  whatever webhooks missed).

A :class:`JobQueue` takes jobs. The embedded runner keeps them in process (the inbox rows are the
durable part); the distributed one stores them in PostgreSQL with procrastinate. Either way
:func:`unified_accounting.service.worker.run_job` does the work, so both behave the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from ..connections import ConnectionKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncJob:
    consumer_id: str
    provider: str
    company_id: str
    full: bool = False

    @property
    def company(self) -> tuple[str, str]:
        return (self.provider, self.company_id)

    @property
    def key(self) -> ConnectionKey:
        return ConnectionKey(self.consumer_id, self.provider, self.company_id)


@dataclass(frozen=True)
class WebhookJob:
    provider: str
    company_id: str

    @property
    def company(self) -> tuple[str, str]:
        return (self.provider, self.company_id)


@dataclass(frozen=True)
class ReconcileJob:
    """Queue an incremental sync of every connection (of one provider, when given)."""

    provider: str | None = None


Job = SyncJob | WebhookJob | ReconcileJob


class JobQueue(Protocol):
    """Where jobs go. ``defer_in_transaction`` makes the job durable with the caller's writes."""

    async def defer(self, job: Job) -> None: ...

    async def defer_in_transaction(self, conn: AsyncConnection, job: Job) -> None:
        """Queue ``job`` in ``conn``'s open transaction: it exists exactly if that commits."""
        ...

    def committed(self, job: Job) -> None:
        """Told after the transaction of ``defer_in_transaction`` committed (to wake a worker)."""
        ...


class InboxOnly:
    """The job queue of a receiver whose embedded worker runs elsewhere (``ua serve --no-worker``
    beside ``ua worker`` on the same SQLite store): the inbox rows are the queue, picked up by
    that worker's polling, so there is nothing else to write."""

    async def defer(self, job: Job) -> None:
        logger.warning("%s not run: this process has no worker (start 'ua worker')", job)

    #: The inbox rows are the queue: a receiver need not call ``defer_in_transaction`` (it may
    #: then write the inbox on the driver directly, see ``Database.write_direct``).
    inbox_is_queue = True

    async def defer_in_transaction(self, conn: AsyncConnection, job: Job) -> None:
        """Nothing to write: the inbox rows are the queue."""

    def committed(self, job: Job) -> None:
        """Nothing to wake: the worker polls the inbox."""
