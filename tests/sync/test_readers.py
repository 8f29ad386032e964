"""An initial sync whose pages are read in worker processes (``SyncOptions.read_processes``): the
same mirror as reading them in the sync's process, hooks still given the records, and nothing lost
when a worker cannot read a page, its data is out of date, or the workers die."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from unified_accounting_quickbooks import provider as quickbooks_provider
from unified_accounting_quickbooks.codec import QuickBooksCodec
from unified_accounting_quickbooks.emulator import jsonutil
from unified_accounting_quickbooks.terms import TermBook

from unified_accounting import StaleReader, UnreadPage, hookimpl
from unified_accounting.mirror.records import AppliedWrite, MirrorWrite
from unified_accounting.models import ChangeOperation, Invoice
from unified_accounting.sync import SyncOptions, SyncService
from unified_accounting.sync import readers as readers_module
from unified_accounting.sync.readers import PageReaders, close_page_readers, page_readers, prepare_page

from .providers import CASES, mirror_summary

pytestmark = pytest.mark.anyio

PAGE_SIZE = 20
case = CASES["quickbooks"]


def _wait_until_ready(readers: PageReaders, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not readers.ready:
        assert time.monotonic() < deadline, "the page-reading worker did not start"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def workers() -> Iterator[PageReaders]:
    """The shared readers with one worker, started and ready (importing takes a few seconds)."""
    readers = page_readers(1)
    _wait_until_ready(readers)
    yield readers
    close_page_readers()


class LocalReads:
    """Counts the pages read in this process rather than by a worker."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pages = 0
        real = readers_module.prepare_page

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.pages += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(readers_module, "prepare_page", counted)


class Changes:
    def __init__(self) -> None:
        self.records: dict[str, Any] = {}

    @hookimpl
    def ua_record_changed(self, change: Any) -> None:
        self.records[change.record_id] = change.record


@pytest.mark.integration  # starts a worker process
async def test_pages_read_by_a_worker_mirror_what_reading_them_here_mirrors(
    database_url: str, secret_key: str, workers: PageReaders, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = case.seeded(invoices=130)
    changes = Changes()
    local = LocalReads(monkeypatch)
    async with case.client(app, database_url, secret_key, plugins=(changes,)) as client:
        conn = await case.connect(client, app)
        options = SyncOptions(page_size=PAGE_SIZE, resources=("customer", "invoice"), read_processes=1)
        report = await SyncService(client, options).sync(conn)
        assert local.pages == 0  # every page went to the worker
        assert report.records == case.listed_count(app, "customer") + case.listed_count(app, "invoice")
        for resource in ("customer", "invoice"):
            assert await mirror_summary(conn, resource) == case.expected(app, resource)
        # The same records, field for field, as a sync that reads its pages here.
        mirrored = await conn.resource("invoice", Invoice).list(source="mirror").to_list()
        # The same company synced by another consumer, its pages read in this process.
        again = await case.connect(client, app, consumer="another")
        options = SyncOptions(page_size=PAGE_SIZE, resources=("customer", "invoice"))
        await SyncService(client, options).sync(again)
        here = await again.resource("invoice", Invoice).list(source="mirror").to_list()
    assert [r.model_dump() for r in mirrored] == [r.model_dump() for r in here]
    assert any(r.terms is not None for r in mirrored)  # read through the company's term list
    # Hooks got every created record, decoded from what was stored (no model came back).
    assert {i: r.model_dump() for i, r in changes.records.items() if isinstance(r, Invoice)} == {
        str(r.id): r.model_dump() for r in mirrored
    }


@pytest.mark.integration  # starts a worker process
async def test_a_page_naming_a_term_the_workers_list_lacks_is_read_again_here(
    database_url: str, secret_key: str, workers: PageReaders, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = case.seeded(invoices=60)
    real = quickbooks_provider.QuickBooksProvider.list_page_unread
    unread_pages: list[str | None] = []
    listed: list[str | None] = []

    async def without_terms(self: Any, session: Any, resource: str, **kwargs: Any) -> UnreadPage | None:
        unread = await real(self, session, resource, **kwargs)
        if unread is None or resource != "invoice":
            return unread
        unread_pages.append(kwargs["cursor"])
        # A term list read before the company's terms were made: every term is missing.
        stale = functools.partial(quickbooks_provider.read_listing_page, QuickBooksCodec(), resource, False)
        return dataclasses.replace(unread, reader=functools.partial(stale, TermBook()))

    real_list_page = quickbooks_provider.QuickBooksProvider.list_page

    async def list_page(self: Any, session: Any, resource: str, **kwargs: Any) -> Any:
        listed.append(kwargs["cursor"])
        return await real_list_page(self, session, resource, **kwargs)

    monkeypatch.setattr(quickbooks_provider.QuickBooksProvider, "list_page_unread", without_terms)
    monkeypatch.setattr(quickbooks_provider.QuickBooksProvider, "list_page", list_page)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        options = SyncOptions(page_size=PAGE_SIZE, resources=("invoice",), read_processes=1)
        report = await SyncService(client, options).sync(conn)
        mirrored = await conn.resource("invoice", Invoice).list(source="mirror").to_list()
        assert await mirror_summary(conn, "invoice") == case.expected(app, "invoice")
    # Each page of the listing (pages guessed past its end were not needed) was asked for again
    # through list_page when the worker could not read it, and read with the company's terms.
    assert listed == unread_pages[: report.pages] and report.pages == 4
    named = [r.terms for r in mirrored if r.terms is not None]
    assert named and all(terms.name for terms in named)


class Unpicklable(bytes):
    """A body a worker cannot be sent (it does not pickle): read here instead."""

    def __reduce__(self) -> Any:
        raise TypeError("this body stays in its process")


@pytest.mark.integration  # starts a worker process
async def test_a_page_a_worker_cannot_read_is_read_here_and_said_once(
    database_url: str,
    secret_key: str,
    workers: PageReaders,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = case.seeded(invoices=70)
    real = quickbooks_provider.QuickBooksProvider.list_page_unread

    async def unpicklable(self: Any, session: Any, resource: str, **kwargs: Any) -> UnreadPage | None:
        unread = await real(self, session, resource, **kwargs)
        return None if unread is None else dataclasses.replace(unread, body=Unpicklable(unread.body))

    monkeypatch.setattr(quickbooks_provider.QuickBooksProvider, "list_page_unread", unpicklable)
    monkeypatch.setattr(workers, "_warned", set())  # said once per process: once per test here
    local = LocalReads(monkeypatch)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        options = SyncOptions(page_size=PAGE_SIZE, resources=("invoice",), read_processes=1)
        with caplog.at_level(logging.WARNING, logger=readers_module.__name__):
            await SyncService(client, options).sync(conn)
        assert await mirror_summary(conn, "invoice") == case.expected(app, "invoice")
    assert local.pages >= 70 // PAGE_SIZE
    warnings = [r.getMessage() for r in caplog.records if r.name == readers_module.__name__]
    assert len(warnings) == 1 and "could not read a page" in warnings[0] and "TypeError" in warnings[0]


@pytest.mark.integration  # starts a worker process
async def test_pages_are_read_here_when_the_workers_died(caplog: pytest.LogCaptureFixture) -> None:
    readers = PageReaders(1)
    try:
        await asyncio.to_thread(_wait_until_ready, readers)
        unread = UnreadPage(
            body=_quickbooks_body(3),
            reader=_reader(),
            next_cursor="4",
            last_unless=3,
        )
        first = await readers.prepare(unread, "invoice")
        assert [w.model for w in first.writes] == [None, None, None]  # read by the worker
        for pid in list(readers._pool._processes):  # type: ignore[union-attr]
            os.kill(pid, signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger=readers_module.__name__):
            after = await readers.prepare(unread, "invoice")
            again = await readers.prepare(unread, "invoice")
        assert not readers.ready
        # Read here, with the same rows, their models kept.
        assert [w.record for w in after.writes] == [w.record for w in first.writes]
        assert all(isinstance(w.model, Invoice) for w in again.writes)
        assert after.held == 3 and unread.cursor_after(after.held) == "4"
        warnings = [r.getMessage() for r in caplog.records if r.name == readers_module.__name__]
        assert len(warnings) == 1 and "stopped" in warnings[0]
    finally:
        readers.close()


def _reader() -> Any:
    """The reader of invoice pages of a company whose term list was not read."""
    return functools.partial(quickbooks_provider.read_listing_page, QuickBooksCodec(), "invoice", False, None)


def _quickbooks_body(count: int) -> bytes:
    """A QuickBooks query answer with ``count`` invoices, as the emulator serves them."""
    app = case.seeded(invoices=count, customers=2)
    rows = case.sales(app, "invoice")[:count]
    answer = {"QueryResponse": {"Invoice": rows, "startPosition": 1, "maxResults": count}}
    return jsonutil.dumps(answer).encode()


def test_prepare_page_turns_each_record_into_its_write_with_or_without_the_model() -> None:
    body = _quickbooks_body(2)
    reader = _reader()
    observed = datetime(2026, 1, 1, tzinfo=UTC)
    kept = prepare_page(reader, body, "invoice", observed, keep_models=True)
    bare = prepare_page(reader, body, "invoice", observed, keep_models=False)
    assert [type(w) for w in kept.writes] == [MirrorWrite, MirrorWrite] and kept.held == 2
    assert [w.model for w in bare.writes] == [None, None]
    assert [w.id for w in bare.writes] == [w.record_id for w in kept.writes]
    assert [dataclasses.replace(w, model=None) for w in kept.writes] == bare.writes


def test_an_applied_write_decodes_its_stored_record_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    body = _quickbooks_body(1)
    reader = _reader()
    write = prepare_page(reader, body, "invoice", datetime.now(UTC), keep_models=False).writes[0]
    decoded: list[str] = []
    real = readers_module.record_write.__globals__["decode"]

    def counting(resource: str, text: str, model: Any = None) -> Any:
        decoded.append(resource)
        return real(resource, text, model)

    from unified_accounting.mirror import records

    monkeypatch.setattr(records, "decode", counting)
    applied = AppliedWrite("invoice", write.record_id, ChangeOperation.CREATED, written=write.record)
    assert decoded == []
    assert isinstance(applied.record, Invoice) and str(applied.record.id) == write.record_id
    assert applied.record is applied.record and decoded == ["invoice"]  # decoded once


def test_unread_pages_name_the_next_cursor_only_after_a_full_page() -> None:
    unread = UnreadPage(body=b"", reader=len, next_cursor="1001", last_unless=1000)  # type: ignore[arg-type]
    assert unread.cursor_after(1000) == "1001"
    assert unread.cursor_after(999) is None
    assert UnreadPage(body=b"", reader=len, next_cursor="2").cursor_after(0) == "2"  # type: ignore[arg-type]


def test_read_processes_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="read_processes is a number of worker processes"):
        SyncOptions(read_processes=-1)
    with pytest.raises(ValueError, match="at least 1"):
        PageReaders(0)


def test_the_listing_page_reader_refuses_a_page_naming_a_term_it_lacks() -> None:
    body = _quickbooks_body(3)
    codec = QuickBooksCodec()
    with pytest.raises(StaleReader, match="term '3'"):
        quickbooks_provider.read_listing_page(codec, "invoice", False, TermBook(), body)
    records, issues = quickbooks_provider.read_listing_page(codec, "invoice", False, None, body)
    assert len(records) == 3 and issues == []


def test_pages_of_several_queries_or_of_credits_with_their_uses_are_not_handed_over_unread() -> None:
    provider = quickbooks_provider.QuickBooksProvider()
    session: Any = object()
    for resource in ("tax_rate", "tracking_category", "credit_note"):
        page = asyncio.run(provider.list_page_unread(session, resource, cursor=None, page_size=10))
        assert page is None, resource


@pytest.mark.integration  # starts a worker process
def test_pages_are_read_here_when_the_workers_cannot_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # What a worker is first sent cannot reach it (as when a script without the main-module guard
    # starts a sync again in the worker that imports it): the pages stay with the sync.
    monkeypatch.setattr(readers_module, "_started", lambda: True)
    readers = PageReaders(1)
    try:
        deadline = time.monotonic() + 60
        while not all(started.done() for started in readers._started):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with caplog.at_level(logging.WARNING, logger=readers_module.__name__):
            assert not readers.ready and not readers.ready
        warnings = [r.getMessage() for r in caplog.records if r.name == readers_module.__name__]
        assert len(warnings) == 1 and "could not start" in warnings[0]
        unread = UnreadPage(body=_quickbooks_body(2), reader=_reader(), next_cursor=None)
        prepared = asyncio.run(readers.prepare(unread, "invoice"))
        assert [type(w.model) for w in prepared.writes] == [Invoice, Invoice]  # read here
    finally:
        readers.close()
