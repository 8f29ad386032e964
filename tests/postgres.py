"""A PostgreSQL server and fresh databases for every test that runs on both stores (vault, sync, webhooks).

PostgreSQL comes from ``UA_TEST_POSTGRES_URL`` (CI starts one) or is started here, once per test
session, as an unprivileged user (the server refuses to run as root). Every test gets its own
database, so tests never see each other's rows.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from unified_accounting.http.server import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "pgtest"


def _as_pg_user(*command: str) -> list[str]:
    if os.geteuid() != 0:
        return list(command)
    return ["runuser", "-u", PG_USER, "--", *command]


@contextmanager
def postgres_server() -> Iterator[str]:
    """A server URL: ``UA_TEST_POSTGRES_URL``, else a throwaway server started and stopped here."""
    given = os.environ.get("UA_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    if os.geteuid() == 0:
        subprocess.run(["id", PG_USER], check=False, capture_output=True).returncode == 0 or subprocess.run(
            ["useradd", "-m", PG_USER], check=True, capture_output=True
        )
    directory = Path(tempfile.mkdtemp(prefix="ua-pg-"))
    directory.chmod(0o755)
    data = directory / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(directory, PG_USER)
        shutil.chown(data, PG_USER)
    port = free_port()
    subprocess.run(
        _as_pg_user(
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(
        _as_pg_user(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(directory / "log"),
            "-w",
            "start",
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_pg_user(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server; dropped afterwards."""
    import psycopg

    name = "ua_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        for _ in range(3):
            try:
                with psycopg.connect(server_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except psycopg.Error:
                time.sleep(0.2)


_shared: list[str] = []


def shared_postgres() -> str:
    """One server for the whole test run, whichever test directory asks first (stopped at exit)."""
    if not _shared:
        context = postgres_server()
        _shared.append(context.__enter__())
        atexit.register(context.__exit__, None, None, None)
    return _shared[0]
