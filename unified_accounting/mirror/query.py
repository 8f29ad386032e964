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

from sqlalchemy import Connection, and_, func, literal, literal_column, null, or_, select, true, tuple_

from ..catalog import RESOURCES, ListFilter, ListSort
from ..connections import ConnectionKey
from ..decoding import RecordIssue, decode_failure, decode_one
from ..errors import ConfigurationError, NotFound
from ..listing import SortCursor
from ..models import RecordMeta
from ..models.context import PROVIDER_CONTEXT
from ..models.money import quantized
from ..provider import Page
from ..storage.database import Database
from ..storage.direct_reads import AsyncFetch, Fetch
from . import statistics
from .list_statements import (
    AFTER_ID,
    AFTER_VALUE,
    LIMIT,
    ListStatements,
    cached,
    limit_parameter,
    parameter,
    value_parameter,
)
from .records import GONE_STATUSES, decode, model_of
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


def _condition(list_filter: ListFilter, value: Any, index: int) -> Any:
    """SQL keeping the rows ``list_filter`` keeps for ``value`` (see ``ListFilter.matches``), the
    value bound as parameter ``index`` (see :mod:`.list_statements`)."""
    column = _column(list_filter.field)
    if list_filter.match == "one_of":
        return column.in_(
            [parameter(value_parameter(index, item), column.type) for item in range(len(value))]
        )
    bound = parameter(value_parameter(index), column.type)
    if list_filter.match == "at_least":
        return column >= bound
    if list_filter.match == "at_most":
        return column <= bound
    if list_filter.match == "after":
        return column > bound
    return column == bound


def _bind(values: dict[str, Any], filters: Sequence[tuple[ListFilter, Any]]) -> None:
    """The filters' values, as :func:`_condition` names them."""
    for index, (list_filter, value) in enumerate(filters):
        if list_filter.match == "one_of":
            for item, one in enumerate(value):
                values[value_parameter(index, item)] = _plain(one)
        else:
            values[value_parameter(index)] = _plain(value)


def _statuses(filters: Sequence[tuple[ListFilter, Any]]) -> set[str]:
    wanted: set[str] = set()
    for list_filter, value in filters:
        if list_filter.field == "status":
            values = value if list_filter.match == "one_of" else (value,)
            wanted |= {str(_plain(item)) for item in values}
    return wanted


def decode_all(
    resource: str, texts: Sequence[str], model: type[RecordMeta] | None = None
) -> list[RecordMeta]:
    """Stored records back as ``model`` records (as :func:`.records.decode` reads them), with their
    amounts at the currency's minor units, as from a provider (records mirrored by earlier
    releases included): the per-record work of a mirror read, kept to one validation and one walk
    of the amounts."""
    context = dict(PROVIDER_CONTEXT)
    validate = model_of(resource, model).model_validate_json
    return [
        quantized(
            # A JSON escape (rare in stored records) may be a lone surrogate: decode() reads those.
            validate(text, context=context) if "\\u" not in text else decode(resource, text, model)
        )
        for text in texts
    ]


#: How filters test their field: those that keep one value (or a few), and ranges.
_EQUALITIES = frozenset({"equals", "one_of"})


def _by_id(db: Database, filters: Sequence[tuple[ListFilter, Any]]) -> Any:
    """The order of an unsorted list. SQLite, which keeps no statistics of how many records a range
    holds, would read a list filtered by a range only (``updated_since``, an issue date range) in
    the primary key's order, testing every record of the company until the page is full; ordering
    by an expression of the id instead makes it read the range's index and order what it found —
    a read bounded by the range (see ``docs/performance.md``)."""
    record_id = mirror_records.c.record_id
    ranged = filters and all(f.match not in _EQUALITIES for f, _ in filters)
    if db.dialect == "sqlite" and ranged:
        return record_id.concat("")
    return record_id


def _beyond(sort: ListSort, compared: Any) -> Any:
    """SQL keeping the rows with a value that come after the cursor (which holds a value too) in
    ``sort``'s order, ties by id: a range of the sort's index (ascending: a row-value comparison;
    descending, its index being ``value DESC, id``: the range ``value <= v``, rows of ``v`` itself
    kept from the id on). ``compared`` is the sort's column as the comparison names it."""
    column, record_id = _column(sort.field), mirror_records.c.record_id
    value, after_id = parameter(AFTER_VALUE, column.type), parameter(AFTER_ID)
    if not sort.descending:
        return tuple_(compared, record_id) > tuple_(value, after_id)
    return and_(compared <= value, or_(compared < value, record_id > after_id))


def _compared(db: Database, sort: ListSort, filters: Sequence[tuple[ListFilter, Any]]) -> Any:
    """The sort's column in a page's keyset condition. A list that keeps one customer's (supplier's)
    records, or one number, reads that filter's index and orders the few records it holds; SQLite,
    seeing a range of the sort's index in the condition, would rather read the whole company down
    that index from the cursor (a range it cannot size). The column behind a unary ``+`` (SQLite's
    way of saying "no index for this term") keeps it to the filter's index, as on the first page."""
    column = _column(sort.field)
    if db.dialect == "sqlite" and any(f.match == "equals" for f, _ in filters):
        return literal_column(f"+{mirror_records.name}.{column.name}", column.type)
    return column


#: Where a list's cursor stands: none, after an id (unsorted), after a sort value, or past the
#: records with a value (after an id among those without one).
_START, _AFTER_ID, _AFTER_VALUE, _AFTER_UNVALUED = "start", "id", "value", "unvalued"


def _statements(
    db: Database,
    resource: str,
    filters: Sequence[tuple[ListFilter, Any]],
    sort: ListSort | None,
    gone: tuple[str, ...] | None,
    position: str,
) -> ListStatements:
    """The statements of a kind of list, values bound as parameters (see :mod:`.list_statements`).

    Every statement reads one index range in the index's order (see ``docs/performance.md``): a
    sorted list reads the records with a value first (``value``, then id, whichever the direction),
    then, once those are exhausted, the records without one by id — two statements for the page
    that crosses from one to the other, rather than one ``NULLS LAST`` order no index gives."""
    stored = mirror_records.c
    query = select(stored.record_id, stored.record).where(
        stored.consumer_id == parameter("consumer_id"),
        stored.provider == parameter("provider"),
        stored.company_id == parameter("company_id"),
        stored.resource == parameter("resource"),
        stored.record.is_not(None),
        *(_condition(f, v, index) for index, (f, v) in enumerate(filters)),
    )
    if gone is not None:
        live = stored.deleted != true()
        query = query.where(
            or_(live, stored.status.in_([literal(status) for status in gone])) if gone else live
        )
    statements = []
    if sort is None:
        if position == _AFTER_ID:
            query = query.where(stored.record_id > parameter(AFTER_ID))
        statements.append(query.order_by(_by_id(db, filters)))
        return ListStatements([statement.limit(limit_parameter()) for statement in statements], None)
    column = _column(sort.field)
    if position != _AFTER_UNVALUED:
        valued = query.add_columns(column).where(
            column.is_not(None) if position == _START else _beyond(sort, _compared(db, sort, filters))
        )
        statements.append(valued.order_by(column.desc() if sort.descending else column, stored.record_id))
    unvalued = query.add_columns(null()).where(column.is_(None))
    if position == _AFTER_UNVALUED:
        unvalued = unvalued.where(stored.record_id > parameter(AFTER_ID))
    statements.append(unvalued.order_by(stored.record_id))
    return ListStatements([statement.limit(limit_parameter()) for statement in statements], column.type)


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
    unless a ``status`` filter asks for records that left the books (archived ones are tombstones).

    The list's statements (:func:`_statements`) are built and compiled once per kind of list and
    run on the driver itself where the database allows (see :mod:`.list_statements`)."""
    model = model or RESOURCES.model(resource)
    size = page_size or DEFAULT_PAGE_SIZE
    await statistics.keep_fresh(db)
    values: dict[str, Any] = {
        "consumer_id": key.consumer_id,
        "provider": key.provider,
        "company_id": key.company_id,
        "resource": resource,
    }
    _bind(values, filters)
    if sort is None:
        position = _START if cursor is None else _AFTER_ID
        if cursor is not None:
            values[AFTER_ID] = cursor
    else:
        after = SortCursor.decode(cursor, sort, model) if cursor is not None else None
        if after is None:
            position = _START
        else:
            position = _AFTER_UNVALUED if after.value is None else _AFTER_VALUE
            values[AFTER_VALUE], values[AFTER_ID] = after.value, after.record_id
    gone = None if include_deleted else tuple(sorted(_statuses(filters) & GONE_STATUSES))
    shape = (
        resource,
        tuple((f.field, f.match, len(v) if f.match == "one_of" else 0) for f, v in filters),
        gone,
        None if sort is None else (sort.field, sort.descending),
        position,
    )
    kind = cached(db.engine.dialect, shape, lambda: _statements(db, resource, filters, sort, gone, position))
    rows = await _read(db, kind, values, size, shape)
    more = len(rows) > size
    rows = rows[:size]
    items, issues = _decode_page(key, resource, rows, model)
    next_cursor: str | None = None
    if more and rows:
        last = rows[-1]
        next_cursor = last[0] if sort is None else SortCursor(sort, last[2], last[0]).encode(model)
    return Page(items=items, next_cursor=next_cursor, issues=issues)


async def _read(
    db: Database, kind: ListStatements, values: dict[str, Any], size: int, shape: Any
) -> list[tuple[Any, ...]]:
    """The rows of a page (one more than ``size`` when more follow): each statement in turn until
    the page is full, on the driver itself where the database allows (see
    :meth:`.Database.read_direct`), else through SQLAlchemy. The sort value comes back as the
    column's type reads it."""
    if db.supports_direct_writes:
        statements = kind.for_driver(db.engine.dialect)

        def read(fetch: Fetch) -> list[tuple[Any, ...]]:
            rows: list[tuple[Any, ...]] = []
            for statement in statements:
                values[LIMIT] = size + 1 - len(rows)
                rows += fetch(statement.sql, statement.parameters(values))
                if len(rows) > size:
                    break
            return rows

        return _with_sort_values(kind, await db.read_direct(read, key=shape), size)
    if db.supports_direct_postgres:
        statements = kind.for_driver(db.engine.dialect)

        async def read_async(fetch: AsyncFetch) -> list[tuple[Any, ...]]:
            rows: list[tuple[Any, ...]] = []
            for statement in statements:
                values[LIMIT] = size + 1 - len(rows)
                rows += await fetch(statement.sql, statement.parameters(values))
                if len(rows) > size:
                    break
            return rows

        return _with_sort_values(kind, await db.read_direct_postgres(read_async), size)

    def read_through_sqlalchemy(conn: Connection) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for statement in kind.statements:
            values[LIMIT] = size + 1 - len(rows)
            rows += [tuple(row) for row in conn.execute(statement, values)]
            if len(rows) > size:
                break
        return rows

    return await db.read_blocking(read_through_sqlalchemy)


def _with_sort_values(kind: ListStatements, rows: list[tuple[Any, ...]], size: int) -> list[tuple[Any, ...]]:
    """``rows`` with the sort value of the one a cursor is made from as the column's type reads it
    (only that one is ever read)."""
    if kind.sort_type is not None and len(rows) > size:
        last = rows[size - 1]
        rows[size - 1] = (last[0], last[1], kind.sort_value(last[2]))
    return rows


def _decode_page(
    key: ConnectionKey, resource: str, rows: Sequence[Any], model: type[RecordMeta]
) -> tuple[list[RecordMeta], list[RecordIssue]]:
    """A page's stored records decoded; one that no longer reads (written by a release whose model
    has since changed, or edited by hand) is left out and reported, never failing the page — as a
    provider's page does. The page is decoded in one go first: a failure is rare."""
    try:
        return decode_all(resource, [row[1] for row in rows], model), []
    except Exception:
        items: list[RecordMeta] = []
        issues: list[RecordIssue] = []
        for record_id, record, *_ in rows:
            try:
                items.append(decode_all(resource, [record], model)[0])
            except Exception as exc:
                error = decode_failure(key.provider, resource, record, exc, record_id=record_id)
                issues.append(RecordIssue(resource, record_id, error))
        return items, issues


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
    stored_text: str = row.record
    return decode_one(
        key.provider,
        resource,
        stored_text,
        lambda text: decode_all(resource, [text], model)[0],
        record_id=record_id,
    )


async def count(db: Database, key: ConnectionKey, resource: str, *, include_deleted: bool = False) -> int:
    stored = mirror_records.c
    query = select(func.count()).select_from(mirror_records).where(_where(key, resource))
    if not include_deleted:
        query = query.where(stored.deleted != true())
    async with db.read() as conn:
        return int((await conn.execute(query)).scalar_one())
