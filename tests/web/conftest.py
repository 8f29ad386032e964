"""The connect page keeps its sessions in the vault's database: its tests run on SQLite and PostgreSQL."""

from __future__ import annotations

from ..sync.conftest import database_url, migrated_sqlite, postgres_url

__all__ = ["database_url", "migrated_sqlite", "postgres_url"]
