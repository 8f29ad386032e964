"""Intuit OAuth 2.0: authorize (auto-consent), token endpoint, revocation, and bearer checks.

Emulated:

* ``GET /connect/oauth2`` validates ``client_id``, ``redirect_uri`` (answered with a 400 page when
  wrong, never redirected), ``response_type=code`` and the scopes (answered by redirecting with
  ``error=unsupported_response_type`` / ``error=invalid_scope``), then redirects to the
  ``redirect_uri`` with ``code``, ``state`` and ``realmId``. Option ``consent="deny"`` redirects with
  ``error=access_denied``; option ``company_picker`` shows a page to pick one of several companies.
* ``POST /oauth2/v1/tokens/bearer`` with HTTP Basic client authentication; grants
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

import base64
import binascii
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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


class OAuthError(Exception):
    def __init__(self, error: str, description: str | None = None, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    realm_id: str
    scope: str
    expires: datetime
    used: bool = False
    grant_id: str | None = None


@dataclass
class Grant:
    """One authorization: a refresh-token lineage and the access tokens minted from it."""

    id: str
    realm_id: str
    client_id: str
    scope: str
    refresh_token: str
    refresh_issued: datetime
    refresh_expires: datetime
    hard_expires: datetime
    superseded: dict[str, datetime] = field(default_factory=dict)  # old value -> when it was replaced
    access_tokens: set[str] = field(default_factory=set)
    revoked: bool = False


@dataclass
class AccessToken:
    value: str
    grant_id: str
    realm_id: str
    expires: datetime


def _token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


class TokenStore:
    """All OAuth state of the emulator."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.options = options
        self.codes: dict[str, AuthCode] = {}
        self.grants: dict[str, Grant] = {}
        self.refresh_index: dict[str, str] = {}  # any refresh value (current or old) -> grant id
        self.access: dict[str, AccessToken] = {}
        self.refresh_count = 0
        self.refresh_success_count = 0
        self.token_requests = 0

    # ---------------------------------------------------------------- client auth
    def check_client(self, authorization: str | None) -> str:
        if not authorization or not authorization.lower().startswith("basic "):
            raise OAuthError("invalid_client", None, 401)
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", None, 401) from None
        client_id, _, secret = decoded.partition(":")
        if not secrets.compare_digest(client_id, self.options.client_id) or not secrets.compare_digest(
            secret, self.options.client_secret
        ):
            raise OAuthError("invalid_client", None, 401)
        return client_id

    def redirect_allowed(self, redirect_uri: str) -> bool:
        allowed = self.options.redirect_uris
        return bool(redirect_uri) and (allowed is None or redirect_uri in allowed)

    # ---------------------------------------------------------------- authorize
    def new_code(self, client_id: str, redirect_uri: str, realm_id: str, scope: str, now: datetime) -> str:
        code = "AB" + secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(
            code,
            client_id,
            redirect_uri,
            realm_id,
            scope,
            now + timedelta(seconds=self.options.auth_code_ttl_s),
        )
        return code

    # ---------------------------------------------------------------- grants
    def new_grant(self, realm_id: str, client_id: str, scope: str, now: datetime) -> Grant:
        grant = Grant(
            id=secrets.token_hex(8),
            realm_id=realm_id,
            client_id=client_id,
            scope=scope,
            refresh_token=_token("RT1-"),
            refresh_issued=now,
            refresh_expires=now + timedelta(seconds=self.options.refresh_token_ttl_s),
            hard_expires=now + timedelta(seconds=self.options.refresh_token_hard_ttl_s),
        )
        self.grants[grant.id] = grant
        self.refresh_index[grant.refresh_token] = grant.id
        return grant

    def mint_access(self, grant: Grant, now: datetime) -> AccessToken:
        token = AccessToken(
            _token("eyJ"), grant.id, grant.realm_id, now + timedelta(seconds=self.options.access_token_ttl_s)
        )
        self.access[token.value] = token
        grant.access_tokens.add(token.value)
        return token

    def token_response(self, grant: Grant, access: AccessToken, now: datetime, hard: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "token_type": "bearer",
            "access_token": access.value,
            "refresh_token": grant.refresh_token,
            "expires_in": max(0, int((access.expires - now).total_seconds())),
            "x_refresh_token_expires_in": max(0, int((grant.refresh_expires - now).total_seconds())),
        }
        if hard:
            body["x_refresh_token_hard_expires_in"] = max(0, int((grant.hard_expires - now).total_seconds()))
        return body

    def revoke_grant(self, grant: Grant) -> None:
        grant.revoked = True
        for value in grant.access_tokens:
            self.access.pop(value, None)
        grant.access_tokens.clear()

    def exchange_code(
        self, client_id: str, code: str | None, redirect_uri: str | None, now: datetime
    ) -> Grant:
        if not code or not redirect_uri:
            raise OAuthError("invalid_request", "code and redirect_uri are required")
        entry = self.codes.get(code)
        if entry is None:
            raise OAuthError("invalid_grant")
        if entry.used:
            if entry.grant_id and entry.grant_id in self.grants:
                self.revoke_grant(self.grants[entry.grant_id])
            raise OAuthError("invalid_grant", "Authorization code has already been used")
        if entry.expires <= now:
            raise OAuthError("invalid_grant", "Authorization code has expired")
        if entry.client_id != client_id or entry.redirect_uri != redirect_uri:
            raise OAuthError(
                "invalid_grant", "Authorization code was issued for another client or redirect_uri"
            )
        entry.used = True
        grant = self.new_grant(entry.realm_id, client_id, entry.scope, now)
        entry.grant_id = grant.id
        return grant

    def refresh(self, client_id: str, value: str | None, now: datetime) -> Grant:
        if not value:
            raise OAuthError("invalid_request", "refresh_token is required")
        grant_id = self.refresh_index.get(value)
        grant = self.grants.get(grant_id) if grant_id else None
        if grant is None or grant.revoked or grant.client_id != client_id:
            raise OAuthError("invalid_grant", "Token invalid")
        if now >= grant.refresh_expires or now >= grant.hard_expires:
            raise OAuthError("invalid_grant", "Token invalid")
        if value != grant.refresh_token:
            replaced = grant.superseded.get(value)
            grace = timedelta(seconds=self.options.refresh_token_grace_s)
            if replaced is None or now >= replaced + grace:
                raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
        rotate = self.options.refresh_token_rotation == "always" or (
            now - grant.refresh_issued >= timedelta(hours=24)
        )
        if rotate:
            grant.superseded[grant.refresh_token] = now
            grant.refresh_token = _token("RT1-")
            grant.refresh_issued = now
            self.refresh_index[grant.refresh_token] = grant.id
        grant.refresh_expires = min(
            now + timedelta(seconds=self.options.refresh_token_ttl_s), grant.hard_expires
        )
        self.refresh_success_count += 1
        return grant

    def revoke(self, token: str) -> bool:
        grant_id = self.refresh_index.get(token)
        if grant_id is None and token in self.access:
            grant_id = self.access[token].grant_id
        grant = self.grants.get(grant_id) if grant_id else None
        if grant is None:
            return False
        self.revoke_grant(grant)
        return True

    # ---------------------------------------------------------------- bearer checks
    def check_bearer(self, authorization: str | None, now: datetime) -> AccessToken | None:
        if not authorization:
            return None
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        token = self.access.get(value.strip())
        if token is None or token.expires <= now:
            return None
        grant = self.grants.get(token.grant_id)
        if grant is None or grant.revoked:
            return None
        return token

    # ---------------------------------------------------------------- test controls
    def issue(
        self, realm_id: str, now: datetime, scope: str = "com.intuit.quickbooks.accounting"
    ) -> dict[str, Any]:
        grant = self.new_grant(realm_id, self.options.client_id, scope, now)
        access = self.mint_access(grant, now)
        body = self.token_response(grant, access, now, hard=True)
        body["realm_id"] = realm_id
        return body

    def expire_access_tokens(self, now: datetime) -> int:
        for token in self.access.values():
            token.expires = min(token.expires, now)
        return len(self.access)

    def expire_refresh_tokens(self, now: datetime) -> None:
        for grant in self.grants.values():
            grant.refresh_expires = min(grant.refresh_expires, now)

    def revoke_all(self) -> None:
        for grant in self.grants.values():
            self.revoke_grant(grant)
