"""Sync against the QuickBooks and Xero emulators, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from unified_accounting import RecordChange, hookimpl
from unified_accounting.sync import SyncService

from .providers import CASES, ProviderCase, mirror_summary

pytestmark = pytest.mark.anyio

RESOURCES = ("customer", "invoice", "payment")


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> ProviderCase:
    return CASES[request.param]


class Recorder:
    def __init__(self) -> None:
        self.changes: list[RecordChange] = []

    @hookimpl
    def ua_record_changed(self, change: RecordChange) -> None:
        self.changes.append(change)


async def assert_mirror_matches(case: ProviderCase, app: Any, conn: Any) -> None:
    for resource in RESOURCES:
        assert await mirror_summary(conn, resource) == case.expected(app, resource), resource


async def test_initial_and_incremental_sync(case: ProviderCase, database_url: str, secret_key: str) -> None:
    app = case.seeded(invoices=150)
    recorder = Recorder()
    async with case.client(app, database_url, secret_key, plugins=(recorder,)) as client:
        conn = await case.connect(client, app)
        service = SyncService(client)
        report = await service.sync(conn)
        assert report.kind == "initial" and report.created > 150
        await assert_mirror_matches(case, app, conn)

        customer_id = next(iter(case.expected(app, "customer")))
        doomed = await conn.invoices.create(case.harness.deletable_invoice(customer_id))
        changed = await case_invoice(conn, case, customer_id)
        case.harness.advance(app, 60)
        recorder.changes.clear()
        report = await service.sync(conn)
        assert report.kind == "incremental"
        assert {(c.record_id, c.operation.value) for c in recorder.changes} >= {
            (str(doomed.id), "created"),
            (str(changed.id), "created"),
        }

        case.harness.advance(app, 60)
        await conn.invoices.delete(str(doomed.id))
        await conn.invoices.update(str(changed.id), case.harness.invoice_changes())
        case.harness.advance(app, 60)
        recorder.changes.clear()
        await service.sync(conn)
        seen = {(c.record_id, c.operation.value, c.source) for c in recorder.changes}
        assert (str(doomed.id), "deleted", "sync") in seen
        assert (str(changed.id), "updated", "sync") in seen
        await assert_mirror_matches(case, app, conn)
        gone = await conn.invoices.get(str(doomed.id), source="mirror", include_deleted=True)
        assert gone.id == doomed.id


async def case_invoice(conn: Any, case: ProviderCase, customer_id: str) -> Any:
    return await conn.invoices.create(case.harness.invoice(customer_id))


class ExpireTokensAfterFirstPage:
    """A progress display that makes every access token expire once the first page is stored."""

    def __init__(self, case: ProviderCase, app: Any) -> None:
        self.case, self.app, self.pages = case, app, 0

    def started(self, key: Any, kind: str, state: Any) -> None:
        pass

    def page(self, resource: str, records: int, state: Any) -> None:
        self.pages += 1
        if self.pages == 1:
            self.case.emulator(self.app).expire_access_tokens()

    def rate_limited(self, waiting: bool) -> None:
        pass

    def finished(self, report: Any) -> None:
        pass


async def test_long_sync_refreshes_tokens(case: ProviderCase, database_url: str, secret_key: str) -> None:
    from unified_accounting.sync import SyncOptions

    app = case.seeded(invoices=60)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        before = case.emulator(app).refresh_count
        progress = ExpireTokensAfterFirstPage(case, app)
        await SyncService(client, SyncOptions(page_size=10, prefetch=1)).sync(conn, progress=progress)
        assert case.emulator(app).refresh_count > before
        await assert_mirror_matches(case, app, conn)


class Urls:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def ua_before_request(self, provider: str, company_id: str, request: Any) -> None:
        self.seen.append(str(request.url))


async def test_quickbooks_beyond_the_cdc_window_lists_by_last_updated_time(
    database_url: str, secret_key: str
) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from unified_accounting.sync import checkpoint

    case = CASES["quickbooks"]
    app = case.seeded(invoices=30)
    urls = Urls()
    async with case.client(app, database_url, secret_key, plugins=(urls,)) as client:
        conn = await case.connect(client, app)
        service = SyncService(client)
        await service.sync(conn)
        db = await client.database()
        # The last sync was 40 days ago: too old for CDC (30 days).
        state = await checkpoint.read_state(db, conn.key)
        old = replace(state, bookmark=datetime.now(UTC) - timedelta(days=40))
        await db.write_blocking(lambda c: checkpoint.save_state(c, db, conn.key, old))
        invoice_id = next(iter(case.expected(app, "invoice")))
        case.harness.advance(app, 60)
        await conn.invoices.update(invoice_id, case.harness.invoice_changes())
        urls.seen.clear()
        report = await service.sync(conn)
        assert report.kind == "incremental" and report.updated >= 1
        assert urls.seen and not any("/cdc" in url for url in urls.seen)
        await assert_mirror_matches(case, app, conn)
        # Back within the window, CDC is used.
        urls.seen.clear()
        await service.sync(conn)
        assert any("/cdc" in url for url in urls.seen)


async def test_beyond_the_providers_change_feed_window_a_sync_lists_instead(
    case: ProviderCase, database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """How far back a change feed reaches is the provider's to say (``change_feed_window``)."""
    from datetime import timedelta

    app = case.seeded(invoices=30)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        service = SyncService(client)
        await service.sync(conn)
        feed_reads: list[Any] = []
        read_change_feed = conn.provider.read_change_feed

        async def counted(*args: Any, **kwargs: Any) -> Any:
            feed_reads.append(args)
            return await read_change_feed(*args, **kwargs)

        monkeypatch.setattr(conn.provider, "read_change_feed", counted)
        monkeypatch.setattr(type(conn.provider), "change_feed_window", timedelta(0))
        case.harness.advance(app, 60)
        await case_invoice(conn, case, next(iter(case.expected(app, "customer"))))
        report = await service.sync(conn)
        assert report.kind == "incremental" and report.created >= 1
        assert feed_reads == []
        await assert_mirror_matches(case, app, conn)
        monkeypatch.setattr(type(conn.provider), "change_feed_window", timedelta(days=1))
        await service.sync(conn)
        assert len(feed_reads) == 1


def test_each_provider_says_how_far_back_its_change_feed_reaches() -> None:
    from datetime import timedelta

    from unified_accounting import get_provider

    # QuickBooks CDC looks back 30 days; the provider keeps an hour inside that.
    assert get_provider("quickbooks").change_feed_window == timedelta(days=30) - timedelta(hours=1)
    assert get_provider("xero").change_feed_window is None  # If-Modified-Since lists reach any date
