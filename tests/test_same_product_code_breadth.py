"""The payables, credit, chart-of-accounts and journal product code of ``product_code.py`` runs
unchanged on QuickBooks (an Australian company) and on Xero (an Australian organisation), each
against its emulator: the same function, the same calls, only the client's settings differ."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from unified_accounting_quickbooks.testing import QuickBooksHarness
from unified_accounting_xero.testing import XeroHarness

from unified_accounting import AsyncClient, AsyncConnection
from unified_accounting.sync import SyncService
from unified_accounting.testing import ProviderHarness
from unified_accounting.vault.crypto import new_key

from .product_code import chart_and_journal, payables_and_credit

pytestmark = pytest.mark.anyio

GST = "GST on Income"
#: Both companies Australian, with GST at 10 % on sales (and the provider's purchase rates).
HARNESSES: dict[str, Callable[[], ProviderHarness]] = {
    "quickbooks": lambda: QuickBooksHarness(country="AU", sales_tax_codes={GST: "10"}),
    "xero": XeroHarness.australia,
}


@pytest.fixture(params=sorted(HARNESSES))
async def env(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[AsyncConnection, SyncService]]:
    harness = HARNESSES[request.param]()
    app = harness.create_app()
    grant = await harness.grant(app)
    async with AsyncClient(
        transport=httpx.ASGITransport(app=app),
        providers={harness.provider: {**harness.settings, "base_url": harness.base_url}},
        environ={},
        database_url=f"sqlite:///{tmp_path / 'vault.sqlite3'}",
        secret_key=new_key(),
        rate_limits=harness.rate_limits,
    ) as client:
        conn = await client.import_connection(
            consumer_id="product",
            provider=harness.provider,
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
        )
        yield conn, SyncService(client)


async def test_chart_items_and_journal_on_both_providers(env: tuple[AsyncConnection, SyncService]) -> None:
    conn, service = env
    await service.sync(conn)
    made = await chart_and_journal(conn)
    assert "balance" in made.refusal.issues[0].message
    # An incremental sync mirrors what the function made.
    assert (await service.sync(conn)).kind == "incremental"
    income = await conn.ledger_accounts.get(made.income_account_id, source="mirror")
    item = await conn.items.get(made.item_id, source="mirror")
    assert item.sales is not None and item.sales.account_id == str(income.id)
    entry = await conn.journal_entries.get(made.journal_entry_id, source="mirror")
    assert entry.total_debit == entry.total_credit
    invoice = await conn.invoices.get(made.invoice_id, source="mirror")
    assert invoice.line_items[0].item_id == made.item_id


async def test_payables_and_credit_on_both_providers(env: tuple[AsyncConnection, SyncService]) -> None:
    conn, service = env
    made = await payables_and_credit(conn, service)
    bill = await conn.bills.get(made.bill_id, source="mirror")
    note = await conn.credit_notes.get(made.credit_note_id, source="mirror")
    assert bill.amount_due is not None and bill.total is not None and 0 < bill.amount_due < bill.total
    assert note.remaining_credit == 0
