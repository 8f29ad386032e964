"""Records a webhook names without saying which of several resources they are.

Some providers keep several unified resources in one collection under one id space and send one
kind of event for all of them (Xero: an INVOICE event is a sales invoice's or a bill's, a
CREDITNOTE event without its ``data`` a customer's or a supplier's credit note). The provider
declares such groups (``Provider.shared_id_groups``); here each announced id of a group is read as
whichever resource it turns out to be (``Provider.get_many_of``, one batched read per group where
the provider has one) and written under that resource only. The other resources of the group get
no write at all: a mirror that never held the record as one of them gets no tombstone, and product
code is never told that such a record was deleted.

An id found as none of the group's resources is gone: it is tombstoned under those of them the
connection's mirror holds it as (a mirror that never held it gets nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from ..connections import ConnectionKey
from ..mirror.records import MirrorWrite, record_write, tombstone_write
from ..mirror.schema import mirror_records
from ..provider import Provider, ProviderSession
from ..storage.database import Database

logger = logging.getLogger(__name__)

Target = tuple[str, str]
#: Which of some ids of a resource a mirror holds (alive or as tombstones).
Held = Callable[[str, Sequence[str]], Awaitable[set[str]]]


def held_in(db: Database, key: ConnectionKey) -> Held:
    """:data:`Held` of ``key``'s mirror."""

    async def held(resource: str, record_ids: Sequence[str]) -> set[str]:
        stored = mirror_records.c
        async with db.read() as conn:
            rows = await conn.execute(
                select(stored.record_id).where(
                    stored.consumer_id == key.consumer_id,
                    stored.provider == key.provider,
                    stored.company_id == key.company_id,
                    stored.resource == resource,
                    stored.record_id.in_(list(record_ids)),
                )
            )
            return {row[0] for row in rows}

    return held


def split(provider: Provider, targets: set[Target]) -> tuple[dict[tuple[str, ...], set[str]], set[Target]]:
    """``targets`` (resource, record id) → the ids to resolve per group, and the other targets."""
    groups: dict[tuple[str, ...], set[str]] = {}
    plain: set[Target] = set()
    for resource, record_id in targets:
        siblings = provider.id_siblings(resource)
        if len(siblings) > 1:
            groups.setdefault(tuple(sorted(siblings)), set()).add(record_id)
        else:
            plain.add((resource, record_id))
    return groups, plain


async def read_resolved(
    provider: Provider, session: ProviderSession, targets: set[Target], held: Held
) -> tuple[list[MirrorWrite], set[Target]]:
    """The writes of the targets whose resource belongs to a group of shared ids, each under the
    resource its record is; and the targets left to fetch as they are. ``held`` says which ids the
    mirror holds (asked only of ids found as none of the group's resources)."""
    groups, plain = split(provider, targets)
    writes: list[MirrorWrite] = []
    for group, ids in sorted(groups.items()):
        wanted = sorted(ids)
        asked = {record_id.lower() for record_id in wanted}
        found = await provider.get_many_of(session, group, wanted)
        now = datetime.now(UTC)
        # Ids compared without case: a provider of GUIDs may spell them either way (the write
        # keeps the record's own spelling, as a sync writes it).
        seen: set[str] = set()
        for resource, page in found.items():
            for record in page.items:
                write = record_write(resource, record, now)
                if write.record_id.lower() in asked:
                    seen.add(write.record_id.lower())
                    writes.append(write)
            for issue in page.issues:
                # Unreadable, but there: the mirror keeps its last readable version.
                logger.warning("webhook for %s %s left out: %s", resource, issue.record_id, issue.error)
                if issue.record_id is not None:
                    seen.add(issue.record_id.lower())
        gone = [record_id for record_id in wanted if record_id.lower() not in seen]
        for resource in group if gone else ():
            writes += [tombstone_write(resource, record_id, now) for record_id in await held(resource, gone)]
    return writes, plain
