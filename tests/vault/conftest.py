"""Fixtures for the vault tests: a Ledgerly emulator, and vault URLs on SQLite and PostgreSQL.

PostgreSQL: ``UA_TEST_POSTGRES_URL`` (set by CI) or one throwaway server for the whole run, shared
with the sync tests (see ``tests/postgres.py``), so the PostgreSQL tests run everywhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator, create_emulator

from unified_accounting import AsyncClient
from unified_accounting.vault import new_key

from ..postgres import fresh_database, shared_postgres

LEDGERLY = {
    "client_id": "ledgerly-client",
    "client_secret": "ledgerly-secret",
    "base_url": "http://ledgerly.test",
}


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """A PostgreSQL server URL for the whole run (``UA_TEST_POSTGRES_URL`` or a throwaway one)."""
    return shared_postgres()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the run's server; dropped afterwards."""
    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'vault.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return url


@pytest.fixture
def secret_key() -> str:
    return new_key()


@pytest.fixture
def ledgerly_app() -> Any:
    return create_emulator()


@pytest.fixture
def emulator(ledgerly_app: Any) -> LedgerlyEmulator:
    emulator: LedgerlyEmulator = ledgerly_app.state.emulator
    return emulator


def vault_client(app: Any, database_url: str, secret_key: str, **options: Any) -> AsyncClient:
    """A client on a vault at ``database_url`` talking to ``app`` in-process."""
    return AsyncClient(
        providers={"ledgerly": options.pop("settings", LEDGERLY)},
        transport=options.pop("transport", None) or httpx.ASGITransport(app=app),
        database_url=database_url,
        secret_key=secret_key,
        environ={},
        **options,
    )


@pytest.fixture
def make_client() -> Any:
    """``make_client(app, database_url, secret_key, **options)`` → a vault client on ``app``."""
    return vault_client


@pytest.fixture
async def client(ledgerly_app: Any, database_url: str, secret_key: str) -> AsyncIterator[AsyncClient]:
    async with vault_client(ledgerly_app, database_url, secret_key) as client:
        yield client
