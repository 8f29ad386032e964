"""The OAuth authorization-code flow, provider-neutral: start (state + PKCE) and finish (exchange).

``AsyncClient.authorization_url`` and ``AsyncClient.complete_authorization`` are thin wrappers
around these functions; the connect page and ``ua connect`` go through the client too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import httpx

from ..connections import BASE_URL_METADATA, ConnectionHealth, ConnectionRecord, ConnectionStore
from ..errors import ConfigurationError, PermissionDenied
from ..oauth import code_challenge, new_code_verifier
from ..provider import Provider, ProviderSettings
from .states import AuthorizationDenied, PendingAuthorization, StateStore

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_redirect_uri(redirect_uri: str) -> str:
    """Refuse a redirect URI that is not absolute, or not https outside localhost."""
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"redirect_uri {redirect_uri!r} must be an absolute http(s) URL, e.g. "
            "'https://app.example.com/accounting/callback'"
        )
    if parts.fragment:
        raise ConfigurationError(f"redirect_uri {redirect_uri!r} must not contain a '#' fragment")
    if parts.scheme != "https" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"redirect_uri {redirect_uri!r} uses plain http: providers send the authorization code "
            "there, so it must be https (plain http is accepted for localhost only)"
        )
    return redirect_uri


async def start_authorization(
    *,
    provider: Provider,
    settings: ProviderSettings,
    states: StateStore,
    consumer_id: str,
    redirect_uri: str,
    scopes: Sequence[str] | None = None,
) -> str:
    """Store a fresh single-use state (and PKCE verifier) and return the provider's consent URL."""
    if not consumer_id:
        raise ConfigurationError("consumer_id must not be empty")
    if provider.oauth is None:
        raise ConfigurationError(f"provider {provider.name!r} does not connect through OAuth")
    validate_redirect_uri(redirect_uri)
    chosen = tuple(scopes or provider.oauth_scopes(settings))
    verifier = new_code_verifier() if provider.oauth.uses_pkce(settings) else None
    state = await states.create_state(
        consumer_id=consumer_id,
        provider=provider.name,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
        scopes=chosen,
    )
    return provider.authorization_url(
        settings,
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=code_challenge(verifier) if verifier else None,
        scopes=chosen,
    )


def callback_parameters(callback_url: str) -> dict[str, str]:
    """The query parameters of the URL the provider redirected the user to."""
    parts = urlsplit(callback_url)
    if not parts.query and "=" in callback_url and "://" not in callback_url:
        return dict(parse_qsl(callback_url.lstrip("?"), keep_blank_values=True))
    return dict(parse_qsl(parts.query, keep_blank_values=True))


async def claim_callback(
    *,
    states: StateStore,
    params: dict[str, str],
    provider: str | None,
    consumer_id: str | None,
) -> PendingAuthorization:
    """Check and use up the callback's state; raise if the provider reported an error instead of a code.

    The state is checked first, so a forged or replayed callback is refused the same way whether it
    carries a code or an error.
    """
    pending = await states.consume_state(params.get("state"), provider=provider, consumer_id=consumer_id)
    if "error" in params:
        raise AuthorizationDenied(params["error"], params.get("error_description"))
    if not params.get("code"):
        raise AuthorizationDenied("missing_code", "the provider's answer has no authorization code")
    return pending


async def finish_authorization(
    *,
    provider: Provider,
    settings: ProviderSettings,
    http: httpx.AsyncClient,
    store: ConnectionStore,
    pending: PendingAuthorization,
    params: dict[str, str],
) -> list[tuple[ConnectionRecord, ConnectionRecord | None]]:
    """Exchange the code and store one connection per company granted.

    ``exchange_code`` returns only companies the provider confirmed for the new token (never a
    company id taken from the callback alone); one it refuses raises ``AuthorizationDenied``.

    Returns ``(new record, record it replaced or None)`` pairs so the caller can fire hooks.
    """
    try:
        grants = await provider.exchange_code(
            http,
            settings,
            code=params["code"],
            redirect_uri=pending.redirect_uri,
            callback_params=params,
            code_verifier=pending.code_verifier,
        )
    except PermissionDenied as exc:
        # The new token cannot reach the company the callback named (a changed realmId, say):
        # the provider did not grant it, so nothing is stored.
        raise AuthorizationDenied(exc.code or "company_not_confirmed", exc.message) from exc
    if not grants:
        raise AuthorizationDenied(
            "no_company", f"the consent gave access to no {provider.display_name} company"
        )
    now = datetime.now(UTC)
    stored: list[tuple[ConnectionRecord, ConnectionRecord | None]] = []
    for grant in grants:
        tokens = grant.tokens
        if not tokens.scopes and pending.scopes:
            tokens = tokens.model_copy(update={"scopes": pending.scopes})
        record = ConnectionRecord(
            consumer_id=pending.consumer_id,
            provider=provider.name,
            company_id=grant.company_id,
            company_name=grant.company_name,
            environment=settings.environment,
            tokens=tokens,
            health=ConnectionHealth.OK,
            metadata={
                **grant.metadata,
                **({BASE_URL_METADATA: settings.base_url} if settings.base_url else {}),
            },
            created_at=now,
            updated_at=now,
        )
        previous = await store.get(record.key)
        if previous is not None:
            record = record.model_copy(update={"created_at": previous.created_at})
        await store.save(record)
        stored.append((record, previous))
    return stored
