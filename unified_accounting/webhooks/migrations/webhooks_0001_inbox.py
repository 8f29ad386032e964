"""Webhook inbox: verified deliveries and their change events.

Revision ID: webhooks_0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from unified_accounting.storage.types import UTCDateTime

revision = "webhooks_0001"
down_revision = None
branch_labels = ("webhooks",)
depends_on = None

_ID = 255


def upgrade() -> None:
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


def downgrade() -> None:
    op.drop_index("ix_ua_webhook_events_pending", "ua_webhook_events")
    op.drop_table("ua_webhook_events")
    op.drop_table("ua_webhook_deliveries")
