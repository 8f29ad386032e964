"""One database (SQLite or PostgreSQL) and the rules every package follows to use it.

Every write is a unit of work: ``await db.transaction(work)`` runs ``work(conn)`` in one short
transaction, committed when it returns. On SQLite it begins with ``BEGIN IMMEDIATE`` (the engine's
``ua_immediate`` option): SQLite would otherwise let two read-then-write transactions both proceed
and one of them fail or lose an update. SQLite also has one writer at a time, so this process's
writers queue here (short transactions before bulk writes: :mod:`.turns`) rather than in SQLite's
busy handler, which polls with growing sleeps and makes latency spiky. On PostgreSQL rows are
locked with ``FOR UPDATE`` where it matters. No transaction is ever held across a network call.

Cancellation. A task cancelled while a statement runs (a shutdown cancelling a sync) must not cut
the transaction short: SQLAlchemy then invalidates the connection while the driver is still busy
with the statement, and the connection — on SQLite, the database's write lock with it — can stay
open until the garbage collector finds it, so the next writers get "database is locked".
:meth:`Database.transaction` and :meth:`Database.snapshot` therefore run their work in a task of
its own and, when the caller is cancelled, let it finish (commit or roll back, and return the
connection) before the cancellation goes on. Units of work are short (one page, one delivery).

Hot paths. :meth:`Database.write_direct` runs a function on the driver's own connection, in one
write transaction, for work that is many small writes a second (the webhook inbox), instead of
SQLAlchemy's compilation, result processing and aiosqlite's thread hop per statement. On SQLite
(``synchronous=FULL``: a commit is on disk when it returns) the transaction runs right on the event
loop when the database's write lock is free — a few inserts and one commit, cheaper than waking a
thread for them (a thread hop costs a webhook delivery about as much CPU as the rest of its
storing) — and in a writer thread of its own when another process holds the lock, so that waiting
for it never blocks the loop. On PostgreSQL (with psycopg, the default driver),
:meth:`Database.write_direct_postgres` gives the work a connection of its own, outside the pool: no
checkout, no liveness ping, one round trip per statement. Its twin for reads many times a second
(mirror lists) is :meth:`Database.read_blocking`: on SQLite, the whole read runs on a blocking
SQLAlchemy engine in a reader thread, one hop for the read instead of aiosqlite's eight or so
(connection, begin, cursor, execute, fetch, close, commit, reset). Reads of a few records many
times a second go further with :meth:`Database.read_direct` (see :mod:`.direct_reads`): statements
compiled once, run on the driver itself — on SQLite on the event loop within a small budget of
database work (past it, in a reader thread), on PostgreSQL on an autocommit psycopg connection.
Its twin for big writes (a sync's page of a thousand records) is :meth:`Database.write_blocking`:
the whole transaction runs on a blocking SQLAlchemy engine in a writer thread, one hop for the page
instead of one per statement — each of which waits for the event loop, busy decoding the next
pages, before the next statement can start. :meth:`Database.trace` sees every statement, those of
direct reads included.

Each package owns its tables and their migrations (:mod:`.migrations`); :meth:`Database.open`
brings every installed package's schema up to date.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..errors import ConfigurationError
from .direct_reads import AsyncFetch, Fetch, PostgresReads, SQLiteLoopReads, Tracer, sqlite_fetch
from .engine import (
    BULK_WRITER_CACHE_KIB,
    IMMEDIATE,
    SQLITE_BUSY_TIMEOUT,
    create_blocking_sqlite_engine,
    create_engine,
)
from .migrations import Schema, migrate
from .turns import WriterTurns
from .urls import URL_SETTING, async_database_url, safe_url

T = TypeVar("T")

logger = logging.getLogger(__name__)


async def to_the_end(work: Awaitable[T]) -> T:
    """Await ``work`` in a task of its own; if the caller is cancelled meanwhile, wait for the work
    to end, then raise the cancellation (whatever the work returned or raised)."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done() and task.cancelled() and not cancelled:
                raise  # the work itself was cancelled
            cancelled = True
        except BaseException:
            break  # the work failed: its error is raised below (or the cancellation is)
    if cancelled:
        if not task.cancelled():
            task.exception()  # retrieved: the cancellation is what the caller gets
        raise asyncio.CancelledError
    return task.result()


def unreachable(url: str, exc: OperationalError | InterfaceError) -> ConfigurationError:
    """A database that cannot be opened, named without its password, with the driver's first line
    of explanation (the full SQLAlchemy error says nothing more a user can act on)."""
    text = str(exc.orig if exc.orig is not None else exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return ConfigurationError(
        f"cannot open the database {safe_url(url)}: {reason}. Check the URL ({URL_SETTING}) and that "
        "the server is running and accepts connections"
    )


class Database:
    """An async engine whose schema is migrated, and the transactions every package writes through."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # SQLite has one writer at a time: this process's writers queue here (see the module
        # docstring), short transactions before bulk writes (see .turns).
        self._sqlite_writers = WriterTurns() if self.dialect == "sqlite" else None
        self._direct: _SQLiteWriter | None = None
        self._direct_postgres: Any = None  # a psycopg AsyncConnection, opened on first use
        self._direct_postgres_lock = asyncio.Lock()
        self._readers: _SQLiteReaders | None = None
        self._blocking_writer: _SQLiteBlockingWriter | None = None
        self._tracers: list[Tracer] = []
        self._loop_reads: SQLiteLoopReads | None = None
        self._postgres_reads: PostgresReads | None = None

    def __repr__(self) -> str:
        return f"<Database {self.dialect}>"

    @classmethod
    async def open(cls, url: str, schemas: Sequence[Schema] | None = None) -> Database:
        """The database at ``url`` (a plain ``sqlite:///`` or ``postgresql://`` URL), with
        ``schemas`` (default: every installed one) migrated to their newest revisions."""
        engine = create_engine(async_database_url(url))
        try:
            await migrate(engine, schemas)
        except (OperationalError, InterfaceError) as exc:
            await engine.dispose()
            raise unreachable(url, exc) from None
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    async def dispose(self) -> None:
        if self._direct is not None:
            await self._direct.close()
            self._direct = None
        if self._loop_reads is not None:
            self._loop_reads.reopen()
            self._loop_reads = None
        if self._readers is not None:
            await self._readers.close()
            self._readers = None
        if self._blocking_writer is not None:
            await self._blocking_writer.close()
            self._blocking_writer = None
        if self._postgres_reads is not None:
            await self._postgres_reads.close()
            self._postgres_reads = None
        if self._direct_postgres is not None:
            with contextlib.suppress(Exception):
                await self._direct_postgres.close()
            self._direct_postgres = None
        await self.engine.dispose()

    @property
    def engines(self) -> tuple[Engine, ...]:
        """Every (blocking) SQLAlchemy engine this database runs statements on: the async engine's,
        and on SQLite in a file the readers' of :meth:`read_blocking` and the writer's of
        :meth:`write_blocking`. Listen to their events to trace or log every statement."""
        if not self.supports_direct_writes:
            return (self.engine.sync_engine,)
        return (self.engine.sync_engine, self._sqlite_readers().engine, self._sqlite_blocking_writer().engine)

    def _sqlite_readers(self) -> _SQLiteReaders:
        if self._readers is None:
            self._readers = _SQLiteReaders(str(self.engine.url.database))
        return self._readers

    def _sqlite_blocking_writer(self) -> _SQLiteBlockingWriter:
        if self._blocking_writer is None:
            self._blocking_writer = _SQLiteBlockingWriter(str(self.engine.url.database))
        return self._blocking_writer

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert(self, table: Any) -> Any:
        """An ``INSERT`` that knows ``ON CONFLICT`` on this database."""
        return (sqlite.insert if self.dialect == "sqlite" else postgresql.insert)(table)

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        if self._sqlite_writers is None:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        async with self._sqlite_writers.turn(), self.engine.connect() as conn:
            conn = await conn.execution_options(**{IMMEDIATE: True})
            async with conn.begin():
                yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A short read transaction. Writes go through :meth:`transaction`."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    async def transaction(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """``work(conn)`` in one write transaction, committed when it returns, and never cut short
        by a cancellation of the caller (see the module docstring). ``work`` must not wait for
        another write of this database (on SQLite that would wait for itself)."""

        async def run() -> T:
            async with self._write() as conn:
                return await work(conn)

        return await to_the_end(run())

    @property
    def supports_direct_writes(self) -> bool:
        """Whether :meth:`write_direct` can be used (SQLite in a file)."""
        return self._sqlite_file

    @functools.cached_property
    def _sqlite_file(self) -> bool:
        database = self.engine.url.database
        return self.dialect == "sqlite" and bool(database) and database != ":memory:"

    async def write_direct(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` in one write transaction on the SQLite driver itself, on the event
        loop or in this database's writer thread (see the module docstring); queued with this
        process's other writers. ``work`` is plain blocking code, a few statements: it must not
        touch the event loop."""
        if not self.supports_direct_writes:
            raise RuntimeError("write_direct needs a SQLite database in a file")
        assert self._sqlite_writers is not None
        if self._direct is None:
            self._direct = _SQLiteWriter(str(self.engine.url.database))
        direct = self._direct

        async def run() -> T:
            assert self._sqlite_writers is not None
            async with self._sqlite_writers.turn():
                return await direct.run(work)

        return await to_the_end(run())

    def write_direct_now(self, work: Callable[[sqlite3.Connection], T]) -> tuple[bool, T | None]:
        """:meth:`write_direct` of ``work`` right now, on the event loop, when nothing waits for it:
        this process's writers idle and the database's write lock free. Returns ``(True, result)``,
        or ``(False, None)`` without running ``work`` (then use :meth:`write_direct`). For a caller
        that is not a coroutine (a timer's callback): no task, no future, no thread."""
        if not self.supports_direct_writes:
            raise RuntimeError("write_direct_now needs a SQLite database in a file")
        assert self._sqlite_writers is not None
        if self._sqlite_writers.locked():
            return False, None
        if self._direct is None:
            self._direct = _SQLiteWriter(str(self.engine.url.database))
        return self._direct.run_now(work)

    async def read_blocking(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in one read transaction on a blocking SQLAlchemy connection: on SQLite in
        a file, in one of this database's reader threads (see the module docstring); elsewhere on
        the async engine (``run_sync``: no thread). ``work`` is plain blocking code that only reads."""
        if not self.supports_direct_writes:
            async with self.read() as conn:
                return await conn.run_sync(work)
        return await self._sqlite_readers().run(work)

    async def write_blocking(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in one write transaction on a blocking SQLAlchemy connection: on SQLite in
        a file, in this database's writer thread (see the module docstring), queued with this
        process's other writers; elsewhere on the async engine (``run_sync``: no thread). Never cut
        short by a cancellation of the caller. ``work`` is plain blocking code."""
        if not self.supports_direct_writes:

            async def on_engine(conn: AsyncConnection) -> T:
                return await conn.run_sync(work)

            return await self.transaction(on_engine)
        writer = self._sqlite_blocking_writer()

        async def run() -> T:
            assert self._sqlite_writers is not None
            async with self._sqlite_writers.turn(bulk=True):
                result = await writer.run(work)
                # Started before the turn passes on: the next writer's commit finds it running
                # and does not checkpoint in its stead.
                writer.checkpoint_soon()
                return result

        return await to_the_end(run())

    async def reopen_readers(self) -> None:
        """Close the idle connections of :meth:`read_blocking` (new ones are opened as needed): a
        SQLite connection loads the planner's statistics when it opens, so after ``ANALYZE`` the
        readers plan with the new ones."""
        if self._loop_reads is not None:
            self._loop_reads.reopen()
        if self._readers is not None:
            await self._readers.reopen()

    @property
    def supports_direct_reads(self) -> bool:
        """Whether :meth:`read_direct` (SQLite in a file) or :meth:`read_direct_postgres` (PostgreSQL
        through psycopg) can be used."""
        return self.supports_direct_writes or self.supports_direct_postgres

    async def read_direct(self, work: Callable[[Fetch], T], *, key: Hashable | None = None) -> T:
        """``work(fetch)`` in one read transaction on the SQLite driver: on the event loop within
        a budget of database work, else (past it, or the database busy) again from the start in a
        reader thread (see :mod:`.direct_reads`). ``fetch(sql, parameters)`` runs one statement in
        the driver's own SQL and returns its rows as tuples; ``work`` only reads, and may run twice.
        ``key`` names the kind of read: one known to run past the budget goes to the thread."""
        if not self.supports_direct_writes:
            raise RuntimeError("read_direct needs a SQLite database in a file")
        if self._loop_reads is None:
            self._loop_reads = SQLiteLoopReads(str(self.engine.url.database), self._tracers)
        done, result = self._loop_reads.run(work, key)
        if done:
            return result  # type: ignore[return-value]  # (True, work's result)
        tracers = self._tracers

        def in_thread(conn: Connection) -> T:
            driver: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
            return work(sqlite_fetch(driver, tracers))

        return await self.read_blocking(in_thread)

    async def read_direct_postgres(self, work: Callable[[AsyncFetch], Awaitable[T]]) -> T:
        """``await work(fetch)`` on an autocommit psycopg connection of its own (each statement is
        its own snapshot, as in any read-committed transaction): ``fetch(sql, parameters)`` runs
        one statement in the driver's own SQL and returns its rows as tuples. ``work`` only reads;
        it runs once more on a new connection when the idle one it was given has failed."""
        if not self.supports_direct_postgres:
            raise RuntimeError("read_direct_postgres needs PostgreSQL through psycopg")
        if self._postgres_reads is None:
            conninfo = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._postgres_reads = PostgresReads(conninfo, self._tracers)
        return await self._postgres_reads.run(work)

    def trace(self, tracer: Tracer) -> Callable[[], None]:
        """Call ``tracer(statement, parameters)`` with every statement this database runs from now
        on — SQLAlchemy's and direct reads' alike, in the driver's own SQL — until the function
        returned is called."""

        def on_execute(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
            tracer(statement, parameters)

        engines = self.engines
        for engine in engines:
            event.listen(engine, "before_cursor_execute", on_execute)
        self._tracers.append(tracer)

        def stop() -> None:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", on_execute)
            self._tracers.remove(tracer)

        return stop

    @property
    def supports_direct_postgres(self) -> bool:
        """Whether :meth:`write_direct_postgres` can be used (PostgreSQL through psycopg)."""
        return self._postgres_psycopg

    @functools.cached_property
    def _postgres_psycopg(self) -> bool:
        return self.dialect == "postgresql" and self.engine.dialect.driver == "psycopg"

    async def write_direct_postgres(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """``await work(connection)`` on this database's own psycopg connection (autocommit: each
        statement is its own transaction, so ``work`` is best one statement), one work at a time
        and never cut short by a cancellation of the caller. A connection that fails is dropped
        and the next work opens a new one."""
        if not self.supports_direct_postgres:
            raise RuntimeError("write_direct_postgres needs PostgreSQL through psycopg")

        async def run() -> T:
            import psycopg

            async with self._direct_postgres_lock:
                if self._direct_postgres is None or self._direct_postgres.closed:
                    conninfo = self.engine.url.set(drivername="postgresql").render_as_string(
                        hide_password=False
                    )
                    self._direct_postgres = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
                connection = self._direct_postgres
                try:
                    return await work(connection)
                except psycopg.OperationalError:
                    self._direct_postgres = None
                    with contextlib.suppress(Exception):
                        await connection.close()
                    raise

        return await to_the_end(run())

    async def snapshot(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """``work(conn)`` in one read transaction, never cut short by a cancellation of the caller."""

        async def run() -> T:
            async with self.read() as conn:
                return await work(conn)

        return await to_the_end(run())


class _SQLiteReaders:
    """Reader threads and their blocking engine on a SQLite file, for :meth:`Database.read_blocking`."""

    THREADS = 2

    def __init__(self, path: str) -> None:
        self._executor = ThreadPoolExecutor(self.THREADS, thread_name_prefix="ua-sqlite-reader")
        self.engine: Engine = create_blocking_sqlite_engine(path, self.THREADS)

    def _read(self, work: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn, conn.begin():
            return work(conn)

    async def run(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._read, work)

    async def reopen(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self.engine.dispose)

    async def close(self) -> None:
        await self.reopen()
        self._executor.shutdown(wait=True)


class _SQLiteBlockingWriter:
    """The writer thread and its blocking engine on a SQLite file, for :meth:`Database.write_blocking`,
    and the thread that checkpoints what it wrote.

    A bulk write leaves thousands of pages in the write-ahead log. SQLite's automatic checkpoint
    would copy them into the database file in the writer's commit, while this process's turn to
    write is still held: a third of a sync's page write, which every rate-limit take queued behind
    it waited for. The writer's connection does not checkpoint; after each write a passive
    checkpoint runs in a thread of its own, which needs no write lock, while the next writes go on.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="ua-sqlite-blocking-writer")
        self.engine: Engine = create_blocking_sqlite_engine(
            path, 1, cache_kib=BULK_WRITER_CACHE_KIB, autocheckpoint=False
        )
        self._checkpoints = ThreadPoolExecutor(1, thread_name_prefix="ua-sqlite-checkpoint")
        self._checkpointing: asyncio.Future[None] | None = None
        self._checkpoint_again = False
        self._checkpoint_connection: sqlite3.Connection | None = None

    def _write(self, work: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{IMMEDIATE: True})
            with conn.begin():
                return work(conn)

    async def run(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._write, work)

    def checkpoint_soon(self) -> None:
        """Checkpoint what was written, in the checkpoint thread (once more after the one running)."""
        if self._checkpointing is not None:
            self._checkpoint_again = True
            return
        self._checkpointing = asyncio.get_running_loop().run_in_executor(self._checkpoints, self._checkpoint)
        self._checkpointing.add_done_callback(self._checkpointed)

    def _checkpoint(self) -> None:
        if self._checkpoint_connection is None:
            self._checkpoint_connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False
            )
        # Passive: copies what no reader still needs, waits for nobody.
        self._checkpoint_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _checkpointed(self, done: asyncio.Future[None]) -> None:
        self._checkpointing = None
        if not done.cancelled() and done.exception() is not None:
            # The log is checkpointed by the next connection that commits past SQLite's threshold.
            logger.warning("could not checkpoint the SQLite write-ahead log", exc_info=done.exception())
        if self._checkpoint_again:
            self._checkpoint_again = False
            self.checkpoint_soon()

    def _close_checkpoints(self) -> None:
        if self._checkpoint_connection is not None:
            self._checkpoint_connection.close()
            self._checkpoint_connection = None

    async def close(self) -> None:
        self._checkpoint_again = False
        while self._checkpointing is not None:
            with contextlib.suppress(Exception):
                await self._checkpointing
            await asyncio.sleep(0)  # its done-callback runs
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._checkpoints, self._close_checkpoints)
        self._checkpoints.shutdown(wait=True)
        await loop.run_in_executor(self._executor, self.engine.dispose)
        self._executor.shutdown(wait=True)


class _SQLiteWriter:
    """The connections of :meth:`Database.write_direct` to a SQLite file: one used on the event
    loop, which never waits for the write lock, and one in a thread of its own, which does."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="ua-sqlite-writer")
        self._connection: sqlite3.Connection | None = None
        self._on_loop: sqlite3.Connection | None = None

    def _connect(self, busy_timeout: float) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        connection.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        connection.execute("PRAGMA foreign_keys=ON")
        # Stored means on disk: each commit waits for the disk (one wait per batch of work).
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    def _waiting_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._connect(SQLITE_BUSY_TIMEOUT)
        return self._connection

    def _loop_connection(self) -> sqlite3.Connection:
        if self._on_loop is None:
            self._on_loop = self._connect(0)
        return self._on_loop

    def _transaction(
        self, work: Callable[[sqlite3.Connection], T], connection: sqlite3.Connection | None = None
    ) -> T:
        connection = connection or self._waiting_connection()
        connection.execute("BEGIN IMMEDIATE")
        return self._finish(connection, work)

    @staticmethod
    def _finish(connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            result = work(connection)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        return result

    def run_now(self, work: Callable[[sqlite3.Connection], T]) -> tuple[bool, T | None]:
        """``work`` in a transaction on the loop's connection, or ``(False, None)`` at once when
        another process holds the write lock."""
        connection = self._loop_connection()
        try:
            # Never waits (busy timeout 0): the lock is free, or another process has it.
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            return False, None
        return True, self._finish(connection, work)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        done, result = self.run_now(work)  # this process's writers queue before this
        if not done:
            # Another process writes: its transaction is waited for in the thread, not here.
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._transaction, work)
        return result  # type: ignore[return-value]

    def _close(self) -> None:
        for connection in (self._connection, self._on_loop):
            if connection is not None:
                connection.close()
        self._connection = self._on_loop = None

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)
