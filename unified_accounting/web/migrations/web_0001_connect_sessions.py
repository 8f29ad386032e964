"""The connect page's server-side sessions.

Revision ID: web_0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from unified_accounting.storage.types import UTCDateTime

revision = "web_0001"
down_revision = None
branch_labels = ("web",)
depends_on = None


def upgrade() -> None:
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
