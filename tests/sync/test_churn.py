"""Syncs while records are created, changed and deleted between page requests, on SQLite and PostgreSQL.

What must hold (whatever happens during the listing):

- after an initial sync and one incremental sync the mirror equals the provider — also when the
  initial sync was interrupted and resumed;
- a full re-sync tombstones only records the provider no longer has: product code is never told
  "deleted" about a live record, and ``get(source="mirror")`` never says "not found" for one;
- a row wrongly tombstoned by an earlier release's sweep comes back with the next live read.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import and_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from ua_ledgerly.emulator import create_emulator

from unified_accounting.decoding import RecordIssue
from unified_accounting.errors import DecodeFailed, NotFound, UnsupportedOperation
from unified_accounting.mirror.schema import mirror_records
from unified_accounting.provider import Page
from unified_accounting.sync import SyncOptions, SyncService
from unified_accounting.sync.checkpoint import read_state
from unified_accounting.sync.state import Phase

from .churn import UNLIMITED_EMULATOR, Meddler, Recorder, churn_client
from .ledgerly import connect, ledgerly_client, seed
from .providers import CASES, ProviderCase, mirror_summary

pytestmark = pytest.mark.anyio

RESOURCES = ("customer", "invoice", "payment")
#: Small pages, so that a few hundred invoices make many page boundaries (overlap: 10 records).
PAGE_SIZE = 40


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> ProviderCase:
    return CASES[request.param]


def seeded(case: ProviderCase, invoices: int = 300) -> Any:
    return case.seeded(invoices=invoices, **UNLIMITED_EMULATOR[case.name])


async def assert_mirror_matches(case: ProviderCase, app: Any, conn: Any) -> None:
    for resource in RESOURCES:
        assert await mirror_summary(conn, resource) == case.expected(app, resource), resource


async def assert_no_live_record_tombstoned(
    case: ProviderCase, app: Any, conn: Any, recorder: Recorder
) -> None:
    live = set(case.expected(app, "invoice"))
    assert not recorder.told_deleted() & live, "product code was told a live invoice was deleted"
    for record_id in live:
        try:
            await conn.invoices.get(record_id, source="mirror", include_deleted=True)
        except NotFound:
            continue  # created during the listing and not seen by it: the next sync brings it
        await conn.invoices.get(record_id, source="mirror")  # mirrored, and not as a tombstone


@pytest.mark.parametrize("prefetch", [1, 4], ids=["one-page-at-a-time", "speculative"])
async def test_initial_sync_then_incremental_equals_the_provider_despite_churn(
    case: ProviderCase, database_url: str, secret_key: str, prefetch: int
) -> None:
    app = seeded(case)
    recorder = Recorder()
    client, transport = churn_client(case, app, database_url, secret_key, plugins=(recorder,))
    async with client:
        conn = await case.connect(client, app)
        customer = next(iter(case.expected(app, "customer")))
        meddler = Meddler(case, app, conn, customer)
        await meddler.prepare(40)

        async def on_page(page: int) -> None:
            if page >= 2:
                # More deletions at once than pages overlap by, once: the gap must be noticed.
                await meddler.churn(deletions=12 if page == 3 else 2)

        transport.on_page = on_page
        service = SyncService(client, SyncOptions(page_size=PAGE_SIZE, prefetch=prefetch))
        report = await service.sync(conn)
        transport.on_page = None
        assert report.kind == "initial"
        assert meddler.deleted and meddler.changed and meddler.created
        await service.sync(conn)
        await assert_mirror_matches(case, app, conn)
        assert not recorder.told_deleted() & set(case.expected(app, "invoice"))
        if case.name == "xero":
            # Xero's page numbers cannot be checked for gaps: never requested ahead (pages
            # answered out of order would miss records pushed forward by a creation).
            assert transport.most_in_flight == 1
        elif prefetch > 1:
            assert transport.most_in_flight > 1  # QuickBooks' checked pages still are


async def test_resumed_initial_sync_then_incremental_equals_the_provider(
    database_url: str, secret_key: str
) -> None:
    case = CASES["quickbooks"]
    app = seeded(case)
    client, _ = churn_client(case, app, database_url, secret_key)

    class Crash(Exception):
        pass

    class CrashAfterThreeInvoicePages:
        """Stops the sync as a kill would: after a page and its checkpoint are committed."""

        pages = 0

        def started(self, key: Any, kind: str, state: Any) -> None: ...

        def page(self, resource: str, records: int, state: Any) -> None:
            if resource == "invoice":
                self.pages += 1
                if self.pages == 3:
                    raise Crash

        def rate_limited(self, waiting: bool) -> None: ...

        def finished(self, report: Any) -> None: ...

    async with client:
        conn = await case.connect(client, app)
        customer = next(iter(case.expected(app, "customer")))
        meddler = Meddler(case, app, conn, customer)
        await meddler.prepare(40)
        service = SyncService(client, SyncOptions(page_size=PAGE_SIZE, prefetch=1))
        with pytest.raises(Crash):
            await service.sync(conn, progress=CrashAfterThreeInvoicePages())
        state = await read_state(await client.database(), conn.key)
        assert state.phase is Phase.INITIAL and state.cursor("invoice") is not None
        # While nothing runs: invoices already mirrored are deleted (more than pages overlap by),
        # one is changed and one created.
        await meddler.churn(deletions=15)
        report = await service.sync(conn)
        assert report.kind == "initial"
        await service.sync(conn)
        await assert_mirror_matches(case, app, conn)


# Three syncs of a 120-invoice company under churn, paged by 40 (about 4 s of CPU on its own).
@pytest.mark.slow
async def test_full_resync_tombstones_only_what_the_provider_no_longer_has(
    database_url: str, secret_key: str
) -> None:
    case = CASES["quickbooks"]
    app = seeded(case)
    recorder = Recorder()
    client, transport = churn_client(case, app, database_url, secret_key, plugins=(recorder,))
    async with client:
        conn = await case.connect(client, app)
        customer = next(iter(case.expected(app, "customer")))
        meddler = Meddler(case, app, conn, customer)
        await meddler.prepare(40)
        service = SyncService(client, SyncOptions(page_size=PAGE_SIZE))
        await service.sync(conn)
        # Deleted while nothing watched: only a full listing can find these out.
        await meddler.delete(3)
        gone_before = list(meddler.deleted)

        async def on_page(page: int) -> None:
            if page >= 2:
                await meddler.churn(deletions=12 if page == 3 else 2)

        transport.on_page = on_page
        recorder.changes.clear()
        report = await service.sync(conn, full=True)
        transport.on_page = None
        assert report.kind == "initial"
        await assert_no_live_record_tombstoned(case, app, conn, recorder)
        for record_id in gone_before:  # tombstoned: QuickBooks answered that it no longer has them
            await conn.invoices.get(record_id, source="mirror", include_deleted=True)
            with pytest.raises(NotFound):
                await conn.invoices.get(record_id, source="mirror")
        assert set(gone_before) <= recorder.told_deleted()
        await service.sync(conn)
        await assert_mirror_matches(case, app, conn)
        await assert_no_live_record_tombstoned(case, app, conn, recorder)
        assert set(meddler.deleted) <= recorder.told_deleted()


async def test_rows_tombstoned_by_an_earlier_sweep_are_revived_by_a_live_read(
    database_url: str, secret_key: str
) -> None:
    case = CASES["quickbooks"]
    app = seeded(case, invoices=60)
    recorder = Recorder()
    client, _ = churn_client(case, app, database_url, secret_key, plugins=(recorder,))
    async with client:
        conn = await case.connect(client, app)
        service = SyncService(client, SyncOptions(page_size=PAGE_SIZE))
        await service.sync(conn)
        victims = sorted(case.expected(app, "invoice"), key=int)[:3]
        db = await client.database()

        async def sweep(c: AsyncConnection) -> None:  # what the sweep of earlier releases did to rows
            stored = mirror_records.c  # it had not seen
            await c.execute(
                update(mirror_records)
                .where(and_(stored.record_id.in_(victims), stored.resource == "invoice"))
                .values(deleted=True)
            )

        await db.transaction(sweep)
        for record_id in victims:
            with pytest.raises(NotFound):
                await conn.invoices.get(record_id, source="mirror")
        recorder.changes.clear()
        await service.sync(conn, full=True)
        for record_id in victims:
            assert (await conn.invoices.get(record_id, source="mirror")).id == record_id
        revived = {(c.record_id, c.operation.value) for c in recorder.changes}
        assert revived == {(record_id, "created") for record_id in victims}
        await assert_mirror_matches(case, app, conn)


async def test_records_unseen_are_kept_when_the_provider_cannot_be_asked(
    database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_emulator()
    emulator = app.state.emulator
    seed(emulator, customers=1, invoices=5)
    async with ledgerly_client(app, database_url, secret_key) as client:
        conn = await connect(client, emulator)
        service = SyncService(client)
        await service.sync(conn)
        vanished = next(iter(emulator.table("c-1", "invoices")))
        del emulator.table("c-1", "invoices")[vanished]

        async def cannot(*args: Any, **kwargs: Any) -> Page:
            raise UnsupportedOperation("ledgerly", "get", "invoice")

        monkeypatch.setattr(conn.provider, "get_many", cannot)
        report = await service.sync(conn, full=True)
        assert report.deleted == 0  # absence alone is no evidence
        assert (await conn.invoices.get(vanished, source="mirror")).id == vanished


async def test_a_record_the_provider_has_but_cannot_read_is_not_deleted(
    database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep's lookup finds the record but cannot decode it: it still exists, so no tombstone."""
    app = create_emulator()
    emulator = app.state.emulator
    seed(emulator, customers=1, invoices=5)
    async with ledgerly_client(app, database_url, secret_key) as client:
        conn = await connect(client, emulator)
        service = SyncService(client)
        await service.sync(conn)
        unreadable = next(iter(emulator.table("c-1", "invoices")))
        hidden = emulator.table("c-1", "invoices").pop(unreadable)  # the listing will not see it

        async def found_but_unreadable(session: Any, resource: str, record_ids: Any) -> Page:
            problem = DecodeFailed("odd payload", provider="ledgerly", raw=hidden)
            issues = [RecordIssue(resource, record_id, problem) for record_id in record_ids]
            return Page(items=[], issues=issues)

        monkeypatch.setattr(conn.provider, "get_many", found_but_unreadable)
        report = await service.sync(conn, full=True)
        assert report.deleted == 0
        assert (await conn.invoices.get(unreadable, source="mirror")).id == unreadable
