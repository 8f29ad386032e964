"""The repository's provider-neutral product code (``tests/product_code.py``, which
``tests/test_same_product_code_breadth.py`` runs on every provider) against the Xero emulator, with
checks of what Xero itself stored."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from unified_accounting_xero.testing import XeroHarness, emulator_of

from unified_accounting import AsyncClient, AsyncConnection
from unified_accounting.sync import SyncService
from unified_accounting.vault.crypto import new_key

pytestmark = pytest.mark.anyio


def _product_code() -> ModuleType:
    path = Path(__file__).parents[3] / "tests" / "product_code.py"
    spec = importlib.util.spec_from_file_location("ua_product_code", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


PRODUCT = _product_code()


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[tuple[AsyncConnection, SyncService, object]]:
    harness = XeroHarness.australia()
    app = harness.create_app()
    grant = await harness.grant(app)
    async with AsyncClient(
        transport=httpx.ASGITransport(app=app),
        providers={"xero": {**harness.settings, "base_url": harness.base_url}},
        environ={},
        database_url=f"sqlite:///{tmp_path / 'vault.sqlite3'}",
        secret_key=new_key(),
        rate_limits="off",
    ) as client:
        conn = await client.import_connection(
            consumer_id="product",
            provider="xero",
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
        )
        yield conn, SyncService(client), app


async def test_chart_and_journal(env: tuple[AsyncConnection, SyncService, object]) -> None:
    conn, _, app = env
    emulator = emulator_of(app)
    before = len(emulator.requests_to("/api.xro/"))
    made = await PRODUCT.chart_and_journal(conn)
    assert "debits total" in made.refusal.issues[0].message and made.refusal.issues[0].field == "lines"
    writes = [r for r in emulator.requests_to("/api.xro/")[before:] if r.path.endswith("/ManualJournals")]
    assert [r.method for r in writes] == ["PUT"]  # the balanced entry only: the other never left
    # Xero's side of it: lines name accounts by code and items by code.
    invoice = emulator.record("Invoice", made.invoice_id)
    assert invoice is not None and invoice["LineItems"][0]["ItemCode"] == made.item_id


async def test_payables_and_credit(env: tuple[AsyncConnection, SyncService, object]) -> None:
    conn, service, app = env
    made = await PRODUCT.payables_and_credit(conn, service)
    # Xero's side: a bill is an ACCPAY invoice, an expense spends money, the note is an ACCRECCREDIT.
    emulator = emulator_of(app)
    assert emulator.record("Invoice", made.bill_id)["Type"] == "ACCPAY"  # type: ignore[index]
    assert emulator.record("BankTransaction", made.expense_id)["Type"] == "SPEND"  # type: ignore[index]
    assert emulator.record("CreditNote", made.credit_note_id)["Type"] == "ACCRECCREDIT"  # type: ignore[index]
