"""Intuit OAuth 2.0: Intuit's policy on top of the kit's authorization-server core.

Emulated (the shared rules — single-use codes, client authentication, redirect URI checks, refresh
rotation with grace, revocation — are :mod:`unified_accounting.emulation.oauth`):

* ``GET /connect/oauth2`` validates ``client_id``, ``redirect_uri`` (answered with a 400 page when
  wrong, never redirected), ``response_type=code`` and the scopes (answered by redirecting with
  ``error=unsupported_response_type`` / ``error=invalid_scope``), then redirects to the
  ``redirect_uri`` with ``code``, ``state`` and ``realmId``. Option ``consent="deny"`` redirects with
  ``error=access_denied``; option ``company_picker`` shows a page to pick one of several companies.
* ``POST /oauth2/v1/tokens/bearer`` with HTTP Basic client authentication only; grants
  ``authorization_code`` (a code works once; presenting it again revokes every token it produced)
  and ``refresh_token``. Access tokens are opaque and live ``access_token_ttl_s`` (3600 s); a refresh
  token lives 100 days from its last use, never beyond its 5-year hard expiry.
* Refresh-token *value* rotation: ``daily`` (the value changes only once the current one is 24 h old,
  as the real service does) or ``always``. A superseded value keeps working for
  ``refresh_token_grace_s`` (UNVERIFIED whether this is 24 h or 0) and yields the current value.
* ``POST /v2/oauth2/tokens/revoke`` (Basic auth, JSON ``{"token": ...}``) revokes the whole grant:
  the refresh token and every access token minted from it.

Not emulated: OpenID Connect ``id_token`` and userinfo, PKCE.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from unified_accounting.emulation import oauth as kit

from .options import EmulatorOptions

ALLOWED_SCOPES = frozenset(
    {
        "com.intuit.quickbooks.accounting",
        "com.intuit.quickbooks.payment",
        "openid",
        "profile",
        "email",
        "phone",
        "address",
    }
)

#: ``error_description`` per kit reason, in Intuit's words.
DESCRIPTIONS = {
    "code_reused": "Authorization code has already been used",
    "code_expired": "Authorization code has expired",
    "code_of_another_client": "Authorization code was issued for another client or redirect_uri",
    "redirect_uri_mismatch": "Authorization code was issued for another client or redirect_uri",
    "unknown_refresh_token": "Token invalid",
    "refresh_token_revoked": "Token invalid",
    "refresh_token_expired": "Token invalid",
    "refresh_token_replaced": "Incorrect or invalid refresh token",
}


@dataclass
class CodeGrant:
    """What an authorization code is for."""

    realm_id: str
    scope: str


@dataclass
class Grant:
    """One authorization: a refresh-token lineage and the access tokens minted from it."""

    id: str
    realm_id: str
    client_id: str
    scope: str
    refresh_expires: datetime
    hard_expires: datetime
    revoked: bool = False


class TokenStore(kit.OAuthServer[CodeGrant, str]):
    """All OAuth state of the emulator (tokens carry their company id)."""

    def __init__(self, options: EmulatorOptions) -> None:
        super().__init__(
            kit.OAuthClient(
                options.client_id,
                options.client_secret,
                options.redirect_uris,
                options.loopback_redirect_hosts,
            ),
            code_ttl_s=options.auth_code_ttl_s,
            refresh_grace_s=options.refresh_token_grace_s,
            new_code=lambda: "AB" + secrets.token_urlsafe(24),
            on_code_reuse=self._reused,
        )
        self.options = options
        self.grants: dict[str, Grant] = {}
        self.refresh_success_count = 0
        self.token_requests = 0

    # ---------------------------------------------------------------- client auth
    def check_client(self, credentials: kit.ClientCredentials) -> str:
        if not self.client.authenticate(credentials):
            raise kit.OAuthError("invalid_client", status=401, reason="secret_missing")
        return credentials.client_id

    # ---------------------------------------------------------------- authorize
    def new_code(self, request: kit.AuthorizeRequest, realm_id: str, now: datetime) -> str:
        return self.codes.issue(request, CodeGrant(realm_id, " ".join(request.scopes)), now)

    def _reused(self, code: kit.AuthorizationCode[CodeGrant]) -> None:
        if code.lineage is not None:
            self.revoke_lineage(code.lineage)

    def revoke_lineage(self, lineage: str) -> None:
        super().revoke_lineage(lineage)
        if lineage in self.grants:
            self.grants[lineage].revoked = True

    def revoke_all(self) -> None:
        for grant_id in self.grants:
            self.revoke_lineage(grant_id)

    # ---------------------------------------------------------------- grants
    def new_grant(self, realm_id: str, client_id: str, scope: str, now: datetime) -> Grant:
        grant = Grant(
            id=secrets.token_hex(8),
            realm_id=realm_id,
            client_id=client_id,
            scope=scope,
            refresh_expires=now + timedelta(seconds=self.options.refresh_token_ttl_s),
            hard_expires=now + timedelta(seconds=self.options.refresh_token_hard_ttl_s),
        )
        self.grants[grant.id] = grant
        self.refresh_tokens.issue(kit.new_token("RT1-"), grant.id, client_id, now, realm_id)
        return grant

    def refresh_token_of(self, grant: Grant) -> str:
        current = self.refresh_tokens.current(grant.id)
        assert current is not None
        return current.value

    def mint_access(self, grant: Grant, now: datetime) -> kit.AccessToken[str]:
        expires = now + timedelta(seconds=self.options.access_token_ttl_s)
        return self.access_tokens.issue(
            kit.new_token("eyJ"), grant.id, grant.client_id, expires, grant.realm_id
        )

    def token_response(
        self, grant: Grant, access: kit.AccessToken[str], now: datetime, hard: bool
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "token_type": "bearer",
            "access_token": access.value,
            "refresh_token": self.refresh_token_of(grant),
            "expires_in": max(0, int((access.expires_at - now).total_seconds())),
            "x_refresh_token_expires_in": max(0, int((grant.refresh_expires - now).total_seconds())),
        }
        if hard:
            body["x_refresh_token_hard_expires_in"] = max(0, int((grant.hard_expires - now).total_seconds()))
        return body

    def exchange_code(self, client: kit.ClientCredentials, form: dict[str, str], now: datetime) -> Grant:
        if not form.get("code") or not form.get("redirect_uri"):
            raise kit.OAuthError("invalid_request", "code and redirect_uri are required")
        entry = self.codes.exchange(form, client=client, authenticated=True, now=now)
        grant = self.new_grant(entry.grant.realm_id, client.client_id, entry.grant.scope, now)
        entry.lineage = grant.id
        return grant

    def refresh(self, client_id: str, value: str | None, now: datetime) -> Grant:
        if not value:
            raise kit.OAuthError("invalid_request", "refresh_token is required")
        presented = self.refresh_tokens.present(value, client_id, now)
        grant = self.grants[presented.lineage]
        if now >= grant.refresh_expires or now >= grant.hard_expires:
            raise kit.OAuthError("invalid_grant", reason="refresh_token_expired")
        current = self.refresh_tokens.current(grant.id)
        assert current is not None
        rotate = self.options.refresh_token_rotation == "always" or (
            now - current.issued_at >= timedelta(hours=24)
        )
        if rotate:
            self.refresh_tokens.rotate(current, kit.new_token("RT1-"), now)
        grant.refresh_expires = min(
            now + timedelta(seconds=self.options.refresh_token_ttl_s), grant.hard_expires
        )
        self.refresh_success_count += 1
        return grant

    def revoke(self, token: str) -> bool:
        """Revoke the grant of a refresh or access token value."""
        found = self.refresh_tokens.get(token) or self.access_tokens.get(token)
        if found is None:
            return False
        self.revoke_lineage(found.lineage)
        return True

    # ---------------------------------------------------------------- bearer checks
    def check_bearer(self, authorization: str | None, now: datetime) -> kit.AccessToken[str] | None:
        try:
            return self.access_tokens.authenticate(authorization, now)
        except kit.BearerRejected:
            return None

    # ---------------------------------------------------------------- test controls
    def issue(
        self, realm_id: str, now: datetime, scope: str = "com.intuit.quickbooks.accounting"
    ) -> dict[str, Any]:
        grant = self.new_grant(realm_id, self.options.client_id, scope, now)
        access = self.mint_access(grant, now)
        body = self.token_response(grant, access, now, hard=True)
        body["realm_id"] = realm_id
        return body

    def expire_refresh_tokens(self, now: datetime) -> None:
        for grant in self.grants.values():
            grant.refresh_expires = min(grant.refresh_expires, now)
