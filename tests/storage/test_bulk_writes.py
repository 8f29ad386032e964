"""Bulk writes on SQLite (a sync's pages): their write-ahead log is checkpointed beside them.

SQLite's automatic checkpoint would copy a page's thousands of logged pages into the database file
in the writer's commit, while this process's turn to write is held and every other writer (a rate
limiter's take) waits. The bulk writer's connection does not checkpoint; a thread of its own does,
after each write, without holding the turn.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from unified_accounting.storage import Database

pytestmark = pytest.mark.anyio


def _fill(conn: Connection) -> int:
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bulk (id INTEGER PRIMARY KEY, body TEXT)")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS bulk_body ON bulk (body)")
    rows = [(None, f"{index:08d}" * 100) for index in range(5000)]
    conn.exec_driver_sql("INSERT INTO bulk VALUES (?, ?)", rows)
    return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


async def test_a_bulk_write_is_checkpointed_by_the_checkpoint_thread(tmp_path: Path) -> None:
    db = await Database.open(f"sqlite:///{tmp_path / 'bulk.sqlite3'}")
    try:
        assert await db.write_blocking(_fill) == 0  # the writer's own commits copy nothing back
        writer: Any = db._blocking_writer
        assert writer._checkpointing is not None  # started with the write, running on its own
        await writer._checkpointing
        # The rows (about 4 MB) reached the database file itself: only a checkpoint copies them.
        assert (tmp_path / "bulk.sqlite3").stat().st_size > 3_000_000
        # Writes go on while a checkpoint runs; closing waits for the one running.
        await db.write_blocking(_fill)
        await db.write_blocking(_fill)
    finally:
        await db.dispose()
    with sqlite3.connect(tmp_path / "bulk.sqlite3") as check:
        assert check.execute("SELECT count(*) FROM bulk").fetchone() == (15000,)
