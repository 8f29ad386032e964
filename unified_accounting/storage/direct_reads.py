"""Reads many times a second on the database drivers themselves (``Database.read_direct``).

A mirror list of a few records costs less in the database than in the layers around it: a
thread hop (about 60 µs of CPU on this project's small machines, more than the query and the
record's decoding together), SQLAlchemy's connection checkout, liveness ping, transaction and
result processing. Here the work is handed a ``fetch(sql, parameters)`` that runs one statement
(already compiled for the driver) and returns its rows as tuples.

SQLite (a file). The read runs on the event loop, on a read-only connection that never waits for a
lock, within a budget of database work: SQLite's progress handler interrupts a read that has run
:data:`LOOP_BUDGET` virtual machine instructions (about 2-4 ms on this project's machines), and the
read is run again from the start in a reader thread, where it may take as long as it needs — as is
one that finds the database busy. The budget counts the database's work, not the clock, so a
garbage collection or a busy machine never cuts a read short. A kind of read (``key``) that went
past the budget goes straight to the thread for :data:`SLOW_FOR` seconds. So the loop is held about
as long as decoding a page of a few dozen records holds it, and a read of a few records costs no
thread hop.

PostgreSQL (psycopg). Each read takes an idle connection of its own (autocommit: one round trip
per statement, no ``BEGIN``, no rollback, no ping) and gives it back; a connection that fails is
closed, and a read that failed on one left idle is tried once more on a new one. At most
:data:`CONNECTIONS` reads run at once, as SQLAlchemy's pool bounds its connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

#: Runs one statement with its parameters and returns its rows.
Fetch = Callable[[str, Any], list[tuple[Any, ...]]]
AsyncFetch = Callable[[str, Any], Awaitable[list[tuple[Any, ...]]]]
#: Called with every statement a direct read runs, and its parameters (``Database.trace``).
Tracer = Callable[[str, Any], None]

#: SQLite virtual machine instructions between two calls of the progress handler.
CHECK_EVERY = 1000
#: SQLite virtual machine instructions a read may run on the event loop before it moves to a thread.
LOOP_BUDGET = 20 * CHECK_EVERY
#: Seconds a kind of read that went past the budget goes straight to a thread.
SLOW_FOR = 60.0
#: Kinds of slow reads remembered at most (forgotten all at once beyond).
SLOW_KINDS = 1000
#: PostgreSQL connections open for reads at most (more reads at once wait for one), and kept idle.
CONNECTIONS = 10
IDLE_CONNECTIONS = 4

#: SQLite's result codes for a statement interrupted, and a database busy or locked.
_GIVE_UP = frozenset({sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def sqlite_fetch(connection: sqlite3.Connection, tracers: list[Tracer]) -> Fetch:
    """``fetch`` on a SQLite connection."""

    def fetch(sql: str, parameters: Any) -> list[tuple[Any, ...]]:
        for tracer in tracers:
            tracer(sql, parameters)
        return connection.execute(sql, parameters).fetchall()

    return fetch


class SQLiteLoopReads:
    """The event loop's read-only connection to a SQLite file, and the reads that ran too long on it."""

    def __init__(self, path: str, tracers: list[Tracer]) -> None:
        self.path = path
        self._tracers = tracers
        self._connection: sqlite3.Connection | None = None
        self._fetch: Fetch | None = None
        self._checks_left = 0
        self._slow: dict[Hashable, float] = {}

    def _overdue(self) -> bool:
        self._checks_left -= 1
        return self._checks_left < 0

    def _open(self) -> tuple[sqlite3.Connection, Fetch]:
        if self._connection is None or self._fetch is None:
            connection = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=0")  # a busy database is the thread's to wait for
            connection.execute("PRAGMA query_only=ON")
            connection.set_progress_handler(self._overdue, CHECK_EVERY)
            self._connection, self._fetch = connection, sqlite_fetch(connection, self._tracers)
        return self._connection, self._fetch

    def run(self, work: Callable[[Fetch], T], key: Hashable | None) -> tuple[bool, T | None]:
        """``(True, work(fetch))`` in one read transaction on the loop, or ``(False, None)`` when the
        read went past the budget, found the database busy, or is of a kind known to be slow."""
        now = time.monotonic()
        if key is not None and self._slow.get(key, 0.0) > now:
            return False, None
        connection, fetch = self._open()
        self._checks_left = LOOP_BUDGET // CHECK_EVERY
        try:
            connection.execute("BEGIN")
            return True, work(fetch)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF not in _GIVE_UP:
                raise
            if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_INTERRUPT and key is not None:
                if len(self._slow) >= SLOW_KINDS:
                    self._slow.clear()
                self._slow[key] = now + SLOW_FOR
            return False, None
        finally:
            self._checks_left = 1 << 62  # never interrupts the end of the transaction
            if connection.in_transaction:
                connection.execute("COMMIT")

    def reopen(self) -> None:
        """Close the connection (the next read opens another, which loads fresh planner statistics)."""
        if self._connection is not None:
            self._connection.close()
        self._connection = self._fetch = None


class PostgresReads:
    """Autocommit psycopg connections for reads, one per read at a time."""

    def __init__(self, conninfo: str, tracers: list[Tracer]) -> None:
        self._conninfo = conninfo
        self._tracers = tracers
        #: Idle connections, each with the ``fetch`` of its cursor (made once per connection).
        self._idle: list[tuple[Any, AsyncFetch]] = []
        self._slots = asyncio.Semaphore(CONNECTIONS)

    async def _connect(self) -> tuple[Any, AsyncFetch]:
        import psycopg

        connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        cursor, tracers = connection.cursor(), self._tracers

        async def fetch(sql: str, parameters: Any) -> list[tuple[Any, ...]]:
            for tracer in tracers:
                tracer(sql, parameters)
            await cursor.execute(sql, parameters)
            rows: list[tuple[Any, ...]] = await cursor.fetchall()
            return rows

        return connection, fetch

    async def _once(self, reader: tuple[Any, AsyncFetch], work: Callable[[AsyncFetch], Awaitable[T]]) -> T:
        """``work`` on ``reader``'s connection, then given back; closed instead when the work failed."""
        try:
            result = await work(reader[1])
        except BaseException:
            await _close(reader[0])
            raise
        if len(self._idle) < IDLE_CONNECTIONS and not reader[0].closed:
            self._idle.append(reader)
        else:
            await _close(reader[0])
        return result

    async def run(self, work: Callable[[AsyncFetch], Awaitable[T]]) -> T:
        import psycopg

        async with self._slots:
            if self._idle:
                try:
                    return await self._once(self._idle.pop(), work)
                except psycopg.OperationalError:
                    pass  # left idle, it may have lost its server (a restart): once more on a new one
            return await self._once(await self._connect(), work)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            await _close(connection)


async def _close(connection: Any) -> None:
    with contextlib.suppress(Exception):
        await connection.close()
