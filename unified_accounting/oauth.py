"""Provider-neutral OAuth 2.0 steps (authorization code grant), built on authlib's protocol helpers.

Providers call these from their ``Provider`` methods and add their quirks around them (QuickBooks'
``realmId`` and hard expiry, Xero's tenants). HTTP goes through the client's ``httpx`` transport so
emulators and recorded cassettes see the token traffic too.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from .errors import AuthenticationError, ConfigurationError, ProviderUnavailable, ReauthorizationRequired
from .tokens import TokenSet

if TYPE_CHECKING:
    from .provider import OAuthSettings, Provider, ProviderSettings


def new_code_verifier() -> str:
    """A PKCE code verifier: 64 URL-safe characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    return str(create_s256_code_challenge(verifier))


def rebase(url: str, base_url: str | None) -> str:
    """Move ``url`` onto ``base_url`` keeping its path: how one emulator stands in for every host."""
    if not base_url:
        return url
    base = urlsplit(base_url)
    original = urlsplit(url)
    path = base.path.rstrip("/") + original.path
    return urlunsplit((base.scheme, base.netloc, path, original.query, original.fragment))


def _oauth(provider: Provider) -> OAuthSettings:
    if provider.oauth is None:
        raise ConfigurationError(f"provider {provider.name!r} declares no OAuth settings")
    return provider.oauth


def endpoint(
    provider: Provider, settings: ProviderSettings, kind: Literal["authorize", "token", "revoke"]
) -> str:
    oauth = _oauth(provider)
    url = {"authorize": oauth.authorize_url, "token": oauth.token_url, "revoke": oauth.revoke_url}[kind]
    if url is None:
        raise ConfigurationError(f"provider {provider.name!r} has no OAuth {kind} endpoint")
    return rebase(url, settings.base_url)


def client_credentials(provider: Provider, settings: ProviderSettings) -> tuple[str, str]:
    if not settings.client_id or settings.client_secret is None:
        prefix = f"UA_{provider.name.upper()}_"
        raise ConfigurationError(
            f"provider {provider.name!r} needs client_id and client_secret for OAuth: pass them in "
            f"Client(providers={{'{provider.name}': {{'client_id': ..., 'client_secret': ...}}}}) "
            f"or set {prefix}CLIENT_ID and {prefix}CLIENT_SECRET"
        )
    return settings.client_id, settings.client_secret.get_secret_value()


def authorization_url(
    provider: Provider,
    settings: ProviderSettings,
    *,
    redirect_uri: str,
    state: str,
    code_challenge: str | None = None,
    scopes: Sequence[str] | None = None,
) -> str:
    oauth = _oauth(provider)
    client_id, _ = client_credentials(provider, settings)
    scope_list = list(scopes or settings.scopes or oauth.scopes)
    extra: dict[str, Any] = dict(oauth.authorize_params)
    if code_challenge is not None:
        extra.update(code_challenge=code_challenge, code_challenge_method="S256")
    return str(
        prepare_grant_uri(
            endpoint(provider, settings, "authorize"),
            client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=" ".join(scope_list) or None,
            state=state,
            **extra,
        )
    )


async def token_request(
    provider: Provider,
    http: httpx.AsyncClient,
    settings: ProviderSettings,
    grant_type: str,
    *,
    headers: Mapping[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """POST to the token endpoint with the provider's client authentication; return the JSON body."""
    oauth = _oauth(provider)
    client_id, client_secret = client_credentials(provider, settings)
    request_headers = {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        **(headers or {}),
    }
    if oauth.client_auth_method == "client_secret_basic":
        pair = f"{client_id}:{client_secret}".encode()
        request_headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        fields = {**fields, "client_id": client_id, "client_secret": client_secret}
    body = prepare_token_request(grant_type, **{k: v for k, v in fields.items() if v is not None})
    try:
        response = await http.post(
            endpoint(provider, settings, "token"), content=body, headers=request_headers
        )
    except httpx.TransportError as exc:
        raise ProviderUnavailable(f"token endpoint unreachable: {exc}", provider=provider.name) from exc
    return token_response_json(provider.name, response)


def token_response_json(provider_name: str, response: httpx.Response) -> dict[str, Any]:
    """The token endpoint's JSON, or the right error: ``invalid_grant`` means the user must reconnect."""
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.is_success and isinstance(payload, dict):
        return payload
    error = str(payload.get("error", "")) if isinstance(payload, dict) else ""
    description = payload.get("error_description") if isinstance(payload, dict) else None
    details: dict[str, Any] = {
        "provider": provider_name,
        "status_code": response.status_code,
        "code": error or None,
        "detail": description,
        "raw": payload or response.text,
    }
    if error == "invalid_grant":
        raise ReauthorizationRequired("the grant is no longer valid: the user must connect again", **details)
    if response.status_code >= 500:
        raise ProviderUnavailable("token endpoint failed", **details)
    raise AuthenticationError(f"token request refused ({error or response.status_code})", **details)


async def refresh_tokens(
    provider: Provider, http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet
) -> TokenSet:
    """The standard refresh_token grant. A refresh answer without a new refresh token keeps the old one."""
    if tokens.refresh_token is None:
        raise ReauthorizationRequired(
            "the access token expired and there is no refresh token: the user must connect again",
            provider=provider.name,
        )
    payload = await token_request(
        provider, http, settings, "refresh_token", refresh_token=tokens.refresh_token.get_secret_value()
    )
    return TokenSet.from_token_response(payload, now=datetime.now(UTC), previous=tokens)
