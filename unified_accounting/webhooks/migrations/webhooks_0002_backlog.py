"""Per-connection webhook backlog.

Webhook events that one connection of a company cannot apply yet wait in ``ua_webhook_backlog``
for that connection only.

Revision ID: webhooks_0002
Revises: webhooks_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from unified_accounting.storage.types import UTCDateTime

revision = "webhooks_0002"
down_revision = "webhooks_0001"
branch_labels = None
depends_on = None

_ID = 255


def upgrade() -> None:
    op.create_table(
        "ua_webhook_backlog",
        sa.Column("consumer_id", sa.String(_ID), primary_key=True),
        sa.Column("provider", sa.String(40), primary_key=True),
        sa.Column("company_id", sa.String(_ID), primary_key=True),
        sa.Column("resource", sa.String(40), primary_key=True),
        sa.Column("record_id", sa.String(_ID), primary_key=True),
        sa.Column("occurred_at", UTCDateTime),
        sa.Column("queued_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("retry_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_ua_webhook_backlog_company", "ua_webhook_backlog", ["provider", "company_id"])


def downgrade() -> None:
    op.drop_index("ix_ua_webhook_backlog_company", "ua_webhook_backlog")
    op.drop_table("ua_webhook_backlog")
