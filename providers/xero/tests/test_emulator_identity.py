"""Identity emulation: authorize (PKCE, picker, denial), token grants, rotation, revocation, connections."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from unified_accounting_xero.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REDIRECT_URIS,
    XeroEmulator,
    create_emulator,
    pkce_challenge,
)
from unified_accounting_xero.emulator.testing import http_client

REDIRECT = DEFAULT_REDIRECT_URIS[0]
SCOPE = "openid profile email offline_access accounting.transactions accounting.contacts accounting.settings"
START = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
BASIC = "Basic " + base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()


def authorize_params(**overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": SCOPE,
        "state": "xyz-state",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def redirect_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def get_code(client: httpx.AsyncClient, **overrides: str | None) -> str:
    response = await client.get("/identity/connect/authorize", params=authorize_params(**overrides))
    query = redirect_query(response)
    assert query["state"] == "xyz-state"
    return query["code"]


async def exchange(client: httpx.AsyncClient, code: str, **extra: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    return await client.post("/connect/token", data=data, headers={"Authorization": BASIC})


async def refresh(client: httpx.AsyncClient, token: str, basic: bool = True) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": token}
    if basic:
        return await client.post("/connect/token", data=data, headers={"Authorization": BASIC})
    data.update(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    return await client.post("/connect/token", data=data)


async def connections(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.get("/connections", headers={"Authorization": f"Bearer {access_token}"})


def emulator(app: Any) -> XeroEmulator:
    em: XeroEmulator = app.state.emulator
    return em


@pytest.fixture
def app() -> Any:
    return create_emulator(start_time=START)


@pytest.fixture
def multi_app() -> Any:
    return create_emulator(start_time=START, tenants=["Acme NZ", "Acme AU", "Acme UK"])


@pytest.mark.anyio
class TestAuthorize:
    async def test_single_tenant_auto_consent_and_full_token_response(self, app: Any) -> None:
        async with http_client(app) as client:
            code = await get_code(client)
            response = await exchange(client, code)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"id_token", "access_token", "expires_in", "token_type", "refresh_token", "scope"}
        assert body["expires_in"] == 1800
        assert body["token_type"] == "Bearer"
        assert body["scope"] == SCOPE
        assert body["access_token"].count(".") == 2  # JWT-shaped like Xero's
        assert response.headers["cache-control"] == "no-store"

    async def test_redirect_carries_scope_and_state(self, app: Any) -> None:
        async with http_client(app) as client:
            response = await client.get("/identity/connect/authorize", params=authorize_params())
        query = redirect_query(response)
        assert query["scope"] == SCOPE
        assert query["state"] == "xyz-state"

    async def test_without_openid_and_offline_access(self, app: Any) -> None:
        async with http_client(app) as client:
            code = await get_code(client, scope="accounting.transactions")
            body = (await exchange(client, code)).json()
        assert "id_token" not in body
        assert "refresh_token" not in body
        assert body["scope"] == "accounting.transactions"

    async def test_granular_2026_scopes_are_accepted(self, app: Any) -> None:
        async with http_client(app) as client:
            code = await get_code(client, scope="offline_access accounting.invoices accounting.payments")
            assert (await exchange(client, code)).status_code == 200

    async def test_unknown_client_shows_error_page(self, app: Any) -> None:
        async with http_client(app) as client:
            response = await client.get(
                "/identity/connect/authorize", params=authorize_params(client_id="nope")
            )
        assert response.status_code == 400
        assert "unauthorized_client" in response.text
        assert "location" not in response.headers

    async def test_unregistered_redirect_uri_is_not_followed(self, app: Any) -> None:
        async with http_client(app) as client:
            response = await client.get(
                "/identity/connect/authorize", params=authorize_params(redirect_uri="https://evil.example/cb")
            )
        assert response.status_code == 400
        assert "location" not in response.headers

    @pytest.mark.parametrize(
        ("overrides", "error"),
        [
            ({"response_type": "token"}, "unsupported_response_type"),
            ({"scope": "accounting.everything"}, "invalid_scope"),
            ({"scope": None}, "invalid_scope"),
            ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request"),
            ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
        ],
    )
    async def test_errors_are_redirected(
        self, app: Any, overrides: dict[str, str | None], error: str
    ) -> None:
        async with http_client(app) as client:
            response = await client.get("/identity/connect/authorize", params=authorize_params(**overrides))
        query = redirect_query(response)
        assert query["error"] == error
        assert query["state"] == "xyz-state"

    async def test_denied_consent(self) -> None:
        app = create_emulator(deny_consent=True)
        async with http_client(app) as client:
            response = await client.get("/identity/connect/authorize", params=authorize_params())
        assert redirect_query(response) == {"error": "access_denied", "state": "xyz-state"}


@pytest.mark.anyio
class TestTenantPicker:
    async def test_picker_page_lists_every_organisation(self, multi_app: Any) -> None:
        async with http_client(multi_app) as client:
            response = await client.get("/identity/connect/authorize", params=authorize_params())
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert '<html lang="en">' in html
        assert html.count('type="checkbox"') == 3
        for name in ("Acme NZ", "Acme AU", "Acme UK"):
            assert f">{name}</label>" in html
        assert "<legend>" in html and 'type="submit"' in html
        assert not re.search(r"<script|<link|<img|src=", html)  # no external assets

    async def test_submitting_the_picker_grants_the_chosen_tenants(self, multi_app: Any) -> None:
        em = emulator(multi_app)
        chosen = em.tenant_ids[1:]
        async with http_client(multi_app) as client:
            page = await client.get("/identity/connect/authorize", params=authorize_params())
            hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
            assert hidden["state"] == "xyz-state"
            form = [*hidden.items(), *(("tenant", t) for t in chosen), ("action", "allow")]
            response = await client.post("/identity/connect/authorize", data=dict(form) | {"tenant": chosen})
            code = redirect_query(response)["code"]
            tokens = (await exchange(client, code)).json()
            listed = (await connections(client, tokens["access_token"])).json()
        assert sorted(c["tenantId"] for c in listed) == sorted(chosen)
        assert {c["tenantName"] for c in listed} == {"Acme AU", "Acme UK"}

    async def test_submitting_nothing_shows_the_page_again(self, multi_app: Any) -> None:
        async with http_client(multi_app) as client:
            response = await client.post(
                "/identity/connect/authorize", data=authorize_params() | {"action": "allow"}
            )
        assert response.status_code == 400
        assert 'role="alert"' in response.text

    async def test_cancel_denies(self, multi_app: Any) -> None:
        async with http_client(multi_app) as client:
            response = await client.post(
                "/identity/connect/authorize", data=authorize_params() | {"action": "deny"}
            )
        assert redirect_query(response)["error"] == "access_denied"

    async def test_auto_grant_all(self) -> None:
        app = create_emulator(tenants=3, auto_grant_all_tenants=True)
        async with http_client(app) as client:
            code = await get_code(client)
            tokens = (await exchange(client, code)).json()
            listed = (await connections(client, tokens["access_token"])).json()
        assert len(listed) == 3


@pytest.mark.anyio
class TestCodeExchange:
    async def test_pkce_round_trip_without_secret(self, app: Any) -> None:
        verifier = secrets.token_urlsafe(48)[:64]
        async with http_client(app) as client:
            code = await get_code(
                client, code_challenge=pkce_challenge(verifier), code_challenge_method="S256"
            )
            response = await client.post(
                "/connect/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT,
                    "client_id": DEFAULT_CLIENT_ID,
                    "code_verifier": verifier,
                },
            )
            assert response.status_code == 200, response.text
            # the PKCE-bound refresh token also works without a secret
            again = await client.post(
                "/connect/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": response.json()["refresh_token"],
                    "client_id": DEFAULT_CLIENT_ID,
                },
            )
        assert again.status_code == 200

    @pytest.mark.parametrize(
        "verifier",
        [None, "x" * 42, "y" * 129, "wrong-verifier-" + "z" * 40, "bad chars!" + "a" * 40],
    )
    async def test_pkce_rejections(self, app: Any, verifier: str | None) -> None:
        good = "v" * 50
        async with http_client(app) as client:
            code = await get_code(client, code_challenge=pkce_challenge(good), code_challenge_method="S256")
            extra = {"code_verifier": verifier} if verifier is not None else {}
            response = await exchange(client, code, **extra)
            assert response.status_code == 400
            assert response.json()["error"] == "invalid_grant"
            # the code is still usable with the right verifier (a failed attempt does not consume it)
            assert (await exchange(client, code, code_verifier=good)).status_code == 200

    async def test_verifier_length_bounds_are_inclusive(self, app: Any) -> None:
        async with http_client(app) as client:
            for verifier in ("a" * 43, "b" * 128):
                code = await get_code(
                    client, code_challenge=pkce_challenge(verifier), code_challenge_method="S256"
                )
                assert (await exchange(client, code, code_verifier=verifier)).status_code == 200

    async def test_code_is_single_use(self, app: Any) -> None:
        async with http_client(app) as client:
            code = await get_code(client)
            assert (await exchange(client, code)).status_code == 200
            second = await exchange(client, code)
        assert second.status_code == 400
        assert second.json()["error"] == "invalid_grant"

    async def test_code_expires_after_five_minutes(self, app: Any) -> None:
        async with http_client(app) as client:
            code = await get_code(client)
            emulator(app).advance(299)
            assert (await exchange(client, code)).status_code == 200
            code = await get_code(client)
            emulator(app).advance(300)
            response = await exchange(client, code)
        assert response.json()["error"] == "invalid_grant"

    async def test_redirect_uri_must_match(self, app: Any) -> None:
        async with http_client(app) as client:
            code = await get_code(client)
            response = await client.post(
                "/connect/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": DEFAULT_REDIRECT_URIS[1],
                },
                headers={"Authorization": BASIC},
            )
        assert response.json()["error"] == "invalid_grant"

    async def test_client_auth_in_body(self, app: Any) -> None:
        async with http_client(app) as client:
            code = await get_code(client)
            response = await client.post(
                "/connect/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT,
                    "client_id": DEFAULT_CLIENT_ID,
                    "client_secret": DEFAULT_CLIENT_SECRET,
                },
            )
        assert response.status_code == 200

    async def test_confidential_flow_needs_the_secret(self, app: Any) -> None:
        async with http_client(app) as client:
            code = await get_code(client)
            response = await client.post(
                "/connect/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT,
                    "client_id": DEFAULT_CLIENT_ID,
                },
            )
        assert response.json() == {"error": "invalid_client"}

    @pytest.mark.parametrize(
        "headers",
        [
            {"Authorization": "Basic " + base64.b64encode(f"{DEFAULT_CLIENT_ID}:wrong".encode()).decode()},
            {"Authorization": "Basic " + base64.b64encode(b"other:secret").decode()},
            {"Authorization": "Basic !!!notbase64"},
        ],
    )
    async def test_invalid_client(self, app: Any, headers: dict[str, str]) -> None:
        async with http_client(app) as client:
            code = await get_code(client)
            response = await client.post(
                "/connect/token",
                data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
                headers=headers,
            )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_unsupported_grant(self, app: Any) -> None:
        async with http_client(app) as client:
            response = await client.post(
                "/connect/token", data={"grant_type": "password"}, headers={"Authorization": BASIC}
            )
        assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.anyio
class TestRefresh:
    async def test_rotation_returns_a_new_refresh_token(self, app: Any) -> None:
        em = emulator(app)
        first = em.issue_tokens()
        async with http_client(app) as client:
            response = await refresh(client, first["refresh_token"])
        body = response.json()
        assert response.status_code == 200
        assert body["refresh_token"] != first["refresh_token"]
        assert body["access_token"] != first["access_token"]
        assert body["expires_in"] == 1800
        assert em.refresh_count == 1

    async def test_body_credentials_work_for_refresh(self, app: Any) -> None:
        first = emulator(app).issue_tokens()
        async with http_client(app) as client:
            assert (await refresh(client, first["refresh_token"], basic=False)).status_code == 200

    async def test_grace_period_returns_the_same_pair(self, app: Any) -> None:
        em = emulator(app)
        first = em.issue_tokens()
        async with http_client(app) as client:
            new = (await refresh(client, first["refresh_token"])).json()
            em.advance(29 * 60)
            retry = await refresh(client, first["refresh_token"])
            assert retry.status_code == 200
            assert retry.json()["refresh_token"] == new["refresh_token"]
            assert retry.json()["access_token"] == new["access_token"]
            em.advance(61)
            late = await refresh(client, first["refresh_token"])
            assert late.status_code == 400
            assert late.json() == {"error": "invalid_grant"}
            # the rotated-in token still works
            assert (await refresh(client, new["refresh_token"])).status_code == 200
        assert em.refresh_count == 4
        assert [a.outcome for a in em.identity.refresh_attempts] == [
            "rotated",
            "grace_same_pair",
            "invalid_grant",
            "rotated",
        ]

    async def test_grace_disabled(self) -> None:
        app = create_emulator(refresh_grace_s=0)
        em = emulator(app)
        first = em.issue_tokens()
        async with http_client(app) as client:
            assert (await refresh(client, first["refresh_token"])).status_code == 200
            assert (await refresh(client, first["refresh_token"])).json() == {"error": "invalid_grant"}

    async def test_grace_new_pair_mode_retires_the_first_result(self) -> None:
        app = create_emulator(refresh_grace_mode="new_pair")
        em = emulator(app)
        first = em.issue_tokens()
        async with http_client(app) as client:
            a = (await refresh(client, first["refresh_token"])).json()
            b = (await refresh(client, first["refresh_token"])).json()
            assert b["refresh_token"] != a["refresh_token"]
            assert (await refresh(client, a["refresh_token"])).json() == {"error": "invalid_grant"}
            assert (await refresh(client, b["refresh_token"])).status_code == 200

    async def test_independent_copies_eventually_fail(self, app: Any) -> None:
        """Two processes holding the same token: after the grace period the stale copy gets invalid_grant."""
        em = emulator(app)
        first = em.issue_tokens()
        async with http_client(app) as client:
            process_a = (await refresh(client, first["refresh_token"])).json()
            em.advance(31 * 60)
            process_a = (await refresh(client, process_a["refresh_token"])).json()
            stale = await refresh(client, first["refresh_token"])
        assert stale.json()["error"] == "invalid_grant"
        assert process_a["refresh_token"]

    async def test_refresh_token_expires_after_sixty_unused_days(self, app: Any) -> None:
        em = emulator(app)
        tokens = em.issue_tokens()
        em.advance(59 * 86400)
        async with http_client(app) as client:
            fresh = (await refresh(client, tokens["refresh_token"])).json()
            em.advance(60 * 86400)
            assert (await refresh(client, fresh["refresh_token"])).json()["error"] == "invalid_grant"

    async def test_unknown_refresh_token(self, app: Any) -> None:
        async with http_client(app) as client:
            response = await refresh(client, "not-a-token")
        assert response.status_code == 400
        assert response.json() == {"error": "invalid_grant"}
        assert emulator(app).refresh_count == 1

    async def test_refreshed_access_token_works_after_expiry(self, app: Any) -> None:
        em = emulator(app)
        tokens = em.issue_tokens()
        em.advance(1800)
        async with http_client(app) as client:
            assert (await connections(client, tokens["access_token"])).status_code == 401
            new = (await refresh(client, tokens["refresh_token"])).json()
            assert (await connections(client, new["access_token"])).status_code == 200


@pytest.mark.anyio
class TestConnectionsAndRevocation:
    async def test_connections_shape(self, app: Any) -> None:
        em = emulator(app)
        tokens = em.issue_tokens()
        async with http_client(app) as client:
            response = await connections(client, tokens["access_token"])
        listed = response.json()
        assert response.status_code == 200
        assert len(listed) == 1
        connection = listed[0]
        assert set(connection) == {
            "id",
            "authEventId",
            "tenantId",
            "tenantType",
            "tenantName",
            "createdDateUtc",
            "updatedDateUtc",
        }
        assert connection["tenantId"] == em.default_tenant_id
        assert connection["tenantType"] == "ORGANISATION"
        assert connection["tenantName"] == "Demo Company (Global)"
        assert connection["createdDateUtc"] == "2024-06-01T09:00:00.0000000"
        assert tokens["connections"] == listed

    async def test_auth_event_filter_and_reconsent_updates_connection(self, app: Any) -> None:
        em = emulator(app)
        first = em.issue_tokens()
        em.advance(60)
        second = em.issue_tokens()
        async with http_client(app) as client:
            listed = (await connections(client, second["access_token"])).json()
            assert len(listed) == 1  # one connection per organisation, updated by the second consent
            assert listed[0]["updatedDateUtc"] == "2024-06-01T09:01:00.0000000"
            event = listed[0]["authEventId"]
            filtered = await client.get(
                "/connections",
                params={"authEventId": event},
                headers={"Authorization": f"Bearer {first['access_token']}"},
            )
        assert len(filtered.json()) == 1

    async def test_delete_connection(self, multi_app: Any) -> None:
        em = emulator(multi_app)
        tokens = em.issue_tokens()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with http_client(multi_app) as client:
            listed = (await client.get("/connections", headers=auth)).json()
            assert len(listed) == 3
            gone = listed[0]
            assert (await client.delete(f"/connections/{gone['id']}", headers=auth)).status_code == 204
            assert (await client.delete(f"/connections/{gone['id']}", headers=auth)).status_code == 404
            remaining = (await client.get("/connections", headers=auth)).json()
            assert gone["id"] not in {c["id"] for c in remaining}
            # the removed tenant can no longer be called
            api = await client.get(
                "/api.xro/2.0/Invoices",
                headers=auth | {"Accept": "application/json", "xero-tenant-id": gone["tenantId"]},
            )
        assert api.status_code == 403

    async def test_connections_need_a_valid_token(self, app: Any) -> None:
        async with http_client(app) as client:
            assert (await client.get("/connections")).status_code == 401
            assert (await connections(client, "garbage")).status_code == 401

    async def test_revocation_removes_connections_and_tokens(self, app: Any) -> None:
        em = emulator(app)
        tokens = em.issue_tokens()
        async with http_client(app) as client:
            response = await client.post(
                "/connect/revocation",
                data={"token": tokens["refresh_token"]},
                headers={"Authorization": BASIC},
            )
            assert response.status_code == 200
            assert em.connections == []
            assert (await refresh(client, tokens["refresh_token"])).json()["error"] == "invalid_grant"
            assert (await connections(client, tokens["access_token"])).status_code == 401

    async def test_revocation_can_keep_access_tokens(self) -> None:
        app = create_emulator(revoke_invalidates_access_tokens=False)
        em = emulator(app)
        tokens = em.issue_tokens()
        async with http_client(app) as client:
            await client.post(
                "/connect/revocation",
                data={
                    "token": tokens["refresh_token"],
                    "client_id": DEFAULT_CLIENT_ID,
                    "client_secret": DEFAULT_CLIENT_SECRET,
                },
            )
            listed = await connections(client, tokens["access_token"])
        assert listed.status_code == 200
        assert listed.json() == []

    async def test_revocation_needs_client_auth(self, app: Any) -> None:
        tokens = emulator(app).issue_tokens()
        async with http_client(app) as client:
            response = await client.post("/connect/revocation", data={"token": tokens["refresh_token"]})
        assert response.json()["error"] == "invalid_client"
        assert emulator(app).connections

    async def test_unknown_token_revocation_is_ok(self, app: Any) -> None:
        async with http_client(app) as client:
            response = await client.post(
                "/connect/revocation", data={"token": "zzz"}, headers={"Authorization": BASIC}
            )
        assert response.status_code == 200

    async def test_control_methods(self, app: Any) -> None:
        em = emulator(app)
        tokens = em.issue_tokens()
        assert tokens["tenant_ids"] == [em.default_tenant_id]
        assert tokens["expires_at"] == datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
        async with http_client(app) as client:
            em.expire_access_tokens()
            response = await connections(client, tokens["access_token"])
            assert response.status_code == 401
            assert response.json()["Detail"] == "TokenExpired: token expired at 06/01/2024 09:00:00"
            em.revoke_all()
            assert (await refresh(client, tokens["refresh_token"])).json()["error"] == "invalid_grant"
        assert em.connections == []
        with pytest.raises(KeyError):
            em.issue_tokens(["00000000-0000-4000-8000-000000000000"])

    async def test_openid_configuration(self, app: Any) -> None:
        async with http_client(app) as client:
            body = (await client.get("/.well-known/openid-configuration")).json()
        assert body["token_endpoint"] == "http://xero.test/connect/token"
        assert body["code_challenge_methods_supported"] == ["S256"]
