"""The connect page's sessions: server-side records, opened once per signed link.

A signed link is a bearer credential that travels in email and lands in access logs, so it is
good for one visit only: its first use opens a session and records the link as spent, atomically;
a second use is refused. The browser keeps only a random session id (in an HttpOnly cookie); the
database keeps its SHA-256, so a copy of the database opens no session. Signing out, or the
session's end, makes the id worthless at once — nothing about it is trusted from the client.

Sessions live in the vault's database (``ua_connect_sessions``) when the client has one, else in
this process's memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..client.async_client import AsyncClient
from ..storage.database import Database
from ..vault.store import VaultStore
from .schema import connect_sessions


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class ConnectSession:
    """Who a session belongs to. ``binding`` ties CSRF tokens to this session alone."""

    consumer_id: str
    display_name: str | None
    binding: str


class SessionStore(Protocol):
    async def open(
        self,
        *,
        link_nonce: str,
        link_expires_at: datetime,
        consumer_id: str,
        display_name: str | None,
        lifetime: timedelta,
    ) -> str | None:
        """Spend the link and open a session; its id, or ``None`` when the link was used before."""
        ...

    async def find(self, session_id: str | None) -> ConnectSession | None:
        """The live session with this id, or ``None``."""
        ...

    async def end(self, session_id: str | None) -> None:
        """End the session now (signing out)."""
        ...


@dataclass
class _Row:
    consumer_id: str
    display_name: str | None
    link_hash: str
    expires_at: datetime
    keep_until: datetime


class MemorySessionStore:
    """Sessions in this process's memory (for a client without a vault database)."""

    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}
        self._spent: set[str] = set()
        self._lock = asyncio.Lock()

    async def open(
        self,
        *,
        link_nonce: str,
        link_expires_at: datetime,
        consumer_id: str,
        display_name: str | None,
        lifetime: timedelta,
    ) -> str | None:
        now = datetime.now(UTC)
        link_hash = digest(link_nonce)
        async with self._lock:
            for key in [k for k, row in self._rows.items() if row.keep_until < now]:
                self._spent.discard(self._rows.pop(key).link_hash)
            if link_hash in self._spent:
                return None
            session_id = secrets.token_urlsafe(32)
            expires_at = now + lifetime
            self._spent.add(link_hash)
            self._rows[digest(session_id)] = _Row(
                consumer_id, display_name, link_hash, expires_at, max(expires_at, link_expires_at)
            )
        return session_id

    async def find(self, session_id: str | None) -> ConnectSession | None:
        if not session_id:
            return None
        hashed = digest(session_id)
        row = self._rows.get(hashed)
        if row is None or row.expires_at <= datetime.now(UTC):
            return None
        return ConnectSession(row.consumer_id, row.display_name, hashed)

    async def end(self, session_id: str | None) -> None:
        if session_id:
            row = self._rows.get(digest(session_id))
            if row is not None:
                row.expires_at = datetime.now(UTC)


class SqlSessionStore:
    """Sessions in the vault's database (SQLite or PostgreSQL), shared by every process."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def open(
        self,
        *,
        link_nonce: str,
        link_expires_at: datetime,
        consumer_id: str,
        display_name: str | None,
        lifetime: timedelta,
    ) -> str | None:
        now = datetime.now(UTC)
        session_id = secrets.token_urlsafe(32)
        expires_at = now + lifetime

        async def spend(conn: AsyncConnection) -> bool:
            await conn.execute(delete(connect_sessions).where(connect_sessions.c.keep_until < now))
            inserted = await conn.execute(
                self.db.insert(connect_sessions)
                .values(
                    session_hash=digest(session_id),
                    consumer_id=consumer_id,
                    display_name=display_name,
                    link_hash=digest(link_nonce),
                    created_at=now,
                    expires_at=expires_at,
                    keep_until=max(expires_at, link_expires_at),
                )
                # The link's row exists already: it was spent (by this visitor or another).
                .on_conflict_do_nothing()
                .returning(connect_sessions.c.session_hash)
            )
            return inserted.scalar_one_or_none() is not None

        return session_id if await self.db.transaction(spend) else None

    async def find(self, session_id: str | None) -> ConnectSession | None:
        if not session_id:
            return None
        hashed = digest(session_id)
        columns = connect_sessions.c
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(columns.consumer_id, columns.display_name).where(
                        columns.session_hash == hashed, columns.expires_at > datetime.now(UTC)
                    )
                )
            ).first()
        return ConnectSession(row.consumer_id, row.display_name, hashed) if row is not None else None

    async def end(self, session_id: str | None) -> None:
        if not session_id:
            return
        hashed = digest(session_id)

        async def expire(conn: AsyncConnection) -> None:
            await conn.execute(
                update(connect_sessions)
                .where(connect_sessions.c.session_hash == hashed)
                .values(expires_at=datetime.now(UTC))
            )

        await self.db.transaction(expire)


async def session_store_for(client: AsyncClient) -> SessionStore:
    """The vault's database when the client has one, else process memory."""
    if isinstance(client.store, VaultStore):
        return SqlSessionStore(await client.database())
    return MemorySessionStore()
