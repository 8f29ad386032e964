"""The webhook inbox's tables (SQLAlchemy Core): deliveries, their events, and each connection's backlog.

They live in the vault's database (every name starts with ``ua_``); the Alembic revisions in
``migrations/`` (branch ``webhooks``) create and evolve them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from ..storage.migrations import Schema
from ..storage.types import UTCDateTime

_ID = 255

metadata = MetaData()

webhook_deliveries = Table(
    "ua_webhook_deliveries",
    metadata,
    # Every verified delivery, as received: the durable inbox's evidence.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(40), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("body", Text, nullable=False),
    Column("events", Integer, nullable=False),
    # SHA-256 of the body: a redelivery of the same bytes is stored once (NULL before 0103).
    Column("body_sha256", String(64)),
    Index("uq_ua_webhook_deliveries_body", "provider", "body_sha256", unique=True),
)

webhook_events = Table(
    "ua_webhook_events",
    metadata,
    # One row per change event, deduplicated by the provider's event id; pending until processed.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(40), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("company_id", String(_ID), nullable=False),
    Column("resource", String(40), nullable=False),
    Column("record_id", String(_ID), nullable=False),
    Column("operation", String(20), nullable=False),
    Column("occurred_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("delivery_id", Integer),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("processed_at", UTCDateTime),
    UniqueConstraint("provider", "event_id", name="uq_ua_webhook_events_event"),
    Index("ix_ua_webhook_events_pending", "status", "provider", "company_id"),
)

webhook_backlog = Table(
    "ua_webhook_backlog",
    metadata,
    # What one connection still has to apply from inbox events that the other connections of its
    # company have applied: one row per (connection, record), however many events named the record.
    # See unified_accounting.webhooks.backlog.
    Column("consumer_id", String(_ID), primary_key=True),
    Column("provider", String(40), primary_key=True),
    Column("company_id", String(_ID), primary_key=True),
    Column("resource", String(40), primary_key=True),
    Column("record_id", String(_ID), primary_key=True),
    # The earliest change time the events gave (NULL when one gave none): where a change-feed read
    # of the backlog starts.
    Column("occurred_at", UTCDateTime),
    Column("queued_at", UTCDateTime, nullable=False),
    # Failed attempts of this connection (never of another); NULL retry_at: as soon as it is usable.
    Column("attempts", Integer, nullable=False, default=0),
    Column("retry_at", UTCDateTime),
    Column("last_error", Text),
    Index("ix_ua_webhook_backlog_company", "provider", "company_id"),
)


SCHEMA = Schema(
    name="webhooks",
    metadata=metadata,
    versions=Path(__file__).parent / "migrations",
    legacy={"0101": "webhooks_0001", "0102": "webhooks_0002", "0103": "webhooks_0003"},
)
