"""One stored copy per webhook body.

Deliveries stored before this revision keep no digest (NULL never collides), so a redelivery of
one of those is stored once more; its events were deduplicated by event id all along.

Revision ID: webhooks_0003
Revises: webhooks_0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "webhooks_0003"
down_revision = "webhooks_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ua_webhook_deliveries", sa.Column("body_sha256", sa.String(64)))
    op.create_index(
        "uq_ua_webhook_deliveries_body", "ua_webhook_deliveries", ["provider", "body_sha256"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_ua_webhook_deliveries_body", "ua_webhook_deliveries")
    with op.batch_alter_table("ua_webhook_deliveries") as batch:
        batch.drop_column("body_sha256")
