"""The mirror's table (SQLAlchemy Core): the unified records of each connection.

It lives in the vault's database (every name starts with ``ua_``); the Alembic revisions in
``migrations/`` (branch ``mirror``) create it. Records are keyed by connection — (consumer,
provider, company) — and resource; there is no foreign key to ``ua_connections`` so a mirror
outlives a reconnect.

Besides the record's JSON, a row keeps the fields list filters and sorts test in indexed columns
named after the model fields (:data:`FIELD_COLUMNS`), written by the upsert: a filter declared in
the catalog on one of those fields (``ListFilter.field``), or a sort key, works on the mirror for
any resource that has the field. A catalog test fails when a mirrored resource declares a filter
or sort on a field without a column: add one here and in a migration.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, MetaData, String, Table, Text

from ..storage.migrations import Schema
from ..storage.types import UTCDateTime

_ID = 255
_KEY = ("consumer_id", "provider", "company_id", "resource")
#: Text sorted by code point, as the core sorts in memory (a PostgreSQL database's own collation
#: may order by language rules); SQLite compares text by code point already.
SortableText = Text().with_variant(Text(collation="C"), "postgresql")

metadata = MetaData()

mirror_records = Table(
    "ua_mirror_records",
    metadata,
    Column("consumer_id", String(_ID), primary_key=True),
    Column("provider", String(40), primary_key=True),
    Column("company_id", String(_ID), primary_key=True),
    Column("resource", String(40), primary_key=True),
    Column("record_id", String(_ID), primary_key=True),
    # The ordering key: (updated_at, version_rank). See unified_accounting.mirror.records.
    Column("updated_at", UTCDateTime),
    Column("version_rank", BigInteger),
    Column("row_version", String(_ID)),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("status", String(40)),
    # The unified record, ``model_dump(mode="json")``: money as exact strings. NULL for a tombstone
    # of a record never seen alive.
    Column("record", Text),
    # Last time a sync or webhook saw the record (a full sync sweeps rows it did not see).
    Column("seen_at", UTCDateTime, nullable=False),
    # Last time this row's content changed.
    Column("changed_at", UTCDateTime, nullable=False),
    # Fields list filters and sorts test (see the module docstring); NULL where a record has none.
    Column("created_at", UTCDateTime),
    Column("customer_id", Text),
    Column("number", SortableText),
    Column("issue_date", Date),
    Column("supplier_id", Text),
    Column("date", Date),
    # Every index a list reads ends with record_id: records with the same value come by id, the
    # order lists give them and page them in (see .query).
    Index("ix_ua_mirror_records_updated", *_KEY, "updated_at", "record_id"),
    Index("ix_ua_mirror_records_status", *_KEY, "status", "record_id"),
    Index("ix_ua_mirror_records_created", *_KEY, "created_at", "record_id"),
    Index("ix_ua_mirror_records_customer", *_KEY, "customer_id", "record_id"),
    Index("ix_ua_mirror_records_number", *_KEY, "number", "record_id"),
    Index("ix_ua_mirror_records_issued", *_KEY, "issue_date", "record_id"),
    Index("ix_ua_mirror_records_supplier", *_KEY, "supplier_id", "record_id"),
    Index("ix_ua_mirror_records_dated", *_KEY, "date", "record_id"),
)

#: The sort keys (the fields ``ListSort`` orders by); each has an index in each direction, ties by
#: id ascending both ways (an index read backwards would give ties by id descending).
SORT_COLUMNS = ("updated_at", "issue_date", "number", "date")
for _name, _column in (
    ("updated", "updated_at"),
    ("issued", "issue_date"),
    ("number", "number"),
    ("dated", "date"),
):
    Index(
        f"ix_ua_mirror_records_{_name}_desc",
        *(mirror_records.c[name] for name in _KEY),
        mirror_records.c[_column].desc(),
        mirror_records.c.record_id,
    )

#: The columns the upsert fills from a record's fields (``updated_at`` and ``status`` have their
#: own rules: see :mod:`.records`). Columns added in ``mirror_0002`` and ``mirror_0003``.
RECORD_FIELD_COLUMNS = ("created_at", "customer_id", "number", "issue_date", "supplier_id", "date")
#: Model field → the column holding it, for every field a list filter or sort may test.
FIELD_COLUMNS = {name: mirror_records.c[name] for name in ("updated_at", "status", *RECORD_FIELD_COLUMNS)}


SCHEMA = Schema(
    name="mirror",
    metadata=metadata,
    versions=Path(__file__).parent / "migrations",
    legacy={"0101": "mirror_0001", "0102": "mirror_0001", "0103": "mirror_0001"},
)
