"""Processing inbox events: fetch each changed record and apply it through the ordered upsert.

Webhooks say what changed, not the new values, and may arrive duplicated, out of order or hours
late. Processing therefore never trusts the event's content: it fetches the record's current
version (a "not found" becomes a tombstone) and lets the mirror's ordering key decide. Whatever
order the events come in, the mirror ends at the provider's current state.

A company may be connected by several consumers, each with a mirror of its own. Each connection is
fetched and applied on its own: one that needs its user (``needs_reauth``, ``revoked``) or fails
gets the events' records in its backlog (:mod:`.backlog`) while the others' mirrors move on, and
its failure is counted against it alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection as DbConnection

from ..catalog import RESOURCES
from ..client.async_client import AsyncClient, AsyncConnection
from ..connections import ConnectionKey
from ..errors import DecodeFailed, NotFound, ReauthorizationRequired, UnsupportedOperation
from ..mirror.records import AppliedWrite, MirrorWrite, change_feed_writes, record_write, tombstone_write
from ..provider import Operation, Provider, ProviderSession
from ..storage.database import Database
from ..sync.apply import announce, apply_writes
from ..sync.engine import SyncOptions, background_session
from ..sync.lease import company_lease
from ..vault.schema import connections
from . import backlog, inbox, shared_ids
from .backlog import RetryState

logger = logging.getLogger(__name__)

#: Records fetched at once for one company (the provider's limiter still applies).
FETCH_CONCURRENCY = 4
#: Events read from the inbox, fetched and applied at once (one read per resource, one commit).
BATCH = 100
#: Attempts before an event is marked ``failed`` and left for the periodic reconciliation: only
#: when the inbox itself cannot be updated. A connection's failures never fail an event (see
#: :mod:`.backlog`).
MAX_ATTEMPTS = 8
#: From this many distinct records in one batch, a provider without a batched read by id reads its
#: change feed (Xero: If-Modified-Since) instead of one GET per record. One with a batched read
#: (``Provider.get_many`` overridden; QuickBooks: a query ``Id IN (...)``) reads exactly the batch's
#: records that way from two records on: one call per resource and batch, whose cost follows the
#: events, where a change feed returns every change of its window (at hundreds of events a second,
#: thousands of records per read).
CHANGE_FEED_FROM = 10


@dataclass
class ProcessReport:
    events: int = 0
    fetched: int = 0
    changed: int = 0
    ignored: int = 0
    #: Connections whose part waits in their backlog: for their user, or after a failure.
    waiting: set[ConnectionKey] = field(default_factory=set)
    #: The failure of each connection that failed in this run (its backlog retries it later).
    failures: dict[ConnectionKey, str] = field(default_factory=dict)


class Announced(Protocol):
    """What fetching needs of an event or a backlog row."""

    @property
    def resource(self) -> str: ...

    @property
    def record_id(self) -> str: ...

    @property
    def occurred_at(self) -> datetime | None: ...


async def _connections(db: Database, provider: str, company_id: str) -> list[tuple[ConnectionKey, str]]:
    """The company's connections here, with their health."""
    async with db.read() as conn:
        rows = await conn.execute(
            select(connections.c.consumer_id, connections.c.health)
            .where(connections.c.provider == provider, connections.c.company_id == company_id)
            .order_by(connections.c.consumer_id)
        )
        return [(ConnectionKey(row[0], provider, company_id), row[1]) for row in rows]


async def _fetch(
    provider: Provider, session: ProviderSession, resource: str, record_id: str, limiter: asyncio.Semaphore
) -> MirrorWrite | None:
    async with limiter:
        try:
            record = await provider.get(session, resource, record_id)
        except NotFound:
            return tombstone_write(resource, record_id, datetime.now(UTC))
        except DecodeFailed as exc:
            # Fetching again would read the same payload: retrying cannot help, and failing would hold
            # back every other event of the batch. The mirror keeps its last readable version.
            logger.warning("webhook for %s %s left out: %s (payload: %r)", resource, record_id, exc, exc.raw)
            return None
    return record_write(resource, record, datetime.now(UTC))


async def process_company(
    client: AsyncClient,
    provider_name: str,
    company_id: str,
    *,
    options: SyncOptions | None = None,
    hold_lease: bool = True,
) -> ProcessReport:
    """Apply every pending event of one company to each of its connections, then whatever
    connections' backlogs are due. A connection that cannot take the changes keeps them in its
    backlog (the report says which and why); only when the inbox itself cannot be updated do the
    events stay pending, and the error is raised.

    The company's lease is held meanwhile, so processing never interleaves with a sync of it.
    ``options`` gives the outbound webhooks, the overlap and the lease time.
    """
    options = options or SyncOptions()
    db = await client.database()
    if not hold_lease:
        return await _process(client, db, provider_name, company_id, options)
    async with company_lease(db, provider_name, company_id, ttl=options.lease_ttl):
        return await _process(client, db, provider_name, company_id, options)


async def _process(
    client: AsyncClient,
    db: Database,
    provider_name: str,
    company_id: str,
    options: SyncOptions,
) -> ProcessReport:
    report = ProcessReport()
    provider = client.provider(provider_name)
    links = await _connections(db, provider_name, company_id)
    await backlog.tidy(
        db,
        provider_name,
        company_id,
        [key.consumer_id for key, _ in links],
        now=datetime.now(UTC),
        retention=options.webhook_backlog_retention,
    )
    while events := await inbox.pending(db, provider_name, company_id, limit=BATCH):
        report.events += len(events)
        links = await _connections(db, provider_name, company_id)
        if not links:
            logger.warning(
                "webhook events for %s company %s, which has no connection here: ignored",
                provider_name,
                company_id,
            )
        wanted = [
            e
            for e in events
            if links and e.resource in RESOURCES and provider.supports(e.resource, Operation.GET)
        ]
        skipped = [e.id for e in events if e not in wanted]
        try:
            await _apply_events(client, db, provider, company_id, links, wanted, skipped, options, report)
        except Exception as exc:
            # The inbox itself could not be updated (the database): retried, then given up.
            await inbox.record_failure(
                db,
                [e.id for e in events],
                f"{type(exc).__name__}: {exc}",
                give_up_after=MAX_ATTEMPTS,
                now=datetime.now(UTC),
            )
            raise
        if len(events) < BATCH:
            # Caught up. What arrived meanwhile waits for the next job or poll, and is read
            # then in one batch, rather than chasing each new event in a batch of its own (a
            # batch costs its reads and its commit, whatever its size).
            break
    for key, health in await _connections(db, provider_name, company_id):
        if backlog.usable(health):
            await _drain(client, db, provider, key, options, report)
    return report


async def _apply_events(
    client: AsyncClient,
    db: Database,
    provider: Provider,
    company_id: str,
    links: Sequence[tuple[ConnectionKey, str]],
    wanted: Sequence[inbox.StoredEvent],
    skipped: Sequence[int],
    options: SyncOptions,
    report: ProcessReport,
) -> None:
    """Apply one batch of events to every connection that can take it; backlog the rest."""
    items = [backlog.Pending(e.resource, e.record_id, e.occurred_at) for e in wanted]
    behind = await backlog.consumers_with_backlog(db, provider.name, company_id) if items else set()
    fetched: dict[ConnectionKey, list[MirrorWrite]] = {}
    deferred: dict[ConnectionKey, tuple[str, RetryState]] = {}
    for key, health in links if items else ():
        if not backlog.usable(health):
            deferred[key] = (
                f"the connection is {health}: waiting for its user to connect again",
                RetryState(),
            )
        elif key.consumer_id in behind:
            # Its earlier changes are not applied yet: these join them (and their back-off).
            deferred[key] = (
                "waiting behind earlier changes of this connection",
                await backlog.state(db, key),
            )
        else:
            try:
                fetched[key] = await _fetch_all(client, key, provider, wanted, options)
            except Exception as exc:
                deferred[key] = _failed(key, exc, report)
    now = datetime.now(UTC)
    applied_by: dict[ConnectionKey, list[AppliedWrite]] = {}
    # The records and the events' new status commit together: an event is done exactly when what
    # it announced is in every mirror, or in the backlog of the connections that could not take it.

    async def commit(conn: DbConnection) -> None:
        for key, writes in fetched.items():
            try:
                async with conn.begin_nested():  # one connection's refused write fails it alone
                    applied_by[key] = await apply_writes(
                        db, conn, key, writes, now=now, source="webhook", outbox=options.outbound
                    )
            except Exception as exc:
                deferred[key] = _failed(key, exc, report)
        for key, (error, retry) in deferred.items():
            await backlog.add(db, conn, key, items, now=now, error=error, retry=retry)
            report.waiting.add(key)
        await inbox.mark(conn, [e.id for e in wanted], inbox.DONE, now)
        await inbox.mark(conn, skipped, inbox.IGNORED, now)

    await db.transaction(commit)
    for key, applied in applied_by.items():
        if applied:
            announce(client.plugin_manager, key, applied, "webhook")
        report.changed += len(applied)
        report.fetched += len(fetched[key])
    report.ignored += len(skipped)


def _failed(key: ConnectionKey, exc: Exception, report: ProcessReport) -> tuple[str, RetryState]:
    """A connection's failure: counted against it (back-off), unless it now waits for its user."""
    error = f"{type(exc).__name__}: {exc}"
    report.failures[key] = error
    if isinstance(exc, ReauthorizationRequired):
        logger.warning("webhook changes for %s wait until it is connected again: %s", key, error)
        return error, RetryState()
    logger.warning("webhook changes for %s failed (retried later; other connections go on): %s", key, error)
    return error, RetryState.failed_once(datetime.now(UTC))


async def _drain(
    client: AsyncClient,
    db: Database,
    provider: Provider,
    key: ConnectionKey,
    options: SyncOptions,
    report: ProcessReport,
) -> None:
    """Apply what ``key``'s backlog holds and is due, a batch at a time, until empty or failing."""
    while items := await backlog.due(db, key, datetime.now(UTC)):
        try:
            writes = await _fetch_all(client, key, provider, items, options)
            applied = await _apply_backlog(db, key, writes, items, options)
        except Exception as exc:
            error, retry = _failed(key, exc, report)
            report.waiting.add(key)
            await backlog.record_failure(
                db, key, now=datetime.now(UTC), error=error, counted=retry.retry_at is not None
            )
            return
        report.waiting.discard(key)
        report.failures.pop(key, None)
        if applied:
            announce(client.plugin_manager, key, applied, "webhook")
        report.changed += len(applied)
        report.fetched += len(writes)


async def _apply_backlog(
    db: Database,
    key: ConnectionKey,
    writes: list[MirrorWrite],
    items: list[backlog.Pending],
    options: SyncOptions,
) -> list[AppliedWrite]:
    """Apply what was fetched for backlog ``items`` and drop them from the backlog, in one transaction."""
    now = datetime.now(UTC)

    async def commit(conn: DbConnection) -> list[AppliedWrite]:
        applied = await apply_writes(
            db, conn, key, writes, now=now, source="webhook", outbox=options.outbound
        )
        await backlog.applied(conn, key, items)
        return applied

    return await db.transaction(commit)


async def _fetch_all(
    client: AsyncClient,
    key: ConnectionKey,
    provider: Provider,
    events: Sequence[Announced],
    options: SyncOptions,
) -> list[MirrorWrite]:
    session = background_session(AsyncConnection(client, key), options)  # waits rate limits out
    # Records that may be any of several resources (Xero's invoices and bills) are read first, each
    # written under the resource it is; the others follow the usual way.
    held = shared_ids.held_in(await client.database(), key)
    writes, targets = await shared_ids.read_resolved(
        provider, session, {(e.resource, e.record_id) for e in events}, held
    )
    events = [e for e in events if (e.resource, e.record_id) in targets]
    if len(targets) >= 2 and has_batched_read(provider):
        batched, targets = await _from_batched_reads(provider, session, targets)
        writes += batched
    elif len(targets) >= CHANGE_FEED_FROM:
        fed = await _from_change_feed(provider, session, events, options)
        writes += fed
        targets -= {(w.resource, w.record_id) for w in fed}
    limiter = asyncio.Semaphore(FETCH_CONCURRENCY)
    fetched = await asyncio.gather(
        *(_fetch(provider, session, resource, record_id, limiter) for resource, record_id in sorted(targets))
    )
    writes += [write for write in fetched if write is not None]
    return writes


def has_batched_read(provider: Provider) -> bool:
    """Whether ``provider`` reads many records by id in one call (it overrides ``get_many``)."""
    return type(provider).get_many is not Provider.get_many


async def _from_batched_reads(
    provider: Provider, session: ProviderSession, targets: set[tuple[str, str]]
) -> tuple[list[MirrorWrite], set[tuple[str, str]]]:
    """The current version of each target, one batched read per resource; a record the read does
    not return is gone (a tombstone), one it cannot decode is left out (the mirror keeps its last
    readable version). Returns the writes and the targets still to fetch one by one (those of a
    resource the batched read does not support)."""
    by_resource: dict[str, list[str]] = {}
    for resource, record_id in sorted(targets):
        by_resource.setdefault(resource, []).append(record_id)
    writes: list[MirrorWrite] = []
    left: set[tuple[str, str]] = set()
    for resource, ids in by_resource.items():
        try:
            page = await provider.get_many(session, resource, ids)
        except UnsupportedOperation:
            left |= {(resource, record_id) for record_id in ids}
            continue
        now = datetime.now(UTC)
        seen: set[str] = set()
        for record in page.items:
            write = record_write(resource, record, now)
            seen.add(write.record_id)
            writes.append(write)
        for issue in page.issues:
            logger.warning("webhook for %s %s left out: %s", resource, issue.record_id, issue.error)
            if issue.record_id is not None:
                seen.add(issue.record_id)
        writes += [tombstone_write(resource, record_id, now) for record_id in ids if record_id not in seen]
    return writes, left


async def _from_change_feed(
    provider: Provider, session: ProviderSession, events: Sequence[Announced], options: SyncOptions
) -> list[MirrorWrite]:
    """Every change since the oldest event (less the overlap), in one change-feed read.

    Records the feed does not mention (an event without a time, a feed lagging behind its
    webhooks) are then fetched one by one, so nothing an event announced is skipped.
    """
    moments = [e.occurred_at for e in events]
    if any(moment is None for moment in moments):
        return []
    since = min(m for m in moments if m is not None) - options.overlap
    window = provider.change_feed_window
    now = datetime.now(UTC)
    if window is not None and now - since >= window:
        return []
    resources = sorted({e.resource for e in events})
    try:
        feed = await provider.read_change_feed(session, resources, since)
    except UnsupportedOperation:
        return []
    for issue in feed.issues:
        logger.warning("change feed record left out: %s", issue)
    return change_feed_writes(feed, resources, now)
