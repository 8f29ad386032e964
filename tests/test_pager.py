"""``AsyncPager.pages()``: pages fetched lazily, one at a time, from the pager's cursor on; the
iteration ends after the page without a next cursor, or after a fetch that failed."""

from __future__ import annotations

import pytest

from unified_accounting.client.pager import AsyncPager
from unified_accounting.provider import Page

pytestmark = pytest.mark.anyio

PAGES = {
    None: Page(items=[1, 2], next_cursor="b"),
    "b": Page(items=[3], next_cursor="c"),
    "c": Page(items=[4]),
}


async def test_pages_follow_the_cursors_lazily() -> None:
    asked: list[str | None] = []

    async def fetch(cursor: str | None) -> Page:
        asked.append(cursor)
        return PAGES[cursor]

    pages = AsyncPager(fetch).pages()
    first = await anext(pages)
    assert first.items == [1, 2] and asked == [None]  # nothing fetched ahead
    assert [page.items async for page in pages] == [[3], [4]]
    assert asked == [None, "b", "c"]
    with pytest.raises(StopAsyncIteration):
        await anext(pages)
    assert [item async for item in AsyncPager(fetch, "b")] == [3, 4]


async def test_a_failed_fetch_ends_the_pages() -> None:
    calls = 0

    async def fetch(cursor: str | None) -> Page:
        nonlocal calls
        calls += 1
        if cursor == "b":
            raise RuntimeError("the provider failed")
        return PAGES[cursor]

    pages = AsyncPager(fetch).pages()
    await anext(pages)
    with pytest.raises(RuntimeError, match="provider failed"):
        await anext(pages)
    with pytest.raises(StopAsyncIteration):
        await anext(pages)
    assert calls == 2
