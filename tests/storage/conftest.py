"""Fixtures of the storage tests: databases on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from unified_accounting.vault import new_key

from ..postgres import fresh_database, shared_postgres


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return shared_postgres()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'vault.sqlite3'}"
        return
    with fresh_database(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
def secret_key() -> str:
    return new_key()
