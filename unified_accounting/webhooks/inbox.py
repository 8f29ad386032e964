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
import json
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..models import WebhookEvent
from ..storage.database import Database
from ..storage.types import sqlite_text
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
    """Whether the event's fields fit the inbox's columns (a signed body could still hold anything:
    PostgreSQL text cannot hold a NUL character, which JSON can escape)."""
    return (
        0 < len(event.company_id) <= MAX_ID_LENGTH
        and 0 < len(event.record_id) <= MAX_ID_LENGTH
        and 0 < len(event.resource) <= MAX_NAME_LENGTH
        and "\x00" not in event.company_id
        and "\x00" not in event.record_id
        and "\x00" not in event.resource
        and "\x00" not in (event.event_id or "")
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
    [new] = await store_many(db, conn, [Delivery(provider, body, events)], now)
    return new


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
    received = sqlite_text(now)
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
                    sqlite_text(event.occurred_at),
                    received,
                    delivery_id,
                    PENDING,
                )
                for event in kept
            ],
        )
        jobs |= {(provider, event.company_id) for event in kept}
    return new, jobs, found


class JobRow(NamedTuple):
    """A job of procrastinate's table (``procrastinate_jobs``) that processes one company's events."""

    provider: str
    company_id: str
    queue_name: str
    task_name: str
    priority: int
    lock: str | None
    queueing_lock: str | None
    args: dict[str, Any]


_DELIVERIES_IN = (
    "SELECT * FROM unnest(%(d_provider)s::text[], %(d_body)s::text[], %(d_digest)s::text[], "
    "%(d_events)s::int[]) AS t(provider, body, body_sha256, events)"
)
_EVENTS_IN = (
    "SELECT * FROM unnest(%(e_provider)s::text[], %(e_digest)s::text[], %(e_event_id)s::text[], "
    "%(e_company)s::text[], %(e_resource)s::text[], %(e_record)s::text[], %(e_operation)s::text[], "
    "%(e_occurred)s::timestamptz[]) "
    "AS t(provider, body_sha256, event_id, company_id, resource, record_id, operation, occurred_at)"
)
_JOBS_IN = (
    "SELECT * FROM unnest(%(j_provider)s::text[], %(j_company)s::text[], %(j_queue)s::text[], "
    "%(j_task)s::text[], %(j_priority)s::int[], %(j_lock)s::text[], %(j_queueing_lock)s::text[], "
    "%(j_args)s::text[]) "
    "AS t(provider, company_id, queue_name, task_name, priority, lock, queueing_lock, args)"
)
#: Deliveries, their events and the jobs of companies with new events, in one statement: one
#: round trip and one commit per group of deliveries.
_STORE_POSTGRES = (
    f"WITH delivered AS (INSERT INTO {webhook_deliveries.name} "
    "(provider, received_at, body, body_sha256, events) "
    f"SELECT provider, %(now)s, body, body_sha256, events FROM ({_DELIVERIES_IN}) d "
    "ON CONFLICT DO NOTHING RETURNING id, provider, body_sha256), "
    f"stored AS (INSERT INTO {webhook_events.name} (provider, event_id, company_id, resource, record_id, "
    "operation, occurred_at, received_at, delivery_id, status, attempts) "
    "SELECT e.provider, e.event_id, e.company_id, e.resource, e.record_id, e.operation, e.occurred_at, "
    f"%(now)s, delivered.id, '{PENDING}', 0 FROM ({_EVENTS_IN}) e "
    "JOIN delivered USING (provider, body_sha256) "
    "ON CONFLICT DO NOTHING RETURNING provider, company_id)"
    "{jobs} "
    "SELECT 'delivery', provider, body_sha256 FROM delivered "
    "UNION ALL SELECT DISTINCT 'events', provider, company_id FROM stored"
)
#: procrastinate's own deferral (``procrastinate_defer_jobs_v1``) fails on a job already waiting
#: with the same queueing lock; here such a job is kept, and the others are inserted.
_DEFER_JOBS = (
    ", jobs AS (INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args) "
    "SELECT j.queue_name, j.task_name, j.priority, j.lock, j.queueing_lock, j.args::jsonb "
    f"FROM ({_JOBS_IN}) j WHERE EXISTS "
    "(SELECT 1 FROM stored WHERE stored.provider = j.provider AND stored.company_id = j.company_id) "
    "ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING)"
)
_STORE_AND_DEFER = _STORE_POSTGRES.format(jobs=_DEFER_JOBS)
_STORE_ONLY = _STORE_POSTGRES.format(jobs="")
_CONNECTED_POSTGRES = (
    f"SELECT DISTINCT provider, company_id FROM {connections.name} "
    "WHERE (provider, company_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
)


async def store_direct_postgres(
    connection: Any,
    deliveries: Sequence[Delivery],
    known: set[tuple[str, str]],
    now: datetime,
    job_rows: Callable[[Sequence[tuple[str, str]]], list[JobRow]] | None,
) -> tuple[list[bool], set[tuple[str, str]], set[tuple[str, str]]]:
    """:func:`store_direct` on PostgreSQL, on a psycopg connection in autocommit: the deliveries,
    their events and (``job_rows`` given) the jobs of the companies with new events, in one
    statement. Returns what :func:`store_direct` returns."""
    wanted = {(d.provider, e.company_id) for d in deliveries for e in d.events}
    unknown = sorted(wanted - known)
    found: set[tuple[str, str]] = set()
    if unknown:
        cursor = await connection.execute(
            _CONNECTED_POSTGRES, ([p for p, _ in unknown], [c for _, c in unknown]), prepare=True
        )
        found = {(row[0], row[1]) for row in await cursor.fetchall()}
    present = (wanted & known) | found
    d_rows: dict[tuple[str, str], tuple[Delivery, list[WebhookEvent]]] = {}
    digests = []
    for delivery in deliveries:
        digest = body_digest(delivery.body)
        digests.append(digest)
        if (delivery.provider, digest) in d_rows:
            continue
        kept = [e for e in delivery.events if (delivery.provider, e.company_id) in present]
        if len(kept) < len(delivery.events):
            _log_unknown(
                delivery.provider, {e.company_id for e in delivery.events} - {e.company_id for e in kept}
            )
        d_rows[(delivery.provider, digest)] = (delivery, kept)
    events = [(provider, digest, e) for (provider, digest), (_, kept) in d_rows.items() for e in kept]
    parameters: dict[str, Any] = {
        "now": now,
        "d_provider": [provider for provider, _ in d_rows],
        "d_body": [d.body.decode("utf-8", "replace") for d, _ in d_rows.values()],
        "d_digest": [digest for _, digest in d_rows],
        "d_events": [len(kept) for _, kept in d_rows.values()],
        "e_provider": [provider for provider, _, _ in events],
        "e_digest": [digest for _, digest, _ in events],
        "e_event_id": [event_key(e) for _, _, e in events],
        "e_company": [e.company_id for _, _, e in events],
        "e_resource": [e.resource for _, _, e in events],
        "e_record": [e.record_id for _, _, e in events],
        "e_operation": [e.operation.value for _, _, e in events],
        "e_occurred": [e.occurred_at for _, _, e in events],
    }
    statement = _STORE_ONLY
    if job_rows is not None:
        jobs = job_rows(sorted({(provider, e.company_id) for provider, _, e in events}))
        statement = _STORE_AND_DEFER
        parameters |= {
            "j_provider": [j.provider for j in jobs],
            "j_company": [j.company_id for j in jobs],
            "j_queue": [j.queue_name for j in jobs],
            "j_task": [j.task_name for j in jobs],
            "j_priority": [j.priority for j in jobs],
            "j_lock": [j.lock for j in jobs],
            "j_queueing_lock": [j.queueing_lock for j in jobs],
            "j_args": [json.dumps(j.args) for j in jobs],
        }
    cursor = await connection.execute(statement, parameters, prepare=True)
    stored: set[tuple[str, str]] = set()
    with_events: set[tuple[str, str]] = set()
    for kind, provider, value in await cursor.fetchall():
        (stored if kind == "delivery" else with_events).add((provider, value))
    new = []
    first: set[tuple[str, str]] = set()
    for delivery, digest in zip(deliveries, digests, strict=True):
        key = (delivery.provider, digest)
        new.append(key in stored and key not in first)
        first.add(key)
    return new, with_events, found


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
