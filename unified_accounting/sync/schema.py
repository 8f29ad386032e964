"""Tables of the mirror, the sync state, the webhook inbox and the outbox (SQLAlchemy Core).

They live in the vault's database and ``metadata`` (every name starts with ``ua_``), so one
database holds connections and their mirrors; the vault's Alembic chain creates them (revision
``0101_sync``). Records are keyed by connection — (consumer, provider, company) — and resource;
there is no foreign key to ``ua_connections`` so a mirror outlives a reconnect.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ..vault.schema import UTCDateTime, metadata

_ID = 255

mirror_records = Table(
    "ua_mirror_records",
    metadata,
    Column("consumer_id", String(_ID), primary_key=True),
    Column("provider", String(40), primary_key=True),
    Column("company_id", String(_ID), primary_key=True),
    Column("resource", String(40), primary_key=True),
    Column("record_id", String(_ID), primary_key=True),
    # The ordering key: (updated_at, version_rank). See unified_accounting.sync.mirror.
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
