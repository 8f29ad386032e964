"""Tables of the sync engine: each connection's sync state, the company leases and the outbox.

They live in the vault's database (every name starts with ``ua_``); the Alembic revisions in
``migrations/`` (branch ``sync``) create them. Rows are keyed by connection — (consumer, provider,
company) — with no foreign key to ``ua_connections``, so a sync state outlives a reconnect.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

from ..storage.migrations import Schema
from ..storage.types import UTCDateTime

_ID = 255

metadata = MetaData()

sync_states = Table(
    "ua_sync_states",
    metadata,
    Column("consumer_id", String(_ID), primary_key=True),
    Column("provider", String(40), primary_key=True),
    Column("company_id", String(_ID), primary_key=True),
    Column("state", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

sync_leases = Table(
    "ua_sync_leases",
    metadata,
    # At most one sync per company at a time, across tasks and processes: a lease row.
    Column("provider", String(40), primary_key=True),
    Column("company_id", String(_ID), primary_key=True),
    Column("owner", String(64)),
    Column("until", UTCDateTime),
)

outbox = Table(
    "ua_outbox",
    metadata,
    # Change notifications for the product's URL, written with the change that caused them.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Index("ix_ua_outbox_due", "status", "next_attempt_at"),
)


SCHEMA = Schema(
    name="sync",
    metadata=metadata,
    versions=Path(__file__).parent / "migrations",
    legacy={"0101": "sync_0001", "0102": "sync_0001", "0103": "sync_0001"},
)
