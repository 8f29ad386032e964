"""The OAuth 2.0 requests of one provider, as its :class:`OAuthSettings` declare them.

Built on authlib's protocol helpers. HTTP goes through the client's ``httpx`` transport so
emulators and recorded cassettes see the token traffic too. Every refusal is mapped by
:func:`~unified_accounting.oauth.errors.token_endpoint_error`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request

from ..connections import unreachable_hint
from ..errors import ConfigurationError, DecodeFailed, ProviderUnavailable
from ..settings import ProviderSettings
from ..tokens import TokenSet
from .declaration import OAuthSettings
from .errors import token_endpoint_error, token_response_json

Endpoint = Literal["authorize", "token", "revoke"]


def rebase(url: str, base_url: str | None) -> str:
    """Move ``url`` onto ``base_url`` keeping its path: how one emulator stands in for every host."""
    if not base_url:
        return url
    base = urlsplit(base_url)
    original = urlsplit(url)
    path = base.path.rstrip("/") + original.path
    return urlunsplit((base.scheme, base.netloc, path, original.query, original.fragment))


def _basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def token_set(
    provider: str,
    declared: OAuthSettings,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    previous: TokenSet | None = None,
) -> TokenSet:
    """A token answer → :class:`TokenSet`, with the declared refresh-token idle lifetime."""
    try:
        tokens = TokenSet.from_token_response(dict(payload), now=now, previous=previous)
    except (TypeError, ValueError) as exc:
        # No ``raw``: the answer holds tokens.
        problem = type(exc).__name__
        raise DecodeFailed(f"the token answer cannot be read: {problem}", provider=provider) from None
    lifetime = declared.refresh_token_idle_lifetime
    if lifetime is not None and tokens.refresh_token is not None:
        tokens = tokens.model_copy(update={"refresh_token_expires_at": now + lifetime})
    return tokens


@dataclass(frozen=True)
class OAuthFlow:
    """One provider's OAuth endpoints and client authentication, for one app (``settings``)."""

    provider: str
    declared: OAuthSettings
    settings: ProviderSettings

    def endpoint(self, kind: Endpoint) -> str:
        """The endpoint's URL, moved onto ``settings.base_url`` when one is set (emulators)."""
        url = {
            "authorize": self.declared.authorize_url,
            "token": self.declared.token_url,
            "revoke": self.declared.revoke_url,
        }[kind]
        if url is None:
            raise ConfigurationError(f"provider {self.provider!r} has no OAuth {kind} endpoint")
        return rebase(url, self.settings.base_url)

    def _prefix(self) -> str:
        return f"UA_{self.provider.upper()}_"

    def client_id(self) -> str:
        if not self.settings.client_id:
            raise ConfigurationError(
                f"provider {self.provider!r} needs client_id for OAuth: pass it in "
                f"Client(providers={{'{self.provider}': {{'client_id': ...}}}}) or set "
                f"{self._prefix()}CLIENT_ID"
            )
        return self.settings.client_id

    def client_credentials(self) -> tuple[str, str]:
        """The app's client id and secret; a missing one is a :class:`ConfigurationError` naming it."""
        if not self.settings.client_id or self.settings.client_secret is None:
            raise ConfigurationError(
                f"provider {self.provider!r} needs client_id and client_secret for OAuth: pass them in "
                f"Client(providers={{'{self.provider}': {{'client_id': ..., 'client_secret': ...}}}}) "
                f"or set {self._prefix()}CLIENT_ID and {self._prefix()}CLIENT_SECRET"
            )
        return self.settings.client_id, self.settings.client_secret.get_secret_value()

    def client_authentication(self, fields: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        """Headers and body fields that authenticate the app: HTTP Basic or the body for a
        confidential client, the bare ``client_id`` in the body for a public one."""
        if self.settings.client_secret is None and self.declared.public_clients:
            return {}, {**fields, "client_id": self.client_id()}
        client_id, client_secret = self.client_credentials()
        if self.declared.client_auth_method == "client_secret_basic":
            return {"Authorization": _basic(client_id, client_secret)}, dict(fields)
        return {}, {**fields, "client_id": client_id, "client_secret": client_secret}

    def authorization_url(
        self, *, redirect_uri: str, state: str, scopes: Sequence[str], code_challenge: str | None = None
    ) -> str:
        """The consent page URL. A ``code_challenge`` (S256) makes it a PKCE request."""
        extra: dict[str, Any] = dict(self.declared.authorize_params)
        if code_challenge is not None:
            extra.update(code_challenge=code_challenge, code_challenge_method="S256")
        return str(
            prepare_grant_uri(
                self.endpoint("authorize"),
                self.client_id(),
                "code",
                redirect_uri=redirect_uri,
                scope=" ".join(scopes) or None,
                state=state,
                **extra,
            )
        )

    async def _post(
        self, http: httpx.AsyncClient, kind: Endpoint, content: str, headers: Mapping[str, str]
    ) -> httpx.Response:
        try:
            return await http.post(self.endpoint(kind), content=content, headers=headers)
        except httpx.TransportError as exc:
            hint = unreachable_hint(self.provider, self.endpoint(kind), self.settings.base_url)
            raise ProviderUnavailable(
                f"the OAuth {kind} endpoint is unreachable: {hint} ({exc or type(exc).__name__})",
                provider=self.provider,
            ) from exc

    async def token_request(self, http: httpx.AsyncClient, grant_type: str, **fields: Any) -> dict[str, Any]:
        """POST a grant to the token endpoint (declared extra headers included); its JSON answer."""
        auth_headers, body = self.client_authentication({k: v for k, v in fields.items() if v is not None})
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            **self.declared.token_headers,
            **auth_headers,
        }
        response = await self._post(http, "token", prepare_token_request(grant_type, **body), headers)
        return token_response_json(self.provider, response)

    async def revoke(self, http: httpx.AsyncClient, tokens: TokenSet) -> None:
        """Revoke the grant: the refresh token (which ends every access token minted from it) when
        there is one, in the declared body format."""
        token = (tokens.refresh_token or tokens.access_token).get_secret_value()
        auth_headers, fields = self.client_authentication({"token": token})
        if self.declared.revocation_body == "json":
            content, content_type = json.dumps(fields, separators=(",", ":")), "application/json"
        else:
            content, content_type = urlencode(fields), "application/x-www-form-urlencoded"
        headers = {"Accept": "application/json", "Content-Type": content_type, **auth_headers}
        response = await self._post(http, "revoke", content, headers)
        if not response.is_success:
            raise token_endpoint_error(self.provider, response, "revocation")


__all__ = ["OAuthFlow", "rebase", "token_set"]
