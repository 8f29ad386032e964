from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from unified_accounting_xero.emulator import XeroEmulator
from unified_accounting_xero.testing import XeroHarness, emulator_of

from unified_accounting import AsyncClient, AsyncConnection
from unified_accounting.plugins import get_provider
from unified_accounting.testing import ProviderHarness


@pytest.fixture
def ua_harness() -> ProviderHarness:
    return XeroHarness()


@pytest.fixture(autouse=True)
def forget_organisations() -> Iterator[None]:
    """The provider keeps what it read of an organisation for minutes, keyed by app and tenant:
    emulators made with the same seed (and replayed cassettes) share tenant ids, so each test starts
    with nothing kept."""
    provider = get_provider("xero")
    provider.forget()  # type: ignore[attr-defined]
    yield
    provider.forget()  # type: ignore[attr-defined]


@pytest.fixture
async def xero_conn() -> AsyncIterator[tuple[AsyncConnection, XeroEmulator]]:
    """A connection to a fresh emulated organisation (the harness's), and its emulator."""
    harness = XeroHarness()
    app = harness.create_app()
    grant = await harness.grant(app)
    async with AsyncClient(
        transport=httpx.ASGITransport(app=app),
        providers={"xero": {**harness.settings, "base_url": harness.base_url}},
        environ={},
    ) as client:
        connection = await client.import_connection(
            consumer_id="tests",
            provider="xero",
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
        )
        yield connection, emulator_of(app)
