"""The async engine of a database: driver choice and SQLite settings.

SQLite notes. SQLAlchemy drops ``FOR UPDATE`` on SQLite and pysqlite opens transactions lazily, so
two read-modify-writes could both win. Here pysqlite's own transaction handling is switched off and
every transaction is begun explicitly; a connection given the execution option ``ua_immediate``
begins with ``BEGIN IMMEDIATE``, which takes the database's write lock at once, so a read-modify-write
cannot lose an update. Such transactions are short and never span a network call (a token refresh
holds a lease row instead). WAL lets readers go on while a writer holds that lock.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

#: Seconds a SQLite connection waits for another writer's transaction (another process) to finish.
SQLITE_BUSY_TIMEOUT = 60.0
#: The execution option that makes a SQLite connection begin with ``BEGIN IMMEDIATE``.
IMMEDIATE = "ua_immediate"
#: Page cache (KiB) of the connection that writes a sync's pages (``Database.write_blocking``). A
#: page of a thousand records inserts into each of the mirror's indexes, each in its own order, so
#: the writes touch many pages of each; with SQLite's default 2 MiB most of them were read back from
#: the file for every page written, about a fifth of the writer's CPU. (32 MiB saved little more and
#: cost the syncing process its memory.)
BULK_WRITER_CACHE_KIB = 16 * 1024


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` (already carrying its async driver)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False},
            pool_size=10,
            max_overflow=20,
        )
        _configure_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def create_blocking_sqlite_engine(
    path: str, threads: int, *, cache_kib: int | None = None, autocheckpoint: bool = True
) -> Engine:
    """A blocking engine on the SQLite file ``path``, set up as :func:`create_engine`'s, for
    ``threads`` threads of one process (``Database.read_blocking``), with a page cache of
    ``cache_kib`` KiB per connection (SQLite's default without it), and without SQLite's automatic
    checkpoint when ``autocheckpoint`` is false (whoever uses it then checkpoints)."""
    engine = create_sync_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False},
        pool_size=threads,
        max_overflow=0,
    )
    _configure_sqlite(engine, cache_kib, autocheckpoint)
    return engine


def _configure_sqlite(engine: Engine, cache_kib: int | None = None, autocheckpoint: bool = True) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN, instead of pysqlite's lazy implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if cache_kib is not None:
            cursor.execute(f"PRAGMA cache_size={-int(cache_kib)}")  # negative: in KiB, not pages
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL once. The switch needs an exclusive lock and, unlike ordinary writes,
    does not wait on the busy timeout: two processes opening a new file together can see "database
    is locked", so retry for a while. WAL is remembered by the file; later connections skip this."""
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
