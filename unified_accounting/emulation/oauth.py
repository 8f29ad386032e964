"""The core of an OAuth 2.0 authorization server (RFC 6749, RFC 7636, RFC 7009), for emulators.

The rules every provider shares live here; each emulator keeps its provider's wire shapes (paths,
bodies, descriptions, token formats) and its policy (when a refresh token rotates, what a second
use of a code does, what revocation takes away):

* :class:`OAuthClient` — the registered app: client authentication by HTTP Basic (RFC 6749 §2.3.1:
  id and secret form-encoded, then base64) or by ``client_id``/``client_secret`` in the body, compared
  in constant time, and redirect URI checks (an exact match with a registered URI).
* :func:`read_authorize_request` — the checks of an authorization request, split into the errors that
  must be shown to the user (unknown client, unregistered redirect URI: never redirect there) and the
  ones redirected back (``unsupported_response_type``, ``invalid_scope``, bad PKCE parameters).
* :class:`AuthorizationCodes` — codes that work once and expire (``ttl_s``), bound to the client and
  the redirect URI, with the PKCE ``S256`` check of the verifier.
* :class:`RefreshTokens` — refresh tokens grouped in lineages (one per authorization), rotation with a
  grace period during which a replaced value still works, revocation by lineage.
* :class:`AccessTokens` — bearer tokens with expiry and revocation, and the check of an
  ``Authorization: Bearer`` header;
* :class:`OAuthServer` — all of that for one emulated provider, with the refresh requests it received
  and the test controls every emulator offers (expire every access token, revoke everything).

Errors are :class:`OAuthError` carrying a machine ``reason`` next to the RFC ``error`` code, so each
emulator words (or leaves out) ``error_description`` the way its provider does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qs, unquote_plus

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse

T = TypeVar("T")
C = TypeVar("C")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")


class OAuthError(Exception):
    """An OAuth error answer: ``{"error": ..., "error_description": ...}`` with ``status``.

    ``reason`` names what exactly went wrong (``code_expired``, ``refresh_token_replaced``, ...);
    :meth:`described` words it the provider's way.
    """

    def __init__(
        self, error: str, description: str | None = None, *, status: int = 400, reason: str | None = None
    ) -> None:
        super().__init__(description or reason or error)
        self.error = error
        self.description = description
        self.status = status
        self.reason = reason

    def described(self, descriptions: Mapping[str, str]) -> OAuthError:
        """This error with the description ``descriptions`` gives its reason (if any)."""
        if self.reason is not None and self.reason in descriptions:
            self.description = descriptions[self.reason]
        return self

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body

    def response(self, realm: str = "emulator") -> JSONResponse:
        headers = dict(NO_STORE)
        if self.status == 401:
            # RFC 6749 §5.2: a 401 names the authentication scheme the client should use.
            headers["WWW-Authenticate"] = f'Basic realm="{realm}"'
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def token_response(body: Mapping[str, object]) -> JSONResponse:
    """A token endpoint's success answer (never cached)."""
    return JSONResponse(dict(body), headers=NO_STORE)


async def read_form(request: Request) -> dict[str, str]:
    """The ``application/x-www-form-urlencoded`` body (first value of each name), whatever the
    ``Content-Type`` says."""
    raw = (await request.body()).decode("utf-8", "replace")
    return {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}


def redirect_to(redirect_uri: str, params: Mapping[str, str | None]) -> RedirectResponse:
    """A 302 to ``redirect_uri`` with ``params`` (``None`` values left out) merged into its query."""
    clean = {key: value for key, value in params.items() if value is not None}
    return RedirectResponse(str(httpx.URL(redirect_uri).copy_merge_params(clean)), status_code=302)


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    """An unguessable token value."""
    return prefix + secrets.token_urlsafe(nbytes)


# ------------------------------------------------------------------------------------------ clients
@dataclass(frozen=True)
class ClientCredentials:
    """What a request presented to authenticate its client."""

    client_id: str
    secret: str | None
    #: Presented in an ``Authorization: Basic`` header (rather than in the body).
    basic: bool

    @property
    def invalid_status(self) -> int:
        # RFC 6749 §5.2: 401 when the client tried the Authorization header, 400 otherwise.
        return 401 if self.basic else 400


def client_credentials(
    authorization: str | None, form: Mapping[str, str], *, body_auth: bool = True
) -> ClientCredentials:
    """The client credentials of a token, revocation or introspection request.

    ``body_auth=False`` accepts only the Basic header (``client_secret_basic``).
    """
    if authorization:
        scheme, _, encoded = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            raise OAuthError("invalid_client", status=401, reason="not_basic")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", status=401, reason="malformed_basic") from None
        if ":" not in decoded:
            raise OAuthError("invalid_client", status=401, reason="malformed_basic")
        client_id, secret = decoded.split(":", 1)
        return ClientCredentials(unquote_plus(client_id), unquote_plus(secret), basic=True)
    if not body_auth:
        raise OAuthError("invalid_client", status=401, reason="no_credentials")
    return ClientCredentials(form.get("client_id", ""), form.get("client_secret"), basic=False)


def loopback_redirect(redirect_uri: str, hosts: Collection[str]) -> bool:
    """Whether ``redirect_uri`` is ``http://HOST[:PORT]/PATH`` on one of ``hosts``, with nothing a
    redirect could smuggle elsewhere (no user info, no fragment)."""
    if not hosts:
        return False
    try:
        url = httpx.URL(redirect_uri)
    except (httpx.InvalidURL, TypeError):
        return False
    return (
        url.scheme == "http"
        and url.host.lower() in {h.lower().strip("[]") for h in hosts}
        and not url.userinfo
        and not url.fragment
        and redirect_uri.lower().startswith("http://")
    )


@dataclass(frozen=True)
class OAuthClient:
    """The app registered with the emulated provider."""

    client_id: str
    client_secret: str
    #: Registered redirect URIs; ``None`` accepts any non-empty URI.
    redirect_uris: Collection[str] | None = None
    #: Hosts whose plain-http redirect URIs count as registered, whatever their port and path: a
    #: development app registers ``http://localhost:PORT/callback`` with the real provider, and an
    #: emulator has no portal to register it in (see :func:`loopback_redirect`).
    loopback_redirect_hosts: Collection[str] = ()

    def redirect_allowed(self, redirect_uri: str | None) -> bool:
        if not redirect_uri:
            return False
        if self.redirect_uris is None or redirect_uri in self.redirect_uris:
            return True
        return loopback_redirect(redirect_uri, self.loopback_redirect_hosts)

    def authenticate(self, credentials: ClientCredentials) -> bool:
        """Check ``credentials`` name this client and, when a secret was sent, the right one.

        Returns whether the client proved itself with its secret; without a secret only a public
        client flow (PKCE) may go on. Raises ``invalid_client`` otherwise.
        """
        if not secrets.compare_digest(credentials.client_id.encode(), self.client_id.encode()):
            raise OAuthError("invalid_client", status=credentials.invalid_status, reason="unknown_client")
        if credentials.secret is None:
            return False
        if not secrets.compare_digest(credentials.secret.encode(), self.client_secret.encode()):
            raise OAuthError("invalid_client", status=credentials.invalid_status, reason="wrong_secret")
        return True


# ---------------------------------------------------------------------------------------- authorize
def pkce_challenge(verifier: str) -> str:
    """The ``S256`` code challenge of a PKCE verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_matches(challenge: str, verifier: str | None) -> bool:
    """Whether ``verifier`` is well formed (43–128 unreserved characters) and hashes to ``challenge``."""
    if not verifier or not _VERIFIER.match(verifier):
        return False
    return secrets.compare_digest(pkce_challenge(verifier), challenge)


class AuthorizePageError(Exception):
    """An authorization request that must not be redirected (unknown client, unregistered redirect
    URI): show ``description`` to the user instead."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthorizeRequest:
    """A checked authorization request."""

    client_id: str
    redirect_uri: str
    state: str | None
    scopes: tuple[str, ...]
    challenge: str | None = None

    def redirect(self, params: Mapping[str, str | None]) -> RedirectResponse:
        """Back to the client with ``params`` and the request's ``state``."""
        return redirect_to(self.redirect_uri, {**params, "state": self.state})

    def refuse(self, error: str, description: str | None = None) -> RedirectResponse:
        """Back to the client with an error (``access_denied`` when the user declines, ...)."""
        return self.redirect({"error": error, "error_description": description})


class AuthorizeRedirectError(Exception):
    """An authorization request refused by redirecting ``error`` back to the client."""

    def __init__(self, request: AuthorizeRequest, error: str, description: str | None = None) -> None:
        super().__init__(description or error)
        self.request = request
        self.error = error
        self.description = description

    def response(self) -> RedirectResponse:
        return self.request.refuse(self.error, self.description)


def read_authorize_request(
    params: Mapping[str, str],
    client: OAuthClient,
    *,
    allowed_scopes: Collection[str] | None = None,
    pkce: bool = True,
) -> AuthorizeRequest:
    """Check an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).

    Raises :class:`AuthorizePageError` for what must be shown, never redirected (RFC 6749 §4.1.2.1),
    and :class:`AuthorizeRedirectError` for what is redirected. ``pkce=False`` ignores PKCE
    parameters (a provider without PKCE).
    """
    if params.get("client_id") != client.client_id:
        raise AuthorizePageError("unauthorized_client", "Unknown client or client not enabled.")
    redirect_uri = params.get("redirect_uri", "")
    if not client.redirect_allowed(redirect_uri):
        raise AuthorizePageError("invalid_request", "The redirect_uri is not registered for this app.")
    scopes = tuple(dict.fromkeys(params.get("scope", "").split()))
    challenge = params.get("code_challenge") if pkce else None
    request = AuthorizeRequest(client.client_id, redirect_uri, params.get("state"), scopes, challenge)
    if params.get("response_type") != "code":
        raise AuthorizeRedirectError(request, "unsupported_response_type")
    if allowed_scopes is not None and (not scopes or any(s not in allowed_scopes for s in scopes)):
        raise AuthorizeRedirectError(request, "invalid_scope")
    if pkce and (challenge is not None or params.get("code_challenge_method") is not None):
        if params.get("code_challenge_method") != "S256":
            raise AuthorizeRedirectError(request, "invalid_request", "code_challenge_method must be S256")
        if challenge is None or not _CHALLENGE.match(challenge):
            raise AuthorizeRedirectError(request, "invalid_request", "code_challenge is invalid")
    return request


# ------------------------------------------------------------------------------------------- codes
@dataclass
class AuthorizationCode(Generic[T]):
    """One authorization code and what it grants (``grant``: the provider's own data)."""

    value: str
    client_id: str
    redirect_uri: str
    expires_at: datetime
    grant: T
    challenge: str | None = None
    used: bool = False
    #: The lineage of the tokens the code was exchanged for.
    lineage: str | None = None


class AuthorizationCodes(Generic[T]):
    """Authorization codes: single use, short lived, bound to client and redirect URI, PKCE-checked.

    ``on_reuse`` runs when a used code comes back (RFC 6749 §4.1.2 advises revoking what it produced).
    """

    def __init__(
        self,
        ttl_s: float,
        *,
        new_value: Callable[[], str] = new_token,
        on_reuse: Callable[[AuthorizationCode[T]], None] | None = None,
    ) -> None:
        self.ttl = timedelta(seconds=ttl_s)
        self._new_value = new_value
        self._on_reuse = on_reuse
        self._codes: dict[str, AuthorizationCode[T]] = {}

    def issue(
        self, request: AuthorizeRequest, grant: T, now: datetime, *, challenge: str | None = None
    ) -> str:
        value = self._new_value()
        self._codes[value] = AuthorizationCode(
            value,
            request.client_id,
            request.redirect_uri,
            now + self.ttl,
            grant,
            challenge if challenge is not None else request.challenge,
        )
        return value

    def get(self, value: str) -> AuthorizationCode[T] | None:
        return self._codes.get(value)

    def __len__(self) -> int:
        return len(self._codes)

    def exchange(
        self, form: Mapping[str, str], *, client: ClientCredentials, authenticated: bool, now: datetime
    ) -> AuthorizationCode[T]:
        """:meth:`redeem` the ``code`` of a token request, with its ``redirect_uri`` and ``code_verifier``."""
        return self.redeem(
            form.get("code"),
            client=client,
            authenticated=authenticated,
            redirect_uri=form.get("redirect_uri"),
            verifier=form.get("code_verifier"),
            now=now,
        )

    def redeem(
        self,
        value: str | None,
        *,
        client: ClientCredentials,
        authenticated: bool,
        redirect_uri: str | None,
        verifier: str | None,
        now: datetime,
    ) -> AuthorizationCode[T]:
        """Exchange a code once: the checks of RFC 6749 §4.1.3 and RFC 7636 §4.6.

        A code bound to a PKCE challenge needs the matching verifier (and no secret: a public
        client); any other code needs the client's secret (``authenticated``).
        """
        code = self._codes.get(value or "")
        if code is None:
            raise OAuthError("invalid_grant", reason="unknown_code")
        if code.used:
            if self._on_reuse is not None:
                self._on_reuse(code)
            raise OAuthError("invalid_grant", reason="code_reused")
        if code.client_id != client.client_id:
            raise OAuthError("invalid_grant", reason="code_of_another_client")
        if now >= code.expires_at:
            raise OAuthError("invalid_grant", reason="code_expired")
        if redirect_uri != code.redirect_uri:
            raise OAuthError("invalid_grant", reason="redirect_uri_mismatch")
        if code.challenge is not None:
            if not verifier_matches(code.challenge, verifier):
                raise OAuthError("invalid_grant", reason="pkce_failed")
        elif not authenticated:
            raise OAuthError("invalid_client", status=client.invalid_status, reason="secret_missing")
        code.used = True
        return code


# -------------------------------------------------------------------------------------- registries
class Revocable(Protocol):
    value: str
    lineage: str
    revoked: bool


K = TypeVar("K", bound=Revocable)


class _Tokens(Generic[K]):
    """Token values of one kind, each in a lineage, each revocable."""

    def __init__(self) -> None:
        self._tokens: dict[str, K] = {}

    def get(self, value: str) -> K | None:
        return self._tokens.get(value)

    def revoke(self, value: str) -> K | None:
        """Revoke one value (not its lineage); the token, or ``None`` when unknown."""
        token = self._tokens.get(value)
        if token is not None:
            token.revoked = True
        return token

    def revoke_lineage(self, lineage: str) -> None:
        self.revoke_where(lambda token: token.lineage == lineage)

    def revoke_where(self, predicate: Callable[[K], bool]) -> None:
        for token in self._tokens.values():
            if predicate(token):
                token.revoked = True

    def revoke_all(self) -> None:
        self.revoke_where(lambda _: True)

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._tokens.values()))

    def __len__(self) -> int:
        return len(self._tokens)


# ---------------------------------------------------------------------------------- refresh tokens
@dataclass
class RefreshToken(Generic[T]):
    """One refresh-token value of a lineage (the tokens of one authorization, in rotation order)."""

    value: str
    lineage: str
    client_id: str
    issued_at: datetime
    data: T
    #: When a newer value replaced this one (``None``: the current value).
    replaced_at: datetime | None = None
    successor: str | None = None
    revoked: bool = False

    @property
    def current(self) -> bool:
        return self.replaced_at is None and not self.revoked


class RefreshTokens(_Tokens[RefreshToken[T]]):
    """Refresh tokens with rotation and a grace period.

    After :meth:`rotate`, the replaced value keeps working ``grace_s`` seconds (``0``: never again),
    so a client that lost the answer to its refresh can retry with the value it still holds.
    ``value in tokens`` says whether a value is its lineage's current, unrevoked one.
    """

    def __init__(self, grace_s: float = 0.0) -> None:
        super().__init__()
        self.grace = timedelta(seconds=max(0.0, grace_s))
        self._current: dict[str, str] = {}

    def issue(self, value: str, lineage: str, client_id: str, now: datetime, data: T) -> RefreshToken[T]:
        token = RefreshToken(value, lineage, client_id, now, data)
        self._tokens[value] = token
        self._current[lineage] = value
        return token

    def current(self, lineage: str) -> RefreshToken[T] | None:
        value = self._current.get(lineage)
        return self._tokens.get(value) if value is not None else None

    def present(self, value: str | None, client_id: str, now: datetime) -> RefreshToken[T]:
        """The token a refresh request presents, if it may still be used (RFC 6749 §6)."""
        token = self._tokens.get(value or "")
        if token is None or token.client_id != client_id:
            raise OAuthError("invalid_grant", reason="unknown_refresh_token")
        if token.revoked:
            raise OAuthError("invalid_grant", reason="refresh_token_revoked")
        if token.replaced_at is not None and (not self.grace or now >= token.replaced_at + self.grace):
            raise OAuthError("invalid_grant", reason="refresh_token_replaced")
        return token

    def rotate(
        self, token: RefreshToken[T], new_value: str, now: datetime, data: T | None = None
    ) -> RefreshToken[T]:
        """Replace ``token`` (from now on in its grace period) by a new value of the same lineage."""
        fresh = self.issue(
            new_value, token.lineage, token.client_id, now, token.data if data is None else data
        )
        token.replaced_at = now
        token.successor = new_value
        return fresh

    def __contains__(self, value: object) -> bool:
        token = self._tokens.get(value) if isinstance(value, str) else None
        return token is not None and token.current


# ----------------------------------------------------------------------------------- access tokens
@dataclass
class AccessToken(Generic[T]):
    value: str
    lineage: str
    client_id: str
    expires_at: datetime
    data: T
    revoked: bool = False


class BearerRejected(Exception):
    """An API call whose bearer token is missing, unknown, revoked or expired (``reason``)."""

    def __init__(self, reason: str, token: AccessToken[Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.token = token


def bearer_value(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or ``None``."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class AccessTokens(_Tokens[AccessToken[T]]):
    """Bearer tokens: issued per lineage, checked on every API call, expired or revoked by tests."""

    def issue(
        self, value: str, lineage: str, client_id: str, expires_at: datetime, data: T
    ) -> AccessToken[T]:
        token = AccessToken(value, lineage, client_id, expires_at, data)
        self._tokens[value] = token
        return token

    def authenticate(self, authorization: str | None, now: datetime) -> AccessToken[T]:
        """The live token of an ``Authorization`` header; raises :class:`BearerRejected`."""
        value = bearer_value(authorization)
        if value is None:
            raise BearerRejected("missing")
        token = self._tokens.get(value)
        if token is None:
            raise BearerRejected("unknown")
        if token.revoked:
            raise BearerRejected("revoked", token)
        if now >= token.expires_at:
            raise BearerRejected("expired", token)
        return token

    def expire_all(self, now: datetime) -> int:
        """Make every token issued so far expired; how many there are."""
        for token in self._tokens.values():
            token.expires_at = min(token.expires_at, now)
        return len(self._tokens)

    def clear(self) -> None:
        """Forget every token (as if the provider dropped them early)."""
        self._tokens.clear()

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value in self._tokens


# ------------------------------------------------------------------------------------------ server
@dataclass(frozen=True)
class RefreshAttempt:
    """One ``grant_type=refresh_token`` request and how it ended (the emulator's own word)."""

    at: datetime
    outcome: str


class OAuthServer(Generic[C, T]):
    """The OAuth state of one emulated provider: its registered app, the authorization codes it
    issued (granting ``C``), its refresh and access tokens (carrying ``T``), and the refresh
    requests it received."""

    def __init__(
        self,
        client: OAuthClient,
        *,
        code_ttl_s: float,
        refresh_grace_s: float = 0.0,
        new_code: Callable[[], str] = new_token,
        on_code_reuse: Callable[[AuthorizationCode[C]], None] | None = None,
    ) -> None:
        self.client = client
        self.codes: AuthorizationCodes[C] = AuthorizationCodes(
            code_ttl_s, new_value=new_code, on_reuse=on_code_reuse
        )
        self.refresh_tokens: RefreshTokens[T] = RefreshTokens(refresh_grace_s)
        self.access_tokens: AccessTokens[T] = AccessTokens()
        self.refresh_attempts: list[RefreshAttempt] = []

    @property
    def refresh_count(self) -> int:
        """``grant_type=refresh_token`` requests received, answered or not."""
        return len(self.refresh_attempts)

    def note_refresh(self, now: datetime, outcome: str) -> None:
        self.refresh_attempts.append(RefreshAttempt(now, outcome))

    def revoke_lineage(self, lineage: str) -> None:
        """Revoke one authorization: its refresh tokens and every access token minted from it."""
        self.refresh_tokens.revoke_lineage(lineage)
        self.access_tokens.revoke_lineage(lineage)

    def expire_access_tokens(self, now: datetime) -> int:
        return self.access_tokens.expire_all(now)

    def revoke_all(self) -> None:
        self.refresh_tokens.revoke_all()
        self.access_tokens.revoke_all()
