"""Rate-limit windows shared through the database: calls per budget, what answers told.

Revision ID: shared_limits_0001
Revises:
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "shared_limits_0001"
down_revision = None
branch_labels = ("shared_limits",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ua_rate_limit_calls",
        sa.Column("budget", sa.String(32), primary_key=True),
        sa.Column("call", sa.String(32), primary_key=True),
        sa.Column("kinds", sa.String(255), nullable=False),
        sa.Column("moment", sa.Double, nullable=False),
        sa.Column("held_until", sa.Double),
    )
    op.create_index("ix_ua_rate_limit_calls_moment", "ua_rate_limit_calls", ["budget", "moment"])
    op.create_index("ix_ua_rate_limit_calls_held", "ua_rate_limit_calls", ["budget", "held_until"])
    op.create_table(
        "ua_rate_limit_learned",
        sa.Column("budget", sa.String(32), primary_key=True),
        sa.Column("window_name", sa.String(255), primary_key=True),
        sa.Column("blocked_until", sa.Double),
        sa.Column("unseen", sa.Integer, nullable=False),
        sa.Column("unseen_until", sa.Double),
    )


def downgrade() -> None:
    op.drop_table("ua_rate_limit_learned")
    op.drop_index("ix_ua_rate_limit_calls_held", "ua_rate_limit_calls")
    op.drop_index("ix_ua_rate_limit_calls_moment", "ua_rate_limit_calls")
    op.drop_table("ua_rate_limit_calls")
