"""The local mirror: the unified records of each connection, written by ordered, idempotent upserts.

Ordering. Each row carries an ordering key ``(updated_at, version_rank, deleted)``:

- ``updated_at`` is the provider's last-modified time of the record;
- ``version_rank`` is the record's ``row_version`` when that is a number (QuickBooks' SyncToken,
  counters), else ``-1`` — it orders two versions stamped within the same clock tick;
- ``deleted`` makes a tombstone win over a live version with the same time and rank;
- between two live versions with the same time and no numeric rank, a different ``row_version``
  wins (the later fetch: syncs and webhook jobs of a company never run at once);
- a tombstone that was only *inferred* — its status still says the record is on the books, because
  an earlier release's full sync marked rows it had not seen as deleted, without asking the
  provider — has no version of its own: a live read of the same version (or a newer one) wins
  over it and revives the record.

A write replaces the stored row only when its key is strictly greater, so applying the same
version twice changes nothing, and an older version arriving late (a delayed webhook, a page read
before a webhook was processed) never replaces a newer one. The decision is made by the ``UPSERT``
itself — one statement per batch, the same on SQLite and PostgreSQL — so it also holds between
concurrent writers.

Tombstones. A record is a tombstone when the provider says it was deleted (QuickBooks CDC
``Deleted``, Xero's deleted, voided and archived records, a fetch answering "not found") or when
its unified status says it left the books (``deleted``/``void`` invoices and payments, ``archived``
customers). A tombstone without a time of its own is stamped with the moment it was observed; it
keeps the last content known, so ``include_deleted=True`` still shows what was there. A later
version with a greater key (an un-archived customer) brings the record back. Records a full
listing did not see are only candidates (:func:`unseen`): the sync asks the provider for them and
tombstones those it answers "not found" for.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from pydantic_core import PydanticSerializationError
from sqlalchemy import Connection, Date, and_, bindparam, case, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..catalog import RESOURCES
from ..connections import ConnectionKey
from ..models import ChangeOperation, RecordMeta
from ..models.context import PROVIDER_CONTEXT, lone_surrogate
from ..provider import ChangeFeedResult
from ..storage.database import Database
from ..storage.types import UTCDateTime, sqlite_text
from .schema import RECORD_FIELD_COLUMNS, mirror_records

# A JSON escape of half a UTF-16 pair (what record_json writes for text UTF-8 cannot hold).
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")

#: Unified statuses meaning the record left the books (see the module docstring).
GONE_STATUSES = frozenset({"deleted", "void", "archived"})
#: Records per upsert batch: the ordering keys of a batch are read with one ``IN`` of its ids,
#: well under SQLite's bound-parameter limit.
BATCH_SIZE = 1000
_MAX_RANK = 2**63 - 1
#: Longest text kept in a filter column: longer text can match no filter value (``FilterText``).
_INDEXED_TEXT = 255


@dataclass(frozen=True)
class MirrorWrite:
    """One version of one record, ready to be upserted."""

    resource: str
    record_id: str
    updated_at: datetime
    version_rank: int
    row_version: str | None
    deleted: bool
    status: str | None
    record: str | None
    #: The record's values of the filter columns (``schema.RECORD_FIELD_COLUMNS``, in order); empty
    #: for a tombstone known by id only, which keeps the stored ones.
    indexed: tuple[Any, ...] = ()
    #: The unified record itself, when the write was made from one in this process (spares
    #: decoding it again).
    model: RecordMeta | None = field(default=None, compare=False, repr=False)

    @property
    def order(self) -> tuple[datetime, int, bool]:
        return (self.updated_at, self.version_rank, self.deleted)

    @property
    def id(self) -> str:
        """The record's id, as a listing's overlap check reads it from what a page holds (a page
        read in a worker process holds writes, not records: see ``unified_accounting.sync.readers``)."""
        return self.record_id


@dataclass(frozen=True)
class AppliedWrite:
    """A :class:`MirrorWrite` that took effect, and what it did to the record (created, updated,
    deleted): the sync turns it into the ``RecordChange`` that hooks and the outbox report."""

    resource: str
    record_id: str
    operation: ChangeOperation
    #: The record as written: the unified model the write was made from, or its stored JSON, which
    #: :attr:`record` decodes when first asked (a sync whose pages were read in worker processes
    #: has no model at hand, and a page of a thousand changes is usually announced to nobody).
    written: RecordMeta | str | None = field(repr=False, compare=False)

    @functools.cached_property
    def record(self) -> RecordMeta | None:
        """The record as written (``None`` for a deletion known by id only)."""
        if isinstance(self.written, str):
            return decode(self.resource, self.written)
        return self.written


def version_rank(row_version: str | None) -> int:
    if row_version is not None and row_version.isdigit():
        rank = int(row_version)
        if rank <= _MAX_RANK:
            return rank
    return -1


def _status(record: RecordMeta) -> str | None:
    status = getattr(record, "status", None)
    return str(status.value if hasattr(status, "value") else status) if status is not None else None


def _keep_moment(value: Any) -> Any:
    return value if isinstance(value, datetime) else None


def _keep_day(value: Any) -> Any:
    return value if isinstance(value, date) and not isinstance(value, datetime) else None


# A field's value as its filter column keeps it: enums by value; text a database cannot hold (NUL,
# lone surrogates) or no filter can match (too long) is left out (NULL), and so is a value of
# another type than the column's (a provider's own model with a ``date`` that is a moment).


def _keep_text(value: Any) -> Any:
    if value.__class__ is not str:  # the common case first: plain text, no isinstance chain
        if not isinstance(value, str):
            return None
        value = str(value.value) if isinstance(value, Enum) else str(value)
    if len(value) > _INDEXED_TEXT or "\x00" in value or (not value.isascii() and lone_surrogate(value)):
        return None
    return value


def _keeper(column: str) -> Callable[[Any], Any]:
    kind = mirror_records.c[column].type
    if isinstance(kind, UTCDateTime):
        return _keep_moment
    if isinstance(kind, Date):
        return _keep_day
    return _keep_text


#: Filter column → how a field's value (not ``None``) goes into it.
_KEEPERS = {name: _keeper(name) for name in RECORD_FIELD_COLUMNS}


def _no_value(record: Any) -> None:
    return None


@functools.cache
def _indexer(model: type[RecordMeta]) -> Callable[[RecordMeta], tuple[Any, ...]]:
    """The filter columns' values of a record of ``model``, read by attribute: only the columns the
    model can fill (a field, or a property of the class) are asked for — asking a pydantic record
    for an attribute it lacks costs an exception, every record, every time."""
    readers = tuple(
        _reader(name) if name in model.model_fields or hasattr(model, name) else _no_value
        for name in RECORD_FIELD_COLUMNS
    )

    def indexed(record: RecordMeta) -> tuple[Any, ...]:
        return tuple([read(record) for read in readers])

    return indexed


def _reader(name: str) -> Callable[[Any], Any]:
    keep = _KEEPERS[name]

    def read(record: Any) -> Any:
        value = getattr(record, name, None)
        return None if value is None else keep(value)

    return read


def indexed_values(record: RecordMeta) -> tuple[Any, ...]:
    """The values of the filter columns for ``record`` (see :mod:`.schema`)."""
    return _indexer(type(record))(record)


def record_write(
    resource: str, record: RecordMeta, observed_at: datetime, *, keep_model: bool = True
) -> MirrorWrite:
    """The write for a record read from the provider (a tombstone if its status says it is gone).
    ``keep_model=False`` leaves the record out of it (a write built in a worker process travels
    back without it)."""
    if not record.id:
        raise ValueError(f"a {resource} without an id cannot be mirrored")
    status = _status(record)
    return MirrorWrite(
        resource=resource,
        record_id=str(record.id),
        updated_at=record.updated_at or observed_at,
        version_rank=version_rank(record.row_version),
        row_version=record.row_version,
        deleted=status in GONE_STATUSES,
        status=status,
        record=record_json(record),
        indexed=indexed_values(record),
        model=record if keep_model else None,
    )


def record_json(record: RecordMeta) -> str:
    """The stored form of a record (``raw``, the provider payload, is not kept).

    Text a provider stored may hold a lone UTF-16 surrogate (Xero accepts ``"\\ud800"``), which
    UTF-8 cannot encode: such a record is written with ASCII JSON escapes instead, which
    :func:`decode` reads back to the same text. One such record must not stop every later sync.
    """
    try:
        return record.model_dump_json(exclude={"raw"})
    except PydanticSerializationError:
        return json.dumps(record.model_dump(mode="json", exclude={"raw"}), separators=(",", ":"))


def tombstone_write(resource: str, record_id: str, deleted_at: datetime) -> MirrorWrite:
    """The write for a record known only to be gone (by id), as of ``deleted_at``."""
    return MirrorWrite(
        resource=resource,
        record_id=record_id,
        updated_at=deleted_at,
        version_rank=-1,
        row_version=None,
        deleted=True,
        status="deleted",
        record=None,
    )


def change_feed_writes(
    feed: ChangeFeedResult, resources: Iterable[str], observed: datetime
) -> list[MirrorWrite]:
    """The writes for what a provider's change feed reported, limited to ``resources``.

    Deletions are stamped with the provider's clock at the read when it gave one, else ``observed``.
    """
    wanted = set(resources)
    deleted_at = feed.server_time or observed
    writes = [
        record_write(resource, record, observed)
        for resource, records in feed.records.items()
        if resource in wanted
        for record in records
    ]
    writes += [
        tombstone_write(resource, record_id, deleted_at)
        for resource, ids in feed.deleted.items()
        if resource in wanted
        for record_id in ids
    ]
    return writes


def _newest_per_record(writes: Iterable[MirrorWrite]) -> list[MirrorWrite]:
    # PostgreSQL refuses an upsert that touches the same row twice: keep each record's newest.
    newest: dict[tuple[str, str], MirrorWrite] = {}
    for write in writes:
        key = (write.resource, write.record_id)
        current = newest.get(key)
        if current is None or write.order >= current.order:  # on a tie, the later write is the later fetch
            newest[key] = write
    return list(newest.values())


def _is_newer(incoming: Any) -> Any:
    """SQL: the incoming row (the upsert's ``excluded``) orders strictly after the stored one."""
    stored = mirror_records.c
    same_time = incoming.updated_at == stored.updated_at
    incoming_rank = func.coalesce(incoming.version_rank, -1)
    stored_rank = func.coalesce(stored.version_rank, -1)
    # (Plain comparisons, not NOT IN: the statement is compiled once for the driver, see below.)
    inferred = or_(stored.status.is_(None), and_(*(stored.status != gone for gone in sorted(GONE_STATUSES))))
    return or_(
        stored.updated_at.is_(None),
        incoming.updated_at > stored.updated_at,
        and_(same_time, incoming_rank > stored_rank),
        and_(
            same_time,
            incoming_rank == stored_rank,
            incoming.deleted == true(),
            stored.deleted != true(),
        ),
        # A tombstone inferred from a listing that did not see the record (see the module
        # docstring) loses to a live read of the version it hid.
        and_(
            same_time,
            incoming_rank == stored_rank,
            incoming.deleted != true(),
            stored.deleted == true(),
            inferred,
        ),
        # Opaque versions (rank -1) cannot be ordered, and a provider may change a record without
        # moving its time (Xero: a payment lowers AmountDue). Such a tie with a different version
        # is taken: a company's syncs and webhook jobs run one at a time, so the later write comes
        # from the later fetch.
        and_(
            same_time,
            incoming_rank == -1,
            stored_rank == -1,
            incoming.deleted != true(),
            stored.deleted != true(),
            incoming.row_version.is_distinct_from(stored.row_version),
        ),
    )


def _upsert_statement(db: Database) -> Any:
    """The ordered upsert, built once per database kind (SQLAlchemy then caches its compilation)."""
    cached = _UPSERTS.get(db.dialect)
    if cached is not None:
        return cached
    statement = db.insert(mirror_records)
    excluded = statement.excluded
    newer = _is_newer(excluded)
    stored = mirror_records.c

    def pick(column: str, incoming: Any) -> Any:
        return case((newer, incoming), else_=getattr(stored, column))

    statement = statement.on_conflict_do_update(
        index_elements=["consumer_id", "provider", "company_id", "resource", "record_id"],
        set_={
            "updated_at": pick("updated_at", excluded.updated_at),
            "version_rank": pick("version_rank", excluded.version_rank),
            "row_version": pick("row_version", excluded.row_version),
            "deleted": pick("deleted", excluded.deleted),
            "status": pick("status", func.coalesce(excluded.status, stored.status)),
            # A tombstone known by id only keeps the last content seen.
            "record": pick("record", func.coalesce(excluded.record, stored.record)),
            # So do its filter columns; a version read whole sets them all (to NULL too).
            **{
                name: pick(
                    name,
                    case((excluded.record.is_(None), getattr(stored, name)), else_=getattr(excluded, name)),
                )
                for name in RECORD_FIELD_COLUMNS
            },
            "changed_at": pick("changed_at", excluded.changed_at),
            "seen_at": excluded.seen_at,
        },
    )
    _UPSERTS[db.dialect] = statement
    return statement


_UPSERTS: dict[str, Any] = {}


@dataclass(frozen=True)
class _DriverStatement:
    """The upsert compiled once to the driver's SQL, with its parameters' order and constants.

    A page of 1000 records goes to the driver as one ``executemany`` without SQLAlchemy's per-row
    parameter processing, which otherwise costs more than the database work itself.
    """

    sql: str
    names: tuple[str, ...] | None  # positional order (SQLite), or None for named (PostgreSQL)
    constants: dict[str, Any]
    sqlite: bool
    #: SQLite: the statement's ``VALUES (?, …)`` clause, which :meth:`execute` repeats to insert many
    #: rows with one statement (``None``: one row per execution), and how many parameters it holds.
    values_clause: str | None
    value_count: int
    #: How each filter column's value goes to the driver (SQLite: times and dates as text), in
    #: ``RECORD_FIELD_COLUMNS``' order.
    converters: tuple[Callable[[Any], Any], ...]

    def parameters(self, key: ConnectionKey, batch: Sequence[MirrorWrite], now: datetime) -> list[Any]:
        stamp: Any = sqlite_text(now) if self.sqlite else now
        fixed = {
            **self.constants,
            "consumer_id": key.consumer_id,
            "provider": key.provider,
            "company_id": key.company_id,
            "seen_at": stamp,
            "changed_at": stamp,
        }
        time_of = sqlite_text if self.sqlite else _same
        converters = self.converters
        none = (None,) * len(converters)
        # Each row: the values that are the same for every row, then the write's own, in
        # _VARYING's order; then put in the statement's order (by name for PostgreSQL).
        shared = tuple(fixed.values())
        rows = [
            (
                *shared,
                w.resource,
                w.record_id,
                time_of(w.updated_at),
                w.version_rank,
                w.row_version,
                w.deleted,
                w.status,
                w.record,
                *[
                    None if value is None else convert(value)
                    for convert, value in zip(converters, w.indexed or none, strict=True)
                ],
            )
            for w in batch
        ]
        names = (*fixed, *_VARYING, *RECORD_FIELD_COLUMNS)
        if self.names is None:
            return [dict(zip(names, row, strict=True)) for row in rows]
        ordered = operator.itemgetter(*(names.index(name) for name in self.names))
        return [ordered(row) for row in rows]

    def execute(self, conn: Connection, rows: list[Any]) -> None:
        """Run the upsert for ``rows`` (from :meth:`parameters`) on ``conn``.

        On SQLite, many rows go in one statement (``VALUES (…), (…), …``) rather than one
        ``executemany``: the driver releases the interpreter lock around each statement it steps
        through and must take it back before the next, and while the event loop's thread is busy
        (decoding the next page) each take waits up to the interpreter's switch interval (5 ms),
        which made a page of 1000 rows take seconds instead of tens of milliseconds.
        """
        if self.values_clause is None or not rows:
            conn.exec_driver_sql(self.sql, rows)
            return
        count = self.value_count
        shared = tuple(rows[0][count:])  # the constants of the ON CONFLICT clause, once
        per_statement = max(1, (_SQLITE_MAX_PARAMETERS - len(shared)) // count)
        one_row = self.values_clause[len("VALUES ") :]
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = self.sql.replace(self.values_clause, "VALUES " + ", ".join([one_row] * len(chunk)), 1)
            conn.exec_driver_sql(sql, (*[value for row in chunk for value in row[:count]], *shared))


#: Parameters one SQLite statement may hold: SQLite's default bound (32766 since 3.32, 999 before).
_SQLITE_MAX_PARAMETERS = 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999

#: The columns a write gives its own value (after those every row of a batch shares).
_VARYING = (
    "resource",
    "record_id",
    "updated_at",
    "version_rank",
    "row_version",
    "deleted",
    "status",
    "record",
)


def _same(value: Any) -> Any:
    return value


def _sqlite_day(value: date) -> str:
    return value.isoformat()


_DRIVER_STATEMENTS: dict[str, _DriverStatement] = {}


def _driver_statement(db: Database) -> _DriverStatement:
    cached = _DRIVER_STATEMENTS.get(db.dialect)
    if cached is None:
        compiled = _upsert_statement(db).compile(dialect=db.engine.dialect)
        columns = {column.name for column in mirror_records.columns}
        sqlite = db.dialect == "sqlite"
        sql = str(compiled)
        names = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        # The inserted columns' parameters come first, the ON CONFLICT clause's constants after.
        count = next((i for i, name in enumerate(names or ()) if name not in columns), len(names or ()))
        values_clause = "VALUES (" + ", ".join(["?"] * count) + ")"
        cached = _DriverStatement(
            sql=sql,
            names=names,
            constants={k: v for k, v in compiled.params.items() if k not in columns},
            sqlite=sqlite,
            values_clause=values_clause if sqlite and count and sql.count(values_clause) == 1 else None,
            value_count=count,
            converters=tuple(_converter(name, sqlite) for name in RECORD_FIELD_COLUMNS),
        )
        _DRIVER_STATEMENTS[db.dialect] = cached
    return cached


def _converter(column: str, sqlite: bool) -> Callable[[Any], Any]:
    """What the driver takes for a filter column's value (what SQLAlchemy's types would send)."""
    kind = mirror_records.c[column].type
    if sqlite and isinstance(kind, UTCDateTime):
        return sqlite_text
    if sqlite and isinstance(kind, Date):
        return _sqlite_day
    return _same


def upsert_rows(
    conn: Connection,
    db: Database,
    key: ConnectionKey,
    writes: Sequence[MirrorWrite],
    now: datetime,
) -> list[AppliedWrite]:
    """Apply ``writes`` in order-respecting fashion inside ``conn``'s (blocking) transaction: on
    SQLite in a file ``Database.write_blocking``'s, elsewhere the async engine's through
    ``run_sync``.

    Returns the writes that took effect (created, updated, deleted), for hooks and the outbox.
    """
    applied: list[AppliedWrite] = []
    statement = _driver_statement(db)
    for start in range(0, len(writes), BATCH_SIZE):
        batch = _newest_per_record(writes[start : start + BATCH_SIZE])
        if not batch:
            continue
        previous = _stored_orders(conn, key, batch, lock=db.dialect == "postgresql")
        statement.execute(conn, statement.parameters(key, batch, now))
        applied.extend(_classify(batch, previous))
    return applied


@dataclass(frozen=True)
class Stored:
    """What is stored for one record: its ordering key, row_version and status."""

    order: tuple[datetime, int, bool]
    row_version: str | None
    status: str | None

    @property
    def inferred_tombstone(self) -> bool:
        return self.order[2] and self.status not in GONE_STATUSES


def _replaces(write: MirrorWrite, before: Stored | None) -> bool:
    """Python twin of :func:`_is_newer` (the SQL decides; this says which writes it took)."""
    if before is None:
        return True
    order = before.order
    if write.order > order:
        return True
    if write.order[:2] == order[:2] and not write.deleted and before.inferred_tombstone:
        return True
    opaque_tie = write.order == order and order[1] == -1 and not order[2]
    return opaque_tie and write.row_version != before.row_version


def _stored_orders(
    conn: Connection, key: ConnectionKey, batch: Sequence[MirrorWrite], *, lock: bool
) -> dict[tuple[str, str], Stored]:
    """The ordering keys stored for the batch's records (locked on PostgreSQL until commit)."""
    by_resource: dict[str, list[str]] = {}
    for write in batch:
        by_resource.setdefault(write.resource, []).append(write.record_id)
    orders: dict[tuple[str, str], Stored] = {}
    query = _STORED_ORDERS_LOCKED if lock else _STORED_ORDERS
    for resource, ids in by_resource.items():
        values = {
            "consumer_id": key.consumer_id,
            "provider": key.provider,
            "company_id": key.company_id,
            "resource": resource,
            "ids": ids,
        }
        for row in conn.execute(query, values):
            orders[(resource, row.record_id)] = Stored(
                (
                    row.updated_at or datetime.min.replace(tzinfo=UTC),
                    row.version_rank if row.version_rank is not None else -1,
                    bool(row.deleted),
                ),
                row.row_version,
                row.status,
            )
    return orders


def _stored_orders_query() -> Any:
    # Built once, with the ids as one expanding parameter: a statement built per batch would
    # coerce each of its up to 1000 ids anew (about a tenth of a page's writing time).
    stored = mirror_records.c
    return select(
        stored.record_id,
        stored.updated_at,
        stored.version_rank,
        stored.deleted,
        stored.row_version,
        stored.status,
    ).where(
        stored.consumer_id == bindparam("consumer_id"),
        stored.provider == bindparam("provider"),
        stored.company_id == bindparam("company_id"),
        stored.resource == bindparam("resource"),
        stored.record_id.in_(bindparam("ids", expanding=True)),
    )


_STORED_ORDERS = _stored_orders_query()
_STORED_ORDERS_LOCKED = _STORED_ORDERS.with_for_update()


def _classify(batch: Sequence[MirrorWrite], previous: dict[tuple[str, str], Stored]) -> list[AppliedWrite]:
    applied: list[AppliedWrite] = []
    for write in batch:
        before = previous.get((write.resource, write.record_id))
        if not _replaces(write, before):
            continue  # same or older version: the upsert kept the stored row
        was_live = before is not None and not before.order[2]
        if write.deleted:
            if not was_live:
                continue  # already gone, or never seen alive: nothing to tell
            operation = ChangeOperation.DELETED
        else:
            operation = ChangeOperation.UPDATED if was_live else ChangeOperation.CREATED
        applied.append(
            AppliedWrite(
                resource=write.resource,
                record_id=write.record_id,
                operation=operation,
                written=write.model if write.model is not None else write.record,
            )
        )
    return applied


@dataclass(frozen=True)
class Unseen:
    """A live record a full listing did not see: deleted, or skipped by the listing."""

    record_id: str
    updated_at: datetime | None


async def unseen(
    conn: AsyncConnection,
    *,
    key: ConnectionKey,
    resource: str,
    seen_before: datetime,
    after: str = "",
    limit: int = 100,
) -> list[Unseen]:
    """Live records of ``resource`` not seen since ``seen_before``, by id after ``after``.

    Only candidates: the sync asks the provider about them before it tombstones any."""
    stored = mirror_records.c
    rows = await conn.execute(
        select(stored.record_id, stored.updated_at)
        .where(
            _key_clause(key),
            stored.resource == resource,
            stored.deleted != true(),
            stored.seen_at < seen_before,
            stored.record_id > after,
        )
        .order_by(stored.record_id)
        .limit(limit)
    )
    return [Unseen(row.record_id, row.updated_at) for row in rows]


async def holds_any(conn: AsyncConnection, *, key: ConnectionKey, resource: str) -> bool:
    """Whether the mirror holds any row of ``resource`` for ``key``, tombstones included (one seek
    of the primary key)."""
    stored = mirror_records.c
    found = await conn.execute(
        select(stored.record_id).where(_key_clause(key), stored.resource == resource).limit(1)
    )
    return found.first() is not None


def mark_seen(
    conn: Connection, key: ConnectionKey, resource: str, record_ids: Sequence[str], now: datetime
) -> None:
    """Note that a listing saw these records although it could not read them (keeps them from the
    sweep; their stored content is left as it was)."""
    if not record_ids:
        return
    stored = mirror_records.c
    conn.execute(
        update(mirror_records)
        .where(_key_clause(key), stored.resource == resource, stored.record_id.in_(list(record_ids)))
        .values(seen_at=now)
    )


def model_of(resource: str, model: type[RecordMeta] | None = None) -> type[RecordMeta]:
    """``model``, else the catalog's unified model for ``resource``."""
    if model is not None:
        return model
    spec = RESOURCES.get(resource)
    if spec is None:
        raise ValueError(f"no unified model for resource {resource!r}: pass model=")
    return spec.model


def decode(resource: str, text: str, model: type[RecordMeta] | None = None) -> RecordMeta:
    """A stored record back as its unified model (``model``, else the catalog's for ``resource``).

    Stored records are provider records: they are read with the provider context (input-only rules
    such as "due date not before the issue date" do not apply to them).
    """
    model = model_of(resource, model)
    context = dict(PROVIDER_CONTEXT)
    if _ESCAPED_SURROGATE.search(text) is None:
        return model.model_validate_json(text, context=context)
    # Written by record_json's fallback: pydantic's JSON parser refuses lone surrogate escapes.
    return model.model_validate(json.loads(text), context=context)


def _key_clause(key: ConnectionKey) -> Any:
    stored = mirror_records.c
    return and_(
        stored.consumer_id == key.consumer_id,
        stored.provider == key.provider,
        stored.company_id == key.company_id,
    )
