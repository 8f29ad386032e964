"""Refresh lease on grants.

A refresh no longer holds a database lock across the call to the provider's token endpoint: it
takes a lease on the grant's row (``refresh_owner``, ``refresh_until``).

Revision ID: vault_0002
Revises: vault_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from unified_accounting.storage.types import UTCDateTime

revision = "vault_0002"
down_revision = "vault_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ua_grants", sa.Column("refresh_owner", sa.String(64)))
    op.add_column("ua_grants", sa.Column("refresh_until", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("ua_grants") as batch:
        batch.drop_column("refresh_until")
        batch.drop_column("refresh_owner")
