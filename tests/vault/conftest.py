"""Fixtures for the vault tests: a Ledgerly emulator, and vault URLs on SQLite and PostgreSQL.

PostgreSQL: ``UA_TEST_POSTGRES_URL`` (set by CI) names a server whose user may create databases;
without it a throwaway server is started for the session (initdb + pg_ctl as the unprivileged user
``pgtest``, created when missing), so the PostgreSQL tests run everywhere instead of being skipped.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator, create_emulator

from unified_accounting import AsyncClient
from unified_accounting.vault import new_key

LEDGERLY = {
    "client_id": "ledgerly-client",
    "client_secret": "ledgerly-secret",
    "base_url": "http://ledgerly.test",
}
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "pgtest"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _as_pg_user(*command: str) -> None:
    subprocess.run(["runuser", "-u", PG_USER, "--", *command], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL for the whole session (``UA_TEST_POSTGRES_URL`` or a throwaway one)."""
    given = os.environ.get("UA_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    if not (PG_BIN / "initdb").exists():
        pytest.fail(
            f"PostgreSQL 15 is not installed ({PG_BIN}): install postgresql-15 or set UA_TEST_POSTGRES_URL"
        )
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", PG_USER], check=True, capture_output=True)
    root = Path(tempfile.mkdtemp(prefix="ua-pg-"))
    root.chmod(0o755)
    data = root / "data"
    data.mkdir()
    shutil.chown(data, PG_USER, PG_USER)
    port = _free_port()
    _as_pg_user(
        str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"
    )
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    _as_pg_user(
        str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "log"), "-w", "start"
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        _as_pg_user(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server; dropped afterwards."""
    name = f"ua_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_server.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
