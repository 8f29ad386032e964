"""Emulated Intuit OAuth 2.0: authorize, token grants, rotation, grace, revocation, bearer checks."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from unified_accounting_quickbooks.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    create_emulator,
)

REDIRECT = "https://app.example/callback"
SCOPE = "com.intuit.quickbooks.accounting"
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://qbo.test")


def basic(client_id: str = DEFAULT_CLIENT_ID, secret: str = DEFAULT_CLIENT_SECRET) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}", "Accept": "application/json"}


async def authorize(client: httpx.AsyncClient, **extra: str) -> dict[str, str]:
    params = {
        "client_id": DEFAULT_CLIENT_ID,
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": REDIRECT,
        "state": "xyz",
        **extra,
    }
    response = await client.get("/connect/oauth2", params=params)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def exchange(
    client: httpx.AsyncClient, code: str, redirect_uri: str = REDIRECT, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        headers=headers or basic(),
    )


async def refresh(client: httpx.AsyncClient, token: str, **headers: str) -> httpx.Response:
    return await client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": token},
        headers={**basic(), **headers},
    )


async def api_get(
    client: httpx.AsyncClient, app: Any, access: str, realm: str | None = None
) -> httpx.Response:
    emulator = app.state.emulator
    return await client.get(
        f"{emulator.api_path(realm)}/companyinfo/{realm or emulator.default_realm_id}",
        headers={"Authorization": f"Bearer {access}", "Accept": "application/json"},
    )


def fixed_clock_app(**options: Any) -> Any:
    return create_emulator(clock=lambda: START, **options)


@pytest.mark.anyio
async def test_authorize_redirects_with_code_state_and_realm() -> None:
    app = create_emulator()
    async with client_for(app) as client:
        params = await authorize(client)
    assert params["state"] == "xyz"
    assert params["realmId"] == app.state.emulator.default_realm_id
    assert params["code"]


@pytest.mark.anyio
async def test_authorize_validation() -> None:
    app = create_emulator(redirect_uris=[REDIRECT])
    async with client_for(app) as client:
        base = {
            "client_id": DEFAULT_CLIENT_ID,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": REDIRECT,
        }
        bad_client = await client.get("/connect/oauth2", params={**base, "client_id": "nope"})
        assert bad_client.status_code == 400
        bad_redirect = await client.get(
            "/connect/oauth2", params={**base, "redirect_uri": "https://evil.example/"}
        )
        assert bad_redirect.status_code == 400
        bad_type = await client.get(
            "/connect/oauth2", params={**base, "response_type": "token", "state": "s"}
        )
        assert bad_type.status_code == 302
        assert "error=unsupported_response_type" in bad_type.headers["location"]
        assert "state=s" in bad_type.headers["location"]
        bad_scope = await client.get("/connect/oauth2", params={**base, "scope": "com.example.other"})
        assert "error=invalid_scope" in bad_scope.headers["location"]
        no_scope = await client.get("/connect/oauth2", params={**base, "scope": ""})
        assert "error=invalid_scope" in no_scope.headers["location"]


@pytest.mark.anyio
async def test_authorize_denied_by_option() -> None:
    app = create_emulator(consent="deny")
    async with client_for(app) as client:
        params = await authorize(client)
    assert params == {"error": "access_denied", "state": "xyz"}


@pytest.mark.anyio
async def test_company_picker_with_several_realms() -> None:
    app = create_emulator(realms=["111", "222"], company_picker=True)
    async with client_for(app) as client:
        page = await client.get(
            "/connect/oauth2",
            params={
                "client_id": DEFAULT_CLIENT_ID,
                "response_type": "code",
                "scope": SCOPE,
                "redirect_uri": REDIRECT,
                "state": "s",
            },
        )
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert 'data-realm-id="222"' in page.text
        params = await authorize(client, realmId="222")
        assert params["realmId"] == "222"
        tokens = (await exchange(client, params["code"])).json()
        assert (await api_get(client, app, tokens["access_token"], "222")).status_code == 200
        assert (await api_get(client, app, tokens["access_token"], "111")).status_code == 403


@pytest.mark.anyio
async def test_several_realms_without_picker_auto_pick_first() -> None:
    app = create_emulator(realms=3)
    async with client_for(app) as client:
        params = await authorize(client)
    assert params["realmId"] == app.state.emulator.realm_ids[0]
    assert len(app.state.emulator.realm_ids) == 3


@pytest.mark.anyio
async def test_code_exchange_response_shape() -> None:
    app = create_emulator()
    async with client_for(app) as client:
        params = await authorize(client)
        response = await exchange(client, params["code"])
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "access_token",
            "refresh_token",
            "token_type",
            "expires_in",
            "x_refresh_token_expires_in",
        }
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 3600
        assert body["x_refresh_token_expires_in"] == 8726400
        assert "intuit_tid" in response.headers
        api = await api_get(client, app, body["access_token"])
        assert api.status_code == 200
        assert api.json()["CompanyInfo"]["CompanyName"]


@pytest.mark.anyio
async def test_hard_expiry_header() -> None:
    app = fixed_clock_app()
    async with client_for(app) as client:
        params = await authorize(client)
        response = await client.post(
            "/oauth2/v1/tokens/bearer",
            data={"grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT},
            headers={**basic(), "x-include-refresh-token-hard-expires-in": "true"},
        )
        body = response.json()
        assert body["x_refresh_token_hard_expires_in"] == 5 * 365 * 86400
        app.state.emulator.advance(100)
        again = await refresh(
            client, body["refresh_token"], **{"x-include-refresh-token-hard-expires-in": "true"}
        )
        assert again.json()["x_refresh_token_hard_expires_in"] == 5 * 365 * 86400 - 100
        plain = await refresh(client, body["refresh_token"])
        assert "x_refresh_token_hard_expires_in" not in plain.json()


@pytest.mark.anyio
async def test_code_reuse_fails_and_revokes_tokens_it_produced() -> None:
    app = create_emulator()
    async with client_for(app) as client:
        params = await authorize(client)
        first = (await exchange(client, params["code"])).json()
        assert (await api_get(client, app, first["access_token"])).status_code == 200
        second = await exchange(client, params["code"])
        assert second.status_code == 400
        assert second.json()["error"] == "invalid_grant"
        assert (await api_get(client, app, first["access_token"])).status_code == 401
        assert (await refresh(client, first["refresh_token"])).json()["error"] == "invalid_grant"


@pytest.mark.anyio
async def test_code_errors() -> None:
    app = fixed_clock_app()
    async with client_for(app) as client:
        params = await authorize(client)
        wrong_redirect = await exchange(client, params["code"], redirect_uri="https://other.example/cb")
        assert wrong_redirect.status_code == 400
        assert wrong_redirect.json()["error"] == "invalid_grant"
        unknown = await exchange(client, "not-a-code")
        assert unknown.json()["error"] == "invalid_grant"
        bad_client = await exchange(client, params["code"], headers=basic(secret="wrong"))
        assert bad_client.status_code == 401
        assert bad_client.json() == {"error": "invalid_client"}
        no_auth = await client.post("/oauth2/v1/tokens/bearer", data={"grant_type": "refresh_token"})
        assert no_auth.status_code == 401
        unsupported = await client.post(
            "/oauth2/v1/tokens/bearer", data={"grant_type": "password"}, headers=basic()
        )
        assert unsupported.status_code == 400
        assert unsupported.json()["error"] == "unsupported_grant_type"
        missing = await client.post("/oauth2/v1/tokens/bearer", data={}, headers=basic())
        assert missing.json()["error"] == "invalid_request"
        params = await authorize(client)
        app.state.emulator.advance(301)
        expired = await exchange(client, params["code"])
        assert expired.json()["error"] == "invalid_grant"


@pytest.mark.anyio
async def test_daily_rotation_and_grace() -> None:
    app = fixed_clock_app()
    emulator = app.state.emulator
    async with client_for(app) as client:
        tokens = (await exchange(client, (await authorize(client))["code"])).json()
        original = tokens["refresh_token"]
        same_day = (await refresh(client, original)).json()
        assert same_day["refresh_token"] == original
        assert same_day["access_token"] != tokens["access_token"]
        assert same_day["x_refresh_token_expires_in"] == 8726400
        emulator.advance(24 * 3600 + 1)
        rotated = (await refresh(client, original)).json()
        assert rotated["refresh_token"] != original
        emulator.advance(3600)
        in_grace = await refresh(client, original)
        assert in_grace.status_code == 200
        assert in_grace.json()["refresh_token"] == rotated["refresh_token"]
        emulator.advance(24 * 3600)
        too_late = await refresh(client, original)
        assert too_late.status_code == 400
        assert too_late.json()["error"] == "invalid_grant"
        assert (await refresh(client, rotated["refresh_token"])).status_code == 200
    assert emulator.refresh_count == 5
    assert emulator.refresh_success_count == 4


@pytest.mark.anyio
async def test_always_rotation_without_grace() -> None:
    app = fixed_clock_app(refresh_token_rotation="always", refresh_token_grace_s=0)
    async with client_for(app) as client:
        tokens = (await exchange(client, (await authorize(client))["code"])).json()
        first = (await refresh(client, tokens["refresh_token"])).json()
        assert first["refresh_token"] != tokens["refresh_token"]
        stale = await refresh(client, tokens["refresh_token"])
        assert stale.status_code == 400
        assert stale.json()["error"] == "invalid_grant"
        second = (await refresh(client, first["refresh_token"])).json()
        assert second["refresh_token"] != first["refresh_token"]


@pytest.mark.anyio
async def test_refresh_token_expires_after_100_days_unused() -> None:
    app = fixed_clock_app()
    emulator = app.state.emulator
    tokens = emulator.issue_tokens()
    async with client_for(app) as client:
        emulator.advance(8726400 - 10)
        assert (await refresh(client, tokens["refresh_token"])).status_code == 200
        emulator.advance(8726400 + 1)
        assert (await refresh(client, tokens["refresh_token"])).json()["error"] == "invalid_grant"


@pytest.mark.anyio
async def test_access_token_expiry_and_gateway_401_body() -> None:
    app = fixed_clock_app()
    emulator = app.state.emulator
    tokens = emulator.issue_tokens()
    async with client_for(app) as client:
        assert (await api_get(client, app, tokens["access_token"])).status_code == 200
        emulator.advance(3600)
        response = await api_get(client, app, tokens["access_token"])
        assert response.status_code == 401
        body = response.json()
        assert body["fault"]["type"] == "AUTHENTICATION"
        assert body["fault"]["error"] == [
            {"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401", "code": "3200"}
        ]
        assert isinstance(body["time"], int)
        fresh = (await refresh(client, tokens["refresh_token"])).json()
        assert (await api_get(client, app, fresh["access_token"])).status_code == 200
        emulator.expire_access_tokens()
        assert (await api_get(client, app, fresh["access_token"])).status_code == 401
        missing = await client.get(f"{emulator.api_path()}/companyinfo/1")
        assert missing.status_code == 401
        garbage = await api_get(client, app, "not-a-token")
        assert garbage.status_code == 401


@pytest.mark.anyio
async def test_revoke_refresh_token_and_access_token() -> None:
    app = create_emulator()
    emulator = app.state.emulator
    async with client_for(app) as client:
        tokens = emulator.issue_tokens()
        response = await client.post(
            "/v2/oauth2/tokens/revoke", json={"token": tokens["refresh_token"]}, headers=basic()
        )
        assert response.status_code == 200
        assert (await api_get(client, app, tokens["access_token"])).status_code == 401
        assert (await refresh(client, tokens["refresh_token"])).json()["error"] == "invalid_grant"

        other = emulator.issue_tokens()
        await client.post("/v2/oauth2/tokens/revoke", json={"token": other["access_token"]}, headers=basic())
        assert (await refresh(client, other["refresh_token"])).status_code == 400

        unauthorised = await client.post("/v2/oauth2/tokens/revoke", json={"token": "x"})
        assert unauthorised.status_code == 401
        empty = await client.post("/v2/oauth2/tokens/revoke", json={}, headers=basic())
        assert empty.status_code == 400

        third = emulator.issue_tokens()
        emulator.revoke_all()
        assert (await api_get(client, app, third["access_token"])).status_code == 401


@pytest.mark.anyio
async def test_token_for_another_company_is_403() -> None:
    app = create_emulator(realms=["111", "222"])
    emulator = app.state.emulator
    tokens = emulator.issue_tokens("111")
    async with client_for(app) as client:
        response = await client.get(
            "/v3/company/222/companyinfo/222", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert response.status_code == 403
        error = response.json()["Fault"]["Error"][0]
        assert error["code"] == "3100"
        assert response.json()["Fault"]["type"] == "AuthorizationFault"
        unknown = await client.get(
            "/v3/company/999/companyinfo/999", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert unknown.status_code == 403


@pytest.mark.anyio
async def test_every_response_has_a_unique_intuit_tid() -> None:
    app = create_emulator()
    async with client_for(app) as client:
        responses = [
            await client.get("/v3/company/1/query"),
            await client.get("/connect/oauth2"),
            await client.post("/oauth2/v1/tokens/bearer"),
            await client.get("/.well-known/openid_configuration"),
        ]
    tids = [response.headers["intuit_tid"] for response in responses]
    assert len(set(tids)) == len(tids)
    assert responses[3].json()["token_endpoint"] == "http://qbo.test/oauth2/v1/tokens/bearer"


@pytest.mark.anyio
async def test_control_routes() -> None:
    app = fixed_clock_app()
    async with client_for(app) as client:
        tokens = (await client.post("/_emulator/tokens")).json()
        assert (await api_get(client, app, tokens["access_token"])).status_code == 200
        moved = (await client.post("/_emulator/advance", params={"seconds": "3600"})).json()
        assert datetime.fromisoformat(moved["now"]) == START + timedelta(hours=1)
        assert (await api_get(client, app, tokens["access_token"])).status_code == 401
        state = (await client.get("/_emulator/state")).json()
        assert state["realms"][app.state.emulator.default_realm_id]["CompanyInfo"] == 1
