"""``list(source="mirror")`` with the filters and sorts of documents, on SQLite and PostgreSQL: the
same records and order as the unified rule (what the core applies after fetching), whatever the
values hold — quotes, SQL wildcards, backslashes, Unicode, text at the length limit — which reach
the database as bound parameters, never as SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from ua_ledgerly.emulator import create_emulator

from unified_accounting import AsyncConnection, ValidationFailed
from unified_accounting.catalog import RESOURCES
from unified_accounting.listing import sort_records
from unified_accounting.mirror.records import record_write, upsert_rows
from unified_accounting.models import Bill, Expense, JournalEntry, JournalLine, RecordMeta
from unified_accounting.storage import Database

from .ledgerly import connect, ledgerly_client

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 3, 1, tzinfo=UTC)
#: Numbers and ids that would change a query's meaning if they were ever written into SQL or a
#: LIKE pattern, or compared by a collation that folds case or accents.
HOSTILE = [
    "B-1",
    "B%",
    "B_1",
    "B'1",
    "' OR '1'='1",
    "B-1'; DROP TABLE ua_mirror_records; --",
    "B\\1",
    "b-1",
    "B-1 ",
    "Bä漢😀",
    "Ba",
    "B" + "x" * 254,
]
SUPPLIERS = ["sup-1", "sup-'%", "sup-_", "ŝup"]


@pytest.fixture
async def mirrored(database_url: str, secret_key: str) -> AsyncIterator[tuple[AsyncConnection, Database]]:
    app = create_emulator()
    async with ledgerly_client(app, database_url, secret_key) as client:
        conn = await connect(client, app.state.emulator)
        yield conn, await client.database()


async def store(conn: AsyncConnection, db: Database, resource: str, records: list[RecordMeta]) -> None:
    writes = [record_write(resource, record, T0) for record in records]
    await db.write_blocking(lambda tx: upsert_rows(tx, db, conn.key, writes, T0))


def bills() -> list[Bill]:
    made = []
    for n, number in enumerate(HOSTILE):
        made.append(
            Bill(
                id=f"bill-{n:02d}",
                supplier_id=SUPPLIERS[n % len(SUPPLIERS)],
                number=number,
                issue_date=date(2026, 1, 1) + timedelta(days=n % 5),
                status=["open", "paid", "draft", "partially_paid"][(n // 4) % 4],
                created_at=T0 + timedelta(minutes=n),
                updated_at=T0 + timedelta(minutes=n),
                row_version="1",
            )
        )
    # A number too long for any filter value: the mirror does not index it (see docs/list-filters.md).
    made.append(Bill(id="bill-long", supplier_id="sup-1", number="B" * 300, updated_at=T0, row_version="1"))
    made.append(Bill(id="bill-bare", supplier_id="sup-1", updated_at=T0, row_version="1"))
    return made


def statements(db: Database) -> list[str]:
    """Every SQL statement the database runs from now on (its text, without parameters)."""
    seen: list[str] = []

    def record(statement: str, parameters: Any) -> None:
        seen.append(statement)

    db.trace(record)
    return seen


def ids(records: list[Any]) -> list[str]:
    return [str(record.id) for record in records]


def by_rule(resource: str, records: list[Any], **given: Any) -> list[str]:
    """The ids the unified rule keeps (as the core applies it), in id order."""
    spec = RESOURCES[resource]
    checks = []
    for name, value in given.items():
        list_filter = spec.filter(name)
        assert list_filter is not None
        checks.append((list_filter, list_filter.validate(value)))
    return sorted(str(r.id) for r in records if all(f.matches(r, v) for f, v in checks))


async def test_hostile_numbers_and_ids_match_only_themselves(
    mirrored: tuple[AsyncConnection, Database],
) -> None:
    conn, db = mirrored
    made = bills()
    await store(conn, db, "bill", made)
    sql = statements(db)
    for number in HOSTILE:
        listed = await conn.bills.list(source="mirror", number=number).to_list()
        assert (
            ids(listed)
            == by_rule("bill", made, number=number)
            == [str(b.id) for b in made if b.number == number]
        ), number
    for supplier in SUPPLIERS:
        listed = await conn.bills.list(source="mirror", supplier_id=supplier).to_list()
        assert ids(listed) == by_rule("bill", made, supplier_id=supplier), supplier
    # Several at once, each value compared exactly (no pattern, no case or accent folding).
    assert ids(await conn.bills.list(source="mirror", supplier_id="SUP-1").to_list()) == []
    assert ids(await conn.bills.list(source="mirror", number="b%").to_list()) == []
    assert await conn.bills.list(source="mirror", number="B" * 255).to_list() == []
    assert len(await conn.bills.list(source="mirror").to_list()) == len(made)  # nothing dropped
    assert sql and not [s for s in sql if any(v in s for v in ("OR '1'", "DROP", "B%", "sup-"))]


async def test_combined_filters_sorts_and_pages_follow_the_unified_rule(
    mirrored: tuple[AsyncConnection, Database],
) -> None:
    conn, db = mirrored
    made = bills()
    await store(conn, db, "bill", made)
    given: dict[str, Any] = {
        "supplier_id": "sup-'%",
        "status": ["open", "draft"],
        "issue_date_from": date(2026, 1, 2),
        "created_since": T0,
    }
    listed = await conn.bills.list(source="mirror", page_size=1, **given).to_list()
    assert ids(listed) == by_rule("bill", made, **given) != []
    dated = [b for b in made if b.number is None or len(b.number) <= 255]
    for text in ("number", "-number", "issue_date", "-issue_date", "updated_at", "-updated_at"):
        sort = RESOURCES["bill"].sort(text)
        pager = conn.bills.list(source="mirror", sort=text, page_size=4)
        pages = [page async for page in pager.pages()]
        got = [r for page in pages for r in page.items]
        expected = sort_records(dated, sort)
        # Numbers are compared by code point on both databases, as the core compares them.
        assert ids([r for r in got if r.id != "bill-long"]) == ids(expected), text
        assert pager.plan is not None and pager.plan.sorted_by == "mirror"
        # A later list resumes from a cursor a page handed out, whatever the values around it.
        cursor = pages[1].next_cursor
        assert cursor is not None
        rest = await conn.bills.list(source="mirror", sort=text, cursor=cursor).to_list()
        assert ids(rest) == ids(got[8:])
    by_number = await conn.bills.list(source="mirror", sort="number").to_list()
    # A number longer than any filter value is not indexed: it sorts with the records without one.
    assert ids(by_number)[-2:] == ["bill-bare", "bill-long"]


async def test_expenses_and_journal_entries_filter_and_sort_by_their_date(
    mirrored: tuple[AsyncConnection, Database],
) -> None:
    conn, db = mirrored
    expenses = [
        Expense(
            id=f"exp-{n}",
            account_id="bank",
            supplier_id=SUPPLIERS[n % 2],
            number=f"E'{n}",
            date=date(2026, 2, 1) + timedelta(days=n),
            status="void" if n == 3 else "posted",
            updated_at=T0,
            row_version="1",
        )
        for n in range(5)
    ]
    entries = [
        JournalEntry(
            id=f"je-{n}",
            number=f"J_{n}",
            date=date(2026, 2, 1) - timedelta(days=n),
            status="draft" if n else "posted",
            lines=[
                JournalLine(ledger_account_id="bank", debit="1.00"),
                JournalLine(ledger_account_id="sales", credit="1.00"),
            ],
            updated_at=T0,
            row_version="1",
        )
        for n in range(3)
    ]
    await store(conn, db, "expense", list(expenses))
    await store(conn, db, "journal_entry", list(entries))
    window = {"date_from": date(2026, 2, 2), "date_to": "2026-02-04", "supplier_id": "sup-'%"}
    listed = await conn.expenses.list(source="mirror", **window).to_list()
    live = [e for e in expenses if e.status != "void"]
    assert ids(listed) == by_rule("expense", live, **window) == ["exp-1"]
    # The voided one is a tombstone: listed when its status is asked for.
    voided = await conn.expenses.list(source="mirror", status=["void"], **window).to_list()
    assert ids(voided) == ["exp-3"]
    newest = await conn.expenses.list(source="mirror", sort="-date").to_list()
    assert ids(newest) == ["exp-4", "exp-2", "exp-1", "exp-0"]
    drafts = await conn.journal_entries.list(source="mirror", status="draft", sort="date").to_list()
    assert ids(drafts) == ["je-2", "je-1"]
    assert ids(await conn.journal_entries.list(source="mirror", number="J%").to_list()) == []
    assert ids(await conn.journal_entries.list(source="mirror", number="J_0").to_list()) == ["je-0"]


async def test_wrong_values_are_refused_naming_the_filter_before_the_database(
    mirrored: tuple[AsyncConnection, Database],
) -> None:
    conn, db = mirrored
    sql = statements(db)
    cases: list[tuple[Any, dict[str, Any], str, str]] = [
        (conn.bills, {"number": 7}, "number", "the number filter takes text"),
        (conn.bills, {"number": "x" * 256}, "number", "at most 255"),
        (conn.bills, {"supplier_id": "a\x00b"}, "supplier_id", "NUL"),
        (conn.bills, {"supplier_id": "x\udc00"}, "supplier_id", "unicode string"),
        (
            conn.bills,
            {"customer_id": "c-1"},
            "customer_id",
            "they take: updated_since, created_since, supplier_id",
        ),
        (conn.bills, {"status": "used"}, "status.0", "'partially_paid'"),
        (conn.bills, {"issue_date_from": 20260101}, "issue_date_from", "got the number 20260101"),
        (conn.expenses, {"issue_date_from": date(2026, 1, 1)}, "issue_date_from", "date_from"),
        (conn.expenses, {"date_from": "2026-02-30"}, "date_from", "takes a date"),
        (conn.expenses, {"sort": "issue_date"}, "sort", "'updated_at', 'date', 'number'"),
        (conn.journal_entries, {"sort": "-"}, "sort", "got '-'"),
        (
            conn.journal_entries,
            {"date_from": date(2026, 2, 2), "date_to": date(2026, 2, 1)},
            "date_from",
            "no record",
        ),
    ]
    for resource, given, field, words in cases:
        with pytest.raises(ValidationFailed) as caught:
            resource.list(source="mirror", **given)
        [issue] = caught.value.issues
        assert issue.field == field and words in issue.message, (given, issue)
    assert sql == []


async def test_a_stored_record_that_no_longer_reads_is_reported_not_fatal(
    mirrored: tuple[AsyncConnection, Database],
) -> None:
    # Say a release changed the model since the record was written, or someone edited the row:
    # the page still answers, the record is left out and reported with its stored text.
    from sqlalchemy import update

    from unified_accounting import DecodeFailed
    from unified_accounting.mirror.schema import mirror_records

    conn, db = mirrored
    await store(conn, db, "bill", bills())
    broken = '{"id": "bill-03", "supplier_id": "sup-1", "total": "not money", "row_version": "1"}'
    stored = mirror_records.c
    await db.transaction(
        lambda tx: tx.execute(
            update(mirror_records)
            .where(stored.resource == "bill", stored.record_id == "bill-03")
            .values(record=broken)
        )
    )
    for sort in (None, "number"):
        pager = conn.bills.list(source="mirror", sort=sort, page_size=4)
        listed = await pager.to_list()
        assert "bill-03" not in ids(listed) and len(listed) == len(bills()) - 1
        [issue] = pager.issues
        assert (issue.resource, issue.record_id, issue.raw) == ("bill", "bill-03", broken)
        assert "total" in str(issue.error)
    with pytest.raises(DecodeFailed) as caught:
        await conn.bills.get("bill-03", source="mirror")
    assert caught.value.record_id == "bill-03"
