"""Applying provider records to the mirror, and telling product code what changed.

Every path that writes the mirror (initial sync, incremental sync, webhook processing) goes through
:func:`apply_writes`: the ordered upsert and, when outbound webhooks are configured, their outbox
rows, in the caller's transaction. ``ua_record_changed`` fires only after that transaction
committed (:func:`announce`), so a hook never reports a change that could still be rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import pluggy
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from ..changes import RecordChange
from ..connections import ConnectionKey
from ..mirror import records
from ..mirror.records import AppliedWrite, MirrorWrite
from ..storage.database import Database
from . import outbound

Source = Literal["sync", "webhook"]


async def apply_writes(
    db: Database,
    conn: AsyncConnection,
    key: ConnectionKey,
    writes: Sequence[MirrorWrite],
    *,
    now: datetime,
    source: Source,
    outbox: outbound.OutboundWebhooks | None,
) -> list[AppliedWrite]:
    def apply(blocking: Connection) -> list[AppliedWrite]:
        return apply_rows(blocking, db, key, writes, now=now, source=source, outbox=outbox)

    return await conn.run_sync(apply)


def apply_rows(
    conn: Connection,
    db: Database,
    key: ConnectionKey,
    writes: Sequence[MirrorWrite],
    *,
    now: datetime,
    source: Source,
    outbox: outbound.OutboundWebhooks | None,
) -> list[AppliedWrite]:
    """:func:`apply_writes` on a blocking connection (``Database.write_blocking``)."""
    applied = records.upsert_rows(conn, db, key, writes, now)
    if outbox is not None and applied:
        outbox.enqueue(conn, key, applied, source=source, now=now)
    return applied


def record_changes(key: ConnectionKey, applied: Sequence[AppliedWrite], source: Source) -> list[RecordChange]:
    return [
        RecordChange(
            provider=key.provider,
            consumer_id=key.consumer_id,
            company_id=key.company_id,
            resource=change.resource,
            record_id=change.record_id,
            operation=change.operation,
            record=change.record,
            source=source,
        )
        for change in applied
    ]


def announce(
    plugin_manager: pluggy.PluginManager, key: ConnectionKey, applied: Sequence[AppliedWrite], source: Source
) -> None:
    """Fire ``ua_record_changed`` once per change (call after the commit)."""
    hook = plugin_manager.hook.ua_record_changed
    if not hook.get_hookimpls():
        return  # nobody listens: a sync's thousand changes a page are not built for nothing
    for change in record_changes(key, applied, source):
        hook(change=change)
