"""Xero identity against the emulator (over an in-process ASGI transport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from unified_accounting_xero import Account
from unified_accounting_xero.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_emulator
from unified_accounting_xero.oauth import DEFAULT_SCOPES, GRANULAR_SCOPES
from unified_accounting_xero.provider import XeroProvider
from unified_accounting_xero.settings import XeroSettings

from unified_accounting import AsyncClient
from unified_accounting.errors import ReauthorizationRequired
from unified_accounting.oauth import code_challenge, new_code_verifier
from unified_accounting.tokens import TokenSet

BASE = "http://xero.test"
REDIRECT = "http://localhost:8000/callback"
provider = XeroProvider()
settings = XeroSettings(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, base_url=BASE)

pytestmark = pytest.mark.anyio


@pytest.fixture
def app() -> Any:
    return create_emulator(tenants=["Org A", "Org B"], auto_grant_all_tenants=True)


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


async def consent(http: httpx.AsyncClient, url: str) -> str:
    """Follow the consent page as the user would; return the code of the redirect."""
    answer = await http.get(url)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return query["code"][0]


def test_authorization_url() -> None:
    url = provider.authorization_url(settings, redirect_uri=REDIRECT, state="s-1")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/identity/connect/authorize"
    query = parse_qs(parts.query)
    assert query["scope"] == [" ".join(DEFAULT_SCOPES)] and "offline_access" in DEFAULT_SCOPES
    assert query["client_id"] == [DEFAULT_CLIENT_ID] and query["state"] == ["s-1"]
    assert "code_challenge" not in query
    real = provider.authorization_url(XeroSettings(client_id="c"), redirect_uri=REDIRECT, state="s")
    assert real.startswith("https://login.xero.com/identity/connect/authorize?")


def test_granular_and_configured_scopes() -> None:
    granular = XeroSettings(client_id="c", granular_scopes=True)
    query = parse_qs(urlsplit(provider.authorization_url(granular, redirect_uri=REDIRECT, state="s")).query)
    assert query["scope"][0].split() == list(GRANULAR_SCOPES)
    assert "accounting.invoices" in GRANULAR_SCOPES and "accounting.transactions" not in GRANULAR_SCOPES
    chosen = XeroSettings(client_id="c", scopes=("offline_access", "accounting.contacts.read"))
    query = parse_qs(urlsplit(provider.authorization_url(chosen, redirect_uri=REDIRECT, state="s")).query)
    assert query["scope"] == ["offline_access accounting.contacts.read"]


async def test_one_consent_grants_each_organisation(app: Any, http: httpx.AsyncClient) -> None:
    code = await consent(http, provider.authorization_url(settings, redirect_uri=REDIRECT, state="s"))
    grants = await provider.exchange_code(
        http, settings, code=code, redirect_uri=REDIRECT, callback_params={"code": code, "state": "s"}
    )
    emulator = app.state.emulator
    assert sorted(g.company_id for g in grants) == sorted(emulator.tenant_ids)
    assert {g.company_name for g in grants} == {"Org A", "Org B"}
    connections = {c["tenantId"]: c["id"] for c in emulator.connections}
    for grant in grants:
        assert grant.metadata["connection_id"] == connections[grant.company_id]
        assert grant.tokens.refresh_token is not None and grant.tokens.expires_at is not None
        assert grant.tokens.refresh_token_expires_at is not None
    # One token set for the consent: the grants share it (and its authentication event).
    assert len({g.tokens.access_token.get_secret_value() for g in grants}) == 1
    assert len({g.metadata["auth_event_id"] for g in grants}) == 1


async def test_pkce_public_client(http: httpx.AsyncClient) -> None:
    public = XeroSettings(client_id=DEFAULT_CLIENT_ID, base_url=BASE)
    verifier = new_code_verifier()
    url = provider.authorization_url(
        public, redirect_uri=REDIRECT, state="s", code_challenge=code_challenge(verifier)
    )
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    code = await consent(http, url)
    grants = await provider.exchange_code(
        http, public, code=code, redirect_uri=REDIRECT, callback_params={}, code_verifier=verifier
    )
    assert len(grants) == 2
    refreshed = await provider.refresh(http, public, grants[0].tokens)
    assert refreshed.refresh_token != grants[0].tokens.refresh_token


async def test_refresh_rotates_and_an_old_token_needs_reauthorization(http: httpx.AsyncClient) -> None:
    app = create_emulator(refresh_grace_s=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        issued = app.state.emulator.issue_tokens()
        tokens = TokenSet.from_token_response(issued)
        rotated = await provider.refresh(client, settings, tokens)
        assert rotated.refresh_token is not None and tokens.refresh_token is not None
        assert rotated.refresh_token.get_secret_value() != tokens.refresh_token.get_secret_value()
        assert rotated.access_token != tokens.access_token
        with pytest.raises(ReauthorizationRequired):
            await provider.refresh(client, settings, tokens)
        again = await provider.refresh(client, settings, rotated)
        assert again.refresh_token != rotated.refresh_token
        assert app.state.emulator.refresh_count == 3


async def test_disconnect_one_tenant_then_revoke(app: Any, http: httpx.AsyncClient) -> None:
    code = await consent(http, provider.authorization_url(settings, redirect_uri=REDIRECT, state="s"))
    first, second = await provider.exchange_code(
        http, settings, code=code, redirect_uri=REDIRECT, callback_params={}
    )
    await provider.disconnect(http, settings, first.tokens, first.metadata)
    assert [c["tenantId"] for c in app.state.emulator.connections] == [second.company_id]
    await provider.revoke(http, settings, second.tokens)
    assert app.state.emulator.connections == []
    with pytest.raises(ReauthorizationRequired):
        await provider.refresh(http, settings, second.tokens)


async def test_client_refreshes_once_on_a_401_and_keeps_the_rotated_token() -> None:
    app = create_emulator()
    emulator = app.state.emulator
    issued = emulator.issue_tokens()
    options = {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET, "base_url": BASE}
    async with AsyncClient(
        transport=httpx.ASGITransport(app=app), providers={"xero": options}, environ={}
    ) as client:
        conn = await client.import_connection(
            consumer_id="u",
            provider="xero",
            company_id=emulator.default_tenant_id,
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            expires_at=issued["expires_at"],
        )
        emulator.expire_access_tokens()
        accounts = conn.resource("account", Account)
        assert [a async for a in accounts.list()]
        record = await conn.record()
        assert emulator.refresh_count == 1
        assert record.tokens.refresh_token is not None
        assert record.tokens.refresh_token.get_secret_value() != issued["refresh_token"]


async def test_a_public_client_connects_through_the_client_with_pkce_and_granular_scopes() -> None:
    """No client secret: the client sends a PKCE challenge on its own, and the granular-scopes
    setting chooses the scopes asked for (the client once passed the declared defaults instead)."""
    app = create_emulator(tenants=["Org A"], auto_grant_all_tenants=True)
    options = {"client_id": DEFAULT_CLIENT_ID, "base_url": BASE, "granular_scopes": True}
    async with AsyncClient(
        transport=httpx.ASGITransport(app=app), providers={"xero": options}, environ={}
    ) as client:
        url = await client.authorization_url(consumer_id="u", provider="xero", redirect_uri=REDIRECT)
        query = parse_qs(urlsplit(url).query)
        assert query["scope"][0].split() == list(GRANULAR_SCOPES)
        assert query["code_challenge_method"] == ["S256"] and "code_challenge" in query
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as browser:
            callback = (await browser.get(url)).headers["location"]
        [conn] = await client.complete_authorization(provider="xero", callback_url=callback)
        assert conn.company_id == app.state.emulator.default_tenant_id
        assert [a async for a in conn.resource("account", Account).list()]
        assert app.state.emulator.requests_to("/connect/token")[-1].auth_scheme is None
