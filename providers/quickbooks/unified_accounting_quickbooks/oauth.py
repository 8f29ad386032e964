"""Intuit OAuth 2.0, declared for the core, and its two quirks.

* The company id (``realmId``) arrives on the callback URL, not in the token response: one consent
  gives exactly one :class:`~unified_accounting.Grant`, and only once the new token has read that
  company (the core's ``granted_companies`` does the rest: a changed ``realmId`` is refused, and
  the new grant revoked).
* Refresh tokens have a rolling expiry (``x_refresh_token_expires_in``) and, when the request
  carries ``x-include-refresh-token-hard-expires-in: true``, a hard one
  (``x_refresh_token_hard_expires_in``, at most five years): both are stored as absolute times.

Revocation takes a JSON body ``{"token": ...}`` with HTTP Basic client authentication.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from unified_accounting.oauth import OAuthSettings
from unified_accounting.provider import Provider
from unified_accounting.settings import ProviderSettings
from unified_accounting.tokens import TokenSet

from .api import MINOR_VERSION, api_url, parse

OAUTH = OAuthSettings(
    authorize_url="https://appcenter.intuit.com/connect/oauth2",
    token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    revoke_url="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
    scopes=("com.intuit.quickbooks.accounting",),
    token_headers={"x-include-refresh-token-hard-expires-in": "true"},
    revocation_body="json",
    company_parameter="realmId",
)


def with_refresh_expiries(tokens: TokenSet, payload: Mapping[str, Any], now: datetime) -> TokenSet:
    """``tokens`` with Intuit's relative refresh-token lifetimes made absolute at ``now``."""
    updates: dict[str, datetime] = {}
    rolling = payload.get("x_refresh_token_expires_in")
    if rolling is not None:
        updates["refresh_token_expires_at"] = now + timedelta(seconds=float(rolling))
    hard = payload.get("x_refresh_token_hard_expires_in")
    if hard is not None:
        updates["hard_expires_at"] = now + timedelta(seconds=float(hard))
    return tokens.model_copy(update=updates) if updates else tokens


async def company_name(
    provider: Provider, http: httpx.AsyncClient, settings: ProviderSettings, realm_id: str, tokens: TokenSet
) -> str | None:
    """Read the company with the new token: its name, or the error that says it cannot reach it
    (QuickBooks answers 403, AuthorizationFault code 3100, for a company the token was not
    issued for)."""
    url = api_url(settings, realm_id, "companyinfo", realm_id)
    params = {"minorversion": MINOR_VERSION}
    response = await provider.call_with_token(
        http, "GET", url, tokens, params=params, settings=settings, company_id=realm_id
    )
    info = parse(response).get("CompanyInfo")
    name = info.get("CompanyName") if isinstance(info, Mapping) else None
    return str(name) if name else None
