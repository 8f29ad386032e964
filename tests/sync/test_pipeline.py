"""The pipelined initial sync (pages guessed and fetched ahead of the one being stored): every
record written once, pages stored in the order of their checkpoints, and a failure of a page while
others are in flight leaves a checkpoint the next run resumes from."""

from __future__ import annotations

from typing import Any

import pytest

from unified_accounting import ProviderError
from unified_accounting.sync import SyncOptions, SyncService
from unified_accounting.sync.checkpoint import read_state
from unified_accounting.sync.state import Phase

from .providers import CASES, mirror_summary

pytestmark = pytest.mark.anyio

PAGE_SIZE = 20
#: Each page is read from a quarter page back (SyncOptions.page_overlap, at most page_size / 4).
STEP = PAGE_SIZE - PAGE_SIZE // 4
#: Where the fifth page is read (STARTPOSITION), the one made to fail.
FAILING = str(1 + 4 * STEP)
case = CASES["quickbooks"]


class Progress:
    """Notes the listing's cursor after each stored page (the resume checkpoint)."""

    def __init__(self) -> None:
        self.cursors: list[int] = []

    def started(self, *args: Any) -> None:
        pass

    def page(self, resource: str, records: int, state: Any) -> None:
        cursor = state.cursor(resource)
        self.cursors.append(int(cursor) if cursor else 10**9)

    def rate_limited(self, waiting: bool) -> None:
        pass

    def finished(self, report: Any) -> None:
        pass


async def test_a_page_failing_while_later_ones_are_in_flight_resumes_without_gap_or_repeat(
    database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = case.seeded(invoices=200)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        provider = conn.provider
        real_list_page = type(provider).list_page
        requested: list[str | None] = []

        async def failing(self: Any, session: Any, resource: str, **kwargs: Any) -> Any:
            requested.append(kwargs["cursor"])
            # The fifth page fails; by then the pages after it were requested already.
            if resource == "invoice" and kwargs["cursor"] == FAILING:
                raise ProviderError("the provider failed this page", provider="quickbooks")
            return await real_list_page(self, session, resource, **kwargs)

        monkeypatch.setattr(type(provider), "list_page", failing)
        options = SyncOptions(page_size=PAGE_SIZE, resources=("invoice",), prefetch=6)
        first = Progress()
        with pytest.raises(ProviderError):
            await SyncService(client, options).sync(conn, progress=first)
        # Pages were requested ahead of the failing one, and none after it was stored.
        assert any(cursor is not None and int(cursor) > int(FAILING) for cursor in requested)
        stopped = await read_state(await client.database(), conn.key)
        assert stopped.phase is Phase.INITIAL and stopped.pages == 4
        assert first.cursors == sorted(first.cursors) and len(first.cursors) == 4

        monkeypatch.setattr(type(provider), "list_page", real_list_page)
        second = Progress()
        report = await SyncService(client, options).sync(conn, progress=second)
        assert second.cursors == sorted(second.cursors) and second.cursors[0] > first.cursors[-1]
        # Every record once across the two runs, and the mirror holds exactly the provider's.
        assert report.records == case.listed_count(app, "invoice")
        assert await mirror_summary(conn, "invoice") == case.expected(app, "invoice")
        assert (await read_state(await client.database(), conn.key)).phase is Phase.IDLE
