"""Processing inbox events: fetch each changed record and apply it through the ordered upsert.

Webhooks say what changed, not the new values, and may arrive duplicated, out of order or hours
late. Processing therefore never trusts the event's content: it fetches the record's current
version (a "not found" becomes a tombstone) and lets the mirror's ordering key decide. Whatever
order the events come in, the mirror ends at the provider's current state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..connections import ConnectionKey
from ..errors import NotFound, UnsupportedOperation
from ..models import RESOURCE_MODELS
from ..provider import Operation, Provider, ProviderSession
from ..sync.apply import announce, apply_changes
from ..sync.database import SyncDatabase
from ..sync.engine import SyncOptions, background_session
from ..sync.lease import company_lease
from ..sync.mirror import MirrorWrite, change_set_writes, record_write, tombstone_write
from ..vault.schema import connections
from . import inbox

if TYPE_CHECKING:
    from ..client.async_client import AsyncClient

logger = logging.getLogger(__name__)

#: Records fetched at once for one company (the provider's limiter still applies).
FETCH_CONCURRENCY = 4
#: Attempts before an event is marked ``failed`` and left for the periodic reconciliation.
MAX_ATTEMPTS = 8
#: From this many distinct records in one batch, one change-feed read (QuickBooks CDC, Xero
#: If-Modified-Since) replaces one GET per record: QuickBooks allows 10 calls a second.
CHANGE_FEED_FROM = 10


@dataclass
class ProcessReport:
    events: int = 0
    fetched: int = 0
    changed: int = 0
    ignored: int = 0


async def _connection_keys(db: SyncDatabase, provider: str, company_id: str) -> list[ConnectionKey]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(connections.c.consumer_id).where(
                connections.c.provider == provider, connections.c.company_id == company_id
            )
        )
        return [ConnectionKey(row[0], provider, company_id) for row in rows]


async def _fetch(
    provider: Provider, session: ProviderSession, resource: str, record_id: str, limiter: asyncio.Semaphore
) -> MirrorWrite:
    async with limiter:
        try:
            record = await provider.get(session, resource, record_id)
        except NotFound:
            return tombstone_write(resource, record_id, datetime.now(UTC))
    return record_write(resource, record, datetime.now(UTC))


async def process_company(
    client: AsyncClient,
    provider_name: str,
    company_id: str,
    *,
    options: SyncOptions | None = None,
    hold_lease: bool = True,
) -> ProcessReport:
    """Apply every pending event of one company; on a transient error the events stay pending.

    The company's lease is held meanwhile, so processing never interleaves with a sync of it.
    ``options`` gives the outbound webhooks, the overlap and change-feed windows, the lease time.
    """
    options = options or SyncOptions()
    db = await SyncDatabase.for_client(client)
    if not hold_lease:
        return await _process(client, db, provider_name, company_id, options)
    async with company_lease(db, provider_name, company_id, ttl=options.lease_ttl):
        return await _process(client, db, provider_name, company_id, options)


async def _process(
    client: AsyncClient,
    db: SyncDatabase,
    provider_name: str,
    company_id: str,
    options: SyncOptions,
) -> ProcessReport:
    report = ProcessReport()
    provider = client.provider(provider_name)
    while events := await inbox.pending(db, provider_name, company_id):
        report.events += len(events)
        keys = await _connection_keys(db, provider_name, company_id)
        if not keys:
            logger.warning(
                "webhook events for %s company %s, which has no connection here: ignored",
                provider_name,
                company_id,
            )
        wanted = [
            e
            for e in events
            if keys and e.resource in RESOURCE_MODELS and provider.supports(e.resource, Operation.GET)
        ]
        skipped = [e.id for e in events if e not in wanted]
        try:
            fetched = (
                {key: await _fetch_all(client, key, provider, wanted, options) for key in keys}
                if wanted
                else {}
            )
            now = datetime.now(UTC)
            changes = {}
            # The records and the events' new status commit together: an event is done exactly
            # when what it announced is in the mirror.
            async with db.write() as conn:
                for key, writes in fetched.items():
                    changes[key] = await apply_changes(
                        db, conn, key, writes, now=now, source="webhook", outbox=options.outbound
                    )
                await inbox.mark(conn, [e.id for e in wanted], inbox.DONE, now)
                await inbox.mark(conn, skipped, inbox.IGNORED, now)
        except Exception as exc:
            await inbox.record_failure(
                db,
                [e.id for e in events],
                f"{type(exc).__name__}: {exc}",
                give_up_after=MAX_ATTEMPTS,
                now=datetime.now(UTC),
            )
            raise
        for key, applied in changes.items():
            if applied:
                announce(client.plugin_manager, key, applied, "webhook")
            report.changed += len(applied)
        report.fetched += sum(len(writes) for writes in fetched.values())
        report.ignored += len(skipped)
    return report


async def _fetch_all(
    client: AsyncClient,
    key: ConnectionKey,
    provider: Provider,
    events: Sequence[inbox.StoredEvent],
    options: SyncOptions,
) -> list[MirrorWrite]:
    from ..client.async_client import AsyncConnection

    session = background_session(AsyncConnection(client, key), options)  # waits rate limits out
    targets = {(e.resource, e.record_id) for e in events}
    writes: list[MirrorWrite] = []
    if len(targets) >= CHANGE_FEED_FROM:
        writes = await _from_change_feed(provider, session, events, options)
        targets -= {(w.resource, w.record_id) for w in writes}
    limiter = asyncio.Semaphore(FETCH_CONCURRENCY)
    writes += await asyncio.gather(
        *(_fetch(provider, session, resource, record_id, limiter) for resource, record_id in sorted(targets))
    )
    return writes


async def _from_change_feed(
    provider: Provider, session: ProviderSession, events: Sequence[inbox.StoredEvent], options: SyncOptions
) -> list[MirrorWrite]:
    """Every change since the oldest event (less the overlap), in one change-feed read.

    Records the feed does not mention (an event without a time, a feed lagging behind its
    webhooks) are then fetched one by one, so nothing an event announced is skipped.
    """
    moments = [e.occurred_at for e in events]
    if any(moment is None for moment in moments):
        return []
    since = min(m for m in moments if m is not None) - options.overlap
    window = options.change_windows.get(provider.name)
    now = datetime.now(UTC)
    if window is not None and now - since >= window:
        return []
    resources = sorted({e.resource for e in events})
    try:
        changes = await provider.read_changes(session, resources, since)
    except UnsupportedOperation:
        return []
    return change_set_writes(changes, resources, now)
