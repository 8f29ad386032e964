"""Xero identity, declared for the core, and its quirks: tenants, scopes and disconnecting one tenant.

One consent may grant several organisations. The token set belongs to the *user*, not to an
organisation, and each granted organisation is a *connection* listed by ``GET /connections``:
:func:`granted_companies` returns one :class:`Grant` per connection of the consent, each carrying its
``connection_id`` (needed to disconnect that organisation alone) and the ``auth_event_id`` shared by
all grants of the consent (their tokens are one set: refreshing one rotates them all).

Declared (:data:`OAUTH`): every refresh returns a new refresh token that replaces the old one
(single use, 30 minutes of grace); a refresh token unused for 60 days expires; public clients
(PKCE without a client secret) send their ``client_id`` in the body instead of authenticating.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx

from unified_accounting.errors import ConfigurationError
from unified_accounting.http.paths import path_segment
from unified_accounting.oauth import OAuthSettings, rebase
from unified_accounting.provider import Provider
from unified_accounting.settings import ProviderSettings
from unified_accounting.tokens import Grant, TokenSet

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
    "accounting.reports.read",
    "accounting.attachments",
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
    "accounting.attachments",
)
#: A refresh token expires when unused this long (each refresh starts the period again).
REFRESH_TOKEN_IDLE_LIFETIME = timedelta(days=60)

OAUTH = OAuthSettings(
    authorize_url=AUTHORIZE_URL,
    token_url=TOKEN_URL,
    revoke_url=REVOKE_URL,
    scopes=DEFAULT_SCOPES,
    public_clients=True,
    rotates_refresh_token=True,
    refresh_token_idle_lifetime=REFRESH_TOKEN_IDLE_LIFETIME,
)


def default_scopes(settings: ProviderSettings) -> tuple[str, ...]:
    """The scopes asked for when neither the caller nor the ``scopes`` setting names any."""
    return GRANULAR_SCOPES if xero_settings(settings).granular_scopes else DEFAULT_SCOPES


def _jwt_claims(token: str) -> dict[str, Any]:
    """The claims of Xero's access token (a JWT), read without verification: only to group tenants."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


async def list_connections(
    provider: Provider, http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet
) -> list[dict[str, Any]]:
    """The organisations the user's token may reach (``GET /connections``)."""
    url = rebase(CONNECTIONS_URL, settings.base_url)
    body = (await provider.call_with_token(http, "GET", url, tokens)).json()
    return [c for c in body if isinstance(c, dict)] if isinstance(body, list) else []


async def granted_companies(
    provider: Provider, http: httpx.AsyncClient, settings: ProviderSettings, tokens: TokenSet
) -> list[Grant]:
    """One grant per organisation of this consent, as ``GET /connections`` lists them."""
    connections = await list_connections(provider, http, settings, tokens)
    # The token reaches every organisation the user ever connected to this app; the ones this
    # consent granted share its authentication event (when the token says which it is).
    event = _jwt_claims(tokens.access_token.get_secret_value()).get("authentication_event_id")
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


async def disconnect(
    provider: Provider,
    http: httpx.AsyncClient,
    settings: ProviderSettings,
    tokens: TokenSet,
    grant_metadata: Mapping[str, str],
) -> None:
    """Remove one organisation's connection (``DELETE /connections/{id}``); others keep working."""
    connection_id = grant_metadata.get("connection_id")
    if not connection_id:
        raise ConfigurationError(
            "disconnecting one Xero organisation needs the connection id kept in the grant's "
            "metadata ('connection_id')"
        )
    url = rebase(f"{CONNECTIONS_URL}/{path_segment(connection_id, field='connection_id')}", settings.base_url)
    await provider.call_with_token(http, "DELETE", url, tokens)
