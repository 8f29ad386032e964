"""Initial and incremental sync of one connection into the mirror.

Initial sync lists every resource page by page. Pages are fetched ahead of the one being stored
(a bounded queue: memory stays constant whatever the company's size) and each page is stored in
one transaction together with the checkpoint that points past it. A sync killed at any moment
therefore restarts at the first page not stored: no gap, and no page applied twice. A listing by
position is checked for records skipped when deletions shift positions (see :mod:`.pages`). When
the last page of every resource is stored, records the listing did not see are looked up at the
provider (:meth:`~unified_accounting.provider.Provider.get_many`): those it no longer has are
tombstoned, the others brought back up to date. Nothing is tombstoned on absence alone. The
bookmark is then set to the run's start, so the next (incremental) run reads from the change feed
whatever was created, changed or deleted while the listing went on.

Incremental sync asks the provider for what changed since ``bookmark − overlap``: through its
change feed (``read_change_feed``: QuickBooks CDC, Xero ``If-Modified-Since``) while the bookmark is
within the provider's ``change_feed_window``, else by listing each resource with ``updated_since``.

Syncs are background work: their provider session waits rate limits out (``Retry-After``, then
backoff) for up to ``SyncOptions.rate_limit_patience`` per request instead of failing after the
client's few retries (see :mod:`unified_accounting.http.retry`). Every database write is a
transaction a cancellation cannot cut short (:meth:`unified_accounting.storage.Database.transaction`):
a cancelled sync leaves neither a transaction nor its lease behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..catalog import RESOURCES
from ..connections import ConnectionKey
from ..decoding import RecordIssue
from ..errors import UnsupportedOperation
from ..mirror import records
from ..mirror.records import AppliedWrite, MirrorWrite, change_feed_writes, record_write, tombstone_write
from ..provider import Operation, Page, Provider, ProviderSession, StaleReader
from ..storage.database import Database
from . import checkpoint
from .apply import Source, announce, apply_rows
from .outbound import OutboundWebhooks
from .pages import Anchor, ListedPage, NextCursorHint, Rewind, buffered, overlapping_pages
from .readers import page_readers
from .state import Phase, SyncState

if TYPE_CHECKING:
    from sqlalchemy import Connection as BlockingConnection

    from ..client.async_client import AsyncClient, AsyncConnection
    from ..client.session import HttpSession

logger = logging.getLogger(__name__)

#: Resources synced by default, in this order (customers before the invoices that name them):
#: those the catalog marks mirrored, dependencies first.
DEFAULT_RESOURCES = RESOURCES.mirrored()
#: Records not seen by a full listing, looked up at the provider per batch.
SWEEP_BATCH = 100


@dataclass(frozen=True)
class SyncOptions:
    """How syncs run. Every field has a sensible default."""

    #: Resources to mirror (default: every mirrored resource of the catalog the provider can list).
    resources: tuple[str, ...] | None = None
    #: Records per page asked of the provider (QuickBooks and Xero allow 1000).
    page_size: int = 1000
    #: Incremental reads start this long before the bookmark: protection against clock skew.
    overlap: timedelta = timedelta(minutes=5)
    #: Pages in flight or waiting ahead of the page being stored (see :mod:`.pages`): as many as
    #: QuickBooks lets run at once, so a request is always waiting when its rate limit lets one go
    #: (a decoded page of 1,000 invoices holds about 7 MB).
    prefetch: int = 10
    #: Notifications to the product's URL, if wanted.
    outbound: OutboundWebhooks | None = None
    #: How long webhook changes wait for a connection that cannot take them (needs its user, or
    #: keeps failing) before they are dropped; the reconciliation sync catches it up later.
    webhook_backlog_retention: timedelta = timedelta(days=30)
    #: How long a company's lease outlives a worker that died holding it (renewed every third).
    lease_ttl: timedelta = timedelta(seconds=30)
    #: Records each page of a listing by position re-reads from the page before, to prove that no
    #: record was skipped (at most a quarter of ``page_size``; 0 turns the check off).
    page_overlap: int = 20
    #: How long one request of a sync (or webhook job) may wait out rate limits, in all, before the
    #: run stops with ``RateLimited`` (it resumes from its checkpoint when run again).
    rate_limit_patience: timedelta = timedelta(minutes=15)
    #: Worker processes that decode an initial sync's pages and build their mirror rows while this
    #: process fetches and writes (see :mod:`.readers`; providers that offer
    #: ``Provider.list_page_unread``). 0 does everything in this process. ``ua sync`` uses 1 on a
    #: machine with more than one core: a sync in one process cannot keep up with QuickBooks' rate
    #: limit (``docs/performance.md``).
    read_processes: int = 0

    def __post_init__(self) -> None:
        if self.read_processes < 0:
            raise ValueError(
                f"read_processes is a number of worker processes (0 reads pages in this process), "
                f"not {self.read_processes}"
            )


@dataclass
class SyncReport:
    key: ConnectionKey
    kind: str
    pages: int = 0
    records: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    bookmark: datetime | None = None
    #: Records the provider returned that could not be read into the unified model: left out of the
    #: mirror (an earlier version stays as it was), logged, and listed here with their raw payload.
    issues: list[RecordIssue] = field(default_factory=list)

    def skipped(self, issues: list[RecordIssue]) -> None:
        for issue in issues:
            logger.warning("sync of %s left out a record: %s", self.key, issue)
        self.issues.extend(issues)

    def count(self, applied: list[AppliedWrite]) -> None:
        for change in applied:
            name = change.operation.value
            if name == "created":
                self.created += 1
            elif name == "deleted":
                self.deleted += 1
            else:
                self.updated += 1


class SyncProgress(Protocol):
    """What a progress display is told (the CLI's progress bar implements it)."""

    def started(self, key: ConnectionKey, kind: str, state: SyncState) -> None: ...

    def page(self, resource: str, records: int, state: SyncState) -> None: ...

    def rate_limited(self, waiting: bool) -> None: ...

    def finished(self, report: SyncReport) -> None: ...


class RateLimitMeter:
    """Tells whether requests are waiting for the provider's rate limiter, and for how long."""

    #: Only a wait longer than a blink is worth showing.
    SHOW_AFTER = 0.05

    def __init__(self, on_change: Callable[[bool], None] | None = None) -> None:
        self.waiting = 0
        self.total_wait = 0.0
        self._on_change = on_change
        self._shown = False

    def _show(self) -> None:
        if self.waiting and not self._shown and self._on_change is not None:
            self._shown = True
            self._on_change(True)

    @contextlib.asynccontextmanager
    async def timed(self, slot: contextlib.AbstractAsyncContextManager[None]) -> AsyncIterator[None]:
        started = time.perf_counter()
        self.waiting += 1
        timer = asyncio.get_running_loop().call_later(self.SHOW_AFTER, self._show)
        try:
            await slot.__aenter__()  # in this task: a cancellation cannot leak a held slot
        finally:
            timer.cancel()
            self.waiting -= 1
            self.total_wait += time.perf_counter() - started
            if self._shown and self.waiting == 0 and self._on_change is not None:
                self._shown = False
                self._on_change(False)
        try:
            yield
        except BaseException as exc:
            if not await slot.__aexit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            await slot.__aexit__(None, None, None)


class _MeteredProvider:
    """The connection's provider, with its rate-limit slot timed by a :class:`RateLimitMeter`."""

    def __init__(self, inner: Provider, meter: RateLimitMeter) -> None:
        self._inner = inner
        self._meter = meter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def request_slot(self, session: ProviderSession) -> contextlib.AbstractAsyncContextManager[None]:
        return self._meter.timed(self._inner.request_slot(session))


def background_session(connection: AsyncConnection, options: SyncOptions) -> HttpSession:
    """A session for background work: it waits rate limits out rather than fail (see the module
    docstring)."""
    return connection.session(include_raw=False, rate_limit_patience=options.rate_limit_patience)


def resources_for(provider: Provider, wanted: tuple[str, ...] | None) -> tuple[str, ...]:
    """The resources a sync of ``provider`` mirrors, in the catalog's order (dependencies first).
    An unknown name is a ``ConfigurationError``; one the provider cannot list, ``UnsupportedOperation``."""
    candidates = RESOURCES.in_order(wanted) if wanted else DEFAULT_RESOURCES
    chosen = tuple(r for r in candidates if provider.supports(r, Operation.LIST))
    if wanted:
        missing = [r for r in wanted if r not in chosen]
        if missing:
            raise UnsupportedOperation(provider.name, "list", ", ".join(missing))
    return chosen


class SyncEngine:
    """Runs syncs of connections of one client into the mirror (one run per call)."""

    def __init__(self, client: AsyncClient, options: SyncOptions | None = None) -> None:
        self.client = client
        self.options = options or SyncOptions()

    async def database(self) -> Database:
        return await self.client.database()

    async def sync(
        self,
        connection: AsyncConnection,
        *,
        full: bool = False,
        progress: SyncProgress | None = None,
    ) -> SyncReport:
        """Bring the connection's mirror up to date: initial sync when needed (or ``full``), else
        incremental. The caller holds the company lease (see :mod:`unified_accounting.sync.lease`)."""
        db = await self.database()
        key = connection.key
        resources = resources_for(connection.provider, self.options.resources)
        state = await checkpoint.read_state(db, key)
        meter = RateLimitMeter(progress.rate_limited if progress else None)
        session = background_session(connection, self.options)
        if progress is not None:  # only a display needs to know about rate-limit waits
            session.provider = _MeteredProvider(connection.provider, meter)  # type: ignore[assignment]
        # A long job starts with a token good for a while; the session refreshes again as needed.
        await connection.ensure_fresh()
        # A resource the last run did not mirror (added to the catalog or to the provider since,
        # or left out of a narrower run) has nothing to read changes from: list everything again.
        widened = not set(resources) <= set(state.resources)
        if full or state.needs_initial() or widened:
            return await self._initial(db, connection, session, state, resources, progress)
        return await self._incremental(db, connection, session, state, resources, progress)

    # ----------------------------------------------------------------------------------- initial

    async def _initial(
        self,
        db: Database,
        connection: AsyncConnection,
        session: ProviderSession,
        state: SyncState,
        resources: tuple[str, ...],
        progress: SyncProgress | None,
    ) -> SyncReport:
        key = connection.key
        state = state.start_initial(resources, datetime.now(UTC))
        await self._save(db, key, state)
        report = SyncReport(key, "initial", pages=state.pages, records=state.records)
        if progress:
            progress.started(key, "initial", state)
        unswept: set[str] = set()  # resources with an unreadable record of unknown id: not swept
        while (resource := state.next_resource()) is not None:
            if state.cursor(resource) is None and not await db.snapshot(
                functools.partial(records.holds_any, key=key, resource=resource)
            ):
                state = state.listing_fresh(resource)  # saved with its first page
            pages = self._pages(
                connection.provider, session, resource, state.cursor(resource), state.anchor(resource)
            )
            # Closed before the sync goes on or ends, cancelled or not: no fetch of it outlives the
            # sync (a fetch holds a rate-limit slot, which a shared limiter records in the database).
            # Each page is written while the next one's rows are built (the write runs in the
            # database's writer thread): at most one write in flight, in page order.
            writing: asyncio.Future[list[AppliedWrite]] | None = None
            written: Callable[[list[AppliedWrite]], None] = _nothing
            try:
                async with contextlib.aclosing(pages):
                    async for listed in pages:
                        page = listed.page
                        now = datetime.now(UTC)
                        # A page read by worker processes holds its writes already (see _pages).
                        writes = [
                            item if type(item) is MirrorWrite else record_write(resource, item, now)
                            for item in page.items
                        ]
                        report.skipped(page.issues)
                        if any(issue.record_id is None for issue in page.issues):
                            unswept.add(resource)
                        # An unreadable record still exists at the provider: the sweep must not take
                        # it for deleted.
                        unreadable = [issue.record_id for issue in page.issues if issue.record_id is not None]
                        state = state.page_stored(resource, page.next_cursor, len(page.items), listed.anchor)
                        if writing is not None:
                            written(await asyncio.shield(writing))
                        writing = asyncio.ensure_future(
                            self._commit(db, key, writes, now, state, seen=(resource, unreadable))
                        )
                        written = functools.partial(
                            self._page_written, key, report, progress, resource, len(page.items), state
                        )
                if writing is not None:
                    done, writing = writing, None
                    written(await asyncio.shield(done))
            finally:
                if writing is not None:  # the sync failed or was cancelled: that write still ends,
                    applied = await _finished(writing)  # and what it stored is still announced
                    if applied is not None:
                        written(applied)
        assert state.signpost is not None
        for resource in resources:
            if resource in state.fresh:
                continue  # every row of it was written by this run: none is unseen
            if resource in unswept:
                logger.warning(
                    "%s: a %s record could not be read and named no id; records of %s the listing did "
                    "not see are kept until a full sync can read them all",
                    key,
                    resource,
                    resource,
                )
                continue
            swept = await self._sweep(db, connection.provider, session, key, resource, state.signpost)
            report.count(swept)
        state = state.finish()
        await self._save(db, key, state)
        report.bookmark = state.bookmark
        if progress:
            progress.finished(report)
        return report

    def _page_written(
        self,
        key: ConnectionKey,
        report: SyncReport,
        progress: SyncProgress | None,
        resource: str,
        records: int,
        state: SyncState,
        applied: list[AppliedWrite],
    ) -> None:
        self._announce(key, applied, "sync")
        report.pages, report.records = state.pages, state.records
        report.count(applied)
        if progress:
            progress.page(resource, records, state)

    def _rewind(self, provider: Provider, resource: str) -> Rewind | None:
        records = min(self.options.page_overlap, self.options.page_size // 4)
        if records < 1:
            return None

        def rewind(cursor: str) -> str | None:
            return provider.rewind_cursor(resource, cursor, records)

        return rewind

    def _pages(
        self,
        provider: Provider,
        session: ProviderSession,
        resource: str,
        cursor: str | None,
        anchor: Anchor | None,
    ) -> AsyncGenerator[ListedPage, None]:
        """Pages from ``cursor`` on, the next ones fetched while the current one is stored. With
        ``read_processes``, a page the provider can hand over unread is read by worker processes
        and holds its mirror writes instead of records (see :mod:`.readers`)."""
        size = self.options.page_size
        readers = page_readers(self.options.read_processes) if self.options.read_processes else None
        hint = NextCursorHint() if readers is not None else None

        def listed(page_cursor: str | None) -> Awaitable[Page]:
            return provider.list_page(
                session, resource, cursor=page_cursor, updated_since=None, page_size=size
            )

        async def read_by_workers(page_cursor: str | None) -> Page:
            assert readers is not None and hint is not None
            unread = await provider.list_page_unread(session, resource, cursor=page_cursor, page_size=size)
            if unread is None:
                return await listed(page_cursor)
            following = None if unread.held is None else unread.cursor_after(unread.held)
            if following is not None:
                hint.tell(following)  # the pages after it can be asked for while it is read
            try:
                prepared = await readers.prepare(unread, resource)
            except StaleReader:
                return await listed(page_cursor)  # read again here, where its data is refreshed
            return Page(prepared.writes, unread.cursor_after(prepared.held), prepared.issues)

        fetch: Callable[[str | None], Awaitable[Page]] = listed if readers is None else read_by_workers

        listing = overlapping_pages(
            fetch,
            cursor,
            anchor=anchor,
            rewind=self._rewind(provider, resource),
            ahead=self.options.prefetch,
            page_size=self.options.page_size,
            hint=hint,
        )
        return buffered(listing, size=2)

    async def _sweep(
        self,
        db: Database,
        provider: Provider,
        session: ProviderSession,
        key: ConnectionKey,
        resource: str,
        signpost: datetime,
    ) -> list[AppliedWrite]:
        """Records of ``resource`` the full listing did not see, looked up at the provider: those it
        no longer has are tombstoned, the others (skipped by the listing) written as they are now."""
        swept: list[AppliedWrite] = []
        after = ""
        while True:
            find = functools.partial(records.unseen, key=key, resource=resource, seen_before=signpost)
            batch = await db.snapshot(functools.partial(find, after=after, limit=SWEEP_BATCH))
            if not batch:
                return swept
            after = batch[-1].record_id
            wanted = {candidate.record_id: candidate for candidate in batch}
            try:
                found = await provider.get_many(session, resource, list(wanted))
            except UnsupportedOperation:
                logger.warning(
                    "%s cannot read %s records by id: %s records a full sync of %s did not see are "
                    "kept as they are (deletions are only learnt from its change feed)",
                    provider.name,
                    resource,
                    len(wanted),
                    key,
                )
                return swept
            observed = datetime.now(UTC)
            writes = [
                record_write(resource, record, observed) for record in found.items if str(record.id) in wanted
            ]
            # A record the provider has but could not be read is still there: not a deletion. An
            # unreadable one without an id could be any of them: then none is called deleted.
            unreadable = {issue.record_id for issue in found.issues}
            present = {write.record_id for write in writes} | {i for i in unreadable if i is not None}
            if None not in unreadable:
                writes += [
                    tombstone_write(resource, record_id, _deleted_at(candidate, observed))
                    for record_id, candidate in wanted.items()
                    if record_id not in present
                ]
            applied = await self._commit(db, key, writes, observed)
            self._announce(key, applied, "sync")
            swept += applied

    # ------------------------------------------------------------------------------ incremental

    async def _incremental(
        self,
        db: Database,
        connection: AsyncConnection,
        session: ProviderSession,
        state: SyncState,
        resources: tuple[str, ...],
        progress: SyncProgress | None,
    ) -> SyncReport:
        key = connection.key
        provider = connection.provider
        now = datetime.now(UTC)
        state = state.start_incremental(resources, now)
        since = state.changes_since(self.options.overlap)
        report = SyncReport(key, "incremental")
        if progress:
            progress.started(key, "incremental", state)
        window = provider.change_feed_window
        feed = None
        if window is None or now - since < window:
            with contextlib.suppress(UnsupportedOperation):
                feed = await provider.read_change_feed(session, resources, since)
        if feed is not None:
            report.skipped(feed.issues)
            observed = datetime.now(UTC)
            writes = change_feed_writes(feed, resources, observed)
            state = state.progressed(len(writes)).finish(feed.server_time)
            applied = await self._commit(db, key, writes, observed, state)
            self._announce(key, applied, "sync")
            report.pages, report.records = 1, len(writes)
            report.count(applied)
            if progress:
                progress.page(",".join(resources), len(writes), state)
        else:
            for resource in resources:
                async for page in self._listing_since(provider, session, resource, since):
                    report.skipped(page.issues)
                    observed = datetime.now(UTC)
                    writes = [record_write(resource, record, observed) for record in page.items]
                    applied = await self._commit(db, key, writes, observed)
                    self._announce(key, applied, "sync")
                    state = state.progressed(len(page.items))
                    report.pages, report.records = state.pages, state.records
                    report.count(applied)
                    if progress:
                        progress.page(resource, len(page.items), state)
            state = state.finish()
            await self._save(db, key, state)
        assert state.phase is Phase.IDLE
        report.bookmark = state.bookmark
        if progress:
            progress.finished(report)
        return report

    async def _listing_since(
        self, provider: Provider, session: ProviderSession, resource: str, since: datetime
    ) -> AsyncIterator[Page]:
        def fetch(cursor: str | None) -> Awaitable[Page]:
            return provider.list_page(
                session, resource, cursor=cursor, updated_since=since, page_size=self.options.page_size
            )

        rewind = self._rewind(provider, resource)
        async for listed in overlapping_pages(fetch, None, rewind=rewind, ahead=1):
            yield listed.page

    # ---------------------------------------------------------------------------------- helpers

    async def _commit(
        self,
        db: Database,
        key: ConnectionKey,
        writes: list[MirrorWrite],
        now: datetime,
        state: SyncState | None = None,
        *,
        seen: tuple[str, Sequence[str]] | None = None,
    ) -> list[AppliedWrite]:
        """Apply ``writes`` and save ``state`` (when given) in one transaction, which a cancellation
        of the sync lets finish (see :meth:`unified_accounting.storage.Database.write_blocking`:
        on SQLite the whole page is one hop to the writer thread). ``seen`` names records of a
        resource that were listed but could not be read: they are marked seen, content unchanged."""
        outbox = self.options.outbound

        def work(conn: BlockingConnection) -> list[AppliedWrite]:
            applied = (
                apply_rows(conn, db, key, writes, now=now, source="sync", outbox=outbox) if writes else []
            )
            if seen is not None:
                records.mark_seen(conn, key, seen[0], seen[1], now)
            if state is not None:
                checkpoint.save_state(conn, db, key, state)
            return applied

        return await db.write_blocking(work)

    async def _save(self, db: Database, key: ConnectionKey, state: SyncState) -> None:
        await self._commit(db, key, [], datetime.now(UTC), state)

    def _announce(self, key: ConnectionKey, applied: list[AppliedWrite], source: Source) -> None:
        if applied:
            announce(self.client.plugin_manager, key, applied, source)


T = TypeVar("T")


def _nothing(applied: list[AppliedWrite]) -> None:
    return None


async def _finished(write: asyncio.Future[T]) -> T | None:
    """Wait until ``write`` ended, however often this task is cancelled meanwhile (it runs on while
    the sync unwinds, and must not outlive it): its result, or ``None`` when it failed (what ended
    the sync is what the caller gets)."""
    while not write.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(write)
    if write.cancelled() or write.exception() is not None:
        return None
    return write.result()


def _deleted_at(candidate: records.Unseen, observed: datetime) -> datetime:
    """When a record the provider no longer has is stamped deleted: when that was observed — or
    just after its last known version, should the provider's clock run ahead of ours (a tombstone
    must order after the version it ends)."""
    if candidate.updated_at is not None and candidate.updated_at >= observed:
        return candidate.updated_at + timedelta(seconds=1)
    return observed
