"""The vault's tables (SQLAlchemy Core). Every name starts with ``ua_`` so the vault can share a
product's database; the Alembic revisions in ``migrations/`` (branch ``vault``) create and evolve
them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ..storage.migrations import Schema
from ..storage.types import UTCDateTime

metadata = MetaData()

vault_meta = Table(
    "ua_vault_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

consumers = Table(
    "ua_consumers",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

grants = Table(
    "ua_grants",
    metadata,
    # One token set. Several connections share it when one consent covered several companies
    # (Xero): refreshing through any of them rotates the tokens of all.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consumer_id", String(255), ForeignKey("ua_consumers.id"), nullable=False),
    Column("provider", String(40), nullable=False),
    # SHA-256 of the refresh token (else the access token): finds the grant a new connection shares.
    Column("fingerprint", String(64), nullable=False),
    # Fernet ciphertexts: never the tokens themselves.
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text),
    Column("token_type", String(40), nullable=False),
    Column("scopes", Text, nullable=False, default=""),
    Column("expires_at", UTCDateTime),
    Column("refresh_expires_at", UTCDateTime),
    Column("hard_expires_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The refresh lease: who is refreshing these tokens and until when (renewed while alive). No
    # transaction stays open during the call to the token endpoint; see VaultStore.refresh_lock.
    Column("refresh_owner", String(64)),
    Column("refresh_until", UTCDateTime),
    Index("ix_ua_grants_fingerprint", "consumer_id", "provider", "fingerprint"),
)

connections = Table(
    "ua_connections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consumer_id", String(255), ForeignKey("ua_consumers.id"), nullable=False),
    Column("provider", String(40), nullable=False),
    Column("company_id", String(255), nullable=False),
    Column("grant_id", Integer, ForeignKey("ua_grants.id"), nullable=False),
    Column("company_name", Text),
    Column("environment", String(20), nullable=False),
    Column("health", String(20), nullable=False),
    Column("last_error", Text),
    Column("grant_metadata", Text, nullable=False, default="{}"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("consumer_id", "provider", "company_id", name="uq_ua_connections_key"),
    Index("ix_ua_connections_provider", "provider", "consumer_id"),
    Index("ix_ua_connections_grant", "grant_id"),
)

oauth_states = Table(
    "ua_oauth_states",
    metadata,
    # SHA-256 of the state: the value itself never reaches the database.
    Column("state_hash", String(64), primary_key=True),
    Column("consumer_id", String(255), nullable=False),
    Column("provider", String(40), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scopes", Text, nullable=False, default=""),
    Column("code_verifier", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Index("ix_ua_oauth_states_expires_at", "expires_at"),
)

SCHEMA = Schema(
    name="vault",
    metadata=metadata,
    versions=Path(__file__).parent / "migrations",
    legacy={"0001": "vault_0001", "0101": "vault_0001", "0102": "vault_0002", "0103": "vault_0002"},
)
