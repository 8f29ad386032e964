"""Access to the database the sync tables live in: the vault's own (SQLite or PostgreSQL).

Write transactions on SQLite begin with ``BEGIN IMMEDIATE`` (the vault engine's ``ua_immediate``
option): SQLite would otherwise let two read-then-write transactions both proceed and one of them
fail or lose an update. On PostgreSQL rows are locked with ``FOR UPDATE`` where it matters.

Cancellation. A task cancelled while a statement runs (a shutdown cancelling a sync) must not cut
the transaction short: SQLAlchemy then invalidates the connection while the driver is still busy
with the statement, and the connection — on SQLite, the database's write lock with it — can stay
open until the garbage collector finds it, so the next writers get "database is locked".
:meth:`SyncDatabase.transaction` and :meth:`SyncDatabase.snapshot` therefore run their work in a
task of its own and, when the caller is cancelled, let it finish (commit or roll back, and return
the connection) before the cancellation goes on. Their units of work are short (one page).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..errors import ConfigurationError
from ..vault.store import VaultStore

if TYPE_CHECKING:
    from ..client.async_client import AsyncClient

_by_client: weakref.WeakKeyDictionary[AsyncClient, SyncDatabase] = weakref.WeakKeyDictionary()
T = TypeVar("T")


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


class SyncDatabase:
    """The sync engine's handle on an async engine whose schema is migrated (by the vault)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # SQLite has one writer at a time. Queueing this process's writers here, in order, avoids
        # SQLite's busy handler, which polls with growing sleeps and makes latency spiky.
        self._sqlite_writers = asyncio.Lock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert(self, table: Any) -> Any:
        """An ``INSERT`` that knows ``ON CONFLICT`` on this database."""
        return (sqlite.insert if self.dialect == "sqlite" else postgresql.insert)(table)

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block ends without error."""
        if self._sqlite_writers is None:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        async with self._sqlite_writers, self.engine.connect() as conn:
            conn = await conn.execution_options(ua_immediate=True)
            async with conn.begin():
                yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    async def transaction(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """``work(conn)`` in one write transaction, committed when it returns, and never cut short
        by a cancellation of the caller (see the module docstring)."""

        async def run() -> T:
            async with self.write() as conn:
                return await work(conn)

        return await to_the_end(run())

    async def snapshot(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """``work(conn)`` in one read transaction, never cut short by a cancellation of the caller."""

        async def run() -> T:
            async with self.read() as conn:
                return await work(conn)

        return await to_the_end(run())

    @classmethod
    async def for_client(cls, client: AsyncClient) -> SyncDatabase:
        """The database of ``client``'s vault (started and migrated on first use)."""
        existing = _by_client.get(client)
        if existing is not None:
            return existing
        store = client.store
        if not isinstance(store, VaultStore):
            raise ConfigurationError(
                "the mirror, sync and webhook inbox live in the vault's database: create the client "
                f"with database_url= (or UA_DATABASE_URL), not with store={type(store).__name__}()"
            )
        database = cls(await store.start())
        _by_client[client] = database
        return database
