"""Xero identity: authorization code (optionally with PKCE), token rotation, tenants, revocation.

One consent may grant several organisations. The token set belongs to the *user*, not to an
organisation, and each granted organisation is a *connection* listed by ``GET /connections``:
:func:`exchange_code` returns one :class:`Grant` per connection of the consent, each carrying its
``connection_id`` (needed to disconnect that organisation alone) and the ``auth_event_id`` shared by
all grants of the consent (their tokens are one set: refreshing one rotates them all).

Every refresh returns a new refresh token that replaces the old one (single use, 30 minutes of grace).
A refresh token unused for 60 days expires. Public clients (PKCE without a client secret) send their
``client_id`` in the body instead of authenticating.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from unified_accounting.errors import (
    AuthenticationError,
    ConfigurationError,
    ProviderUnavailable,
    ReauthorizationRequired,
)
from unified_accounting.http.paths import path_segment
from unified_accounting.oauth import rebase, token_response_json
from unified_accounting.provider import OAuthSettings, ProviderSettings
from unified_accounting.tokens import Grant, TokenSet

from .errors import PROVIDER, error_from_response
from .settings import xero_settings

AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
TOKEN_URL = "https://identity.xero.com/connect/token"
REVOKE_URL = "https://identity.xero.com/connect/revocation"
CONNECTIONS_URL = "https://api.xero.com/connections"

#: Scopes asked for by default: sign-in, a refresh token, and read/write of what the library uses.
DEFAULT_SCOPES: tuple[str, ...] = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.transactions",
    "accounting.contacts",
    "accounting.settings",
)
#: The same access for apps created from 2 March 2026, which must use Xero's granular scopes.
GRANULAR_SCOPES: tuple[str, ...] = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.invoices",
    "accounting.payments",
    "accounting.contacts",
    "accounting.settings",
)
#: A refresh token expires when unused this long (each refresh starts the period again).
REFRESH_TOKEN_IDLE_LIFETIME = timedelta(days=60)

OAUTH = OAuthSettings(
    authorize_url=AUTHORIZE_URL,
    token_url=TOKEN_URL,
    revoke_url=REVOKE_URL,
    scopes=DEFAULT_SCOPES,
    client_auth_method="client_secret_basic",
)


def scopes_for(settings: ProviderSettings) -> tuple[str, ...]:
    if settings.scopes:
        return tuple(settings.scopes)
    return GRANULAR_SCOPES if xero_settings(settings).granular_scopes else DEFAULT_SCOPES


def _client_id(settings: ProviderSettings) -> str:
    if not settings.client_id:
        raise ConfigurationError(
            "provider 'xero' needs client_id for OAuth: pass it in "
            "Client(providers={'xero': {'client_id': ...}}) or set UA_XERO_CLIENT_ID"
        )
    return settings.client_id


def authorization_url(
    settings: ProviderSettings,
    *,
    redirect_uri: str,
    state: str,
    code_challenge: str | None = None,
    scopes: Sequence[str] | None = None,
) -> str:
    """The consent page URL. A ``code_challenge`` (S256) makes it a PKCE request."""
    params = {
        "response_type": "code",
        "client_id": _client_id(settings),
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes or scopes_for(settings)),
        "state": state,
    }
    if code_challenge is not None:
        params.update(code_challenge=code_challenge, code_challenge_method="S256")
    return f"{rebase(AUTHORIZE_URL, settings.base_url)}?{urlencode(params)}"


async def _post_form(
    http: httpx.AsyncClient, settings: ProviderSettings, url: str, fields: Mapping[str, str | None]
) -> httpx.Response:
    """POST a form with Basic client authentication, or the bare client id (PKCE public clients)."""
    headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    body = {k: v for k, v in fields.items() if v is not None}
    client_id = _client_id(settings)
    if settings.client_secret is not None:
        pair = f"{client_id}:{settings.client_secret.get_secret_value()}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        body["client_id"] = client_id
    try:
        return await http.post(rebase(url, settings.base_url), content=urlencode(body), headers=headers)
    except httpx.TransportError as exc:
        raise ProviderUnavailable(f"Xero identity is unreachable: {exc}", provider=PROVIDER) from exc


async def token_request(
    http: httpx.AsyncClient, settings: ProviderSettings, fields: Mapping[str, str | None]
) -> dict[str, Any]:
    """The token endpoint's JSON; ``invalid_grant`` raises ``ReauthorizationRequired``."""
    return token_response_json(PROVIDER, await _post_form(http, settings, TOKEN_URL, fields))


def token_set(payload: dict[str, Any], previous: TokenSet | None = None) -> TokenSet:
    now = datetime.now(UTC)
    tokens = TokenSet.from_token_response(payload, now=now, previous=previous)
    return tokens.model_copy(update={"refresh_token_expires_at": now + REFRESH_TOKEN_IDLE_LIFETIME})


def _jwt_claims(token: str) -> dict[str, Any]:
    """The claims of Xero's access token (a JWT), read without verification: only to group tenants."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


async def list_connections(
    http: httpx.AsyncClient, settings: ProviderSettings, access_token: str
) -> list[dict[str, Any]]:
    """The organisations the user's token may reach (``GET /connections``)."""
    response = await _bearer_call(http, "GET", rebase(CONNECTIONS_URL, settings.base_url), access_token)
    body = response.json()
    return [c for c in body if isinstance(c, dict)] if isinstance(body, list) else []


async def _bearer_call(http: httpx.AsyncClient, method: str, url: str, access_token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    try:
        response = await http.request(method, url, headers=headers)
    except httpx.TransportError as exc:
        raise ProviderUnavailable(f"Xero is unreachable: {exc}", provider=PROVIDER) from exc
    if not response.is_success:
        raise error_from_response(response)
    return response


async def exchange_code(
    http: httpx.AsyncClient,
    settings: ProviderSettings,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str | None = None,
) -> list[Grant]:
    payload = await token_request(
        http,
        settings,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
    )
    tokens = token_set(payload)
    access = tokens.access_token.get_secret_value()
    connections = await list_connections(http, settings, access)
    # The token reaches every organisation the user ever connected to this app; the ones this
    # consent granted share its authentication event (when the token says which it is).
    event = _jwt_claims(access).get("authentication_event_id")
    granted = [c for c in connections if c.get("authEventId") == event] if event else []
    return [
        Grant(
            company_id=str(c["tenantId"]),
            company_name=c.get("tenantName"),
            tokens=tokens,
            metadata={
                k: str(v)
                for k, v in {
                    "connection_id": c.get("id"),
                    "auth_event_id": c.get("authEventId"),
                    "tenant_type": c.get("tenantType"),
                }.items()
                if v
            },
        )
        for c in granted or connections
        if c.get("tenantId")
    ]


async def refresh(http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet) -> TokenSet:
    """Rotate: the answer's refresh token replaces the one used, which Xero retires."""
    if tokens.refresh_token is None:
        raise ReauthorizationRequired(
            "the Xero access token expired and there is no refresh token (was offline_access "
            "granted?): the user must connect again",
            provider=PROVIDER,
        )
    payload = await token_request(
        http,
        settings,
        {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token.get_secret_value()},
    )
    if not payload.get("refresh_token"):
        raise AuthenticationError("Xero's refresh answer carried no new refresh token", provider=PROVIDER)
    return token_set(payload, previous=tokens)


async def revoke(http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet) -> None:
    """Revoke the refresh token: Xero then removes every connection of that user for this app."""
    token = tokens.refresh_token or tokens.access_token
    response = await _post_form(http, settings, REVOKE_URL, {"token": token.get_secret_value()})
    if not response.is_success:
        token_response_json(PROVIDER, response)  # raises the mapped OAuth error


async def disconnect(
    http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet, grant_metadata: Mapping[str, str]
) -> None:
    """Remove one organisation's connection (``DELETE /connections/{id}``); others keep working."""
    connection_id = grant_metadata.get("connection_id")
    if not connection_id:
        raise ConfigurationError(
            "disconnecting one Xero organisation needs the connection id kept in the grant's "
            "metadata ('connection_id')"
        )
    url = rebase(f"{CONNECTIONS_URL}/{path_segment(connection_id, field='connection_id')}", settings.base_url)
    await _bearer_call(http, "DELETE", url, tokens.access_token.get_secret_value())
