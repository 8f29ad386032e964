"""The vault with the QuickBooks and Xero emulators: consent, single-flight refresh, shared Xero
grants, reauthorize-by dates and disconnecting one company."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from unified_accounting_xero.emulator import options as xero_options

from unified_accounting import AsyncClient, AsyncConnection, get_provider
from unified_accounting.vault import AuthorizationDenied

pytestmark = pytest.mark.anyio
REDIRECT = "http://localhost:8000/callback"


@dataclass
class Setup:
    provider: str
    app: Any
    client: AsyncClient

    @property
    def emulator(self) -> Any:
        return self.app.state.emulator

    def refreshes(self) -> int:
        count = self.emulator.refresh_count
        return int(count() if callable(count) else count)

    async def connect(self, consumer: str = "acme") -> list[AsyncConnection]:
        url = await self.client.authorization_url(
            consumer_id=consumer, provider=self.provider, redirect_uri=REDIRECT
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app)) as browser:
            response = await browser.get(url)
        assert response.status_code == 302, response.text
        return await self.client.complete_authorization(
            provider=self.provider, callback_url=response.headers["location"]
        )

    async def expire(self, connection: AsyncConnection) -> None:
        """Expire the access token everywhere: at the emulator and in the vault's record."""
        self.emulator.expire_access_tokens()
        record = await connection.record()
        past = record.tokens.model_copy(update={"expires_at": datetime.now(UTC) - timedelta(minutes=1)})
        await self.client.store.save(record.model_copy(update={"tokens": past}))


SETUPS = {
    "quickbooks": (
        {"realms": 1, "customers": 3, "limits": False},
        {
            "client_id": "emulator-client-id",
            "client_secret": "emulator-client-secret",
            "environment": "sandbox",
            "requests_per_second": 1000,
            "max_concurrent": 50,
        },
    ),
    "xero": (
        {"tenants": 2, "auto_grant_all_tenants": True, "redirect_uris": [REDIRECT], "contacts": 3},
        {"client_id": xero_options.DEFAULT_CLIENT_ID, "client_secret": xero_options.DEFAULT_CLIENT_SECRET},
    ),
}


@pytest.fixture(params=sorted(SETUPS))
async def setup(request: pytest.FixtureRequest, database_url: str, secret_key: str) -> AsyncIterator[Setup]:
    options, settings = SETUPS[request.param]
    app = get_provider(request.param).create_emulator(**options)
    async with AsyncClient(
        providers={request.param: {**settings, "base_url": "http://emulator.test"}},
        transport=httpx.ASGITransport(app=app),
        database_url=database_url,
        secret_key=secret_key,
        environ={},
    ) as client:
        yield Setup(request.param, app, client)


async def test_consent_stores_every_company_granted(setup: Setup) -> None:
    connections = await setup.connect()
    records = [await c.record() for c in connections]
    assert len(records) == (2 if setup.provider == "xero" else 1)
    for record in records:
        assert record.consumer_id == "acme" and record.health.value == "ok"
        assert record.reauthorize_by is not None and record.reauthorize_by > datetime.now(UTC) + timedelta(
            days=50
        )
    if setup.provider == "quickbooks":
        hard = records[0].tokens.hard_expires_at
        assert hard is not None and hard > datetime.now(UTC) + timedelta(days=4 * 365)
    for connection in connections:
        assert isinstance(await connection.customers.list().to_list(), list)


async def test_a_changed_quickbooks_realm_id_is_refused_and_nothing_stored(
    database_url: str, secret_key: str
) -> None:
    """QuickBooks names the company only on the callback URL (``realmId``): the new token must read
    that company before it is stored under its id; otherwise nothing is stored and the grant ends."""
    options, settings = SETUPS["quickbooks"]
    app = get_provider("quickbooks").create_emulator(**{**options, "realms": 2, "company_picker": False})
    emulator = app.state.emulator
    mine, theirs = emulator.realm_ids
    async with AsyncClient(
        providers={"quickbooks": {**settings, "base_url": "http://emulator.test"}},
        transport=httpx.ASGITransport(app=app),
        database_url=database_url,
        secret_key=secret_key,
        environ={},
    ) as client:
        setup = Setup("quickbooks", app, client)
        url = await client.authorization_url(consumer_id="acme", provider="quickbooks", redirect_uri=REDIRECT)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as browser:
            callback = (await browser.get(url)).headers["location"]
        assert f"realmId={mine}" in callback
        with pytest.raises(AuthorizationDenied) as refused:
            await client.complete_authorization(
                provider="quickbooks", callback_url=callback.replace(mine, theirs)
            )
        assert refused.value.error == "company_not_confirmed" and theirs in str(refused.value)
        assert await client.connections() == []
        grants = list(emulator.tokens.grants.values())
        assert len(grants) == 1 and grants[0].revoked  # the unused grant was revoked
        [connection] = await setup.connect()
        record = await connection.record()
        assert record.company_id == mine
        assert record.company_name == emulator.records("CompanyInfo", mine)[0]["CompanyName"]


async def test_fifty_concurrent_calls_on_an_expired_token_refresh_once(setup: Setup) -> None:
    connections = await setup.connect()
    for connection in connections:  # Xero: both organisations share one token set
        await setup.expire(connection)
    calls = [connections[i % len(connections)].customers.list().to_list() for i in range(50)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert setup.refreshes() == 1
    assert {(await c.record()).health.value for c in connections} == {"ok"}


async def test_a_401_refreshes_once_then_retries(setup: Setup) -> None:
    [first, *_] = await setup.connect()
    setup.emulator.expire_access_tokens()  # the vault still believes the token is valid
    assert isinstance(await first.customers.list().to_list(), list)
    assert setup.refreshes() == 1


async def test_disconnecting_one_company_keeps_the_others(setup: Setup) -> None:
    connections = await setup.connect()
    first = connections[0]
    assert await setup.client.disconnect(
        consumer_id="acme", provider=setup.provider, company_id=first.company_id
    )
    remaining = await setup.client.connections(consumer_id="acme")
    assert [r.company_id for r in remaining] == [c.company_id for c in connections[1:]]
    if setup.provider == "xero":
        assert [c["tenantId"] for c in setup.emulator.connections] == [connections[1].company_id]
        assert isinstance(await connections[1].customers.list().to_list(), list)


async def test_reauthorize_by_is_reported_before_it_passes(setup: Setup) -> None:
    connections = await setup.connect()
    assert await setup.client.check_expiring(within=timedelta(days=7)) == []
    expiring = await setup.client.check_expiring(within=timedelta(days=200))
    assert sorted(r.company_id for r in expiring) == sorted(c.company_id for c in connections)
