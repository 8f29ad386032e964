"""Reading an initial sync's pages in worker processes.

A sync fetches each page, decodes it into unified records, turns each record into its mirror row
(the record's JSON and its filter columns) and writes the rows. Decoding and building rows are
Python code, which holds the interpreter lock: on a page of 1,000 QuickBooks invoices they take
most of the 100 ms that QuickBooks' 10 requests a second leave per page, so a sync in one process
falls behind the rate limit however the rest overlaps. With ``SyncOptions.read_processes``, those
two steps run in worker processes: the sync's process fetches a page
(:meth:`~unified_accounting.Provider.list_page_unread`), sends its body and the provider's reader
to a worker, gets the page's writes back (text and plain values, cheap to pickle) and writes them.

Workers are started on first need and kept for the life of the process, shared by its syncs; they
are spawned, not forked (forking a process whose threads hold locks is unsafe). A worker imports
the library when it starts, which takes seconds on a small machine: until one has answered, pages
are read in the sync's own process, so no sync waits for workers to start.

Nothing is lost to a worker: a page whose reading failed there for any reason is read again in
this process (a record that really cannot be read then fails the same way it always did), and
workers that died (``BrokenProcessPool``) are replaced by reading in this process for the rest of
the process's life, with a warning. A reader whose data is out of date raises
:class:`~unified_accounting.StaleReader`, and the sync reads that page again with ``list_page``.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import gc
import logging
import multiprocessing
import os
import threading
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime

from ..decoding import RecordIssue
from ..mirror.records import MirrorWrite, record_write
from ..provider import PageReader, StaleReader, UnreadPage
from .collector import BULK_THRESHOLD

logger = logging.getLogger(__name__)


@dataclass
class PreparedPage:
    """A page read and turned into mirror writes, wherever that happened."""

    writes: list[MirrorWrite]
    issues: list[RecordIssue]
    #: Records the page held, read or not (what decides whether another page follows).
    held: int


#: Workers run at this lower priority (``nice``): importing the library as one starts takes a core
#: for seconds, which must not slow the sync's own process, nor anything else on the machine.
WORKER_NICENESS = 10


def prepare_page(
    reader: PageReader, body: object, resource: str, observed_at: datetime, keep_models: bool
) -> PreparedPage:
    """``body`` read by ``reader`` and each record turned into its mirror write (in a worker, the
    writes travel back without their models: see ``MirrorWrite.model``)."""
    records, issues = reader(body)
    writes = [record_write(resource, record, observed_at, keep_model=keep_models) for record in records]
    return PreparedPage(writes, issues, len(records) + len(issues))


def _in_worker(reader: PageReader, body: object, resource: str, observed_at: datetime) -> PreparedPage:
    _collect_for_bulk()
    return prepare_page(reader, body, resource, observed_at, keep_models=False)


_bulk = False


def _collect_for_bulk() -> None:
    # A worker does nothing but bulk decoding: what its imports made is never garbage, and young
    # passes every 700 allocations would walk the pages it is building (see .collector).
    global _bulk
    if not _bulk:
        _bulk = True
        gc.freeze()
        gc.set_threshold(BULK_THRESHOLD, *gc.get_threshold()[1:])


def _started() -> bool:
    _collect_for_bulk()
    return True  # sent once per worker: it answers when a worker has imported the library


class PageReaders:
    """Worker processes that read pages for syncs (see the module docstring). Most code uses the
    process's shared readers through :func:`page_readers`."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError(f"read_processes must be at least 1 to start workers, not {processes}")
        self.processes = processes
        spawn = multiprocessing.get_context("spawn")
        if hasattr(os, "nice"):
            # A builtin initializer: a worker lowers its priority before it imports anything.
            self._pool = concurrent.futures.ProcessPoolExecutor(
                processes, mp_context=spawn, initializer=os.nice, initargs=(WORKER_NICENESS,)
            )
        else:
            self._pool = concurrent.futures.ProcessPoolExecutor(processes, mp_context=spawn)
        # One start-up call per worker, so that every worker is importing from the start.
        self._started = [self._pool.submit(_started) for _ in range(processes)]
        self._broken = False
        self._warned: set[str] = set()

    @property
    def ready(self) -> bool:
        """Whether the workers have started and can take pages."""
        if self._broken or not all(started.done() for started in self._started):
            return False
        failed = next((f.exception() for f in self._started if f.exception() is not None), None)
        if failed is not None:  # e.g. a main module that starts a sync when a worker imports it
            self._broken = True
            self._warn("start", "page-reading workers could not start (%r): pages are read here", failed)
            return False
        return True

    async def prepare(self, unread: UnreadPage, resource: str) -> PreparedPage:
        """``unread`` read and turned into mirror writes: by a worker when they are ready, else here.
        Raises what reading the page here raises (``StaleReader`` included)."""
        observed_at = datetime.now(UTC)
        if self.ready:
            try:
                read = self._pool.submit(_in_worker, unread.reader, unread.body, resource, observed_at)
                return await asyncio.wrap_future(read)
            except StaleReader:
                raise
            except BrokenProcessPool as exc:
                self._broken = True
                self._warn("broken", "page-reading workers stopped (%s): pages are read in this process", exc)
            except Exception as exc:  # not lost: read again here, where a real failure shows as usual
                self._warn(type(exc).__name__, "a worker could not read a page (%r): read here instead", exc)
        # In a thread, not on the event loop: the interpreter lock changes hands every few ms, so
        # the loop keeps sending requests on time while the page is read (a page read on the loop
        # held it for ~100 ms, which made requests leave later than the rate limiter counted them).
        return await asyncio.to_thread(prepare_page, unread.reader, unread.body, resource, observed_at, True)

    def close(self) -> None:
        """Stop the workers (pages are then read in this process); waits for them to exit."""
        self._broken = True
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _warn(self, kind: str, message: str, *args: object) -> None:
        if kind not in self._warned:  # once per kind, not once per page
            self._warned.add(kind)
            logger.warning(message, *args)


def default_read_processes() -> int:
    """What ``ua sync`` uses: one worker on a machine with a core to spare, none on one core."""
    return 1 if (os.cpu_count() or 1) > 1 else 0


_shared: dict[int, PageReaders] = {}
_shared_lock = threading.Lock()


def page_readers(processes: int) -> PageReaders:
    """The process's readers with ``processes`` workers, started on first call and kept until
    :func:`close_page_readers` or the interpreter exits. An initial sync calls it as it starts
    listing: the next syncs of the process find the workers running."""
    with _shared_lock:
        readers = _shared.get(processes)
        if readers is None:
            readers = _shared[processes] = PageReaders(processes)
        return readers


def close_page_readers() -> None:
    """Stop every shared reader's workers (the next sync that wants them starts new ones)."""
    with _shared_lock:
        readers = list(_shared.values())
        _shared.clear()
    for each in readers:
        each.close()


atexit.register(close_page_readers)
