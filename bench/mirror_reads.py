"""Filtered, sorted pages of a mirror of 1M invoices: the library against the same query by hand.

Seeds a mirror with N QuickBooks invoices (default 1,000,000) once and keeps the database between
runs (``--rebuild`` makes it again). The records are real: QuickBooks query pages (variants of the
invoices the QuickBooks emulator seeds: lines, tax, addresses; each with its own id, number,
customer, dates, balance and version) read as the QuickBooks provider reads them (its codec, then
amounts at the currency's minor units) and turned into mirror rows by the mirror's own code
(``record_write`` and the upsert's row building), exactly as a sync stores them; about 1 % are
tombstones (deleted at QuickBooks), 1 % void. Only the insert differs: one
``executemany`` (SQLite) or ``COPY`` (PostgreSQL) into the mirror table with its indexes built
afterwards, instead of the sync's ordered upserts.

Then, for each filter and sort the catalog declares for invoices (``updated_since``,
``created_since``, ``customer_id``, ``status`` — one or several —, ``number``,
``issue_date_from``/``issue_date_to``; sorts ``updated_at``, ``issue_date``, ``number``, each
ascending and descending) and some combinations, it times pages 1 to 3 (the later ones from the
cursor of the one before):

* **library**: ``conn.invoices.list(source="mirror", page_size=100, cursor=..., **filters)``, one
  page, as the user gets it: validated ``Invoice`` models (the public API, its SQL, its driver);
* **by hand**: the query a developer would write against the same table and indexes — the same
  rows in the same order, keyset-paged — run on the bare driver (``sqlite3``, or psycopg in
  blocking mode), each row decoded with the same ``Invoice.model_validate_json`` (with the
  provider context, as a stored provider record must be read). That is the least work that
  produces the same objects: the baseline leaves out only the library's generality (any filter
  and sort of any resource, records without a value, cursors that say where they came from) and
  its async driver.

It prints the CPU time per page (``time.process_time()``: this process and its driver threads,
median of the rounds, both measured in turn in the same rounds) and the ratio library ÷ by hand,
checks that both give the same records in the same order on every page, and runs ``EXPLAIN QUERY
PLAN`` (SQLite) or ``EXPLAIN`` (PostgreSQL) on every statement the library ran. It exits non-zero
when a ratio is above 2, when the pages differ, or when a plan reads the company's invoices
without an index narrowing them to the filter or giving the sort's order (a table scan, or a sort
of every invoice of the company).

Run::

    uv run --group dev python bench/mirror_reads.py                      # SQLite, 1M invoices
    uv run --group dev python bench/mirror_reads.py --invoices 100000
    uv run --group dev python bench/mirror_reads.py --database-url postgresql://user@host/db
    uv run --group dev python bench/mirror_reads.py --rebuild            # seed the database again

The SQLite database is kept in ``--cache-dir`` (default: ``ua-bench`` in the system's temporary
directory), with the vault's secret key (``secret-key``), which a database made with it needs to
open again; a PostgreSQL database keeps the seeded rows (the bench's own connection key only) and
a marker table, ``bench_mirror_seed``. Seeding drops the mirror's indexes and builds them again
after the insert: give it a database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import operator
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.schema import CreateIndex

from unified_accounting import AsyncClient
from unified_accounting.client.async_client import AsyncConnection
from unified_accounting.connections import ConnectionKey
from unified_accounting.mirror import records as mirror_rows
from unified_accounting.mirror.schema import mirror_records
from unified_accounting.models import Invoice
from unified_accounting.models.context import PROVIDER_CONTEXT
from unified_accounting.models.money import quantized
from unified_accounting.storage import Database
from unified_accounting.storage.urls import sqlite_path

#: Library ÷ by hand, CPU per page.
TARGET_RATIO = 2.0
#: Bump when the seeded data changes: a cached database of another version is made again.
SEED_VERSION = 2
KEY = ConnectionKey("bench", "quickbooks", "9130")
CUSTOMERS = 5000
FIRST_DAY = date(2020, 1, 1)
DAYS = 6 * 365
TEMPLATES = 2000
#: The moment the data describes (the bench's "now"): filters on times are relative to it.
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SEED_TABLE = "bench_mirror_seed"


# ------------------------------------------------------------------------------------ seeding


def _templates() -> list[dict[str, Any]]:
    """Invoices as the QuickBooks emulator seeds them (lines, tax, addresses), as QuickBooks sends
    them (money as JSON numbers)."""
    from unified_accounting_quickbooks.emulator import create_emulator
    from unified_accounting_quickbooks.emulator.jsonutil import dumps

    emulator = create_emulator(seed=1, invoices=TEMPLATES, customers=300, payments=0).state.emulator
    return [json.loads(dumps(row)) for row in emulator.records("Invoice")]


def _variant(template: dict[str, Any], index: int, invoices: int, rng: random.Random) -> dict[str, Any]:
    """Invoice ``index`` of the company: its own id, number, customer, dates, version, balance."""
    data = dict(template)
    day = FIRST_DAY + timedelta(days=index * DAYS // invoices)
    created = datetime.combine(day, datetime.min.time(), UTC) + timedelta(seconds=rng.randrange(86400))
    updated = min(created + timedelta(seconds=rng.randrange(40 * 86400)), NOW - timedelta(seconds=1))
    customer = rng.randrange(1, CUSTOMERS + 1)
    total = data["TotalAmt"]
    roll = rng.random()
    if roll < 0.01:  # void: QuickBooks zeroes it and prepends "Voided" to its note
        data.update(TotalAmt=0, Balance=0, PrivateNote="Voided")
    elif roll < 0.55:
        data["Balance"] = 0  # paid
    elif roll < 0.65:
        data["Balance"] = round(total / 2, 2)  # partially paid
    else:
        data["Balance"] = total  # open
    data.update(
        Id=str(index + 1),
        SyncToken=str(rng.randrange(4)),
        DocNumber=f"INV-{index + 1:07d}",
        TxnDate=day.isoformat(),
        DueDate=(day + timedelta(days=30)).isoformat(),
        CustomerRef={"value": str(customer), "name": f"Customer {customer}"},
        MetaData={
            "CreateTime": created.isoformat().replace("+00:00", "Z"),
            "LastUpdatedTime": updated.isoformat().replace("+00:00", "Z"),
        },
    )
    return data


def _mirror_rows(db: Database, invoices: Sequence[Any], rng: random.Random) -> list[dict[str, Any]]:
    """The rows the mirror's upsert stores for ``invoices`` (as a first sync writes them), by column."""
    writes = []
    for invoice in invoices:
        write = mirror_rows.record_write("invoice", invoice, NOW)
        if rng.random() < 0.01:  # deleted at QuickBooks since: what a change feed's tombstone leaves
            write = dataclasses.replace(write, deleted=True, status="deleted")
        writes.append(write)
    statement = mirror_rows._driver_statement(db)
    by_name = dataclasses.replace(statement, names=None)  # the same rows, as dicts by column
    rows: list[dict[str, Any]] = by_name.parameters(KEY, writes, NOW)
    return rows


def _pages(invoices: int, page: int = 1000) -> Iterable[tuple[int, bytes]]:
    rng = random.Random(SEED_VERSION)
    templates = _templates()
    for start in range(0, invoices, page):
        rows = [
            _variant(templates[index % len(templates)], index, invoices, rng)
            for index in range(start, min(start + page, invoices))
        ]
        body = {"QueryResponse": {"Invoice": rows, "startPosition": start + 1, "maxResults": len(rows)}}
        yield start, json.dumps(body, separators=(",", ":")).encode()


async def seed(db: Database, invoices: int) -> float:
    """Fill the mirror with ``invoices`` invoices of :data:`KEY`; returns the seconds it took."""
    from unified_accounting_quickbooks.codec import QuickBooksCodec

    started = time.perf_counter()
    codec = QuickBooksCodec()
    columns = [column.name for column in mirror_records.columns]
    ordered = operator.itemgetter(*columns)
    indexes = list(mirror_records.indexes)
    rng = random.Random(SEED_VERSION + 1)
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        sqlite = db.dialect == "sqlite"
        if sqlite:
            # aiosqlite: the driver's own connection, used from this thread while nothing else runs.
            driver = driver._conn
            driver.execute("PRAGMA synchronous=OFF")
        else:
            driver = _psycopg_blocking(db)
        cursor = driver.cursor()
        cursor.execute(f"DROP TABLE IF EXISTS {SEED_TABLE}")
        mark = "?" if sqlite else "%s"
        cursor.execute(
            f"DELETE FROM ua_mirror_records WHERE consumer_id = {mark} AND provider = {mark} "
            f"AND company_id = {mark}",
            (KEY.consumer_id, KEY.provider, KEY.company_id),
        )
        for index in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {index.name}")
        if sqlite:
            cursor.execute("BEGIN")
        insert = "INSERT INTO ua_mirror_records ({}) VALUES ({})".format(
            ", ".join(columns), ", ".join("?" * len(columns))
        )
        for start, body in _pages(invoices):
            # What the provider's read path hands a sync: the codec's records, amounts at the
            # currency's minor units (Provider.read_page).
            page = [quantized(invoice) for invoice in codec.decode_list("invoice", body)]
            rows = _mirror_rows(db, page, rng)
            values = [ordered(row) for row in rows]
            if sqlite:
                cursor.executemany(insert, values)
            else:
                with cursor.copy(f"COPY ua_mirror_records ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            if start and start % 100_000 == 0:
                print(f"  {start:,} invoices seeded ({time.perf_counter() - started:.0f} s)", flush=True)
        if sqlite:
            cursor.execute("COMMIT")
        for index in indexes:
            cursor.execute(str(CreateIndex(index, if_not_exists=True).compile(dialect=db.engine.dialect)))
        cursor.execute(f"CREATE TABLE {SEED_TABLE} (invoices INTEGER, version INTEGER)")
        cursor.execute(
            f"INSERT INTO {SEED_TABLE} VALUES ({'?, ?' if sqlite else '%s, %s'})", (invoices, SEED_VERSION)
        )
        if sqlite:
            driver.execute("PRAGMA synchronous=NORMAL")
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("ANALYZE ua_mirror_records")
            driver.commit()
            driver.close()
    return time.perf_counter() - started


def _psycopg_blocking(db: Database) -> Any:
    import psycopg

    url = db.engine.url.set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False))


async def seeded(db: Database) -> int | None:
    """The invoices seeded in ``db`` by this version of the bench, if it was seeded to the end."""
    try:
        async with db.engine.connect() as conn:
            row = (await conn.exec_driver_sql(f"SELECT invoices, version FROM {SEED_TABLE}")).first()
    except Exception:
        return None
    return int(row[0]) if row is not None and row[1] == SEED_VERSION else None


# ------------------------------------------------------------------------------ the queries


@dataclass(frozen=True)
class Case:
    """One list: its filters and sort, and the query by hand that gives the same rows."""

    name: str
    filters: dict[str, Any] = field(default_factory=dict)
    sort: str | None = None


def cases(sample: dict[str, Any]) -> list[Case]:
    customer, number = sample["customer_id"], sample["number"]
    recent = NOW - timedelta(days=30)
    month = (date(2023, 3, 1), date(2023, 3, 31))
    return [
        Case("every invoice, by id"),
        Case("every invoice, -updated_at", sort="-updated_at"),
        Case("every invoice, updated_at", sort="updated_at"),
        Case("every invoice, issue_date", sort="issue_date"),
        Case("every invoice, -issue_date", sort="-issue_date"),
        Case("every invoice, number", sort="number"),
        Case("every invoice, -number", sort="-number"),
        Case("updated_since 30 days, by id", {"updated_since": recent}),
        Case("updated_since 30 days, updated_at", {"updated_since": recent}, "updated_at"),
        Case("created_since 30 days, -issue_date", {"created_since": recent}, "-issue_date"),
        Case("customer_id, by id", {"customer_id": customer}),
        Case("customer_id, -issue_date", {"customer_id": customer}, "-issue_date"),
        Case(
            "customer_id + open/partially_paid, -issue_date",
            {"customer_id": customer, "status": ["open", "partially_paid"]},
            "-issue_date",
        ),
        Case("status open, by id", {"status": "open"}),
        Case("status open, -issue_date", {"status": "open"}, "-issue_date"),
        Case("status open/partially_paid, issue_date", {"status": ["open", "partially_paid"]}, "issue_date"),
        Case("status void, number", {"status": "void"}, "number"),
        Case("number", {"number": number}),
        Case("issue_date one month, by id", {"issue_date_from": month[0], "issue_date_to": month[1]}),
        Case(
            "issue_date one month, issue_date",
            {"issue_date_from": month[0], "issue_date_to": month[1]},
            "issue_date",
        ),
        Case("issue_date_from 2025-07-01, -issue_date", {"issue_date_from": date(2025, 7, 1)}, "-issue_date"),
        Case("issue_date_to 2020-06-30, -number", {"issue_date_to": date(2020, 6, 30)}, "-number"),
    ]


def _sort_column(sort: str | None) -> tuple[str, bool]:
    if sort is None:
        return "record_id", False
    return sort.lstrip("-"), sort.startswith("-")


class ByHand:
    """The query a developer writes for a case, on the bare driver, and its decoding."""

    def __init__(self, db: Database, page_size: int) -> None:
        self.sqlite = db.dialect == "sqlite"
        self.page_size = page_size
        if self.sqlite:
            path = sqlite_path(db.engine.url.render_as_string(hide_password=False).replace("+aiosqlite", ""))
            self.connection: Any = sqlite3.connect(str(path), isolation_level=None)
        else:
            self.connection = _psycopg_blocking(db)
            self.connection.autocommit = True
        self.context = dict(PROVIDER_CONTEXT)

    def close(self) -> None:
        self.connection.close()

    def _value(self, value: Any) -> Any:
        if not self.sqlite:
            return value
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        return value

    def sql(self, case: Case, after: tuple[Any, str] | None) -> tuple[str, dict[str, Any]]:
        where = [
            "consumer_id = :consumer_id",
            "provider = :provider",
            "company_id = :company_id",
            "resource = 'invoice'",
        ]
        params: dict[str, Any] = {
            "consumer_id": KEY.consumer_id,
            "provider": KEY.provider,
            "company_id": KEY.company_id,
        }
        statuses = case.filters.get("status")
        statuses = [statuses] if isinstance(statuses, str) else statuses
        if statuses == ["void"]:
            where.append("status = 'void'")  # void invoices are tombstones: no "deleted" test
        else:
            where.append("deleted = :deleted")
            params["deleted"] = False
            if statuses:
                where.append(f"status IN ({', '.join(repr(s) for s in statuses)})")
        tests = {
            "updated_since": "updated_at > :{}",
            "created_since": "created_at > :{}",
            "customer_id": "customer_id = :{}",
            "number": "number = :{}",
            "issue_date_from": "issue_date >= :{}",
            "issue_date_to": "issue_date <= :{}",
        }
        for name, value in case.filters.items():
            if name != "status":
                where.append(tests[name].format(name))
                params[name] = self._value(value)
        column, descending = _sort_column(case.sort)
        if after is not None:
            params["after_value"], params["after_id"] = after
            if column == "record_id":
                where.append("record_id > :after_id")
            elif descending:
                where.append(
                    f"{column} <= :after_value AND ({column} < :after_value OR record_id > :after_id)"
                )
            else:
                where.append(f"({column}, record_id) > (:after_value, :after_id)")
        order = (
            "record_id" if column == "record_id" else f"{column} {'DESC' if descending else 'ASC'}, record_id"
        )
        sql = (
            f"SELECT record_id, record, {column} FROM ua_mirror_records WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT {self.page_size}"
        )
        if not self.sqlite:
            sql = re.sub(r":(\w+)", r"%(\1)s", sql)
        return sql, params

    def page(self, case: Case, after: tuple[Any, str] | None) -> tuple[list[Invoice], tuple[Any, str] | None]:
        sql, params = self.sql(case, after)
        rows = self.connection.execute(sql, params).fetchall()
        validate, context = Invoice.model_validate_json, self.context
        items = [validate(row[1], context=context) for row in rows]
        last = (rows[-1][2], rows[-1][0]) if len(rows) == self.page_size else None
        return items, last


class Library:
    """``conn.invoices.list(source="mirror", ...)``, one page at a time, and the SQL it runs."""

    def __init__(self, conn: AsyncConnection, db: Database, page_size: int) -> None:
        self.conn, self.page_size = conn, page_size
        self.statements: list[tuple[str, Any]] | None = None

        def record(statement: str, parameters: Any) -> None:
            if self.statements is not None:
                self.statements.append((statement, parameters))

        db.trace(record)

    async def page(self, case: Case, cursor: str | None) -> tuple[list[Invoice], str | None]:
        pager = self.conn.invoices.list(
            source="mirror", page_size=self.page_size, cursor=cursor, sort=case.sort, **case.filters
        )
        page = await anext(aiter(pager.pages()))
        return page.items, page.next_cursor


KEY_COLUMNS = ("consumer_id", "provider", "company_id", "resource")


#: Filters that keep a few records of a large company: a plan must read their index range.
NARROW = {"customer_id": "customer_id", "number": "number"}


def _mentioned(condition: str) -> set[str]:
    return set(re.findall(r"\b([a-z_]+)\b", condition)) & {c.name for c in mirror_records.columns}


def sqlite_problems(plan: list[str], case: Case) -> list[str]:
    """What is wrong with a SQLite plan of a mirror list (see the module docstring)."""
    problems = [f"table scan: {line}" for line in plan if line.startswith("SCAN ua_mirror_records")]
    searched = " ".join(
        line.split("(", 1)[-1] for line in plan if line.startswith("SEARCH ua_mirror_records")
    )
    bounded = _mentioned(searched) - set(KEY_COLUMNS)
    if "USE TEMP B-TREE FOR ORDER BY" in plan and not bounded:
        problems.append("sorts every invoice of the company: " + " / ".join(plan))
    # The records without the sort's value (a range of the sort's index that holds none here).
    unvalued = case.sort is not None and f"{_sort_column(case.sort)[0]}=?" in searched
    for name, column in NARROW.items():
        if name in case.filters and column not in bounded and not unvalued:
            problems.append(f"reads the company's invoices for one {name}: " + " / ".join(plan))
    return problems


def postgres_problems(plan: dict[str, Any], case: Case) -> list[str]:
    """What is wrong with a PostgreSQL plan (``EXPLAIN (FORMAT JSON)``) of a mirror list."""
    problems: list[str] = []
    nodes: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        nodes.append(node)
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan)
    for node in nodes:
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "ua_mirror_records":
            problems.append("table scan (Seq Scan)")
    conditions = " ".join(
        str(node.get("Index Cond", "")) + str(node.get("Recheck Cond", "")) for node in nodes
    )
    bounded = _mentioned(conditions) - set(KEY_COLUMNS)
    if any(node["Node Type"] == "Sort" for node in nodes) and not bounded:
        problems.append("sorts every invoice of the company")
    unvalued = "IS NULL" in conditions  # the records without the sort's value: an empty range here
    for name, column in NARROW.items():
        if name in case.filters and column not in bounded and not unvalued:
            problems.append(f"reads the company's invoices for one {name}")
    return problems


async def explain(db: Database, statements: list[tuple[str, Any]], case: Case) -> list[str]:
    problems: list[str] = []
    async with db.engine.connect() as conn:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT") or "ua_mirror_records" not in statement:
                continue
            if "sqlite_stat1" in statement or "max(rowid)" in statement:
                continue  # the statistics' check (unified_accounting.mirror.statistics)
            if db.dialect == "sqlite":
                rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
                plan = [str(row[3]) for row in rows]
                problems += sqlite_problems(plan, case)
            else:
                rows = (await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)).all()
                data = rows[0][0]
                data = json.loads(data) if isinstance(data, str) else data
                problems += postgres_problems(data[0]["Plan"], case)
    return problems


# ------------------------------------------------------------------------------------ timing


@dataclass
class Result:
    case: Case
    library: float
    by_hand: float
    rows: int
    same: bool
    problems: list[str]

    @property
    def ratio(self) -> float:
        return self.library / self.by_hand


async def measure(
    case: Case, library: Library, by_hand: ByHand, db: Database, pages: int, rounds: int
) -> Result:
    # One pass each to find the pages' cursors, the rows, and the library's SQL.
    library.statements = []
    cursors: list[str | None] = [None]
    library_pages = []
    for _ in range(pages):
        items, next_cursor = await library.page(case, cursors[-1])
        library_pages.append(items)
        if next_cursor is None:
            break
        cursors.append(next_cursor)
    statements, library.statements = library.statements, None
    afters: list[tuple[Any, str] | None] = [None]
    hand_pages = []
    for _ in range(len(library_pages)):
        items, after = by_hand.page(case, afters[-1])
        hand_pages.append(items)
        if after is None:
            break
        afters.append(after)
    same = library_pages == hand_pages
    library_times: list[float] = []
    hand_times: list[float] = []
    count = len(library_pages)
    for _ in range(rounds):
        started = time.process_time()
        for cursor in cursors[:count]:
            await library.page(case, cursor)
        library_times.append((time.process_time() - started) / count)
        started = time.process_time()
        for after in afters[:count]:
            by_hand.page(case, after)
        hand_times.append((time.process_time() - started) / count)
    return Result(
        case,
        statistics.median(library_times),
        statistics.median(hand_times),
        sum(len(items) for items in library_pages),
        same,
        await explain(db, statements, case),
    )


async def sample_values(db: Database) -> dict[str, Any]:
    """A customer with a typical number of invoices, and an invoice number, to filter by."""
    async with db.engine.connect() as conn:
        row = (
            await conn.exec_driver_sql(
                "SELECT customer_id, number FROM ua_mirror_records WHERE record_id = '4242'"
            )
        ).first()
    assert row is not None, "the seeded mirror has no invoice 4242"
    return {"customer_id": row[0], "number": row[1]}


def load_average() -> str:
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def _database(args: argparse.Namespace) -> tuple[str, str]:
    """The database's URL and the vault's secret key (kept in the cache directory)."""
    from unified_accounting.vault.crypto import new_key

    directory = Path(args.cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    if args.database_url:
        url = args.database_url
    else:
        path = directory / f"mirror-reads-{args.invoices}-v{SEED_VERSION}.sqlite3"
        if args.rebuild:
            for stale in directory.glob(path.name + "*"):
                stale.unlink()
        url = f"sqlite:///{path}"
    # Kept for the next run: the vault of a database made with one key opens with that key only
    # (a PostgreSQL database keeps its seeded rows between runs too).
    key_file = directory / "secret-key"
    if key_file.exists():
        secret = key_file.read_text().strip()
    else:
        secret = new_key()
        key_file.write_text(secret)
    return url, secret


async def run(args: argparse.Namespace) -> int:
    url, secret = _database(args)
    client = AsyncClient(database_url=url, secret_key=secret, environ={}, rate_limits="off")
    try:
        db = await client.database()
        found = await seeded(db)
        if args.rebuild or found != args.invoices:
            print(f"seeding {args.invoices:,} invoices ({db.dialect}) ...", flush=True)
            seconds = await seed(db, args.invoices)
            print(f"seeded in {seconds:.0f} s", flush=True)
        conn = AsyncConnection(client, KEY)
        library = Library(conn, db, args.page_size)
        by_hand = ByHand(db, args.page_size)
        print(
            f"\n{args.invoices:,} invoices mirrored ({db.dialect}); pages of {args.page_size}, "
            f"pages 1-{args.pages} from cursors; CPU per page, median of {args.rounds} rounds; "
            f"load average {load_average()}\n"
        )
        header = f"{'case':<52} {'library':>9} {'by hand':>9} {'ratio':>7}  rows  plans"
        print(header)
        print("-" * len(header))
        results = []
        try:
            for case in cases(await sample_values(db)):
                if args.only and not re.search(args.only, case.name):
                    continue
                result = await measure(case, library, by_hand, db, args.pages, args.rounds)
                results.append(result)
                verdict = "✓" if result.ratio <= TARGET_RATIO else "✗"
                plans = "ok" if not result.problems else "; ".join(result.problems)
                same = "" if result.same else "  DIFFERENT ROWS"
                print(
                    f"{case.name:<52} {result.library * 1000:>7.2f}ms {result.by_hand * 1000:>7.2f}ms "
                    f"{result.ratio:>5.2f} {verdict} {result.rows:>5}  {plans}{same}",
                    flush=True,
                )
        finally:
            by_hand.close()
    finally:
        await client.aclose()
    worst = max(results, key=lambda r: r.ratio)
    print(f"\nworst ratio {worst.ratio:.2f} ({worst.case.name}); target ≤ {TARGET_RATIO}")
    print(f"load average {load_average()}")
    missed = [r for r in results if r.ratio > TARGET_RATIO or not r.same or r.problems]
    if missed:
        print(f"MISSED: {', '.join(r.case.name for r in missed)}")
    return 1 if missed and not args.no_check else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", help="a PostgreSQL database (default: a SQLite file in --cache-dir)"
    )
    parser.add_argument(
        "--cache-dir",
        default=os.environ.get("UA_BENCH_CACHE") or str(Path(tempfile.gettempdir()) / "ua-bench"),
        help="where the seeded SQLite database is kept between runs",
    )
    parser.add_argument("--rebuild", action="store_true", help="seed the database again")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--pages", type=int, default=3, help="pages timed per case (from cursors)")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--only", help="run the cases whose name matches this regular expression")
    parser.add_argument("--no-check", action="store_true", help="print the ratios, never fail")
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
