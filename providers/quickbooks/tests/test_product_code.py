"""The repository's provider-neutral product code (``tests/product_code.py``, which
``tests/test_same_product_code_breadth.py`` runs on every provider) against the QuickBooks
emulator, with checks of what QuickBooks itself stored."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from unified_accounting_quickbooks.testing import QuickBooksHarness

from unified_accounting import AsyncClient
from unified_accounting.sync import SyncService
from unified_accounting.vault.crypto import new_key

from .test_api import Env, api_calls, make_env

pytestmark = pytest.mark.anyio


def _product_code() -> ModuleType:
    path = Path(__file__).parents[3] / "tests" / "product_code.py"
    spec = importlib.util.spec_from_file_location("ua_product_code", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


_PRODUCT = _product_code()
chart_and_journal = _PRODUCT.chart_and_journal
payables_and_credit = _PRODUCT.payables_and_credit


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


async def test_payables_and_credit(tmp_path: Path) -> None:
    harness = QuickBooksHarness(country="AU")
    app = harness.create_app()
    grant = await harness.grant(app)
    async with AsyncClient(
        providers={"quickbooks": {**harness.settings, "base_url": harness.base_url}},
        transport=httpx.ASGITransport(app=app),
        environ={},
        rate_limits="off",
        database_url=f"sqlite:///{tmp_path / 'vault.sqlite3'}",
        secret_key=new_key(),
    ) as client:
        conn = await client.import_connection(
            consumer_id="product",
            provider="quickbooks",
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
        )
        made = await payables_and_credit(conn, SyncService(client))
    emulator = app.state.emulator
    assert emulator.record("BillPayment", made.bill_payment_id)["PayType"] == "Check"
    assert emulator.record("Purchase", made.expense_id)["PaymentType"] == "Cash"
