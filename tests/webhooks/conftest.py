"""The webhook tests use the sync tests' stores (SQLite and PostgreSQL) and providers."""

from __future__ import annotations

from ..sync.conftest import database_url, migrated_sqlite, postgres_url, secret_key

__all__ = ["database_url", "migrated_sqlite", "postgres_url", "secret_key"]
