"""Every filter and sort the catalog declares for a mirrored resource reads an index on SQLite and
PostgreSQL: its plan (``EXPLAIN QUERY PLAN``, ``EXPLAIN``) never scans the table, a filter narrows
the read to its own column's index range, and a sort reads an index in its order, on the first
page and on later ones (from a cursor) alike. A filter or sort added to the catalog without an
index fails here, whatever its speed on small data (no timing here: see ``bench/mirror_reads.py``).

The mirror holds a few hundred records of each resource, spread like a company's (many parties,
a few statuses, dates over months), and the statistics the planners would have (SQLite's
``ANALYZE``, as the mirror's reads keep it; PostgreSQL's autovacuum). On PostgreSQL, where a table
this small is cheaper to scan than any index, table scans are priced out (``enable_seqscan``
off, and ``enable_sort`` for sorted lists): the plan then reads an index wherever one serves.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

import pytest
from pydantic import ValidationError

from unified_accounting.catalog import RESOURCES, ListFilter
from unified_accounting.connections import ConnectionKey
from unified_accounting.listing import SortCursor
from unified_accounting.mirror import query
from unified_accounting.mirror.schema import FIELD_COLUMNS, mirror_records
from unified_accounting.storage import Database

pytestmark = pytest.mark.anyio

KEY = ConnectionKey("acme", "ledgerly", "c-1")
T0 = datetime(2026, 3, 1, tzinfo=UTC)
PER_RESOURCE = 300
KEY_COLUMNS = {"consumer_id", "provider", "company_id", "resource"}


def _status_values(resource: str) -> list[str]:
    status = next((f for f in RESOURCES[resource].filters if f.field == "status"), None)
    if status is None:
        return []
    return [member.value for member in status.type]


def _rows(resource: str) -> Iterator[dict[str, Any]]:
    fields = RESOURCES[resource].model.model_fields
    statuses = _status_values(resource)
    for n in range(PER_RESOURCE):
        values: dict[str, Any] = {
            "updated_at": T0 + timedelta(minutes=n),
            "created_at": T0 - timedelta(days=n % 90),
            "customer_id": f"p{n % 40}",
            "supplier_id": f"p{n % 40}",
            "number": f"N-{n:05d}",
            "issue_date": date(2026, 1, 1) + timedelta(days=n % 120),
            "date": date(2026, 1, 1) + timedelta(days=n % 120),
        }
        yield {
            "consumer_id": KEY.consumer_id,
            "provider": KEY.provider,
            "company_id": KEY.company_id,
            "resource": resource,
            "record_id": f"r-{n:05d}",
            "version_rank": 1,
            "row_version": "1",
            "deleted": n % 50 == 0,
            "status": statuses[n % len(statuses)] if statuses else None,
            # The plans are the point: the records need not decode (the reads fail after them).
            "record": json.dumps({"id": f"r-{n:05d}"}),
            "seen_at": T0,
            "changed_at": T0,
            **{name: value for name, value in values.items() if name in fields},
        }


def _sample(list_filter: ListFilter) -> Any:
    """A value the filter may be given, that some records hold."""
    kind = list_filter._base
    if isinstance(kind, type) and issubclass(kind, Enum):
        value: Any = next(iter(kind))
    elif kind is datetime or list_filter.field in ("updated_at", "created_at"):
        value = T0 + timedelta(minutes=PER_RESOURCE - 20)
        if list_filter.field == "created_at":
            value = T0 - timedelta(days=3)
    elif kind is date:
        value = date(2026, 4, 20) if list_filter.match == "at_least" else date(2026, 1, 10)
    elif list_filter.field == "number":
        value = "N-00042"
    else:
        value = "p7"
    return (value,) if list_filter.match == "one_of" else value


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await Database.open(database_url)
    try:
        rows = [row for resource in RESOURCES.mirrored() for row in _rows(resource)]

        async def insert(conn: Any) -> None:
            await conn.execute(mirror_records.insert(), rows)
            if database.dialect == "postgresql":
                await conn.exec_driver_sql("ANALYZE ua_mirror_records")

        await database.transaction(insert)
        yield database
    finally:
        await database.dispose()


class Plans:
    """The plan of every SELECT the mirror's list runs, as lines of text (SQLite) or nodes."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.statements: list[tuple[str, Any]] = []

        def record(statement: str, parameters: Any) -> None:
            listing = statement.lstrip().upper().startswith("SELECT") and "ua_mirror_records" in statement
            # (Not the statistics' check: unified_accounting.mirror.statistics.)
            if listing and "sqlite_stat1" not in statement and "max(rowid)" not in statement:
                self.statements.append((statement, parameters))

        db.trace(record)

    async def of_list(self, resource: str, *, sorting: bool = False, **options: Any) -> list[Any]:
        self.statements.clear()
        # The stored records are not whole records: only the SQL counts here.
        with contextlib.suppress(ValidationError):
            await query.list_page(self.db, KEY, resource, page_size=50, **options)
        assert self.statements, "the list ran no statement"
        plans = []
        async with self.db.engine.connect() as conn:
            if self.db.dialect == "postgresql":
                await conn.exec_driver_sql("SET enable_seqscan = off")
                if sorting:
                    await conn.exec_driver_sql("SET enable_sort = off")
            for statement, parameters in self.statements:
                if self.db.dialect == "sqlite":
                    found = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                    plans.append([str(row[3]) for row in found])
                else:
                    found = await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
                    data = found.scalar_one()
                    plans.append(_nodes((json.loads(data) if isinstance(data, str) else data)[0]["Plan"]))
        return plans


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(found for child in node.get("Plans", ()) for found in _nodes(child))]


def _columns(condition: str) -> set[str]:
    return set(re.findall(r"\b([a-z_]+)\b", condition)) & {column.name for column in mirror_records.columns}


def _scans_table(plan: Any) -> bool:
    if isinstance(plan[0], str):
        return any(line.startswith("SCAN ua_mirror_records") for line in plan)
    return any(node["Node Type"] == "Seq Scan" for node in plan)


def _sorts(plan: Any) -> bool:
    if isinstance(plan[0], str):
        return any("TEMP B-TREE FOR ORDER BY" in line for line in plan)
    return any(node["Node Type"] in ("Sort", "Incremental Sort") for node in plan)


def _index_columns(plan: Any) -> set[str]:
    """The columns the plan's index reads are bounded by, besides the company and resource."""
    if isinstance(plan[0], str):
        searched = " ".join(line.split("(", 1)[-1] for line in plan if line.startswith("SEARCH"))
        return _columns(searched) - KEY_COLUMNS
    conditions = " ".join(str(node.get("Index Cond", "")) for node in plan)
    return _columns(conditions) - KEY_COLUMNS


def _cases() -> Iterator[tuple[str, str]]:
    for resource in RESOURCES.mirrored():
        spec = RESOURCES[resource]
        for list_filter in spec.filters:
            yield resource, f"filter:{list_filter.name}"
        for key in spec.sorts:
            for text in (key, f"-{key}"):
                yield resource, f"sort:{text}"


async def test_every_declared_filter_and_sort_reads_an_index(db: Database) -> None:
    plans = Plans(db)
    problems: list[str] = []
    for resource, what in _cases():
        problems += await _problems(plans, resource, what)
    assert not problems, "\n".join(problems)


async def _problems(plans: Plans, resource: str, what: str) -> list[str]:
    spec = RESOURCES[resource]
    kind, name = what.split(":")
    found: list[str] = []
    if kind == "filter":
        list_filter = spec.filter(name)
        assert list_filter is not None
        column = FIELD_COLUMNS[list_filter.field].name
        for plan in await plans.of_list(resource, filters=[(list_filter, _sample(list_filter))]):
            if _scans_table(plan) or column not in _index_columns(plan):
                found.append(f"{resource} {what}: not narrowed by an index on {column}: {plan}")
        return found
    sort = spec.sort(name)
    middle = {
        "updated_at": T0 + timedelta(minutes=150),
        "issue_date": date(2026, 2, 15),
        "date": date(2026, 2, 15),
        "number": "N-00150",
    }[sort.field]
    for cursor in (None, SortCursor(sort, middle, "r-00150").encode(spec.model)):
        # The records with a value, then (an index range too) those without one, by id.
        for plan in await plans.of_list(resource, sorting=True, sort=sort, cursor=cursor):
            if _scans_table(plan) or _sorts(plan):
                page = "first page" if cursor is None else "page from a cursor"
                found.append(f"{resource} {what} ({page}): not read in an index's order: {plan}")
    return found


async def test_the_mirror_keeps_sqlite_statistics_of_its_table(tmp_path: Any) -> None:
    """Missing statistics are gathered by the first list; statistics of a table since doubled are
    gathered again; in between, lists do not (statistics are checked at most once a minute)."""
    from unified_accounting.mirror import statistics

    database = await Database.open(f"sqlite:///{tmp_path / 'vault.sqlite3'}")
    try:
        rows = list(_rows("invoice"))

        async def insert(conn: Any, chunk: list[dict[str, Any]]) -> None:
            await conn.execute(mirror_records.insert(), chunk)

        async def described() -> int | None:
            async with database.engine.connect() as conn:
                found = await conn.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
                )
                if not found.scalar_one():
                    return None
                stat = await conn.exec_driver_sql(
                    "SELECT stat FROM sqlite_stat1 WHERE tbl = 'ua_mirror_records' AND idx IS NOT NULL"
                )
                first = stat.scalars().first()
                return int(str(first).split()[0]) if first else None

        await database.transaction(lambda conn: insert(conn, rows[:100]))
        assert await described() is None
        await statistics.keep_fresh(database)
        assert await described() == 100
        await database.transaction(lambda conn: insert(conn, rows[100:]))
        await statistics.keep_fresh(database)  # within the minute: not checked again
        assert await described() == 100
        statistics._next_check.pop(database)
        await statistics.keep_fresh(database)
        assert await described() == PER_RESOURCE
    finally:
        await database.dispose()
