"""Reading the mirror: ``conn.invoices.list(source="mirror")`` and ``get(..., source="mirror")``.

Mirror lists take the filters and sorts the catalog declares, each applied in SQL to the row's
column for the field it tests (:data:`.schema.FIELD_COLUMNS`, indexed). Without a sort they are
ordered by record id and paged by keyset (the cursor is the last id of the page); with one, by the
sort's column (records without a value last), then id, and the cursor is a
:class:`~unified_accounting.listing.SortCursor` holding both. Either way paging stays fast and
stable while syncs write. Records come back with their amounts at the currency's minor units, as
from a provider (records mirrored by earlier releases included).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy import and_, func, or_, select, true

from ..catalog import RESOURCES, ListFilter, ListSort
from ..connections import ConnectionKey
from ..errors import ConfigurationError, NotFound
from ..listing import SortCursor
from ..models import RecordMeta
from ..models.money import quantized
from ..provider import Page
from ..storage.database import Database
from .records import GONE_STATUSES, decode
from .schema import FIELD_COLUMNS, mirror_records

DEFAULT_PAGE_SIZE = 500


def _where(key: ConnectionKey, resource: str) -> Any:
    stored = mirror_records.c
    return and_(
        stored.consumer_id == key.consumer_id,
        stored.provider == key.provider,
        stored.company_id == key.company_id,
        stored.resource == resource,
    )


def _column(field: str) -> Any:
    column = FIELD_COLUMNS.get(field)
    if column is None:
        raise ConfigurationError(
            f"the mirror keeps no column for the field {field!r}: add one to unified_accounting.mirror."
            "schema (FIELD_COLUMNS) and a migration filling it"
        )
    return column


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _condition(list_filter: ListFilter, value: Any) -> Any:
    """SQL keeping the rows ``list_filter`` keeps for ``value`` (see ``ListFilter.matches``)."""
    column = _column(list_filter.field)
    if list_filter.match == "one_of":
        return column.in_([_plain(item) for item in value])
    value = _plain(value)
    if list_filter.match == "at_least":
        return column >= value
    if list_filter.match == "at_most":
        return column <= value
    if list_filter.match == "after":
        return column > value
    return column == value


def _statuses(filters: Sequence[tuple[ListFilter, Any]]) -> set[str]:
    wanted: set[str] = set()
    for list_filter, value in filters:
        if list_filter.field == "status":
            values = value if list_filter.match == "one_of" else (value,)
            wanted |= {str(_plain(item)) for item in values}
    return wanted


def _after(sort: ListSort, cursor: SortCursor) -> Any:
    """SQL keeping the rows after ``cursor`` in ``sort``'s order (nulls last, ties by id)."""
    column, record_id = _column(sort.field), mirror_records.c.record_id
    if cursor.value is None:
        return and_(column.is_(None), record_id > cursor.record_id)
    beyond = column < cursor.value if sort.descending else column > cursor.value
    return or_(beyond, and_(column == cursor.value, record_id > cursor.record_id), column.is_(None))


async def list_page(
    db: Database,
    key: ConnectionKey,
    resource: str,
    *,
    cursor: str | None = None,
    page_size: int | None = None,
    filters: Sequence[tuple[ListFilter, Any]] = (),
    sort: ListSort | None = None,
    include_deleted: bool = False,
    model: type[RecordMeta] | None = None,
) -> Page:
    """One page of mirrored records of ``resource`` that pass ``filters`` (declared filters and
    their validated values), in ``sort``'s order or by id: live ones unless ``include_deleted``, or
    unless a ``status`` filter asks for records that left the books (archived ones are tombstones)."""
    stored = mirror_records.c
    model = model or RESOURCES.model(resource)
    size = page_size or DEFAULT_PAGE_SIZE
    sort_column = _column(sort.field) if sort is not None else stored.record_id
    query = select(stored.record_id, stored.record, sort_column.label("sort_value")).where(
        _where(key, resource), stored.record.is_not(None), *(_condition(f, v) for f, v in filters)
    )
    if not include_deleted:
        gone = sorted(_statuses(filters) & GONE_STATUSES)
        live = stored.deleted != true()
        query = query.where(or_(live, stored.status.in_(gone)) if gone else live)
    if sort is None:
        if cursor is not None:
            query = query.where(stored.record_id > cursor)
        query = query.order_by(stored.record_id)
    else:
        if cursor is not None:
            query = query.where(_after(sort, SortCursor.decode(cursor, sort, model)))
        ordered = sort_column.desc() if sort.descending else sort_column.asc()
        query = query.order_by(ordered.nulls_last(), stored.record_id)
    async with db.read() as conn:
        rows = (await conn.execute(query.limit(size + 1))).all()
    more = len(rows) > size
    rows = rows[:size]
    items = [quantized(decode(resource, row.record, model)) for row in rows]
    next_cursor: str | None = None
    if more and rows:
        last = rows[-1]
        next_cursor = (
            last.record_id
            if sort is None
            else SortCursor(sort, last.sort_value, last.record_id).encode(model)
        )
    return Page(items=items, next_cursor=next_cursor)


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
    return quantized(decode(resource, row.record, model))


async def count(db: Database, key: ConnectionKey, resource: str, *, include_deleted: bool = False) -> int:
    stored = mirror_records.c
    query = select(func.count()).select_from(mirror_records).where(_where(key, resource))
    if not include_deleted:
        query = query.where(stored.deleted != true())
    async with db.read() as conn:
        return int((await conn.execute(query)).scalar_one())
