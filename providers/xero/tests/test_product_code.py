"""The provider-neutral product code of ``product_code_xero.py`` on the Xero emulator."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from unified_accounting_xero.testing import XeroHarness, emulator_of

from unified_accounting import AsyncClient, AsyncConnection
from unified_accounting.sync import SyncService
from unified_accounting.vault.crypto import new_key

pytestmark = pytest.mark.anyio


def _product_code() -> ModuleType:
    path = Path(__file__).with_name("product_code_xero.py")
    spec = importlib.util.spec_from_file_location("product_code_xero", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PRODUCT = _product_code()


@pytest.fixture
async def conn() -> AsyncIterator[tuple[AsyncConnection, Any]]:
    harness = XeroHarness()
    app = harness.create_app()
    grant = await harness.grant(app)
    async with AsyncClient(
        transport=httpx.ASGITransport(app=app),
        providers={"xero": {**harness.settings, "base_url": harness.base_url}},
        environ={},
    ) as client:
        connection = await client.import_connection(
            consumer_id="product",
            provider="xero",
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
        )
        yield connection, app


async def test_chart_and_journal(conn: tuple[AsyncConnection, Any]) -> None:
    connection, app = conn
    emulator = emulator_of(app)
    before = len(emulator.requests_to("/api.xro/"))
    result = await PRODUCT.chart_and_journal(connection)
    # The unbalanced entry never reached Xero, and its refusal gives both totals.
    assert "debits total 100.00 and credits total 90.00" in str(result["refused"].issues)
    writes = [r for r in emulator.requests_to("/api.xro/")[before:] if r.path.endswith("/ManualJournals")]
    assert [r.method for r in writes] == ["PUT"]  # the balanced entry only
    # Xero's side of it: the journal posted to the codes, the item is invoiced by its code.
    journal = emulator.records("ManualJournal")[0]
    assert [line["AccountCode"] for line in journal["JournalLines"]] == [
        str(result["sales"].id),
        str(result["income"].id),
    ]
    invoice = emulator.record("Invoice", str(result["invoice"].id))
    assert invoice is not None and invoice["LineItems"][0]["ItemCode"] == str(result["item"].id)


async def test_payables_and_credit(tmp_path: Path) -> None:
    harness = XeroHarness()
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
        connection = await client.import_connection(
            consumer_id="product",
            provider="xero",
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
        )
        service = SyncService(client)
        result = await PRODUCT.payables_and_credit(connection, lambda: service.sync(connection))
    first, second = result["syncs"]
    assert (first.kind, second.kind) == ("initial", "incremental")
    # Xero's side: a bill is an ACCPAY invoice, the expense spend money, the note an ACCRECCREDIT.
    emulator = emulator_of(app)
    assert emulator.record("Invoice", str(result["bill"].id))["Type"] == "ACCPAY"  # type: ignore[index]
    assert emulator.record("BankTransaction", str(result["expense"].id))["Type"] == "SPEND"  # type: ignore[index]
    assert emulator.record("CreditNote", str(result["credit_note"].id))["Type"] == "ACCRECCREDIT"  # type: ignore[index]


async def test_a_sync_mirrors_the_chart_items_and_journals(tmp_path: Path) -> None:
    harness = XeroHarness()
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
        connection = await client.import_connection(
            consumer_id="product",
            provider="xero",
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
        )
        service = SyncService(client)
        await service.sync(connection)
        result = await PRODUCT.chart_and_journal(connection)
        report = await service.sync(connection)
        assert report.kind == "incremental"
        income = await connection.ledger_accounts.get(str(result["income"].id), source="mirror")
        assert income.name == result["income"].name
        item = await connection.items.get(str(result["item"].id), source="mirror")
        assert item.sales is not None and item.sales.account_id == str(result["income"].id)
        entry = await connection.journal_entries.get(str(result["journal_entry"].id), source="mirror")
        assert entry.total_debit == result["journal_entry"].total_debit
        mirrored = await connection.ledger_accounts.list(source="mirror").to_list()
        assert {"090", "200", str(income.id)} <= {str(a.id) for a in mirrored}
