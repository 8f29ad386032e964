"""Auto-paging over a provider's list: iterate records, or pages (with their resume cursors)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from ..provider import Page, follow_cursors

T = TypeVar("T")


class AsyncPager(Generic[T]):
    """``async for record in pager`` fetches pages lazily, one at a time (constant memory).

    ``pager.pages()`` yields whole :class:`~unified_accounting.provider.Page` objects instead; each
    carries ``next_cursor``, which a later ``list(cursor=...)`` resumes from.
    """

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page]], cursor: str | None = None) -> None:
        self._fetch = fetch
        self._cursor = cursor

    def pages(self) -> AsyncIterator[Page]:
        return follow_cursors(self._fetch, self._cursor)

    async def _records(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._records()

    async def to_list(self) -> list[T]:
        """Every record, in one list (convenient for small result sets)."""
        return [item async for item in self]
