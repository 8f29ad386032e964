"""``Database.read_direct`` (SQLite) and ``read_direct_postgres``: reads on the driver itself.

On SQLite a read runs on the event loop while it stays within its budget of database work; one
that goes past it is run again from the start in a reader thread, with the same result, and reads
of its kind then go to the thread at once. On PostgreSQL a read whose idle connection has lost its
server is run again on a new one. Either way ``Database.trace`` sees the statements.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from unified_accounting.storage import Database
from unified_accounting.storage.direct_reads import CONNECTIONS, LOOP_BUDGET

from ..postgres import fresh_database

pytestmark = pytest.mark.anyio

#: A read of many more virtual machine instructions than the loop's budget (a loop of that many steps).
LONG = f"WITH RECURSIVE steps(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM steps WHERE n < {LOOP_BUDGET}) "
LONG_READ = LONG + "SELECT count(*), sum(n) FROM steps"


@pytest.fixture
async def sqlite_db(tmp_path: Any) -> AsyncIterator[Database]:
    db = await Database.open(f"sqlite:///{tmp_path / 'vault.sqlite3'}")
    try:
        yield db
    finally:
        await db.dispose()


async def test_a_short_read_runs_on_the_event_loop(sqlite_db: Database) -> None:
    threads: list[str] = []

    def work(fetch: Any) -> Any:
        threads.append(threading.current_thread().name)
        return fetch("SELECT ? + 1", (41,))

    assert await sqlite_db.read_direct(work, key="short") == [(42,)]
    assert threads == [threading.current_thread().name]


async def test_a_read_past_the_budget_runs_again_in_a_reader_thread(sqlite_db: Database) -> None:
    threads: list[str] = []

    def work(fetch: Any) -> Any:
        threads.append(threading.current_thread().name)
        return fetch(LONG_READ, ())

    expected = [(LOOP_BUDGET, LOOP_BUDGET * (LOOP_BUDGET + 1) // 2)]
    assert await sqlite_db.read_direct(work, key="long") == expected
    loop = threading.current_thread().name
    assert threads[0] == loop and len(threads) == 2 and threads[1].startswith("ua-sqlite-reader")
    # Its kind now goes to the thread at once; other kinds still run on the loop.
    threads.clear()
    assert await sqlite_db.read_direct(work, key="long") == expected
    assert len(threads) == 1 and threads[0].startswith("ua-sqlite-reader")
    threads.clear()
    assert await sqlite_db.read_direct(lambda fetch: work(fetch) and fetch("SELECT 1", ()), key="short") == [
        (1,)
    ]
    assert threads[0] == loop


async def test_the_loop_connection_only_reads(sqlite_db: Database) -> None:
    async def create(conn: Any) -> None:
        await conn.exec_driver_sql("CREATE TABLE notes (body TEXT)")

    await sqlite_db.transaction(create)
    with pytest.raises(sqlite3.OperationalError, match="readonly database"):
        await sqlite_db.read_direct(lambda fetch: fetch("INSERT INTO notes VALUES ('x')", ()))


async def test_trace_sees_direct_reads_in_a_thread_too(sqlite_db: Database) -> None:
    seen: list[str] = []
    stop = sqlite_db.trace(lambda statement, parameters: seen.append(statement))
    await sqlite_db.read_direct(lambda fetch: fetch(LONG_READ, ()), key="traced")
    stop()
    assert seen.count(LONG_READ) == 2  # on the loop (cut short), then in the thread


async def test_direct_reads_need_their_database(sqlite_db: Database) -> None:
    assert sqlite_db.supports_direct_reads
    with pytest.raises(RuntimeError, match="PostgreSQL"):
        await sqlite_db.read_direct_postgres(lambda fetch: fetch("SELECT 1", {}))


async def test_a_postgres_read_survives_the_loss_of_its_idle_connection(postgres_url: str) -> None:
    with fresh_database(postgres_url) as database_url:
        await _survives(database_url)


async def _survives(database_url: str) -> None:
    db = await Database.open(database_url)
    try:
        pids: list[int] = []

        async def work(fetch: Any) -> Any:
            rows = await fetch("SELECT pg_backend_pid(), %(n)s::int + 1", {"n": 41})
            pids.append(rows[0][0])
            return rows[0][1]

        assert await db.read_direct_postgres(work) == 42
        assert await db.read_direct_postgres(work) == 42
        assert pids[0] == pids[1]  # the idle connection was used again
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
        assert await db.read_direct_postgres(work) == 42
        assert pids[-1] != pids[0]
    finally:
        await db.dispose()


async def test_postgres_reads_at_once_are_bounded(postgres_url: str) -> None:
    with fresh_database(postgres_url) as database_url:
        db = await Database.open(database_url)
        try:
            running, most = 0, 0

            async def work(fetch: Any) -> Any:
                nonlocal running, most
                running += 1
                most = max(most, running)
                try:
                    return await fetch("SELECT pg_sleep(0.05), %(n)s::int", {"n": 1})
                finally:
                    running -= 1

            reads = [db.read_direct_postgres(work) for _ in range(CONNECTIONS + 5)]
            assert len(await asyncio.gather(*reads)) == CONNECTIONS + 5
            assert 1 < most <= CONNECTIONS
        finally:
            await db.dispose()


async def test_fresh_statistics_open_the_loop_connection_again(sqlite_db: Database) -> None:
    """A SQLite connection loads the planner's statistics when it opens: after ``ANALYZE`` the
    mirror opens its readers again (``reopen_readers``), the loop's connection too."""
    assert await sqlite_db.read_direct(lambda fetch: fetch("SELECT 1", ())) == [(1,)]
    before = sqlite_db._loop_reads._connection if sqlite_db._loop_reads else None
    assert before is not None
    await sqlite_db.reopen_readers()
    assert await sqlite_db.read_direct(lambda fetch: fetch("SELECT 2", ())) == [(2,)]
    assert sqlite_db._loop_reads is not None and sqlite_db._loop_reads._connection is not before
    with pytest.raises(sqlite3.ProgrammingError):
        before.execute("SELECT 1")  # closed
