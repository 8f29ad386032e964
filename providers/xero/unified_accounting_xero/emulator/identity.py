"""Xero Identity: OAuth 2.0 authorization codes, tokens, rotation, revocation and tenant connections.

The rules every provider shares (client authentication, redirect URI checks, single-use codes with
PKCE, rotation with a grace period) are the kit's (:mod:`unified_accounting.emulation.oauth`); this
module is Xero's policy and shapes. Emulated behaviour:

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from unified_accounting.emulation import EmulatorClock
from unified_accounting.emulation import oauth as kit

from .dates import iso_utc
from .options import EmulatorOptions
from .state import IdFactory

#: Scopes accepted per API resource: (write scopes, additional read-only scopes).
RESOURCE_SCOPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Invoices": (
        ("accounting.transactions", "accounting.invoices"),
        ("accounting.transactions.read", "accounting.invoices.read"),
    ),
    "BankTransactions": (
        ("accounting.transactions", "accounting.banktransactions"),
        ("accounting.transactions.read", "accounting.banktransactions.read"),
    ),
    "CreditNotes": (
        ("accounting.transactions", "accounting.invoices"),
        ("accounting.transactions.read", "accounting.invoices.read"),
    ),
    "Payments": (
        ("accounting.transactions", "accounting.payments"),
        ("accounting.transactions.read", "accounting.payments.read"),
    ),
    "Contacts": (("accounting.contacts",), ("accounting.contacts.read",)),
    # The granular scope's name is UNVERIFIED.
    "ManualJournals": (
        ("accounting.transactions", "accounting.manualjournals"),
        ("accounting.transactions.read", "accounting.manualjournals.read"),
    ),
    "Accounts": (("accounting.settings",), ("accounting.settings.read",)),
    "Items": (("accounting.settings",), ("accounting.settings.read",)),
    "Organisation": (("accounting.settings",), ("accounting.settings.read",)),
    "TaxRates": (("accounting.settings",), ("accounting.settings.read",)),
    "TrackingCategories": (("accounting.settings",), ("accounting.settings.read",)),
    "Currencies": (("accounting.settings",), ("accounting.settings.read",)),
    # Reports are read only; apps created from March 2026 have per-report scopes (names UNVERIFIED
    # beyond the prefix), accepted here by their prefix.
    "Reports": ((), ("accounting.reports.read",)),
    "Attachments": (("accounting.attachments",), ("accounting.attachments.read",)),
}

#: ``error_description`` per kit reason (Xero leaves it out for refresh failures).
DESCRIPTIONS = {
    "code_expired": "authorization code expired",
    "redirect_uri_mismatch": "redirect_uri does not match",
    "pkce_failed": "code_verifier is invalid",
}


@dataclass(frozen=True)
class CodeGrant:
    """What an authorization code grants."""

    scopes: tuple[str, ...]
    tenant_ids: tuple[str, ...]
    nonce: str | None = None


@dataclass
class Holder:
    """Whose a token is (the emulated user) and what it may do; ``auth_event_id`` is its lineage."""

    user_id: str
    scopes: tuple[str, ...]
    pkce: bool = False
    #: For a refresh token: the token pair its use produced (what a retry in the grace period gets).
    successor: dict[str, Any] | None = None


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
        return {
            "id": self.id,
            "authEventId": self.auth_event_id,
            "tenantId": self.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": self.tenant_name,
            "createdDateUtc": iso_utc(self.created_at),
            "updatedDateUtc": iso_utc(self.updated_at),
        }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class IdentityService(kit.OAuthServer[CodeGrant, Holder]):
    """Xero Identity: the kit's OAuth server with Xero's tokens, connections and policy."""

    def __init__(
        self, options: EmulatorOptions, clock: EmulatorClock, ids: IdFactory, tenant_names: dict[str, str]
    ) -> None:
        super().__init__(
            kit.OAuthClient(
                options.client_id,
                options.client_secret,
                options.redirect_uris,
                options.loopback_redirect_hosts,
            ),
            code_ttl_s=options.authorization_code_lifetime_s,
            refresh_grace_s=options.refresh_grace_s,
            new_code=lambda: ids.token(24),
        )
        self.options = options
        self.clock = clock
        self.ids = ids
        self.tenant_names = tenant_names
        self.connections: dict[str, Connection] = {}
        self.user_id = ids.new()
        self.global_session_id = ids.token(16)
        self._signing_key = ids.token(32).encode("ascii")

    def _jwt(self, claims: dict[str, Any]) -> str:
        header = _b64url(json.dumps({"alg": "HS256", "kid": "xero-emulator", "typ": "JWT"}).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._signing_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64url(signature)}"

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
        request = kit.AuthorizeRequest(client_id, redirect_uri, None, tuple(scopes), challenge)
        return self.codes.issue(request, CodeGrant(tuple(scopes), tuple(tenant_ids), nonce), self.clock.now())

    # ----------------------------------------------------------------------------------------- tokens
    def token(self, form: Mapping[str, str], authorization: str | None) -> dict[str, Any]:
        grant_type = form.get("grant_type", "")
        try:
            client = kit.client_credentials(authorization, form)
            authenticated = self.client.authenticate(client)
        except kit.OAuthError:
            self._note_refresh(grant_type, "invalid_client")
            raise
        if grant_type == "authorization_code":
            return self._exchange_code(form, client, authenticated)
        if grant_type == "refresh_token":
            return self._refresh(form.get("refresh_token", ""), client, authenticated)
        raise kit.OAuthError("unsupported_grant_type")

    def _note_refresh(self, grant_type: str, outcome: str) -> None:
        if grant_type == "refresh_token":
            self.note_refresh(self.clock.now(), outcome)

    def _exchange_code(
        self, form: Mapping[str, str], client: kit.ClientCredentials, authenticated: bool
    ) -> dict[str, Any]:
        code = self.codes.exchange(form, client=client, authenticated=authenticated, now=self.clock.now())
        pkce = code.challenge is not None
        return self.grant(client.client_id, code.grant.scopes, code.grant.tenant_ids, pkce=pkce)

    def grant(
        self, client_id: str, scopes: Sequence[str], tenant_ids: Iterable[str], pkce: bool = False
    ) -> dict[str, Any]:
        """Record an authorization event: connect the tenants and mint a token set."""
        auth_event_id = self.ids.new()
        now = self.clock.now()
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
                existing.updated_at = now
            else:
                conn = Connection(
                    self.ids.new(),
                    tenant_id,
                    self.tenant_names[tenant_id],
                    client_id,
                    self.user_id,
                    auth_event_id,
                    now,
                    now,
                )
                self.connections[conn.id] = conn
        return self._mint(client_id, tuple(scopes), auth_event_id, pkce)

    def _mint(
        self,
        client_id: str,
        scopes: tuple[str, ...],
        auth_event_id: str,
        pkce: bool,
        replacing: kit.RefreshToken[Holder] | None = None,
    ) -> dict[str, Any]:
        """A token pair of lineage ``auth_event_id``; its refresh token replaces ``replacing``."""
        now_dt = self.clock.now()
        now = int(now_dt.timestamp())
        lifetime = self.options.access_token_lifetime_s
        claims = {
            "nbf": now,
            "exp": now + lifetime,
            "iss": "https://identity.xero.com",
            "aud": "https://identity.xero.com/resources",
            "client_id": client_id,
            "sub": self.user_id.replace("-", ""),
            "auth_time": now,
            "xero_userid": self.user_id,
            "global_session_id": self.global_session_id,
            "jti": self.ids.token(16),
            "authentication_event_id": auth_event_id,
            "scope": list(scopes),
        }
        access = self._jwt(claims)
        expires_at = now_dt + timedelta(seconds=lifetime)
        self.access_tokens.issue(access, auth_event_id, client_id, expires_at, Holder(self.user_id, scopes))
        response: dict[str, Any] = {}
        if "openid" in scopes:
            response["id_token"] = self._jwt(
                {
                    "nbf": now,
                    "exp": now + 300,
                    "iss": "https://identity.xero.com",
                    "aud": client_id,
                    "iat": now,
                    "sub": self.user_id.replace("-", ""),
                    "auth_time": now,
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
            value = self.ids.token(32)
            holder = Holder(self.user_id, scopes, pkce)
            if replacing is not None:
                self.refresh_tokens.rotate(replacing, value, now_dt, holder)
            else:
                self.refresh_tokens.issue(value, auth_event_id, client_id, now_dt, holder)
            response["refresh_token"] = value
        response["scope"] = " ".join(scopes)
        return response

    def _refresh(self, value: str, client: kit.ClientCredentials, authenticated: bool) -> dict[str, Any]:
        now = self.clock.now()
        try:
            token = self.refresh_tokens.present(value, client.client_id, now)
        except kit.OAuthError:
            self._note_refresh("refresh_token", "invalid_grant")
            raise
        holder = token.data
        if not authenticated and not holder.pkce:
            self._note_refresh("refresh_token", "invalid_client")
            raise kit.OAuthError("invalid_client", status=client.invalid_status)
        if token.replaced_at is not None:
            # A retry inside the grace period (``present`` refused it after the grace period).
            if holder.successor is None:
                self._note_refresh("refresh_token", "invalid_grant")
                raise kit.OAuthError("invalid_grant")
            if self.options.refresh_grace_mode == "same_pair":
                self._note_refresh("refresh_token", "grace_same_pair")
                return dict(holder.successor)
            self._retire(holder.successor)
            holder.successor = self._mint(token.client_id, holder.scopes, token.lineage, holder.pkce)
            self._note_refresh("refresh_token", "grace_new_pair")
            return dict(holder.successor)
        if now - token.issued_at >= timedelta(seconds=self.options.refresh_token_idle_lifetime_s):
            self._note_refresh("refresh_token", "invalid_grant")
            raise kit.OAuthError("invalid_grant", reason="refresh_token_expired")
        holder.successor = self._mint(token.client_id, holder.scopes, token.lineage, holder.pkce, token)
        self._note_refresh("refresh_token", "rotated")
        return dict(holder.successor)

    def _retire(self, pair: Mapping[str, Any]) -> None:
        self.refresh_tokens.revoke(str(pair.get("refresh_token")))
        self.access_tokens.revoke(str(pair.get("access_token")))

    # -------------------------------------------------------------------------------------- revocation
    def revoke(self, token: str, client_id: str) -> None:
        record = self.refresh_tokens.get(token)
        if record is None or record.client_id != client_id:
            return  # RFC 7009: unknown tokens are not an error
        self.revoke_user(record.data.user_id, client_id)

    def revoke_user(self, user_id: str, client_id: str | None) -> None:
        def theirs(token: kit.AccessToken[Holder] | kit.RefreshToken[Holder]) -> bool:
            return token.data.user_id == user_id and (client_id is None or token.client_id == client_id)

        self.refresh_tokens.revoke_where(theirs)
        if self.options.revoke_invalidates_access_tokens:
            self.access_tokens.revoke_where(theirs)
        for conn_id in [
            c.id
            for c in self.connections.values()
            if c.user_id == user_id and (client_id is None or c.client_id == client_id)
        ]:
            del self.connections[conn_id]

    def revoke_all(self) -> None:
        super().revoke_all()
        self.connections.clear()

    # ------------------------------------------------------------------------------------ API access
    def authenticate(self, authorization: str | None) -> kit.AccessToken[Holder] | str:
        """The access token of a request, or the ``Detail`` of the 401 to answer."""
        try:
            return self.access_tokens.authenticate(authorization, self.clock.now())
        except kit.BearerRejected as rejected:
            if rejected.reason == "expired" and rejected.token is not None:
                expired = rejected.token.expires_at.strftime("%m/%d/%Y %H:%M:%S")
                return f"TokenExpired: token expired at {expired}"
            return "AuthorizationUnsuccessful"

    def connections_for(self, token: kit.AccessToken[Holder]) -> list[Connection]:
        return sorted(
            (
                c
                for c in self.connections.values()
                if c.user_id == token.data.user_id and c.client_id == token.client_id
            ),
            key=lambda c: c.created_at,
        )

    def has_tenant(self, token: kit.AccessToken[Holder], tenant_id: str) -> bool:
        return any(
            c.tenant_id == tenant_id and c.user_id == token.data.user_id and c.client_id == token.client_id
            for c in self.connections.values()
        )

    def delete_connection(self, token: kit.AccessToken[Holder], connection_id: str) -> bool:
        conn = self.connections.get(connection_id)
        if conn is None or conn.user_id != token.data.user_id or conn.client_id != token.client_id:
            return False
        del self.connections[connection_id]
        return True

    def scope_allows(self, token: kit.AccessToken[Holder], resource: str, write: bool) -> bool:
        if not self.options.enforce_scopes:
            return True
        rule = RESOURCE_SCOPES.get(resource)
        if rule is None:
            return True
        accepted = rule[0] if write else rule[0] + rule[1]
        if resource == "Reports" and not write:
            return any(
                s == "accounting.reports.read" or s.startswith("accounting.reports.")
                for s in token.data.scopes
            )
        return any(s in token.data.scopes for s in accepted)
