"""Vault schema: consumers, encrypted grants (token sets), connections, OAuth states, metadata.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from unified_accounting.storage.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ua_vault_meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "ua_consumers",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "ua_grants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("consumer_id", sa.String(255), sa.ForeignKey("ua_consumers.id"), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text),
        sa.Column("token_type", sa.String(40), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("expires_at", UTCDateTime),
        sa.Column("refresh_expires_at", UTCDateTime),
        sa.Column("hard_expires_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_ua_grants_fingerprint", "ua_grants", ["consumer_id", "provider", "fingerprint"])
    op.create_table(
        "ua_connections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("consumer_id", sa.String(255), sa.ForeignKey("ua_consumers.id"), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("company_id", sa.String(255), nullable=False),
        sa.Column("grant_id", sa.Integer, sa.ForeignKey("ua_grants.id"), nullable=False),
        sa.Column("company_name", sa.Text),
        sa.Column("environment", sa.String(20), nullable=False),
        sa.Column("health", sa.String(20), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("grant_metadata", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("consumer_id", "provider", "company_id", name="uq_ua_connections_key"),
    )
    op.create_index("ix_ua_connections_provider", "ua_connections", ["provider", "consumer_id"])
    op.create_index("ix_ua_connections_grant", "ua_connections", ["grant_id"])
    op.create_table(
        "ua_oauth_states",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("consumer_id", sa.String(255), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("code_verifier", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime),
    )
    op.create_index("ix_ua_oauth_states_expires_at", "ua_oauth_states", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_ua_oauth_states_expires_at", "ua_oauth_states")
    op.drop_table("ua_oauth_states")
    op.drop_index("ix_ua_connections_grant", "ua_connections")
    op.drop_index("ix_ua_connections_provider", "ua_connections")
    op.drop_table("ua_connections")
    op.drop_index("ix_ua_grants_fingerprint", "ua_grants")
    op.drop_table("ua_grants")
    op.drop_table("ua_consumers")
    op.drop_table("ua_vault_meta")
