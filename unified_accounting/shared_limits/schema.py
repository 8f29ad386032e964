"""The tables of the shared rate limiter: the calls each budget holds, and what answers told.

They live in the vault's database; the Alembic revisions in ``migrations/`` (branch
``shared_limits``) create them. Times are seconds since the epoch on the database's clock (see
:mod:`.clock`), stored as doubles: the window arithmetic (``moment > now - span``) stays one
comparison on every database.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Double, Index, Integer, MetaData, String, Table

from ..storage.migrations import Schema

#: A budget's id: a digest of its ``LimitKey`` (provider, app, realm, company).
BUDGET_ID = 32

metadata = MetaData()

rate_limit_calls = Table(
    "ua_rate_limit_calls",
    metadata,
    Column("budget", String(BUDGET_ID), primary_key=True),
    # One id per request: a request spending a company budget and its app's has a row in each.
    Column("call", String(32), primary_key=True),
    # ",batch," — the kinds the request was sent as: a window of a kind counts only those.
    Column("kinds", String(255), nullable=False),
    # When the request entered the windows: its answer (or, sent with count_from="send", its send
    # plus the margin). While it is in flight with count_from="answer", its hold's expiry: a
    # request whose process died is taken to have been counted then.
    Column("moment", Double, nullable=False),
    # In flight until then (the hold's expiry); NULL once answered.
    Column("held_until", Double),
    Index("ix_ua_rate_limit_calls_moment", "budget", "moment"),
    # The calls in flight (the concurrency cap) are found without reading the window's rows.
    Index("ix_ua_rate_limit_calls_held", "budget", "held_until"),
)

rate_limit_learned = Table(
    "ua_rate_limit_learned",
    metadata,
    Column("budget", String(BUDGET_ID), primary_key=True),
    # The window the answer spoke of; "" for the whole budget (a 429 that names no window).
    Column("window_name", String(255), primary_key=True),
    # No request may start before this (a 429's Retry-After).
    Column("blocked_until", Double),
    # Calls the provider counted beyond those recorded here (other apps' processes, say), and when
    # they are taken to leave the window.
    Column("unseen", Integer, nullable=False),
    Column("unseen_until", Double),
)

SCHEMA = Schema(name="shared_limits", metadata=metadata, versions=Path(__file__).parent / "migrations")
