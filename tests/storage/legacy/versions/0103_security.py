"""Security: one stored copy per webhook body, and the connect page's server-side sessions.

Deliveries stored before this revision keep no digest (NULL never collides), so a redelivery of
one of those is stored once more; its events were deduplicated by event id all along.

Revision ID: 0103
Revises: 0101
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from unified_accounting.storage.types import UTCDateTime

revision = "0103"
down_revision = "0102"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ua_webhook_deliveries", sa.Column("body_sha256", sa.String(64)))
    op.create_index(
        "uq_ua_webhook_deliveries_body", "ua_webhook_deliveries", ["provider", "body_sha256"], unique=True
    )
    op.create_table(
        "ua_connect_sessions",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("consumer_id", sa.String(255), nullable=False),
        sa.Column("display_name", sa.Text),
        sa.Column("link_hash", sa.String(64)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("keep_until", UTCDateTime, nullable=False),
        sa.UniqueConstraint("link_hash", name="uq_ua_connect_sessions_link"),
    )
    op.create_index("ix_ua_connect_sessions_keep_until", "ua_connect_sessions", ["keep_until"])


def downgrade() -> None:
    op.drop_index("ix_ua_connect_sessions_keep_until", "ua_connect_sessions")
    op.drop_table("ua_connect_sessions")
    op.drop_index("uq_ua_webhook_deliveries_body", "ua_webhook_deliveries")
    with op.batch_alter_table("ua_webhook_deliveries") as batch:
        batch.drop_column("body_sha256")
