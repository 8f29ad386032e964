"""Per-connection webhook work: what one connection still has to apply when the others have.

The inbox keeps events per (provider, company), and every connection of that company — one per
consumer who connected it — has its own mirror. Processing applies an event to all of them at once;
a connection that cannot take it now gets the event's record in its **backlog** instead, so the
other connections' mirrors move on and the event leaves the inbox:

- a connection whose user must act (``needs_reauth``, ``revoked``) *waits*: nothing is attempted and
  nothing counted until it is usable again (reconnected), then its backlog is applied;
- a connection whose fetch or write failed has the failure counted on its own rows (``attempts``,
  ``last_error``) and is tried again after an exponential back-off (30 s doubling, at most an hour);
  all rows of one connection share that state, and records joining a backlog take it over.

Rows are per (connection, resource, record): a record changed a thousand times while a connection
waited is one row, so a backlog never outgrows the company. Rows queued longer than
``SyncOptions.webhook_backlog_retention`` (30 days by default) are dropped with a warning; the
daily reconciliation — an incremental sync of every connection — brings such a connection up to
date once it works again. Only the processor writes the backlog, under the company's lease.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..connections import ConnectionHealth, ConnectionKey
from ..storage.database import Database
from ..vault.schema import connections
from .schema import webhook_backlog

logger = logging.getLogger(__name__)

#: Connections whose user must connect again: their backlog waits, without attempts.
WAITING_HEALTH = frozenset({ConnectionHealth.NEEDS_REAUTH.value, ConnectionHealth.REVOKED.value})
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
DEFAULT_RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class Pending:
    """One record a connection still has to fetch and apply."""

    resource: str
    record_id: str
    occurred_at: datetime | None


def retry_delay(attempts: int) -> timedelta:
    """The pause after ``attempts`` failures in a row: 30 s, 1 min, 2 min, … at most an hour."""
    delay: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, LONGEST_RETRY)


def usable(health: str) -> bool:
    return health not in WAITING_HEALTH


def _of(key: ConnectionKey) -> ColumnElement[bool]:
    rows = webhook_backlog.c
    return and_(
        rows.consumer_id == key.consumer_id, rows.provider == key.provider, rows.company_id == key.company_id
    )


async def consumers_with_backlog(db: Database, provider: str, company_id: str) -> set[str]:
    rows = webhook_backlog.c
    async with db.read() as conn:
        found = await conn.execute(
            select(rows.consumer_id)
            .where(rows.provider == provider, rows.company_id == company_id)
            .distinct()
        )
        return {row[0] for row in found}


@dataclass(frozen=True)
class RetryState:
    """Where a connection's backlog stands: failed attempts in a row, and when to try again."""

    attempts: int = 0
    retry_at: datetime | None = None

    @classmethod
    def failed_once(cls, now: datetime) -> RetryState:
        return cls(1, now + retry_delay(1))


async def state(db: Database, key: ConnectionKey) -> RetryState:
    rows = webhook_backlog.c
    async with db.read() as conn:
        found = (
            await conn.execute(select(func.max(rows.attempts), func.max(rows.retry_at)).where(_of(key)))
        ).one()
    return RetryState(int(found[0] or 0), found[1])


async def add(
    db: Database,
    conn: AsyncConnection,
    key: ConnectionKey,
    items: Iterable[Pending],
    *,
    now: datetime,
    error: str,
    retry: RetryState,
) -> None:
    """Put ``items`` in ``key``'s backlog with the connection's ``retry`` state (a record already
    there stays one row)."""
    values = [
        {
            "consumer_id": key.consumer_id,
            "provider": key.provider,
            "company_id": key.company_id,
            "resource": item.resource,
            "record_id": item.record_id,
            "occurred_at": item.occurred_at,
            "queued_at": now,
            "attempts": retry.attempts,
            "retry_at": retry.retry_at,
            "last_error": error[:2000],
        }
        for item in {(i.resource, i.record_id): i for i in items}.values()
    ]
    if values:
        await conn.execute(db.insert(webhook_backlog).values(values).on_conflict_do_nothing())


async def due(db: Database, key: ConnectionKey, now: datetime, limit: int = 100) -> list[Pending]:
    """The oldest rows of ``key``'s backlog whose back-off is over."""
    rows = webhook_backlog.c
    async with db.read() as conn:
        found = await conn.execute(
            select(rows.resource, rows.record_id, rows.occurred_at)
            .where(_of(key), or_(rows.retry_at.is_(None), rows.retry_at <= now))
            .order_by(rows.queued_at, rows.resource, rows.record_id)
            .limit(limit)
        )
        return [Pending(row.resource, row.record_id, row.occurred_at) for row in found]


async def applied(conn: AsyncConnection, key: ConnectionKey, items: Sequence[Pending]) -> None:
    """Drop rows that were applied (in the transaction that applied them); the connection works
    again, so what remains of its backlog loses its back-off."""
    if not items:
        return
    rows = webhook_backlog.c
    await conn.execute(
        delete(webhook_backlog).where(
            _of(key), tuple_(rows.resource, rows.record_id).in_([(i.resource, i.record_id) for i in items])
        )
    )
    await conn.execute(update(webhook_backlog).where(_of(key)).values(attempts=0, retry_at=None))


async def record_failure(
    db: Database, key: ConnectionKey, *, now: datetime, error: str, counted: bool = True
) -> RetryState:
    """Count a failed attempt against ``key`` only (all its rows: one back-off per connection).

    ``counted=False``: the connection now waits for its user (``needs_reauth``): no back-off, it
    goes on as soon as it is reconnected.
    """
    current = await state(db, key)
    retry = (
        RetryState(current.attempts + 1, now + retry_delay(current.attempts + 1))
        if counted
        else RetryState(current.attempts)
    )

    async def count(conn: AsyncConnection) -> None:
        await conn.execute(
            update(webhook_backlog)
            .where(_of(key))
            .values(attempts=retry.attempts, retry_at=retry.retry_at, last_error=error[:2000])
        )

    await db.transaction(count)
    return retry


async def tidy(
    db: Database,
    provider: str,
    company_id: str,
    connected: Iterable[str],
    *,
    now: datetime,
    retention: timedelta,
) -> None:
    """Drop rows of connections that are gone, and rows older than ``retention`` (logged)."""
    rows = webhook_backlog.c
    company = and_(rows.provider == provider, rows.company_id == company_id)
    cutoff = now - retention
    async with db.read() as conn:  # usually there is no backlog at all: no write then
        held = (
            await conn.execute(
                select(rows.consumer_id, func.count(), func.min(rows.queued_at))
                .where(company)
                .group_by(rows.consumer_id)
            )
        ).all()
        expired: list[Any] = []
        if any(oldest < cutoff for _, _, oldest in held):
            expired = list(
                await conn.execute(
                    select(rows.consumer_id, func.count())
                    .where(company, rows.queued_at < cutoff)
                    .group_by(rows.consumer_id)
                )
            )
    gone = {consumer for consumer, _, _ in held} - set(connected)
    if not expired and not gone:
        return
    for consumer_id, count in expired:
        logger.warning(
            "%d webhook change(s) for %s/%s/%s waited more than %s and were dropped: the "
            "reconciliation sync brings the connection up to date once it works again",
            count,
            consumer_id,
            provider,
            company_id,
            retention,
        )

    async def drop(conn: AsyncConnection) -> None:
        await conn.execute(delete(webhook_backlog).where(company, rows.queued_at < cutoff))
        await conn.execute(delete(webhook_backlog).where(company, rows.consumer_id.in_(sorted(gone))))

    await db.transaction(drop)


async def companies_with_due_work(db: Database, now: datetime) -> list[tuple[str, str]]:
    """(provider, company) pairs where a usable connection has backlog due, or whose backlog
    belongs to a connection that is gone (processing tidies it)."""
    rows, conns = webhook_backlog.c, connections.c
    joined = webhook_backlog.outerjoin(
        connections,
        and_(
            conns.consumer_id == rows.consumer_id,
            conns.provider == rows.provider,
            conns.company_id == rows.company_id,
        ),
    )
    async with db.read() as conn:
        found = await conn.execute(
            select(rows.provider, rows.company_id)
            .select_from(joined)
            .where(
                or_(
                    conns.id.is_(None),
                    and_(
                        conns.health.not_in(sorted(WAITING_HEALTH)),
                        or_(rows.retry_at.is_(None), rows.retry_at <= now),
                    ),
                )
            )
            .distinct()
        )
        return sorted((row[0], row[1]) for row in found)


async def waiting(db: Database, key: ConnectionKey) -> int:
    """How many records ``key`` still has to apply (for reports and tests)."""
    async with db.read() as conn:
        count = await conn.execute(select(func.count()).select_from(webhook_backlog).where(_of(key)))
        return int(count.scalar_one())
