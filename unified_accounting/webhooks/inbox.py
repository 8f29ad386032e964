"""The durable webhook inbox: verified deliveries and their change events, deduplicated.

A delivery's events are stored in the receiving request's transaction, each keyed by the provider's
event id (``ON CONFLICT DO NOTHING``): a redelivered event is stored once and processed once. The
delivery itself is keyed by the SHA-256 of its body, so a redelivered body is stored once too.
Events wait as ``pending`` until a worker has applied them to the mirror (``done``), decided there
is nothing to apply (``ignored``), or failed for good (``failed``). ``done`` means applied to every
connection of the company, or put in the backlog of a connection that could not take it yet
(:mod:`.backlog`).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ..models import WebhookEvent
from ..storage.database import Database
from ..storage.types import UTCDateTime
from ..vault.schema import connections
from .backlog import companies_with_due_work
from .schema import webhook_deliveries, webhook_events

logger = logging.getLogger(__name__)

PENDING, DONE, IGNORED, FAILED = "pending", "done", "ignored", "failed"
#: Column sizes of ``ua_webhook_events`` (company and record ids; resource names).
MAX_ID_LENGTH, MAX_NAME_LENGTH = 255, 40


@dataclass(frozen=True)
class StoredEvent:
    id: int
    provider: str
    company_id: str
    resource: str
    record_id: str
    operation: str
    attempts: int
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """A verified delivery, as received: its provider, its body and the events it holds."""

    provider: str
    body: bytes
    events: Sequence[WebhookEvent]


def event_key(event: WebhookEvent) -> str:
    """The event's id, or — for a provider that gives none — a digest of what it says."""
    if event.event_id:
        return event.event_id[:128]
    parts = (event.company_id, event.resource, event.record_id, event.operation.value, str(event.occurred_at))
    return "sha256-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def connected_companies(conn: AsyncConnection, provider: str, company_ids: set[str]) -> set[str]:
    """Which of ``company_ids`` have at least one connection here."""
    if not company_ids:
        return set()
    rows = await conn.execute(
        select(connections.c.company_id)
        .where(connections.c.provider == provider, connections.c.company_id.in_(company_ids))
        .distinct()
    )
    return {row[0] for row in rows}


def body_digest(body: bytes) -> str:
    """What makes two deliveries "the same": their bytes (a provider's retry repeats them exactly)."""
    return hashlib.sha256(body).hexdigest()


def storable(event: WebhookEvent) -> bool:
    """Whether the event's fields fit the inbox's columns (a signed body could still hold anything)."""
    return (
        0 < len(event.company_id) <= MAX_ID_LENGTH
        and 0 < len(event.record_id) <= MAX_ID_LENGTH
        and 0 < len(event.resource) <= MAX_NAME_LENGTH
    )


async def store(
    db: Database,
    conn: AsyncConnection,
    provider: str,
    body: bytes,
    events: Sequence[WebhookEvent],
    now: datetime,
) -> bool:
    """Record a verified delivery and its events (duplicates skipped) in ``conn``'s transaction.

    Returns ``False`` when the very same body was stored before: a redelivery adds nothing.
    """
    inserted = await conn.execute(
        db.insert(webhook_deliveries)
        .values(
            provider=provider,
            received_at=now,
            body=body.decode("utf-8", "replace"),
            body_sha256=body_digest(body),
            events=len(events),
        )
        .on_conflict_do_nothing()
        .returning(webhook_deliveries.c.id)
    )
    delivery_id = inserted.scalar_one_or_none()
    if delivery_id is None:
        return False
    if not events:
        return True
    rows = [
        {
            "provider": provider,
            "event_id": event_key(event),
            "company_id": event.company_id,
            "resource": event.resource,
            "record_id": event.record_id,
            "operation": event.operation.value,
            "occurred_at": event.occurred_at,
            "received_at": now,
            "delivery_id": delivery_id,
            "status": PENDING,
            "attempts": 0,
        }
        for event in events
    ]
    await conn.execute(db.insert(webhook_events).values(rows).on_conflict_do_nothing())
    return True


async def store_many(
    db: Database,
    conn: AsyncConnection,
    deliveries: Sequence[Delivery],
    now: datetime,
) -> list[bool]:
    """:func:`store` for many deliveries in ``conn``'s transaction, in two statements whatever
    their number (one for the deliveries, one for their events). Returns whether each delivery
    was new (``False``: the same body was stored before, or earlier in ``deliveries``)."""
    first: dict[tuple[str, str], int] = {}
    digests = []
    for index, delivery in enumerate(deliveries):
        digest = body_digest(delivery.body)
        digests.append(digest)
        first.setdefault((delivery.provider, digest), index)
    rows = [
        {
            "provider": deliveries[index].provider,
            "received_at": now,
            "body": deliveries[index].body.decode("utf-8", "replace"),
            "body_sha256": digest,
            "events": len(deliveries[index].events),
        }
        for (_, digest), index in first.items()
    ]
    if not rows:
        return []
    table = webhook_deliveries.c
    inserted = await conn.execute(
        db.insert(webhook_deliveries)
        .on_conflict_do_nothing()
        .returning(table.provider, table.body_sha256, table.id),
        rows,
    )
    ids = {(row[0], row[1]): row[2] for row in inserted}
    new = [
        (delivery.provider, digest) in ids and first[(delivery.provider, digest)] == index
        for index, (delivery, digest) in enumerate(zip(deliveries, digests, strict=True))
    ]
    events = [
        {
            "provider": delivery.provider,
            "event_id": event_key(event),
            "company_id": event.company_id,
            "resource": event.resource,
            "record_id": event.record_id,
            "operation": event.operation.value,
            "occurred_at": event.occurred_at,
            "received_at": now,
            "delivery_id": ids[(delivery.provider, digest)],
            "status": PENDING,
            "attempts": 0,
        }
        for delivery, digest, is_new in zip(deliveries, digests, new, strict=True)
        if is_new
        for event in delivery.events
    ]
    if events:
        await conn.execute(db.insert(webhook_events).on_conflict_do_nothing(), events)
    return new


def _sqlite_time() -> Callable[[datetime | None], Any]:
    dialect = sqlite.dialect()
    processor = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert processor is not None
    return processor


_to_sqlite_time = _sqlite_time()
_INSERT_DELIVERY = (
    f"INSERT INTO {webhook_deliveries.name} (provider, received_at, body, body_sha256, events) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
_INSERT_EVENT = (
    f"INSERT INTO {webhook_events.name} (provider, event_id, company_id, resource, record_id, operation, "
    "occurred_at, received_at, delivery_id, status, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) "
    "ON CONFLICT DO NOTHING"
)


def connected_companies_sqlite(
    connection: sqlite3.Connection, provider: str, company_ids: set[str]
) -> set[str]:
    """:func:`connected_companies` on the SQLite driver itself (see :func:`store_direct`)."""
    if not company_ids:
        return set()
    wanted = sorted(company_ids)
    rows = connection.execute(
        f"SELECT DISTINCT company_id FROM {connections.name} "
        f"WHERE provider = ? AND company_id IN ({', '.join('?' * len(wanted))})",
        (provider, *wanted),
    )
    return {row[0] for row in rows}


def store_direct(
    connection: sqlite3.Connection, deliveries: Sequence[Delivery], known: set[tuple[str, str]], now: datetime
) -> tuple[list[bool], set[tuple[str, str]], set[tuple[str, str]]]:
    """:func:`store` for many deliveries at once, on the SQLite driver in its open transaction
    (:meth:`Database.write_direct`): the same rows, without SQLAlchemy per statement.

    ``known``: (provider, company) pairs known to have a connection (not looked up again). Returns
    whether each delivery was new, the (provider, company) pairs with new events (their jobs), and
    the pairs found connected here (for the caller's cache).
    """
    received = _to_sqlite_time(now)
    found: set[tuple[str, str]] = set()
    jobs: set[tuple[str, str]] = set()
    new: list[bool] = []
    for delivery in deliveries:
        provider = delivery.provider
        companies = {event.company_id for event in delivery.events}
        seen = known | found
        unknown = {company for company in companies if (provider, company) not in seen}
        found |= {
            (provider, company) for company in connected_companies_sqlite(connection, provider, unknown)
        }
        present = {company for company in companies if company not in unknown} | {
            company for (name, company) in found if name == provider and company in unknown
        }
        kept = [event for event in delivery.events if event.company_id in present]
        if len(kept) < len(delivery.events):
            _log_unknown(provider, companies - {event.company_id for event in kept})
        body = delivery.body
        cursor = connection.execute(
            _INSERT_DELIVERY,
            (provider, received, body.decode("utf-8", "replace"), body_digest(body), len(kept)),
        )
        if cursor.rowcount != 1:
            new.append(False)  # the same body was stored before: nothing new to process
            continue
        new.append(True)
        delivery_id = cursor.lastrowid
        connection.executemany(
            _INSERT_EVENT,
            [
                (
                    provider,
                    event_key(event),
                    event.company_id,
                    event.resource,
                    event.record_id,
                    event.operation.value,
                    _to_sqlite_time(event.occurred_at),
                    received,
                    delivery_id,
                    PENDING,
                )
                for event in kept
            ],
        )
        jobs |= {(provider, event.company_id) for event in kept}
    return new, jobs, found


def _log_unknown(provider: str, companies: set[str]) -> None:
    logger.warning("webhook events for unknown %s companies ignored: %s", provider, sorted(companies))


async def pending(db: Database, provider: str, company_id: str, limit: int = 100) -> list[StoredEvent]:
    events = webhook_events.c
    async with db.read() as conn:
        rows = await conn.execute(
            select(
                events.id,
                events.provider,
                events.company_id,
                events.resource,
                events.record_id,
                events.operation,
                events.attempts,
                events.occurred_at,
            )
            .where(events.status == PENDING, events.provider == provider, events.company_id == company_id)
            .order_by(events.id)
            .limit(limit)
        )
        return [StoredEvent(*row) for row in rows]


async def companies_with_pending(db: Database) -> list[tuple[str, str]]:
    """(provider, company) pairs with events waiting, or with a connection whose backlog can go
    on (reconnected, or its back-off over): what a worker picks up at start-up and every poll."""
    events = webhook_events.c
    async with db.read() as conn:
        rows = await conn.execute(
            select(events.provider, events.company_id).where(events.status == PENDING).distinct()
        )
        pending = {(row[0], row[1]) for row in rows}
    return sorted(pending | set(await companies_with_due_work(db, datetime.now(UTC))))


async def mark(
    conn: AsyncConnection, ids: Sequence[int], status: str, now: datetime, error: str | None = None
) -> None:
    if ids:
        await conn.execute(
            update(webhook_events)
            .where(webhook_events.c.id.in_(ids))
            .values(status=status, processed_at=now, last_error=error)
        )


async def record_failure(
    db: Database, ids: Sequence[int], error: str, *, give_up_after: int, now: datetime
) -> None:
    """Count a failed attempt; events that failed ``give_up_after`` times stop being retried."""
    events = webhook_events.c

    async def count(conn: AsyncConnection) -> None:
        await conn.execute(
            update(webhook_events)
            .where(events.id.in_(ids))
            .values(attempts=events.attempts + 1, last_error=error[:2000])
        )
        await conn.execute(
            update(webhook_events)
            .where(events.id.in_(ids), events.attempts >= give_up_after)
            .values(status=FAILED, processed_at=now)
        )

    await db.transaction(count)
