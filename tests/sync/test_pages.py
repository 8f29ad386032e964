"""Page streaming: speculation on positional cursors never changes which pages come out."""

from __future__ import annotations

import pytest

from unified_accounting.provider import Page
from unified_accounting.sync.pages import stream_pages

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
