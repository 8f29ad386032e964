"""Fixtures of the sync tests: every store-dependent test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from unified_accounting.storage.database import Database
from unified_accounting.vault.crypto import new_key

from ..postgres import fresh_database, shared_postgres


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return shared_postgres()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every schema at its newest revision, made once per test session: these
    tests start from copies of it (migrations have their own tests in tests/storage)."""
    path = tmp_path_factory.mktemp("template") / "vault.sqlite3"

    async def make() -> None:
        db = await Database.open(f"sqlite:///{path}")
        await db.dispose()  # the last connection closed: the write-ahead log is folded in

    asyncio.run(make())
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("store") / "vault.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        yield f"sqlite:///{path}"
        return
    with fresh_database(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture(scope="session")
def secret_key() -> str:
    return new_key()
