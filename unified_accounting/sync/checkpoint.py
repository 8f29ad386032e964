"""Loading and saving a connection's :class:`~unified_accounting.sync.state.SyncState`.

``save_state`` runs inside the caller's transaction: the engine saves the state with the page of records
it describes, so the two are durable together or not at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..connections import ConnectionKey
from ..storage.database import Database
from .schema import sync_states
from .state import SyncState


def _key_clause(key: ConnectionKey) -> Any:
    return and_(
        sync_states.c.consumer_id == key.consumer_id,
        sync_states.c.provider == key.provider,
        sync_states.c.company_id == key.company_id,
    )


async def load(conn: AsyncConnection, key: ConnectionKey) -> SyncState:
    text = (await conn.execute(select(sync_states.c.state).where(_key_clause(key)))).scalar_one_or_none()
    return SyncState.from_json(text)


def save_state(conn: Connection, db: Database, key: ConnectionKey, state: SyncState) -> None:
    """Save ``state`` inside ``conn``'s (blocking) transaction (``Database.write_blocking``)."""
    statement = db.insert(sync_states).values(
        consumer_id=key.consumer_id,
        provider=key.provider,
        company_id=key.company_id,
        state=state.to_json(),
        updated_at=datetime.now(UTC),
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["consumer_id", "provider", "company_id"],
            set_={"state": statement.excluded.state, "updated_at": statement.excluded.updated_at},
        )
    )


async def read_state(db: Database, key: ConnectionKey) -> SyncState:
    """The stored state of ``key`` (a fresh one when it never synced)."""

    async def read(conn: AsyncConnection) -> SyncState:
        return await load(conn, key)

    return await db.snapshot(read)
