"""Streaming a provider's pages in order, fetching the next ones while the current one is stored.

Cursors are opaque, so in general page *n + 1* can only be asked for once page *n* named it. Many
providers' cursors are in fact positions (QuickBooks' ``STARTPOSITION``, Xero's page number): when
the cursors seen so far are integers in an arithmetic progression, the next pages are requested
*speculatively*, several at once, at the positions the progression predicts. Speculation never
changes what is stored: every page is checked, in order, against the cursor its predecessor
actually returned; at the first mismatch the speculative pages are dropped and paging goes on
from the returned cursor, one page at a time, as the contract says. Opaque cursors are simply
followed. At most ``ahead`` pages are in flight or waiting, so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

from ..provider import Page

Fetch = Callable[[str | None], Awaitable[Page]]


def _integer(cursor: str | None) -> int | None:
    if cursor is None or not cursor.isdigit():
        return None
    return int(cursor)


async def stream_pages(fetch: Fetch, cursor: str | None, *, ahead: int = 4) -> AsyncIterator[Page]:
    """Every page from ``cursor`` on, in order."""
    in_flight: deque[tuple[str, asyncio.Task[Page]]] = deque()
    try:
        previous: str | None = None
        current = cursor
        while True:
            if in_flight:
                expected, task = in_flight.popleft()
                assert expected == current
                page = await task
            else:
                page = await fetch(current)
            following = page.next_cursor
            step = _step(previous, current, following)
            if in_flight and (step is None or following != in_flight[0][0]):
                # The provider did not go where the progression said: drop the guesses.
                await _cancel(in_flight)
            yield page
            if following is None:
                return
            previous, current = current, following
            if step is not None and step > 0 and ahead > 1:
                last = int(in_flight[-1][0]) if in_flight else int(following) - step
                while len(in_flight) < ahead:
                    last += step
                    guess = str(last)
                    in_flight.append((guess, asyncio.ensure_future(fetch(guess))))
    finally:
        await _cancel(in_flight)


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


async def buffered(pages: AsyncIterator[Page], size: int) -> AsyncIterator[Page]:
    """``pages`` consumed by a task of its own into a queue of ``size``: fetching goes on while the
    consumer is busy storing (an async generator only advances when asked)."""
    queue: asyncio.Queue[Page | BaseException | None] = asyncio.Queue(maxsize=max(1, size))

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
