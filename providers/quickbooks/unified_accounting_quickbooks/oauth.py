"""Intuit OAuth 2.0 quirks on top of the core's generic steps.

* The company id (``realmId``) arrives on the callback URL, not in the token response: one
  consent gives exactly one :class:`~unified_accounting.Grant`, and only once the new token has
  read that company (a changed ``realmId`` is refused, and the new grant revoked).
* Refresh tokens have a rolling expiry (``x_refresh_token_expires_in``) and, when the request
  carries ``x-include-refresh-token-hard-expires-in: true``, a hard one
  (``x_refresh_token_hard_expires_in``, at most five years): both are stored as absolute times.
* Revocation takes a JSON body ``{"token": ...}`` with HTTP Basic client authentication.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from unified_accounting.errors import (
    PermissionDenied,
    ProviderUnavailable,
    ReauthorizationRequired,
    ValidationFailed,
)
from unified_accounting.oauth import client_credentials, token_request, token_response_json
from unified_accounting.tokens import Grant, TokenSet

from .api import MINOR_VERSION, api_url, parse
from .errors import PROVIDER, error_from_response

if TYPE_CHECKING:
    from unified_accounting.provider import Provider, ProviderSettings

HARD_EXPIRY_HEADER = {"x-include-refresh-token-hard-expires-in": "true"}


def token_set(payload: Mapping[str, Any], *, now: datetime, previous: TokenSet | None = None) -> TokenSet:
    """A token response → :class:`TokenSet`, with Intuit's relative refresh-token lifetimes made absolute."""
    tokens = TokenSet.from_token_response(dict(payload), now=now, previous=previous)
    updates: dict[str, datetime] = {}
    rolling = payload.get("x_refresh_token_expires_in")
    if rolling is not None:
        updates["refresh_token_expires_at"] = now + timedelta(seconds=float(rolling))
    hard = payload.get("x_refresh_token_hard_expires_in")
    if hard is not None:
        updates["hard_expires_at"] = now + timedelta(seconds=float(hard))
    return tokens.model_copy(update=updates) if updates else tokens


async def exchange_code(
    provider: Provider,
    http: httpx.AsyncClient,
    settings: ProviderSettings,
    *,
    code: str,
    redirect_uri: str,
    callback_params: Mapping[str, str],
    now: datetime | None = None,
) -> list[Grant]:
    realm_id = callback_params.get("realmId")
    if not realm_id:
        raise ValidationFailed(
            "the QuickBooks callback carries no realmId: pass every callback query parameter",
            provider=provider.name,
        )
    payload = await token_request(
        provider,
        http,
        settings,
        "authorization_code",
        headers=HARD_EXPIRY_HEADER,
        code=code,
        redirect_uri=redirect_uri,
    )
    tokens = token_set(payload, now=now or datetime.now(UTC))
    try:
        name = await confirmed_company_name(http, settings, realm_id, tokens)
    except Exception:
        # Nothing will store these tokens: end the grant rather than leave it dangling.
        with contextlib.suppress(Exception):
            await revoke(provider, http, settings, tokens)
        raise
    return [Grant(company_id=realm_id, company_name=name, tokens=tokens)]


async def confirmed_company_name(
    http: httpx.AsyncClient, settings: ProviderSettings, realm_id: str, tokens: TokenSet
) -> str | None:
    """Read the company with the new token; its name, or an error if the token cannot reach it.

    ``realmId`` travels through the user's browser on the callback URL, so it proves nothing: a
    changed one would file this grant under another company's id. QuickBooks answers 403
    (AuthorizationFault, code 3100) when a token reads a company it was not issued for.
    """
    url = api_url(settings, realm_id, "companyinfo", realm_id)
    headers = {
        "Authorization": f"Bearer {tokens.access_token.get_secret_value()}",
        "Accept": "application/json",
    }
    try:
        response = await http.get(url, params={"minorversion": MINOR_VERSION}, headers=headers)
    except httpx.TransportError as exc:
        raise ProviderUnavailable(f"QuickBooks is unreachable: {exc}", provider=PROVIDER) from exc
    if 400 <= response.status_code < 500 and response.status_code != 429:
        error = error_from_response(response)
        raise PermissionDenied(
            f"QuickBooks did not confirm company {realm_id!r} for this authorization: the callback's "
            "realmId is not the company the user connected; nothing was stored",
            provider=PROVIDER,
            status_code=response.status_code,
            code="company_not_confirmed",
            detail=str(error),
            request_id=response.headers.get("intuit_tid"),
        )
    if not response.is_success:
        raise error_from_response(response)
    info = parse(response).get("CompanyInfo")
    name = info.get("CompanyName") if isinstance(info, Mapping) else None
    return str(name) if name else None


async def refresh(
    provider: Provider,
    http: httpx.AsyncClient,
    settings: ProviderSettings,
    tokens: TokenSet,
    *,
    now: datetime | None = None,
) -> TokenSet:
    if tokens.refresh_token is None:
        raise ReauthorizationRequired(
            "the access token expired and there is no refresh token: the user must connect again",
            provider=provider.name,
        )
    payload = await token_request(
        provider,
        http,
        settings,
        "refresh_token",
        headers=HARD_EXPIRY_HEADER,
        refresh_token=tokens.refresh_token.get_secret_value(),
    )
    return token_set(payload, now=now or datetime.now(UTC), previous=tokens)


async def revoke(
    provider: Provider, http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet
) -> None:
    """Revoke the grant (the refresh token revokes every access token minted from it)."""
    client_id, client_secret = client_credentials(provider, settings)
    token = tokens.refresh_token or tokens.access_token
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    try:
        response = await http.post(
            provider.oauth_url(settings, "revoke"),
            json={"token": token.get_secret_value()},
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        )
    except httpx.TransportError as exc:
        raise ProviderUnavailable(f"revocation endpoint unreachable: {exc}", provider=provider.name) from exc
    token_response_json(provider.name, response)
