"""Mirror lists run statements compiled once per kind of list on the driver itself, on SQLite and
PostgreSQL: for every filter and sort invoices declare, page after page, they give the same
records and the same cursors as the same statements run through SQLAlchemy (its compilation, its
types' conversions of the values and of the sort value read back), and a kind of list seen before
binds the new call's values, never the last call's."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from unified_accounting.catalog import RESOURCES
from unified_accounting.connections import ConnectionKey
from unified_accounting.mirror import list_statements, query
from unified_accounting.mirror.records import record_write, upsert_rows
from unified_accounting.models import Invoice
from unified_accounting.storage import Database

pytestmark = pytest.mark.anyio

KEY = ConnectionKey("acme", "ledgerly", "c-1")
OTHER = ConnectionKey("acme", "ledgerly", "c-2")
T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
STATUSES = ["open", "paid", "partially_paid", "draft", "void", "submitted"]


def invoices(count: int = 60) -> list[Invoice]:
    made = []
    for n in range(count):
        made.append(
            Invoice(
                id=f"inv-{n:03d}",
                customer_id=f"cust-{n % 4}",
                # Some without a number or a date: they come last in a sort, by id.
                number=None if n % 9 == 4 else f"N-{(n * 7) % 23:03d}",
                issue_date=None if n % 11 == 5 else date(2026, 1, 1) + timedelta(days=n % 13),
                status=STATUSES[n % len(STATUSES)],
                created_at=T0 - timedelta(days=n % 17, microseconds=n),
                # Ties on the update time (several records per second), microseconds kept.
                updated_at=T0 + timedelta(seconds=n // 3),
                row_version="1",
            )
        )
    return made


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await Database.open(database_url)
    try:
        for key, records in ((KEY, invoices()), (OTHER, invoices(5))):
            writes = [record_write("invoice", record, T0) for record in records]
            # A few tombstones: left out unless asked for.
            writes = [
                w if n % 10 != 3 else dataclasses.replace(w, deleted=True, status="deleted")
                for n, w in enumerate(writes)
            ]
            await database.write_blocking(
                lambda tx, key=key, writes=writes: upsert_rows(tx, database, key, writes, T0)
            )
        yield database
    finally:
        await database.dispose()


def _filter(name: str, value: Any) -> tuple[Any, Any]:
    list_filter = RESOURCES["invoice"].filter(name)
    assert list_filter is not None
    return list_filter, list_filter.validate(value)


#: Every filter invoices declare (several values for the one that takes several), and combinations.
FILTERS: list[dict[str, Any]] = [
    {},
    {"updated_since": T0 + timedelta(seconds=4, microseconds=30)},
    {"created_since": T0 - timedelta(days=6)},
    {"customer_id": "cust-1"},
    {"status": "open"},
    {"status": ["open", "partially_paid"]},
    {"status": ["void", "paid"]},
    {"number": "N-005"},
    {"issue_date_from": date(2026, 1, 5)},
    {"issue_date_to": date(2026, 1, 8)},
    {"issue_date_from": date(2026, 1, 3), "issue_date_to": date(2026, 1, 9), "customer_id": "cust-2"},
]
SORTS = [None, *(f"{sign}{key}" for key in RESOURCES["invoice"].sorts for sign in ("", "-"))]


async def pages(
    db: Database, key: ConnectionKey, given: dict[str, Any], sort: str | None, **options: Any
) -> Any:
    """Every page of a list: its records' ids and its cursor."""
    filters = [_filter(name, value) for name, value in given.items()]
    order = None if sort is None else RESOURCES["invoice"].sort(sort)
    found: list[tuple[list[str], str | None]] = []
    cursor = None
    while True:
        page = await query.list_page(
            db, key, "invoice", cursor=cursor, page_size=4, filters=filters, sort=order, **options
        )
        assert not page.issues
        found.append(([str(item.id) for item in page.items], page.next_cursor))
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def through_sqlalchemy(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``db`` run lists' statements through SQLAlchemy (its compilation and conversions)."""
    monkeypatch.setattr(db, "_sqlite_file", False)
    monkeypatch.setattr(db, "_postgres_psycopg", False)


@pytest.mark.parametrize("include_deleted", [False, True])
async def test_driver_statements_give_what_sqlalchemy_gives(
    db: Database, monkeypatch: pytest.MonkeyPatch, include_deleted: bool
) -> None:
    assert db.supports_direct_reads
    direct = {}
    for n, given in enumerate(FILTERS):
        for sort in SORTS:
            direct[n, sort] = await pages(db, KEY, given, sort, include_deleted=include_deleted)
    through_sqlalchemy(db, monkeypatch)
    assert not db.supports_direct_reads
    for n, given in enumerate(FILTERS):
        for sort in SORTS:
            expected = await pages(db, KEY, given, sort, include_deleted=include_deleted)
            assert direct[n, sort] == expected, (given, sort)
    # The lists above are not trivially equal: they page, and filters keep some records only.
    assert len(direct[0, None]) > 5
    assert 0 < sum(len(ids) for ids, _ in direct[3, "-issue_date"]) < 20


async def test_a_kind_of_list_seen_before_binds_the_new_values(db: Database) -> None:
    first = await pages(db, KEY, {"customer_id": "cust-1"}, "-updated_at")
    second = await pages(db, KEY, {"customer_id": "cust-2"}, "-updated_at")
    other_company = await pages(db, OTHER, {"customer_id": "cust-1"}, "-updated_at")
    ids = {
        name: {record for page, _ in found for record in page}
        for name, found in (("first", first), ("second", second), ("other", other_company))
    }
    assert ids["first"] and ids["second"] and ids["other"]
    by_customer = {str(i.id): i.customer_id for i in invoices()}
    assert {by_customer[i] for i in ids["first"]} == {"cust-1"}
    assert {by_customer[i] for i in ids["second"]} == {"cust-2"}
    assert ids["other"] == {"inv-001"}  # the other company's only invoice of cust-1
    assert len({key for key in list_statements._CACHE if key[2][0] == "invoice"}) >= 1


async def test_trace_sees_every_statement_of_a_list_until_stopped(db: Database) -> None:
    seen: list[tuple[str, Any]] = []
    stop = db.trace(lambda statement, parameters: seen.append((statement, parameters)))
    await pages(db, KEY, {"number": "N-005"}, None)
    # The list's own statement, as the driver ran it, with its values.
    listed = [(s, p) for s, p in seen if s.startswith("SELECT ua_mirror_records.record_id")]
    assert len(listed) == 1
    statement, parameters = listed[0]
    assert "ua_mirror_records.number = " in statement
    assert "N-005" in (parameters.values() if isinstance(parameters, dict) else parameters)
    stop()
    seen.clear()
    await pages(db, KEY, {"number": "N-005"}, None)
    assert seen == []
