"""What a provider declares about its OAuth 2.0 (authorization code grant); the core does the rest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from ..settings import ProviderSettings


@dataclass(frozen=True)
class OAuthSettings:
    """How a provider does OAuth 2.0 (authorization code grant).

    The core builds the consent URL, exchanges the code, refreshes, revokes and maps every
    token-endpoint error from these facts; a provider overrides a hook only for what no field can
    say (see ``docs/providers/writing.md``).
    """

    authorize_url: str
    token_url: str
    revoke_url: str | None = None
    scopes: tuple[str, ...] = ()
    #: Send a PKCE (S256) challenge with every authorization request. Public clients always do.
    pkce: bool = False
    #: Whether an app without a client secret may connect (a public client, RFC 8252): it then
    #: sends its ``client_id`` in the token request body, and PKCE protects the code.
    public_clients: bool = False
    #: How a confidential client authenticates at the token and revocation endpoints.
    client_auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    #: Extra fixed query parameters for the authorization URL.
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    #: Extra headers for every token request (code exchange and refresh).
    token_headers: Mapping[str, str] = field(default_factory=dict)
    #: How the revocation endpoint takes the token: a form (``token=…``, RFC 7009) or a JSON
    #: object (``{"token": …}``).
    revocation_body: Literal["form", "json"] = "form"
    #: Every refresh answer carries a new refresh token that replaces the one used; an answer
    #: without one is an error rather than a reason to keep the old token.
    rotates_refresh_token: bool = False
    #: A refresh token unused this long expires (each refresh starts the period again).
    refresh_token_idle_lifetime: timedelta | None = None
    #: The callback query parameter that names the connected company (QuickBooks' ``realmId``),
    #: when the provider names it there; the company is believed only once the new token has read
    #: it (``Provider.confirm_company``).
    company_parameter: str | None = None

    def uses_pkce(self, settings: ProviderSettings) -> bool:
        """Whether authorization requests with ``settings`` carry a PKCE challenge."""
        return self.pkce or (self.public_clients and settings.client_secret is None)


__all__ = ["OAuthSettings"]
