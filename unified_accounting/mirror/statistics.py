"""SQLite's planner statistics of the mirror table, kept in step with its size.

A mirror list with a filter and a sort can read the index of the filter (a customer's invoices,
then sorted) or the index of the sort (every invoice in order, keeping the customer's): SQLite
chooses by the statistics ``ANALYZE`` leaves in ``sqlite_stat1``, and without them it guesses —
on a mirror of a million invoices, a guess that reads all of them to find one customer's dozen.
PostgreSQL's autovacuum keeps its own statistics; SQLite has no such thing, so the mirror's reads
keep them: when the table has none, or has grown to twice the rows they describe, ``ANALYZE`` runs
on a sample (``analysis_limit``: milliseconds even for a million rows), and the mirror's reader
connections are opened again to load them. The check costs two small reads and runs at most once
a minute per database.
"""

from __future__ import annotations

import logging
import time
import weakref
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from ..storage.database import Database
from .schema import mirror_records

logger = logging.getLogger(__name__)

#: Seconds between two checks of one database's statistics.
CHECK_EVERY = 60.0
#: Rows ANALYZE samples per index (SQLite's ``analysis_limit``).
SAMPLE = 1000
#: Growth of the table, since the statistics were taken, that makes them stale.
GROWTH = 2

_next_check: weakref.WeakKeyDictionary[Database, float] = weakref.WeakKeyDictionary()


def _described_and_held(conn: Connection) -> tuple[int | None, int]:
    """Rows the statistics describe (``None`` without statistics) and the table's highest rowid
    (its size, near enough: the mirror's rows are upserted, rarely deleted)."""
    stat = conn.execute(
        text("SELECT stat FROM sqlite_stat1 WHERE tbl = :table AND idx IS NOT NULL LIMIT 1"),
        {"table": mirror_records.name},
    ).scalar()
    held = conn.execute(text(f"SELECT max(rowid) FROM {mirror_records.name}")).scalar() or 0
    return (int(str(stat).split()[0]) if stat else None), int(held)


def _no_statistics_table(conn: Connection) -> tuple[int | None, int]:
    found = conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first()
    if found is None:
        held = conn.execute(text(f"SELECT max(rowid) FROM {mirror_records.name}")).scalar() or 0
        return None, int(held)
    return _described_and_held(conn)


async def keep_fresh(db: Database) -> None:
    """Refresh SQLite's statistics of the mirror table when they are missing or stale (see the
    module docstring); nothing on other databases. A failure (the database busy) is logged and
    the read goes on: statistics only guide the planner."""
    if db.dialect != "sqlite":
        return
    now = time.monotonic()
    if _next_check.get(db, 0.0) > now:
        return
    _next_check[db] = now + CHECK_EVERY
    described, held = await db.read_blocking(_no_statistics_table)
    if held == 0 or (described is not None and held < GROWTH * described):
        return

    async def analyze(conn: Any) -> None:
        await conn.exec_driver_sql(f"PRAGMA analysis_limit={SAMPLE}")
        await conn.exec_driver_sql(f"ANALYZE {mirror_records.name}")
        await conn.exec_driver_sql("PRAGMA analysis_limit=0")

    try:
        await db.transaction(analyze)
    except OperationalError as exc:
        logger.warning("could not refresh the mirror's statistics (the lists still work): %s", exc)
        return
    await db.reopen_readers()  # a SQLite connection loads the statistics when it opens
