"""Sync engine: sync states, company leases, outbox.

Revision ID: sync_0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from unified_accounting.storage.types import UTCDateTime

revision = "sync_0001"
down_revision = None
branch_labels = ("sync",)
depends_on = None

_ID = 255


def upgrade() -> None:
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
    op.drop_table("ua_sync_leases")
    op.drop_table("ua_sync_states")
