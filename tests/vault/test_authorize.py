"""The programmatic OAuth flow: ``authorization_url`` → provider consent → ``complete_authorization``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator, create_emulator

from unified_accounting import (
    AsyncClient,
    AuthenticationError,
    Client,
    ConfigurationError,
    ConnectionHealth,
    ReauthorizationRequired,
    ValidationFailed,
    hookimpl,
)
from unified_accounting.vault import AuthorizationDenied, InvalidState, StateProblem

pytestmark = pytest.mark.anyio
REDIRECT = "http://localhost:8400/callback"


async def consent(app: Any, authorization_url: str, **extra: str) -> str:
    """What the user's browser does at the (auto-consenting) emulator: return the callback URL."""
    url = httpx.URL(authorization_url).copy_merge_params(extra)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as browser:
        response = await browser.get(url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def test_consent_creates_a_working_connection_with_pkce(
    client: AsyncClient, ledgerly_app: Any, emulator: LedgerlyEmulator
) -> None:
    url = await client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=REDIRECT)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["state"][0]) >= 40
    assert query["redirect_uri"] == [REDIRECT] and query["scope"] == ["books"]
    callback = await consent(ledgerly_app, url)
    connections = await client.complete_authorization(provider="ledgerly", callback_url=callback)
    assert [c.key for c in connections] == [("acme", "ledgerly", "c-1")]
    assert await connections[0].customers.list().to_list() == []
    record = await connections[0].record()
    assert (record.health, record.company_name, record.tokens.scopes) == (
        ConnectionHealth.OK,
        "Ledgerly c-1",
        ("books",),
    )
    assert emulator.code_exchanges == 1


async def test_forged_missing_replayed_and_expired_states_exchange_nothing(
    client: AsyncClient, ledgerly_app: Any, emulator: LedgerlyEmulator
) -> None:
    url = await client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=REDIRECT)
    callback = await consent(ledgerly_app, url)
    forged = callback.replace("state=", "state=x")
    without_state = callback.split("&state=")[0]
    for bad, problem in ((forged, StateProblem.UNKNOWN), (without_state, StateProblem.MISSING)):
        with pytest.raises(InvalidState) as refused:
            await client.complete_authorization(provider="ledgerly", callback_url=bad)
        assert refused.value.problem is problem
    await client.complete_authorization(provider="ledgerly", callback_url=callback)
    with pytest.raises(InvalidState, match="already used") as replayed:
        await client.complete_authorization(provider="ledgerly", callback_url=callback)
    assert replayed.value.problem is StateProblem.REPLAYED
    stale = await client.states.create_state(
        consumer_id="acme",
        provider="ledgerly",
        redirect_uri=REDIRECT,
        code_verifier=None,
        lifetime=timedelta(0),
    )
    with pytest.raises(InvalidState, match="10 minutes"):
        await client.complete_authorization(
            provider="ledgerly", callback_url=f"{REDIRECT}?code=c&state={stale}&company=c-1"
        )
    assert emulator.code_exchanges == 1


async def test_a_state_is_bound_to_its_consumer_and_provider(
    client: AsyncClient, ledgerly_app: Any, emulator: LedgerlyEmulator
) -> None:
    callback = await consent(
        ledgerly_app,
        await client.authorization_url(consumer_id="a", provider="ledgerly", redirect_uri=REDIRECT),
    )
    with pytest.raises(InvalidState) as other_consumer:
        await client.complete_authorization(provider="ledgerly", callback_url=callback, consumer_id="b")
    assert other_consumer.value.problem is StateProblem.WRONG_CONSUMER
    other = await client.states.create_state(
        consumer_id="a", provider="other", redirect_uri=REDIRECT, code_verifier=None
    )
    with pytest.raises(InvalidState) as other_provider:
        await client.complete_authorization(
            provider="ledgerly", callback_url=f"{REDIRECT}?code=c&state={other}&company=c-1"
        )
    assert other_provider.value.problem is StateProblem.WRONG_PROVIDER
    assert emulator.code_exchanges == 0
    assert await client.connections() == []


async def test_a_declined_consent_is_reported_and_uses_up_the_state(client: AsyncClient) -> None:
    url = await client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=REDIRECT)
    state = parse_qs(urlsplit(url).query)["state"][0]
    denied = f"{REDIRECT}?error=access_denied&error_description=User+cancelled&state={state}"
    with pytest.raises(AuthorizationDenied, match="access_denied"):
        await client.complete_authorization(provider="ledgerly", callback_url=denied)
    with pytest.raises(InvalidState):
        await client.complete_authorization(provider="ledgerly", callback_url=denied)


async def test_a_company_id_changed_in_the_callback_is_refused_and_nothing_stored(
    database_url: str, secret_key: str, make_client: Any
) -> None:
    """The callback's company passed through the browser: only the token's own company is stored."""
    app = create_emulator(companies=("c-1", "c-2"))
    async with make_client(app, database_url, secret_key) as client:
        url = await client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=REDIRECT)
        callback = await consent(app, url)  # the user consented for c-1
        assert "company=c-1" in callback
        tampered = callback.replace("company=c-1", "company=c-2")
        with pytest.raises(AuthorizationDenied) as refused:
            await client.complete_authorization(provider="ledgerly", callback_url=tampered)
        assert refused.value.error == "company_not_confirmed" and "c-2" in str(refused.value)
        assert await client.connections() == []
        assert len(app.state.emulator.revoked) == 1  # the grant nobody will store is ended
        with pytest.raises(InvalidState):  # the state is used up: no second try with the same code
            await client.complete_authorization(provider="ledgerly", callback_url=callback)
        assert await client.connections() == []
        honest = await consent(
            app,
            await client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=REDIRECT),
        )
        [connection] = await client.complete_authorization(provider="ledgerly", callback_url=honest)
        assert connection.key == ("acme", "ledgerly", "c-1")


async def test_redirect_uris_must_be_https_outside_localhost(client: AsyncClient) -> None:
    for good in ("https://app.example.com/cb", "http://127.0.0.1:9000/cb", "http://localhost/cb"):
        await client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=good)
    for bad, message in (
        ("http://app.example.com/cb", "must be https"),
        ("/cb", "absolute"),
        ("https://x.example/cb#f", "fragment"),
    ):
        with pytest.raises(ConfigurationError, match=message):
            await client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=bad)


async def test_reconnecting_restores_health_and_fires_hooks(
    ledgerly_app: Any, emulator: LedgerlyEmulator, database_url: str, secret_key: str, make_client: Any
) -> None:
    events: list[str] = []

    class Watcher:
        @hookimpl
        def ua_connection_established(self, connection: Any, reconnected: bool) -> None:
            events.append(f"established reconnected={reconnected}")

        @hookimpl
        def ua_connection_health_changed(self, connection: Any, previous: Any, current: Any) -> None:
            events.append(f"{previous.value}->{current.value}")

        @hookimpl
        def ua_connection_disconnected(self, connection: Any, revoked_at_provider: bool) -> None:
            events.append(f"disconnected revoked={revoked_at_provider}")

    async with make_client(ledgerly_app, database_url, secret_key, plugins=(Watcher(),)) as client:
        for _ in range(2):
            url = await client.authorization_url(
                consumer_id="acme", provider="ledgerly", redirect_uri=REDIRECT
            )
            [conn] = await client.complete_authorization(
                provider="ledgerly", callback_url=await consent(ledgerly_app, url)
            )
            if not events[1:]:
                await client.store.save(
                    (await conn.record()).model_copy(update={"health": ConnectionHealth.NEEDS_REAUTH})
                )
        assert (await conn.record()).health is ConnectionHealth.OK
        refresh_token = (await conn.record()).tokens.refresh_token
        assert await client.disconnect(consumer_id="acme", provider="ledgerly") is True
        assert await client.connections() == []
    assert refresh_token is not None and emulator.revoked == [refresh_token.get_secret_value()]
    assert events == [
        "established reconnected=False",
        "needs_reauth->ok",
        "established reconnected=True",
        "ok->revoked",
        "disconnected revoked=True",
    ]


async def test_the_state_and_verifier_never_reach_the_file(
    ledgerly_app: Any, sqlite_url: str, secret_key: str, make_client: Any, tmp_path: Path
) -> None:
    async with make_client(ledgerly_app, sqlite_url, secret_key) as client:
        url = await client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=REDIRECT)
        query = parse_qs(urlsplit(url).query)
        raw = _vault_bytes(tmp_path)
    assert raw and query["state"][0].encode() not in raw and query["code_challenge"][0].encode() not in raw


def _vault_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.glob("vault.sqlite3*"))


def test_the_blocking_client_has_the_flow_too(
    ledgerly_app: Any, emulator: LedgerlyEmulator, sqlite_url: str, secret_key: str
) -> None:
    settings = {
        "client_id": "ledgerly-client",
        "client_secret": "ledgerly-secret",
        "base_url": "http://ledgerly.test",
    }
    with Client(
        providers={"ledgerly": settings},
        transport=httpx.ASGITransport(app=ledgerly_app),
        database_url=sqlite_url,
        secret_key=secret_key,
        environ={},
    ) as client:
        url = client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=REDIRECT)
        callback = asyncio.run(consent(ledgerly_app, url))
        [conn] = client.complete_authorization(provider="ledgerly", callback_url=callback)
        assert conn.customers.list().to_list() == []
        assert [r.company_id for r in client.connections(consumer_id="acme")] == ["c-1"]
        assert client.disconnect(consumer_id="acme", provider="ledgerly") is True


async def test_a_callback_without_its_company_spends_no_code(
    client: AsyncClient, ledgerly_app: Any, emulator: LedgerlyEmulator
) -> None:
    url = await client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=REDIRECT)
    callback = await consent(ledgerly_app, url)
    without_company = "&".join(p for p in callback.split("&") if not p.startswith("company="))
    with pytest.raises(ValidationFailed, match="carries no company"):
        await client.complete_authorization(provider="ledgerly", callback_url=without_company)
    assert emulator.code_exchanges == 0 and await client.connections() == []


async def test_a_wrong_client_secret_names_the_setting_to_fix(
    ledgerly_app: Any, database_url: str, secret_key: str, make_client: Any
) -> None:
    wrong = {"client_id": "ledgerly-client", "client_secret": "not-it", "base_url": "http://ledgerly.test"}
    async with make_client(ledgerly_app, database_url, secret_key, settings=wrong) as client:
        url = await client.authorization_url(consumer_id="acme", provider="ledgerly", redirect_uri=REDIRECT)
        with pytest.raises(AuthenticationError, match="UA_LEDGERLY_CLIENT_SECRET") as refused:
            await client.complete_authorization(
                provider="ledgerly", callback_url=await consent(ledgerly_app, url)
            )
        assert refused.value.code == "invalid_client" and not isinstance(
            refused.value, ReauthorizationRequired
        )
        assert await client.connections() == []
