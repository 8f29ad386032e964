"""The provider-neutral product code of ``product_code_quickbooks`` against the QuickBooks emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .product_code_quickbooks import chart_and_journal
from .test_api import Env, api_calls, make_env

pytestmark = pytest.mark.anyio


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = await make_env()
    yield made
    await made.client.aclose()


async def test_chart_and_journal(env: Env) -> None:
    made = await chart_and_journal(env.conn)
    # One journal entry was written: the unbalanced one never reached QuickBooks.
    posts = [e for e in api_calls(env) if e.method == "POST" and e.path.endswith("/journalentry")]
    assert len(posts) == 1
    assert env.emulator.record("JournalEntry", made.journal_entry_id) is not None
    stored = env.emulator.record("Invoice", made.invoice_id)
    assert stored["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] == made.item_id
    assert "do not balance" in made.refusal.issues[0].message
