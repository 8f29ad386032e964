"""The mirror's table (SQLAlchemy Core): the unified records of each connection.

It lives in the vault's database (every name starts with ``ua_``); the Alembic revisions in
``migrations/`` (branch ``mirror``) create it. Records are keyed by connection — (consumer,
provider, company) — and resource; there is no foreign key to ``ua_connections`` so a mirror
outlives a reconnect.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import BigInteger, Boolean, Column, Index, MetaData, String, Table, Text

from ..storage.migrations import Schema
from ..storage.types import UTCDateTime

_ID = 255

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
    Index(
        "ix_ua_mirror_records_updated",
        "consumer_id",
        "provider",
        "company_id",
        "resource",
        "updated_at",
    ),
)


SCHEMA = Schema(
    name="mirror",
    metadata=metadata,
    versions=Path(__file__).parent / "migrations",
    legacy={"0101": "mirror_0001", "0102": "mirror_0001", "0103": "mirror_0001"},
)
