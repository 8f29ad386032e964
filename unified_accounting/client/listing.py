"""How ``list()`` runs against a provider: what the provider applies, and what the core does.

The provider gets the filters it declares in ``list_filters`` and the sort it declares in
``list_sorts``. The core then checks every filter but ``updated_since`` on each record that comes
back — those the provider applied cost nothing more, those it could not cost the pages the records
they leave out fill — and, for a sort the provider cannot do, reads every page first and sorts in
memory (:class:`SortedInMemory`). ``pager.plan`` and a debug log line say which is which.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from ..catalog import UPDATED_SINCE, ListFilter, ListSort
from ..decoding import RecordIssue
from ..listing import ListPlan, SortCursor, sort_records
from ..models.common import RecordMeta
from ..provider import Page, Provider, ProviderSession
from .pager import AsyncPager

logger = logging.getLogger(__name__)

#: Records per page handed out by a list the core sorts, when ``page_size`` is not given.
SORTED_PAGE_SIZE = 100

Filters = Sequence[tuple[ListFilter, Any]]
Fetch = Callable[[str | None], Awaitable[Page]]


def provider_plan(provider: Provider, resource: str, filters: Filters, sort: ListSort | None) -> ListPlan:
    """Who applies what when ``resource`` is listed from ``provider`` with these filters and sort."""
    pushed = tuple(f.name for f, _ in filters if provider.supports_filter(resource, f.name))
    after = tuple(f.name for f, _ in filters if f.name not in pushed)
    sorted_by: Literal["provider", "core"] | None = None
    if sort is not None:
        sorted_by = "provider" if provider.supports_sort(resource, sort.field) else "core"
    return ListPlan(
        resource,
        "provider",
        pushed_down=pushed,
        filtered_after_fetch=after,
        sort=None if sort is None else str(sort),
        sorted_by=sorted_by,
    )


def provider_pager(
    provider: Provider,
    session: ProviderSession,
    resource: str,
    model: type[RecordMeta],
    *,
    filters: Filters,
    sort: ListSort | None,
    page_size: int | None,
    cursor: str | None,
) -> AsyncPager[Any]:
    """The pager of ``list()`` from the provider (see the module docstring); input is valid."""
    plan = provider_plan(provider, resource, filters, sort)
    logger.debug("%s (%s)", plan, provider.name)
    since = next((value for f, value in filters if f.name == UPDATED_SINCE.name), None)
    extra: dict[str, Any] = {}
    pushed = {
        f.name: value for f, value in filters if f.name in plan.pushed_down and f.name != UPDATED_SINCE.name
    }
    if pushed:
        # Only a provider given another filter or a sort gets the parameter: overrides of
        # list_page written before they existed keep working.
        extra["filters"] = pushed
    if plan.sorted_by == "provider":
        extra["sort"] = sort
    # updated_since is the provider's (a sync reads with it, and providers compare it their way).
    checks = [(f, value) for f, value in filters if f.name != UPDATED_SINCE.name]

    async def fetch(page_cursor: str | None) -> Page:
        page = await provider.list_page(
            session, resource, cursor=page_cursor, updated_since=since, page_size=page_size, **extra
        )
        if checks:
            page.items = [r for r in page.items if all(f.matches(r, value) for f, value in checks)]
        return page

    if sort is None or plan.sorted_by == "provider":
        return AsyncPager(fetch, cursor, plan=plan)
    sorted_in_memory = SortedInMemory(fetch, sort, model, page_size or SORTED_PAGE_SIZE)
    return AsyncPager(sorted_in_memory.fetch, cursor, plan=plan)


class SortedInMemory:
    """A list the core sorts: every page of the provider's list is read (filtered as it comes), the
    records are sorted, and handed out ``page_size`` at a time.

    The pages carry :class:`~unified_accounting.listing.SortCursor` cursors. One this object handed
    out continues from the records already read; any other (a later ``list(cursor=...)``) reads
    every page again and resumes after the cursor's sort value and id.
    """

    def __init__(self, fetch: Fetch, sort: ListSort, model: type[RecordMeta], page_size: int) -> None:
        self._fetch = fetch
        self._sort = sort
        self._model = model
        self._page_size = page_size
        self._records: list[Any] = []
        self._handed_out: dict[str, int] = {}

    async def _read_all(self) -> list[RecordIssue]:
        records: list[Any] = []
        issues: list[RecordIssue] = []
        cursor: str | None = None
        while True:
            page = await self._fetch(cursor)
            records += page.items
            issues += page.issues
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        self._records = sort_records(records, self._sort)
        self._handed_out.clear()
        return issues

    async def fetch(self, cursor: str | None) -> Page:
        issues: list[RecordIssue] = []
        if cursor is not None and cursor in self._handed_out:
            start = self._handed_out[cursor]
        else:
            resume = None if cursor is None else SortCursor.decode(cursor, self._sort, self._model)
            issues = await self._read_all()
            start = 0
            if resume is not None:
                start = next(
                    (i for i, record in enumerate(self._records) if resume.precedes(record)),
                    len(self._records),
                )
        chunk = self._records[start : start + self._page_size]
        end = start + len(chunk)
        next_cursor = None
        if chunk and end < len(self._records):
            next_cursor = SortCursor.after(chunk[-1], self._sort).encode(self._model)
            self._handed_out[next_cursor] = end
        return Page(items=chunk, next_cursor=next_cursor, issues=issues)
