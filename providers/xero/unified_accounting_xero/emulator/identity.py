"""Xero Identity: OAuth 2.0 authorization codes, tokens, rotation, revocation and tenant connections.

Emulated behaviour:

* One registered app (``client_id``/``client_secret``/``redirect_uris``) and one emulated user.  Client
  authentication accepts a Basic header or ``client_id``/``client_secret`` in the body; a PKCE-bound grant may
  omit the secret (public client).
* Authorization codes are single use and live ``authorization_code_lifetime_s`` (300 s).  PKCE: ``S256`` only,
  verifier 43–128 characters of ``[A-Za-z0-9-._~]``.
* Access tokens (JWT-shaped, HS256 with an emulator key; only the emulator reads them) live 1800 s.
  ``offline_access`` yields a refresh token.
* Refresh tokens rotate on every use.  The previous token stays usable ``refresh_grace_s`` (1800 s) after its
  first use; what a retry returns is unverified and configurable (``refresh_grace_mode``: the same pair, or a
  new pair that retires the first one).  After the grace period, or for an unknown/revoked token, the answer
  is 400 ``{"error":"invalid_grant"}``.  A refresh token unused for ``refresh_token_idle_lifetime_s``
  (60 days) expires.
* Revoking a refresh token removes all connections of that user for the app and revokes their refresh tokens
  (and, unverified, their access tokens; ``revoke_invalidates_access_tokens``).
* A connection is one (app, user, organisation); re-consenting updates it.  API calls need a connection for
  the ``xero-tenant-id`` they name.
* Scopes are enforced per endpoint (``enforce_scopes``): a missing scope answers 401
  ``AuthorizationUnsuccessful`` (unverified).  Xero's 2026 granular scopes are accepted next to
  ``accounting.transactions``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .clock import EmulatorClock
from .options import EmulatorOptions
from .state import IdFactory

_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")

#: Scopes accepted per API resource: (write scopes, additional read-only scopes).
RESOURCE_SCOPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Invoices": (
        ("accounting.transactions", "accounting.invoices"),
        ("accounting.transactions.read", "accounting.invoices.read"),
    ),
    "Payments": (
        ("accounting.transactions", "accounting.payments"),
        ("accounting.transactions.read", "accounting.payments.read"),
    ),
    "Contacts": (("accounting.contacts",), ("accounting.contacts.read",)),
    "Accounts": (("accounting.settings",), ("accounting.settings.read",)),
    "Items": (("accounting.settings",), ("accounting.settings.read",)),
    "Organisation": (("accounting.settings",), ("accounting.settings.read",)),
}


class TokenError(Exception):
    """An OAuth error answered as ``{"error": ...}``."""

    def __init__(self, error: str, description: str | None = None, status: int = 400) -> None:
        super().__init__(description or error)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    tenant_ids: tuple[str, ...]
    challenge: str | None
    created_at: float
    nonce: str | None = None
    used: bool = False


@dataclass
class AccessToken:
    token: str
    client_id: str
    user_id: str
    auth_event_id: str
    scopes: tuple[str, ...]
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user_id: str
    auth_event_id: str
    scopes: tuple[str, ...]
    pkce: bool
    created_at: float
    last_used_at: float
    rotated_at: float | None = None
    successor: dict[str, Any] | None = None
    revoked: bool = False


@dataclass
class Connection:
    id: str
    tenant_id: str
    tenant_name: str
    client_id: str
    user_id: str
    auth_event_id: str
    created_at: datetime
    updated_at: datetime

    def wire(self) -> dict[str, Any]:
        from .dates import iso_utc

        return {
            "id": self.id,
            "authEventId": self.auth_event_id,
            "tenantId": self.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": self.tenant_name,
            "createdDateUtc": iso_utc(self.created_at),
            "updatedDateUtc": iso_utc(self.updated_at),
        }


@dataclass
class RefreshAttempt:
    at: datetime
    outcome: str  # rotated | grace_same_pair | grace_new_pair | invalid_grant | invalid_client


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    """The S256 ``code_challenge`` for a verifier."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass
class IdentityService:
    options: EmulatorOptions
    clock: EmulatorClock
    ids: IdFactory
    tenant_names: dict[str, str]
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    refresh_attempts: list[RefreshAttempt] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.user_id = self.ids.new()
        self.global_session_id = self.ids.token(16)
        self._signing_key = self.ids.token(32).encode("ascii")

    # ------------------------------------------------------------------------------------------ helpers
    @property
    def refresh_count(self) -> int:
        """Number of ``grant_type=refresh_token`` calls received (successful or not)."""
        return len(self.refresh_attempts)

    def _now(self) -> float:
        return self.clock.timestamp()

    def _jwt(self, claims: dict[str, Any]) -> str:
        header = _b64url(json.dumps({"alg": "HS256", "kid": "xero-emulator", "typ": "JWT"}).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._signing_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64url(signature)}"

    def client_authenticates(self, client_id: str | None, secret: str | None) -> bool:
        return client_id == self.options.client_id and secret == self.options.client_secret

    def check_scopes(self, raw: str | None) -> tuple[str, ...] | None:
        scopes = tuple(dict.fromkeys((raw or "").split()))
        if not scopes or any(s not in self.options.allowed_scopes for s in scopes):
            return None
        return scopes

    # ------------------------------------------------------------------------------------- authorize
    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        scopes: Sequence[str],
        tenant_ids: Sequence[str],
        challenge: str | None,
        nonce: str | None = None,
    ) -> str:
        code = self.ids.token(24)
        self.codes[code] = AuthorizationCode(
            code, client_id, redirect_uri, tuple(scopes), tuple(tenant_ids), challenge, self._now(), nonce
        )
        return code

    # ----------------------------------------------------------------------------------------- tokens
    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        grant_type = form.get("grant_type", "")
        client_id: str | None
        secret: str | None
        if basic is not None:
            client_id, secret = basic
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret")
        if client_id != self.options.client_id:
            self._note_refresh(grant_type, "invalid_client")
            raise TokenError("invalid_client", status=401 if basic else 400)
        if secret is not None and secret != self.options.client_secret:
            self._note_refresh(grant_type, "invalid_client")
            raise TokenError("invalid_client", status=401 if basic else 400)
        if grant_type == "authorization_code":
            return self._exchange_code(form, self.options.client_id, secret is not None)
        if grant_type == "refresh_token":
            return self._refresh(form.get("refresh_token", ""), self.options.client_id, secret is not None)
        raise TokenError("unsupported_grant_type")

    def _note_refresh(self, grant_type: str, outcome: str) -> None:
        if grant_type == "refresh_token":
            self.refresh_attempts.append(RefreshAttempt(self.clock.now(), outcome))

    def _exchange_code(self, form: dict[str, str], client_id: str, authenticated: bool) -> dict[str, Any]:
        record = self.codes.get(form.get("code", ""))
        now = self._now()
        if record is None or record.used or record.client_id != client_id:
            raise TokenError("invalid_grant")
        if now - record.created_at >= self.options.authorization_code_lifetime_s:
            raise TokenError("invalid_grant", "authorization code expired")
        if form.get("redirect_uri") != record.redirect_uri:
            raise TokenError("invalid_grant", "redirect_uri does not match")
        if record.challenge is not None:
            verifier = form.get("code_verifier", "")
            if not _VERIFIER.match(verifier) or pkce_challenge(verifier) != record.challenge:
                raise TokenError("invalid_grant", "code_verifier is invalid")
        elif not authenticated:
            raise TokenError("invalid_client")
        record.used = True
        return self.grant(client_id, record.scopes, record.tenant_ids, pkce=record.challenge is not None)

    def grant(
        self, client_id: str, scopes: Sequence[str], tenant_ids: Iterable[str], pkce: bool = False
    ) -> dict[str, Any]:
        """Record an authorization event: connect the tenants and mint a token set."""
        auth_event_id = self.ids.new()
        now_dt = self.clock.now()
        for tenant_id in tenant_ids:
            existing = next(
                (
                    c
                    for c in self.connections.values()
                    if c.client_id == client_id and c.user_id == self.user_id and c.tenant_id == tenant_id
                ),
                None,
            )
            if existing is not None:
                existing.auth_event_id = auth_event_id
                existing.updated_at = now_dt
            else:
                conn = Connection(
                    self.ids.new(),
                    tenant_id,
                    self.tenant_names[tenant_id],
                    client_id,
                    self.user_id,
                    auth_event_id,
                    now_dt,
                    now_dt,
                )
                self.connections[conn.id] = conn
        return self._mint(client_id, tuple(scopes), auth_event_id, pkce)

    def _mint(
        self, client_id: str, scopes: tuple[str, ...], auth_event_id: str, pkce: bool
    ) -> dict[str, Any]:
        now = self._now()
        lifetime = self.options.access_token_lifetime_s
        claims = {
            "nbf": int(now),
            "exp": int(now) + lifetime,
            "iss": "https://identity.xero.com",
            "aud": "https://identity.xero.com/resources",
            "client_id": client_id,
            "sub": self.user_id.replace("-", ""),
            "auth_time": int(now),
            "xero_userid": self.user_id,
            "global_session_id": self.global_session_id,
            "jti": self.ids.token(16),
            "authentication_event_id": auth_event_id,
            "scope": list(scopes),
        }
        access = self._jwt(claims)
        self.access_tokens[access] = AccessToken(
            access, client_id, self.user_id, auth_event_id, scopes, now + lifetime
        )
        response: dict[str, Any] = {}
        if "openid" in scopes:
            response["id_token"] = self._jwt(
                {
                    "nbf": int(now),
                    "exp": int(now) + 300,
                    "iss": "https://identity.xero.com",
                    "aud": client_id,
                    "iat": int(now),
                    "sub": self.user_id.replace("-", ""),
                    "auth_time": int(now),
                    "xero_userid": self.user_id,
                    "global_session_id": self.global_session_id,
                    "preferred_username": self.options.user_email,
                    "email": self.options.user_email,
                    "given_name": "Emulated",
                    "family_name": "User",
                }
            )
        response.update(
            {"access_token": access, "expires_in": lifetime, "token_type": "Bearer"},
        )
        if "offline_access" in scopes:
            refresh = self.ids.token(32)
            self.refresh_tokens[refresh] = RefreshToken(
                refresh, client_id, self.user_id, auth_event_id, scopes, pkce, now, now
            )
            response["refresh_token"] = refresh
        response["scope"] = " ".join(scopes)
        return response

    def _refresh(self, token: str, client_id: str, authenticated: bool) -> dict[str, Any]:
        record = self.refresh_tokens.get(token)
        now = self._now()
        if record is None or record.revoked or record.client_id != client_id:
            self._note_refresh("refresh_token", "invalid_grant")
            raise TokenError("invalid_grant")
        if not authenticated and not record.pkce:
            self._note_refresh("refresh_token", "invalid_client")
            raise TokenError("invalid_client")
        if record.rotated_at is not None:
            grace = self.options.refresh_grace_s
            if grace <= 0 or now - record.rotated_at >= grace or record.successor is None:
                self._note_refresh("refresh_token", "invalid_grant")
                raise TokenError("invalid_grant")
            if self.options.refresh_grace_mode == "same_pair":
                self._note_refresh("refresh_token", "grace_same_pair")
                return dict(record.successor)
            self._retire(record.successor)
            record.successor = self._mint(record.client_id, record.scopes, record.auth_event_id, record.pkce)
            self._note_refresh("refresh_token", "grace_new_pair")
            return dict(record.successor)
        if now - record.last_used_at >= self.options.refresh_token_idle_lifetime_s:
            self._note_refresh("refresh_token", "invalid_grant")
            raise TokenError("invalid_grant")
        record.rotated_at = now
        record.last_used_at = now
        record.successor = self._mint(record.client_id, record.scopes, record.auth_event_id, record.pkce)
        self._note_refresh("refresh_token", "rotated")
        return dict(record.successor)

    def _retire(self, pair: dict[str, Any]) -> None:
        refresh = self.refresh_tokens.get(str(pair.get("refresh_token")))
        if refresh is not None:
            refresh.revoked = True
        access = self.access_tokens.get(str(pair.get("access_token")))
        if access is not None:
            access.revoked = True

    # -------------------------------------------------------------------------------------- revocation
    def revoke(self, token: str, client_id: str) -> None:
        record = self.refresh_tokens.get(token)
        if record is None or record.client_id != client_id:
            return  # RFC 7009: unknown tokens are not an error
        self.revoke_user(record.user_id, client_id)

    def revoke_user(self, user_id: str, client_id: str | None) -> None:
        for rt in self.refresh_tokens.values():
            if rt.user_id == user_id and (client_id is None or rt.client_id == client_id):
                rt.revoked = True
        if self.options.revoke_invalidates_access_tokens:
            for at in self.access_tokens.values():
                if at.user_id == user_id and (client_id is None or at.client_id == client_id):
                    at.revoked = True
        for conn_id in [
            c.id
            for c in self.connections.values()
            if c.user_id == user_id and (client_id is None or c.client_id == client_id)
        ]:
            del self.connections[conn_id]

    def revoke_all(self) -> None:
        for rt in self.refresh_tokens.values():
            rt.revoked = True
        for at in self.access_tokens.values():
            at.revoked = True
        self.connections.clear()

    def expire_access_tokens(self) -> None:
        now = self._now()
        for at in self.access_tokens.values():
            at.expires_at = min(at.expires_at, now)

    # ------------------------------------------------------------------------------------ API access
    def authenticate(self, authorization: str | None) -> AccessToken | str:
        """The access token of a request, or the ``Detail`` of the 401 to answer."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return "AuthorizationUnsuccessful"
        record = self.access_tokens.get(authorization[7:].strip())
        if record is None or record.revoked:
            return "AuthorizationUnsuccessful"
        if self._now() >= record.expires_at:
            expired = datetime.fromtimestamp(record.expires_at, UTC).strftime("%m/%d/%Y %H:%M:%S")
            return f"TokenExpired: token expired at {expired}"
        return record

    def connections_for(self, token: AccessToken) -> list[Connection]:
        return sorted(
            (
                c
                for c in self.connections.values()
                if c.user_id == token.user_id and c.client_id == token.client_id
            ),
            key=lambda c: c.created_at,
        )

    def has_tenant(self, token: AccessToken, tenant_id: str) -> bool:
        return any(
            c.tenant_id == tenant_id and c.user_id == token.user_id and c.client_id == token.client_id
            for c in self.connections.values()
        )

    def delete_connection(self, token: AccessToken, connection_id: str) -> bool:
        conn = self.connections.get(connection_id)
        if conn is None or conn.user_id != token.user_id or conn.client_id != token.client_id:
            return False
        del self.connections[connection_id]
        return True

    def scope_allows(self, token: AccessToken, resource: str, write: bool) -> bool:
        if not self.options.enforce_scopes:
            return True
        rule = RESOURCE_SCOPES.get(resource)
        if rule is None:
            return True
        accepted = rule[0] if write else rule[0] + rule[1]
        return any(s in token.scopes for s in accepted)
