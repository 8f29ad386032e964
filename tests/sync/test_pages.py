"""Page streaming: speculation on positional cursors never changes which pages come out."""

from __future__ import annotations

import asyncio

import pytest

from unified_accounting.provider import Page
from unified_accounting.sync.pages import (
    Anchor,
    ListingUnstable,
    NextCursorHint,
    overlapping_pages,
    stream_pages,
)

pytestmark = pytest.mark.anyio


class Source:
    """Pages of ``size`` over ``total`` items, with cursors produced by ``cursor_of``."""

    def __init__(self, total: int, size: int, positional: bool = True) -> None:
        self.total, self.size, self.positional = total, size, positional
        self.requests: list[str | None] = []

    def cursor_of(self, start: int) -> str:
        return str(start + 1) if self.positional else f"after-{start}"

    def start_of(self, cursor: str | None) -> int:
        if cursor is None:
            return 0
        return int(cursor) - 1 if self.positional else int(cursor.removeprefix("after-"))

    async def fetch(self, cursor: str | None) -> Page:
        self.requests.append(cursor)
        start = self.start_of(cursor)
        items = list(range(start, min(start + self.size, self.total)))
        more = start + self.size < self.total
        return Page(items, self.cursor_of(start + self.size) if more else None)


@pytest.mark.parametrize("positional", [True, False])
@pytest.mark.parametrize("total", [0, 5, 10, 95, 100])
async def test_every_item_once_in_order(total: int, positional: bool) -> None:
    source = Source(total, 10, positional)
    items = [item async for page in stream_pages(source.fetch, None, ahead=4) for item in page.items]
    assert items == list(range(total))
    if not positional:
        assert len(source.requests) == len(set(source.requests)) == max(1, -(-total // 10))


async def test_speculation_wastes_at_most_ahead_requests() -> None:
    source = Source(1000, 10)
    pages = [page async for page in stream_pages(source.fetch, None, ahead=4)]
    assert len(pages) == 100
    assert len(source.requests) <= 100 + 4


async def test_resume_from_a_cursor() -> None:
    source = Source(100, 10)
    items = [item async for page in stream_pages(source.fetch, "51", ahead=3) for item in page.items]
    assert items == list(range(50, 100))


async def test_a_provider_that_breaks_the_progression_is_followed() -> None:
    class Irregular(Source):
        async def fetch(self, cursor: str | None) -> Page:
            page = await super().fetch(cursor)
            if page.next_cursor == "41":  # jumps: items 40..49 are skipped by the provider itself
                return Page(page.items, "51")
            return page

    source = Irregular(100, 10)
    items = [item async for page in stream_pages(source.fetch, None, ahead=4) for item in page.items]
    assert items == [*range(40), *range(50, 100)]


async def test_rate_limit_meter_tells_long_waits() -> None:
    import asyncio
    import contextlib

    from unified_accounting.sync.engine import RateLimitMeter

    shown: list[bool] = []
    meter = RateLimitMeter(shown.append)

    @contextlib.asynccontextmanager
    async def slow_slot():  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.1)
        yield

    async with meter.timed(slow_slot()):
        pass
    async with meter.timed(contextlib.nullcontext()):  # type: ignore[arg-type]
        pass
    assert shown == [True, False]
    assert meter.total_wait >= 0.1 and meter.waiting == 0


# ------------------------------------------------------------------- listings that prove no gap


class Row:
    def __init__(self, record_id: int) -> None:
        self.id = str(record_id)


class Shifting:
    """A listing by position over ids in order, where records can vanish between requests."""

    def __init__(self, total: int, size: int) -> None:
        self.ids = list(range(1, total + 1))
        self.size = size
        self.requests: list[int] = []
        self.before_request: list[object] = []

    async def fetch(self, cursor: str | None) -> Page:
        start = int(cursor) if cursor else 1
        self.requests.append(start)
        for change in self.before_request:
            change(self, len(self.requests))  # type: ignore[operator]
        rows = self.ids[start - 1 : start - 1 + self.size]
        return Page([Row(i) for i in rows], str(start + self.size) if len(rows) == self.size else None)

    @staticmethod
    def rewind(cursor: str) -> str | None:
        return str(max(1, int(cursor) - 3))


async def listed(source: Shifting, **options: object) -> list[int]:
    pages = overlapping_pages(source.fetch, None, rewind=source.rewind, **options)  # type: ignore[arg-type]
    return [int(row.id) async for page in pages for row in page.page.items]


def delete_first(count: int, at_request: int) -> object:
    def change(source: Shifting, request: int) -> None:
        if request == at_request:
            del source.ids[:count]

    return change


@pytest.mark.parametrize("ahead", [1, 4])
async def test_every_record_once_when_nothing_moves(ahead: int) -> None:
    source = Shifting(100, 10)
    assert await listed(source, ahead=ahead) == list(range(1, 101))


@pytest.mark.parametrize("deleted", [2, 3, 6, 9])
async def test_records_shifted_by_deletions_are_not_skipped(deleted: int) -> None:
    # Pages of 10 read from 3 records back: up to 2 deletions are absorbed by the overlap, up to 9
    # by reading the page before again.
    source = Shifting(100, 10)
    source.before_request.append(delete_first(deleted, at_request=4))
    seen = await listed(source, ahead=1)
    survivors = list(range(deleted + 1, 101))
    assert set(survivors) <= set(seen), "a record that never left was skipped"
    assert len(seen) == len(set(seen)), "a record was handed over twice"


@pytest.mark.parametrize("deleted", [10, 25])
async def test_a_page_worth_of_deletions_starts_the_listing_over(deleted: int) -> None:
    source = Shifting(100, 10)
    source.before_request.append(delete_first(deleted, at_request=4))
    seen = await listed(source, ahead=1)
    assert set(range(deleted + 1, 101)) <= set(seen)
    assert source.requests.count(1) == 2  # from the start again (records repeat, none is skipped)


async def test_speculative_pages_are_checked_too() -> None:
    source = Shifting(200, 10)
    source.before_request.append(delete_first(7, at_request=6))
    seen = await listed(source, ahead=4)
    assert set(range(8, 201)) <= set(seen)


async def test_a_resumed_listing_checks_its_first_page_against_the_checkpoint() -> None:
    source = Shifting(100, 10)
    # Pages 1..3 were stored before a crash (the first at 1, then at 8 and 15 rewound by 3).
    anchor = Anchor("15", frozenset(str(i) for i in range(12, 22)))
    del source.ids[:6]  # meanwhile: records already mirrored are deleted
    pages = overlapping_pages(source.fetch, "22", anchor=anchor, rewind=source.rewind, ahead=1)
    seen = [int(row.id) async for page in pages for row in page.page.items]
    assert set(range(22, 101)) <= set(seen)


async def test_a_listing_that_keeps_shifting_gives_up_with_a_clear_error() -> None:
    source = Shifting(10_000, 10)

    def endless(source: Shifting, request: int) -> None:
        if request > 1:
            del source.ids[:30]

    source.before_request.append(endless)
    with pytest.raises(ListingUnstable):
        await listed(source, ahead=1)


async def test_without_rewind_pages_are_not_requested_ahead() -> None:
    source = Shifting(100, 10)
    pages = overlapping_pages(source.fetch, None, ahead=4)
    assert [int(row.id) async for page in pages for row in page.page.items] == list(range(1, 101))
    assert source.requests == list(range(1, 102, 10))  # one after the other, none guessed


async def test_pages_are_requested_ahead_from_the_first_page_when_cursors_are_positions() -> None:
    import asyncio

    source = Shifting(100, 10)
    pages = overlapping_pages(source.fetch, None, rewind=source.rewind, ahead=4, page_size=10)
    first = await anext(pages)
    await asyncio.sleep(0)  # the guessed pages' requests start
    # Read from 3 records back, a full page ends 7 positions further: 11, 18, 25, 32 (at 8, 15, ...).
    assert source.requests == [1, 8, 15, 22, 29]
    rest = [int(row.id) async for page in pages for row in page.page.items]
    assert [int(row.id) for row in first.page.items] + rest == list(range(1, 101))
    assert len(source.requests) <= 15 + 4


@pytest.mark.parametrize("page_size", [5, 20, 7])
async def test_a_wrong_first_guess_changes_nothing_but_the_requests(page_size: int) -> None:
    # The provider's pages hold 10 whatever the sync asked for: the guesses are dropped.
    source = Shifting(100, 10)
    source.before_request.append(delete_first(2, at_request=3))
    pages = overlapping_pages(source.fetch, None, rewind=source.rewind, ahead=4, page_size=page_size)
    seen = [int(row.id) async for page in pages for row in page.page.items]
    assert seen == list(range(3, 101)) or set(range(3, 101)) <= set(seen)
    assert len(seen) == len(set(seen))


class Hinting(Source):
    """A source whose fetch tells the page's next cursor, then waits to be let through: the
    first page is "being read" until the test says so."""

    def __init__(self, total: int, size: int, told: str | None = None) -> None:
        super().__init__(total, size)
        self.hint = NextCursorHint()
        self.first_read = asyncio.Event()
        self.told = told

    async def fetch(self, cursor: str | None) -> Page:
        if cursor is None:
            following = self.told if self.told is not None else self.cursor_of(self.size)
            self.hint.tell(following)
            await self.first_read.wait()
        return await super().fetch(cursor)


async def _first_requests(source: Hinting) -> list[str | None]:
    """The requests made while the first page is still being read."""
    pages = stream_pages(source.fetch, None, ahead=4, first_step=lambda following: 10, hint=source.hint)
    first = asyncio.ensure_future(pages.__anext__())
    for _ in range(20):
        await asyncio.sleep(0)
    requested = list(source.requests)
    source.first_read.set()
    await first
    await pages.aclose()
    return requested


async def test_a_hint_sends_the_next_pages_while_the_first_is_read() -> None:
    source = Hinting(100, 10)
    # The three guesses left before the first page was read (with it, ``ahead`` pages at once).
    assert await _first_requests(source) == ["11", "21", "31"]
    source = Hinting(100, 10)
    source.first_read.set()
    pages = stream_pages(source.fetch, None, ahead=4, first_step=lambda following: 10, hint=source.hint)
    items = [item async for page in pages for item in page.items]
    assert items == list(range(100)) and len(source.requests) <= 10 + 4


async def test_a_wrong_hint_costs_only_its_guesses() -> None:
    source = Hinting(100, 10, told="501")
    assert await _first_requests(source) == ["501", "511", "521"]
    source = Hinting(100, 10, told="501")
    source.first_read.set()
    pages = stream_pages(source.fetch, None, ahead=4, first_step=lambda following: 10, hint=source.hint)
    items = [item async for page in pages for item in page.items]
    assert items == list(range(100))


async def test_a_hint_told_while_nobody_waits_is_not_kept() -> None:
    hint = NextCursorHint()
    hint.tell("11")  # a page fetched while others were in flight: nobody waits for it
    page = asyncio.get_running_loop().create_future()
    page.set_result(Page([]))
    assert await hint.wait(page) is None
