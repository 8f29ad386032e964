"""Reading the mirror: ``conn.invoices.list(source="mirror")`` and ``get(..., source="mirror")``.

Mirror lists are ordered by record id and paged by keyset (the cursor is the last id of the page),
so paging stays fast and stable while syncs write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, true

from ..connections import ConnectionKey
from ..errors import NotFound
from ..models import RecordMeta
from ..provider import Page
from ..storage.database import Database
from .records import GONE_STATUSES, decode
from .schema import mirror_records

DEFAULT_PAGE_SIZE = 500


def _where(key: ConnectionKey, resource: str) -> Any:
    stored = mirror_records.c
    return and_(
        stored.consumer_id == key.consumer_id,
        stored.provider == key.provider,
        stored.company_id == key.company_id,
        stored.resource == resource,
    )


async def list_page(
    db: Database,
    key: ConnectionKey,
    resource: str,
    *,
    cursor: str | None = None,
    page_size: int | None = None,
    updated_since: datetime | None = None,
    status: str | None = None,
    include_deleted: bool = False,
    model: type[RecordMeta] | None = None,
) -> Page:
    """One page of mirrored records of ``resource`` (live ones unless ``include_deleted``, or
    unless ``status`` asks for records that left the books: archived ones are tombstones)."""
    stored = mirror_records.c
    size = page_size or DEFAULT_PAGE_SIZE
    query = select(stored.record_id, stored.record).where(_where(key, resource), stored.record.is_not(None))
    if not include_deleted and status not in GONE_STATUSES:
        query = query.where(stored.deleted != true())
    if updated_since is not None:
        query = query.where(stored.updated_at > updated_since)
    if status is not None:
        query = query.where(stored.status == status)
    if cursor is not None:
        query = query.where(stored.record_id > cursor)
    query = query.order_by(stored.record_id).limit(size + 1)
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    more = len(rows) > size
    rows = rows[:size]
    items = [decode(resource, row.record, model) for row in rows]
    return Page(items=items, next_cursor=rows[-1].record_id if more and rows else None)


async def get_record(
    db: Database,
    key: ConnectionKey,
    resource: str,
    record_id: str,
    *,
    include_deleted: bool = False,
    model: type[RecordMeta] | None = None,
) -> RecordMeta:
    stored = mirror_records.c
    query = select(stored.record, stored.deleted).where(_where(key, resource), stored.record_id == record_id)
    async with db.read() as conn:
        row = (await conn.execute(query)).first()
    if row is None or row.record is None or (row.deleted and not include_deleted):
        raise NotFound(
            f"{resource} {record_id} is not in the mirror of {key}",
            provider=key.provider,
        )
    return decode(resource, row.record, model)


async def count(db: Database, key: ConnectionKey, resource: str, *, include_deleted: bool = False) -> int:
    stored = mirror_records.c
    query = select(func.count()).select_from(mirror_records).where(_where(key, resource))
    if not include_deleted:
        query = query.where(stored.deleted != true())
    async with db.read() as conn:
        return int((await conn.execute(query)).scalar_one())
