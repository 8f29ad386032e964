"""The connect page's table (SQLAlchemy Core): server-side sessions (see :mod:`.sessions`).

It lives in the vault's database; the Alembic revisions in ``migrations/`` (branch ``web``) create it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Index, MetaData, String, Table, Text, UniqueConstraint

from ..storage.migrations import Schema
from ..storage.types import UTCDateTime

metadata = MetaData()

connect_sessions = Table(
    "ua_connect_sessions",
    metadata,
    # SHA-256 of the session id the browser holds: the id itself never reaches the database.
    Column("session_hash", String(64), primary_key=True),
    Column("consumer_id", String(255), nullable=False),
    Column("display_name", Text),
    # SHA-256 of the nonce of the link that opened the session: each link opens one session, ever.
    Column("link_hash", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    # When the row may go: the later of the session's end and the link's (a spent link must stay
    # known as spent until it would have expired anyway).
    Column("keep_until", UTCDateTime, nullable=False),
    UniqueConstraint("link_hash", name="uq_ua_connect_sessions_link"),
    Index("ix_ua_connect_sessions_keep_until", "keep_until"),
)


SCHEMA = Schema(
    name="web",
    metadata=metadata,
    versions=Path(__file__).parent / "migrations",
    legacy={"0103": "web_0001"},
)
