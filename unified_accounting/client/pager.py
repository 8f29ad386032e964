"""Auto-paging over a provider's list: iterate records, or pages (with their resume cursors)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from ..decoding import RecordIssue
from ..listing import ListPlan
from ..provider import Page, follow_cursors

T = TypeVar("T")

logger = logging.getLogger(__name__)


class AsyncPager(Generic[T]):
    """``async for record in pager`` fetches pages lazily, one at a time (constant memory).

    ``pager.pages()`` yields whole :class:`~unified_accounting.provider.Page` objects instead; each
    carries ``next_cursor``, which a later ``list(cursor=...)`` resumes from.

    A record the provider returned but that cannot be read into the unified model does not stop the
    iteration: it is left out and reported in ``pager.issues`` (and in its page's ``issues``), a
    :class:`~unified_accounting.RecordIssue` with the record's id, the error and the raw payload.

    ``pager.plan`` says who applies the list's filters and sort: the provider, the core after
    fetching, or the mirror (a :class:`~unified_accounting.ListPlan`).
    """

    #: Records of the pages fetched so far that could not be read (see the class docstring).
    issues: list[RecordIssue]
    #: Who applies the filters and the sort of this list (``None`` for a pager made without one).
    plan: ListPlan | None

    def __init__(
        self,
        fetch: Callable[[str | None], Awaitable[Page]],
        cursor: str | None = None,
        *,
        plan: ListPlan | None = None,
    ) -> None:
        self._fetch = fetch
        self._cursor = cursor
        self.issues = []
        self.plan = plan

    async def _collect(self, cursor: str | None) -> Page:
        page = await self._fetch(cursor)
        for issue in page.issues:
            logger.warning("left out of the list: %s", issue)
        self.issues.extend(page.issues)
        return page

    def pages(self) -> AsyncIterator[Page]:
        return follow_cursors(self._collect, self._cursor)

    async def _records(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._records()

    async def to_list(self) -> list[T]:
        """Every record, in one list (convenient for small result sets)."""
        return [item async for item in self]
