"""One provider call on one connection: authentication, retries, refresh-on-401 and request hooks."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

import httpx
import pluggy

from .. import jsonutil
from ..connections import ConnectionKey
from ..errors import (
    AuthenticationError,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    ReauthorizationRequired,
    ValidationFailed,
)
from ..http.retry import RetryPolicy
from ..provider import Provider, ProviderSettings
from ..ratelimits import Limiter
from .tokens import TokenKeeper

#: Methods that may be re-sent without an idempotency key (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Failures where the request never reached the provider, so even a POST can be sent again.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class HttpSession:
    """Implements :class:`unified_accounting.provider.ProviderSession` for the built-in client."""

    def __init__(
        self,
        *,
        provider: Provider,
        settings: ProviderSettings,
        key: ConnectionKey,
        include_raw: bool,
        http: httpx.AsyncClient,
        tokens: TokenKeeper,
        retry_policy: RetryPolicy,
        plugin_manager: pluggy.PluginManager,
        limiter: Limiter | None = None,
    ) -> None:
        self.provider = provider
        self.provider_name = provider.name
        self.settings = settings
        self.key = key
        self.consumer_id = key.consumer_id
        self.company_id = key.company_id
        self.include_raw = include_raw
        self.limiter = limiter
        self._http = http
        self._tokens = tokens
        self._retry = retry_policy
        self._hooks = plugin_manager.hook

    def new_idempotency_key(self) -> str:
        return secrets.token_hex(16)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        method = method.upper()
        safe_to_resend = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        request_headers = {**self.provider.default_headers(self), **(headers or {})}
        if json is not None:
            try:
                content = jsonutil.dumps(json)
            except ValueError as exc:
                raise ValidationFailed(str(exc), provider=self.provider_name) from None
            request_headers.setdefault("Content-Type", "application/json")
        attempt = 0
        throttled, throttled_wait = 0, 0.0  # rate limits met by background work, and time waited
        rejected_token: str | None = None
        refreshed_after_401 = False
        while True:
            token = await self._tokens.access_token(
                self.key, self.provider, self.settings, rejected_token=rejected_token
            )
            rejected_token = None
            request = self._http.build_request(
                method,
                url,
                params=params,
                content=content,
                headers={**request_headers, "Authorization": f"Bearer {token}"},
            )
            self._hooks.ua_before_request(
                provider=self.provider_name, company_id=self.company_id, request=request
            )
            started = time.perf_counter()
            try:
                async with self.provider.request_slot(self):
                    response = await self._http.send(request)
                    await response.aread()
            except httpx.TransportError as exc:
                unreachable = ProviderUnavailable(
                    f"{type(exc).__name__} calling {self.provider_name}: {exc}", provider=self.provider_name
                )
                attempt += 1
                can_resend = safe_to_resend or isinstance(exc, NOT_SENT)
                delay = self._retry.delay(attempt, unreachable) if can_resend else None
                if delay is None:
                    raise unreachable from exc
                await self._retry.sleep(delay)
                continue
            elapsed = time.perf_counter() - started
            self.provider.observe_response(self, response)
            self._hooks.ua_after_response(
                provider=self.provider_name,
                company_id=self.company_id,
                request=request,
                response=response,
                elapsed=elapsed,
            )
            if response.is_success:
                return response
            error_or_invalid = self.provider.error_from_response(response)
            if isinstance(error_or_invalid, ValidationFailed):
                raise error_or_invalid
            error: ProviderError = error_or_invalid
            if (
                isinstance(error, AuthenticationError)
                and not isinstance(error, ReauthorizationRequired)
                and not refreshed_after_401
            ):
                record = await self._tokens.record(self.key)
                if record.tokens.refresh_token is not None:
                    # One refresh and one retry: the token may have been revoked or expired early.
                    refreshed_after_401 = True
                    rejected_token = token
                    continue
            if not error.retriable:
                raise error
            # A 429 means the provider did not process the request; a 5xx may have, so only
            # writes that carry an idempotency key (or are idempotent by nature) are re-sent.
            if not (safe_to_resend or isinstance(error, RateLimited)):
                raise error
            if isinstance(error, RateLimited) and self._retry.rate_limit_patience is not None:
                # Background work waits rate limits out (see unified_accounting.http.retry).
                throttled += 1
                delay = self._retry.rate_limit_delay(throttled, error, throttled_wait)
                if delay is None:
                    raise error
                throttled_wait += delay
            else:
                attempt += 1
                delay = self._retry.delay(attempt, error)
                if delay is None:
                    raise error
            await self._retry.sleep(delay)
