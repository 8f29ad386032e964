"""Sync engine: mirror records, sync states and leases, webhook inbox, outbox.

Revision ID: 0101
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from unified_accounting.storage.types import UTCDateTime

revision = "0101"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = 255


def upgrade() -> None:
    op.create_table(
        "ua_mirror_records",
        sa.Column("consumer_id", sa.String(_ID), primary_key=True),
        sa.Column("provider", sa.String(40), primary_key=True),
        sa.Column("company_id", sa.String(_ID), primary_key=True),
        sa.Column("resource", sa.String(40), primary_key=True),
        sa.Column("record_id", sa.String(_ID), primary_key=True),
        sa.Column("updated_at", UTCDateTime),
        sa.Column("version_rank", sa.BigInteger),
        sa.Column("row_version", sa.String(_ID)),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(40)),
        sa.Column("record", sa.Text),
        sa.Column("seen_at", UTCDateTime, nullable=False),
        sa.Column("changed_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_ua_mirror_records_updated",
        "ua_mirror_records",
        ["consumer_id", "provider", "company_id", "resource", "updated_at"],
    )
    op.create_table(
        "ua_sync_states",
        sa.Column("consumer_id", sa.String(_ID), primary_key=True),
        sa.Column("provider", sa.String(40), primary_key=True),
        sa.Column("company_id", sa.String(_ID), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "ua_sync_leases",
        sa.Column("provider", sa.String(40), primary_key=True),
        sa.Column("company_id", sa.String(_ID), primary_key=True),
        sa.Column("owner", sa.String(64)),
        sa.Column("until", UTCDateTime),
    )
    op.create_table(
        "ua_webhook_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
    )
    op.create_table(
        "ua_webhook_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("company_id", sa.String(_ID), nullable=False),
        sa.Column("resource", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(_ID), nullable=False),
        sa.Column("operation", sa.String(20), nullable=False),
        sa.Column("occurred_at", UTCDateTime),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("delivery_id", sa.Integer),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("processed_at", UTCDateTime),
        sa.UniqueConstraint("provider", "event_id", name="uq_ua_webhook_events_event"),
    )
    op.create_index("ix_ua_webhook_events_pending", "ua_webhook_events", ["status", "provider", "company_id"])
    op.create_table(
        "ua_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime),
    )
    op.create_index("ix_ua_outbox_due", "ua_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_ua_outbox_due", "ua_outbox")
    op.drop_table("ua_outbox")
    op.drop_index("ix_ua_webhook_events_pending", "ua_webhook_events")
    op.drop_table("ua_webhook_events")
    op.drop_table("ua_webhook_deliveries")
    op.drop_table("ua_sync_leases")
    op.drop_table("ua_sync_states")
    op.drop_index("ix_ua_mirror_records_updated", "ua_mirror_records")
    op.drop_table("ua_mirror_records")
