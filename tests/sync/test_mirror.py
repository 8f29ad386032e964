"""The ordered upsert: never older over newer, idempotent, tombstones — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from unified_accounting.connections import ConnectionKey
from unified_accounting.mirror import query
from unified_accounting.mirror.records import record_write, tombstone_write, upsert_rows
from unified_accounting.models import Customer, Invoice
from unified_accounting.storage import Database

pytestmark = pytest.mark.anyio

KEY = ConnectionKey("acme", "quickbooks", "42")
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await Database.open(database_url)
    yield database
    await database.dispose()


def invoice(version: int, at: datetime, total: str = "10.00", status: str = "open") -> Invoice:
    return Invoice(
        id="7", row_version=str(version), updated_at=at, customer_id="1", total=total, status=status
    )


async def apply(db: Database, *writes: object) -> list[str]:
    changes = await db.write_blocking(
        lambda conn: upsert_rows(conn, db, KEY, list(writes), datetime.now(UTC))  # type: ignore[arg-type]
    )
    return [c.operation.value for c in changes]


async def stored_total(db: Database, include_deleted: bool = False) -> Decimal | None:
    try:
        record = await query.get_record(db, KEY, "invoice", "7", include_deleted=include_deleted)
    except Exception:
        return None
    assert isinstance(record, Invoice)
    return record.total


async def test_newer_wins_whatever_the_arrival_order(db: Database) -> None:
    now = datetime.now(UTC)
    v1 = record_write("invoice", invoice(1, T0, "10.00"), now)
    v2 = record_write("invoice", invoice(2, T0 + timedelta(seconds=5), "20.00"), now)
    assert await apply(db, v2) == ["created"]
    assert await apply(db, v1) == []  # late and older: ignored
    assert await stored_total(db) == Decimal("20.00")
    assert await apply(db, v2) == []  # the same version again: nothing
    # Same second, higher SyncToken: newer.
    v3 = record_write("invoice", invoice(3, T0 + timedelta(seconds=5), "30.00"), now)
    assert await apply(db, v3) == ["updated"]
    assert await stored_total(db) == Decimal("30.00")


async def test_tombstones(db: Database) -> None:
    now = datetime.now(UTC)
    live = record_write("invoice", invoice(1, T0, "10.00"), now)
    assert await apply(db, live) == ["created"]
    gone = tombstone_write("invoice", "7", T0 + timedelta(minutes=1))
    assert await apply(db, gone) == ["deleted"]
    assert await stored_total(db) is None
    assert await stored_total(db, include_deleted=True) == Decimal("10.00")  # last content kept
    assert await apply(db, live) == []  # a stale live version does not resurrect it
    assert await apply(db, gone) == []
    # A voided invoice is a tombstone too (its status says it left the books).
    void = record_write("invoice", invoice(2, T0 + timedelta(minutes=2), "0", status="void"), now)
    assert void.deleted and await apply(db, void) == []
    assert await stored_total(db, include_deleted=True) == Decimal("0")
    # A tie at the same time and rank: the tombstone wins.
    tie_live = record_write("customer", Customer(id="c", display_name="A", updated_at=T0), now)
    tie_gone = tombstone_write("customer", "c", T0)
    assert await apply(db, tie_live, tie_gone) == []  # one batch: the newest (the tombstone) only
    assert await apply(db, tie_live) == []
    # A genuinely newer version brings a record back (an un-archived customer).
    back = record_write(
        "customer", Customer(id="c", display_name="A", updated_at=T0 + timedelta(days=1)), now
    )
    assert await apply(db, back) == ["created"]


async def test_an_opaque_version_changed_without_a_new_time_is_taken(db: Database) -> None:
    # Xero-style versions are not numbers, and a payment may change a record without moving its time.
    now = datetime.now(UTC)

    def xero(version: str, total: str) -> Invoice:
        return Invoice(id="7", row_version=version, updated_at=T0, customer_id="1", total=total)

    before = record_write("invoice", xero("1772323200000-aaaa", "100.00"), now)
    after = record_write("invoice", xero("1772323200000-bbbb", "60.00"), now)
    assert await apply(db, before) == ["created"]
    assert await apply(db, after) == ["updated"]
    assert await stored_total(db) == Decimal("60.00")
    assert await apply(db, after) == []  # the same version again: nothing
    # Numeric versions keep their strict order: an equal SyncToken is the same version.
    assert await apply(db, record_write("invoice", invoice(5, T0 + timedelta(hours=1), "70.00"), now)) == [
        "updated"
    ]
    assert await apply(db, record_write("invoice", invoice(5, T0 + timedelta(hours=1), "71.00"), now)) == []


async def test_an_inferred_tombstone_loses_to_a_live_read_of_its_version(db: Database) -> None:
    from sqlalchemy import update

    from unified_accounting.mirror.schema import mirror_records

    now = datetime.now(UTC)
    live = record_write("invoice", invoice(4, T0, "10.00"), now)
    assert await apply(db, live) == ["created"]
    # What the sweep of earlier releases did to a row its listing had not seen: deleted, nothing else.
    await db.transaction(lambda conn: conn.execute(update(mirror_records).values(deleted=True)))
    assert await stored_total(db) is None
    assert await apply(db, live) == ["created"]  # the same version, read live: back
    assert await stored_total(db) == Decimal("10.00")
    # A tombstone the provider stands behind is not undone by that version read again.
    assert await apply(db, tombstone_write("invoice", "7", T0 + timedelta(minutes=1))) == ["deleted"]
    assert await apply(db, live) == []
    void = record_write("invoice", invoice(5, T0 + timedelta(minutes=2), "0", status="void"), now)
    assert await apply(db, void) == []
    assert await apply(db, record_write("invoice", invoice(5, T0 + timedelta(minutes=2)), now)) == []
