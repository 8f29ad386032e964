"""Intuit OAuth against the emulator: authorize URL, code exchange, refresh with hard expiry, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr
from unified_accounting_quickbooks import QuickBooksProvider, QuickBooksSettings
from unified_accounting_quickbooks.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_emulator

from unified_accounting.errors import ReauthorizationRequired
from unified_accounting.tokens import TokenSet

pytestmark = pytest.mark.anyio
REDIRECT = "https://app.example/callback"
provider = QuickBooksProvider()
settings = QuickBooksSettings(
    client_id=DEFAULT_CLIENT_ID, client_secret=SecretStr(DEFAULT_CLIENT_SECRET), base_url="http://qbo.test"
)


def test_authorization_url_has_scope_and_state() -> None:
    url = provider.authorization_url(settings, redirect_uri=REDIRECT, state="xyz")
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("qbo.test", "/connect/oauth2")
    query = parse_qs(parts.query)
    assert query["scope"] == ["com.intuit.quickbooks.accounting"] and query["state"] == ["xyz"]
    assert query["response_type"] == ["code"] and query["client_id"] == [DEFAULT_CLIENT_ID]
    production = QuickBooksSettings(client_id="id", client_secret=SecretStr("s"))
    assert provider.authorization_url(production, redirect_uri=REDIRECT, state="s").startswith(
        "https://appcenter.intuit.com/connect/oauth2?"
    )


async def test_code_exchange_refresh_and_revoke() -> None:
    app = create_emulator()
    emulator = app.state.emulator
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://qbo.test") as http:
        consent = await http.get(provider.authorization_url(settings, redirect_uri=REDIRECT, state="st"))
        callback = {k: v[0] for k, v in parse_qs(urlsplit(consent.headers["location"]).query).items()}
        assert callback["state"] == "st"
        before = datetime.now(UTC)
        [grant] = await provider.exchange_code(
            http, settings, code=callback["code"], redirect_uri=REDIRECT, callback_params=callback
        )
        assert grant.company_id == emulator.default_realm_id == callback["realmId"]
        tokens = grant.tokens
        assert tokens.refresh_token_expires_at is not None and tokens.hard_expires_at is not None
        assert tokens.refresh_token_expires_at - before >= timedelta(days=99)
        assert tokens.hard_expires_at - before >= timedelta(days=5 * 365 - 1)

        refreshed = await provider.refresh(http, settings, tokens)
        assert refreshed.access_token != tokens.access_token
        assert refreshed.hard_expires_at is not None and refreshed.refresh_token is not None
        refresh_request = emulator.requests("/oauth2/v1/tokens/bearer")[-1]
        assert refresh_request.headers["x-include-refresh-token-hard-expires-in"] == "true"

        await provider.revoke(http, settings, refreshed)
        with pytest.raises(ReauthorizationRequired):
            await provider.refresh(http, settings, refreshed)


async def test_invalid_grant_requires_reauthorization() -> None:
    app = create_emulator()
    stale = TokenSet(access_token=SecretStr("old"), refresh_token=SecretStr("not-a-refresh-token"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        with pytest.raises(ReauthorizationRequired) as caught:
            await provider.refresh(http, settings, stale)
    assert caught.value.code == "invalid_grant"
