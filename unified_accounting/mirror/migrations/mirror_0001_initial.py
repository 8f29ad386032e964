"""Mirror: the records of each connection, with their ordering key.

Revision ID: mirror_0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from unified_accounting.storage.types import UTCDateTime

revision = "mirror_0001"
down_revision = None
branch_labels = ("mirror",)
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


def downgrade() -> None:
    op.drop_index("ix_ua_mirror_records_updated", "ua_mirror_records")
    op.drop_table("ua_mirror_records")
