"""Streaming a provider's pages in order, fetching the next ones while the current one is stored,
and proving that a listing by position skipped nothing.

Cursors are opaque, so in general page *n + 1* can only be asked for once page *n* named it. Many
providers' cursors are in fact positions (QuickBooks' ``STARTPOSITION``, Xero's page number): when
the cursors seen so far are integers in an arithmetic progression, the next pages are requested
*speculatively*, several at once, at the positions the progression predicts. Speculation never
changes what is stored: every page is checked, in order, against the cursor its predecessor
actually returned; at the first mismatch the speculative pages are dropped and paging goes on
from the returned cursor, one page at a time, as the contract says. Opaque cursors are simply
followed. At most ``ahead`` pages are in flight or waiting, so memory stays bounded.

Positions shift. A record deleted after its page was read moves every later record one position
back, so the record that was first on the next page is now last on the page already read: a
listing by position silently skips it (and a full sync would then take it for deleted). When the
provider can say where a position cursor points a few records earlier (``Provider.rewind_cursor``),
:func:`overlapping_pages` reads every page from that earlier position and requires it to share at
least one record with the page before. Why that is proof enough: the pages are ordered by a key
that never changes (QuickBooks' ``Id``), so two pages that share a record ``x`` cover, between them,
every record from the first page's first to the second page's last that existed at both reads —
those ordered before ``x`` were in the first page, those after it in the second. Whether the
provider compares ids as numbers or as text does not matter, only that the order is fixed. A page
that shares nothing may have missed records: the page before is read again (at its own position,
which now overlaps it unless a whole page was deleted meanwhile), or the listing starts over.
Records already in the page before are dropped, so each record is handed over once. Records
created during the listing are not promised: the sync reads them from the change feed afterwards.

Speculation needs that check. Pages requested together can be answered in any order, and a
record created meanwhile moves later records one position *forward*: if page *n + 1* was read
before the creation and page *n* after it, the records pushed from the end of *n* to the start of
*n + 1* are in neither. A listing whose pages cannot be checked (page numbers, opaque cursors) is
therefore read one page after the other — the next page is still fetched while the current one is
stored — and then a shift forward only repeats a record, never skips one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import UnifiedAccountingError
from ..provider import Page

Fetch = Callable[[str | None], Awaitable[Page]]
#: A cursor moved a given number of records earlier, or ``None`` when it is not a position.
Rewind = Callable[[str], str | None]
T = TypeVar("T")

#: Pages re-read in a row, without getting past the point where they began, before giving up.
MAX_REREADS = 8


def _integer(cursor: str | None) -> int | None:
    if cursor is None or not cursor.isdigit():
        return None
    return int(cursor)


class NextCursorHint:
    """A page's next cursor, told by its fetch before the page is read: a fetch that knows its page
    is full (QuickBooks says how many records an answer holds) tells it, and the pages after the
    first are asked for while the first is still being read. Only a hint: the page's own next
    cursor is what counts, and a wrong hint costs only the pages guessed from it.

    It is heard only while :func:`stream_pages` waits for a page with nothing else in flight, so
    the one fetch running then is the one telling.
    """

    def __init__(self) -> None:
        self._waiting: asyncio.Future[str] | None = None

    def tell(self, following: str) -> None:
        """The page being fetched will name ``following`` as its next cursor."""
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_result(following)

    async def wait(self, page: asyncio.Future[Page]) -> str | None:
        """What the fetch of ``page`` tells, as soon as it does; ``None`` if ``page`` ends first."""
        told: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting = told
        try:
            either: set[asyncio.Future[Any]] = {told, page}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._waiting = None
        if told.done():
            return told.result()
        told.cancel()
        return None


async def stream_pages(
    fetch: Fetch,
    cursor: str | None,
    *,
    ahead: int = 4,
    may_guess: Callable[[str], bool] | None = None,
    first_step: Callable[[str], int | None] | None = None,
    hint: NextCursorHint | None = None,
) -> AsyncGenerator[Page, None]:
    """Every page from ``cursor`` on, in order; pages are requested ahead only at cursors
    ``may_guess`` accepts (all, without it). A listing from the start has one integer cursor after
    its first page, too few for a progression: ``first_step(cursor)`` may say the step to guess
    with then (checked like every guess). With ``hint``, guesses may leave before the page they
    follow is read (see :class:`NextCursorHint`)."""
    in_flight: deque[tuple[str, asyncio.Task[Page]]] = deque()

    def progression(previous: str | None, current: str | None, following: str | None) -> int | None:
        step = _step(previous, current, following)
        if step is None and current is None and following is not None and first_step is not None:
            step = first_step(following)
        return step

    def guess(following: str, step: int, room: int) -> None:
        last = int(in_flight[-1][0]) if in_flight else int(following) - step
        while len(in_flight) < room:
            last += step
            guessed = str(last)
            if may_guess is not None and not may_guess(guessed):
                break
            in_flight.append((guessed, asyncio.ensure_future(fetch(guessed))))

    try:
        previous: str | None = None
        current = cursor
        while True:
            if in_flight:
                expected, task = in_flight.popleft()
                assert expected == current
                page = await task
            else:
                task = asyncio.ensure_future(fetch(current))
                try:
                    told = await hint.wait(task) if hint is not None and ahead > 1 else None
                    step = progression(previous, current, told)
                    if told is not None and step is not None and step > 0:
                        guess(told, step, ahead - 1)  # this page is one of the ``ahead``
                    page = await task
                except BaseException:
                    task.cancel()
                    raise
            following = page.next_cursor
            step = progression(previous, current, following)
            if in_flight and (step is None or following != in_flight[0][0]):
                # The provider did not go where the progression said: drop the guesses.
                await _cancel(in_flight)
            if following is not None and step is not None and step > 0 and ahead > 1:
                # Requested before the page is handed over: they travel while it is stored.
                guess(following, step, ahead)
            yield page
            if following is None:
                return
            previous, current = current, following
    finally:
        await _cancel(in_flight)


def _first_step(following: str, rewound: str | None, page_size: int | None) -> int | None:
    """The step between the cursors of full pages, guessed from the first page's next cursor when
    the cursors look like positions counted in records: rewinding one by ``n`` records moved it by
    ``n`` (QuickBooks' ``STARTPOSITION``). A full page read from ``rewound`` then ends ``page_size``
    records on. A wrong guess (a provider that caps pages smaller) costs only the pages guessed."""
    if page_size is None or rewound is None or not (following.isdigit() and rewound.isdigit()):
        return None
    step = page_size - (int(following) - int(rewound))
    return step if step > 0 else None


def _step(previous: str | None, current: str | None, following: str | None) -> int | None:
    """The progression's step, when the last three cursors are integers evenly spaced."""
    before, now, after = _integer(previous), _integer(current), _integer(following)
    if now is None or after is None:
        return None
    if before is None:
        # Only two integer cursors so far (the first page has none): trust the step once proven.
        return None if previous is not None or current is None else after - now
    return after - now if after - now == now - before else None


async def _cancel(tasks: deque[tuple[str, asyncio.Task[Page]]]) -> None:
    for _, task in tasks:
        task.cancel()
    for _, task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    tasks.clear()


async def buffered(pages: AsyncIterator[T], size: int) -> AsyncGenerator[T, None]:
    """``pages`` consumed by a task of its own into a queue of ``size``: fetching goes on while the
    consumer is busy storing (an async generator only advances when asked)."""
    queue: asyncio.Queue[T | BaseException | None] = asyncio.Queue(maxsize=max(1, size))

    async def produce() -> None:
        try:
            async for page in pages:
                await queue.put(page)
        except Exception as exc:  # handed to the consumer, which raises it
            await queue.put(exc)
            return
        await queue.put(None)

    producer = asyncio.create_task(produce())
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer
        aclose = getattr(pages, "aclose", None)
        if aclose is not None:
            await aclose()


class ListingUnstable(UnifiedAccountingError):
    """Pages kept shifting under a listing faster than it could read them."""


@dataclass(frozen=True)
class Anchor:
    """The last page a listing handed over: where it was read (its cursor) and the ids it held.

    Kept in the sync's checkpoint, so a listing resumed after a crash proves its first page, too.
    """

    cursor: str | None
    ids: frozenset[str]


@dataclass
class ListedPage:
    """A page proven to follow the one before, holding only records not handed over with it."""

    page: Page
    #: What the next page must overlap (``None`` when the listing cannot be checked).
    anchor: Anchor | None


def _id(item: Any) -> str | None:
    value = getattr(item, "id", None)
    return str(value) if value else None


def record_ids(items: list[Any]) -> frozenset[str]:
    return frozenset(value for item in items if (value := _id(item)) is not None)


_FROM_START = object()


async def overlapping_pages(
    fetch: Fetch,
    cursor: str | None,
    *,
    anchor: Anchor | None = None,
    rewind: Rewind | None = None,
    ahead: int = 4,
    page_size: int | None = None,
    hint: NextCursorHint | None = None,
) -> AsyncIterator[ListedPage]:
    """Every page from ``cursor`` on (see the module docstring), each read from ``rewind(cursor)``
    and checked against the one before (``anchor`` for the first, after a resume).

    Pages ``rewind`` cannot move (or all, without it) are handed over unchecked, and fetched one
    after the other (see the module docstring). ``page_size``, the records a full page holds, lets
    pages be requested ahead from the first page on rather than from the second (see
    :func:`_first_step`); ``hint`` lets them be requested before the first page is read.
    """

    def rewound(page_cursor: str | None) -> str | None:
        return rewind(page_cursor) if rewind is not None and page_cursor is not None else None

    def first_step(following: str) -> int | None:
        return _first_step(following, rewound(following), page_size)

    def fetch_from(page_cursor: str | None) -> Awaitable[Page]:
        return fetch(rewound(page_cursor) or page_cursor)

    start: Any = cursor
    before = anchor
    rereads = 0
    while True:
        reread_at = start
        current: str | None = start
        restart: Any = None
        pages = stream_pages(
            fetch_from,
            start,
            ahead=ahead,
            may_guess=lambda guess: rewound(guess) is not None,
            first_step=first_step,
            hint=hint,
        )
        try:
            async for page in pages:
                # Records that could not be read are on the page all the same: they count for the
                # overlap, and are reported once.
                ids = record_ids(page.items) | {i.record_id for i in page.issues if i.record_id is not None}
                if before is not None and rewound(current) is not None and not ids & before.ids:
                    # Nothing in common with the page before: records between them may be missed.
                    rereads += 1
                    if rereads > MAX_REREADS:
                        raise ListingUnstable(
                            f"pages kept shifting while they were read ({MAX_REREADS} re-reads in a "
                            "row): records are being deleted faster than they can be listed; run "
                            "the sync again (it resumes from its checkpoint)"
                        )
                    restart = before.cursor if current != before.cursor else _FROM_START
                    break
                if current != reread_at:
                    rereads = 0  # got past the page that had to be read again
                items, issues = page.items, page.issues
                if before is not None:
                    items = [item for item in items if _id(item) not in before.ids]
                    issues = [issue for issue in issues if issue.record_id not in before.ids]
                following = page.next_cursor
                # Kept only when the next page will be read rewound, and so checked against it.
                after = Anchor(current, ids) if following is not None and rewound(following) else None
                yield ListedPage(Page(items, page.next_cursor, issues), after)
                if page.next_cursor is None:
                    return
                before = after
                current = page.next_cursor
            else:
                return
        finally:
            await pages.aclose()
        if restart is _FROM_START:
            start, before = None, None
        else:
            start = restart
