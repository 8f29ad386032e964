"""One provider call on one connection: authentication, retries, refresh-on-401 and request hooks."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import pluggy

from .. import jsonutil
from ..connections import ConnectionKey, unreachable_hint
from ..errors import (
    AuthenticationError,
    FieldIssue,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    ReauthorizationRequired,
    ValidationFailed,
)
from ..http.retry import RetryPolicy
from ..provider import Provider, ProviderSettings
from ..ratelimits import Limiter, departing
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
        content: bytes | str | AsyncIterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        raise_for_status: bool = True,
    ) -> httpx.Response:
        """Send an authenticated request, with retries; return a 2xx response or raise the mapped
        error (with ``raise_for_status=False``, return the last answer whatever its status).

        ``content`` may be an async iterable that starts again each time it is iterated (a
        :class:`~unified_accounting.http.bodies.Body`): every retry sends it from the start."""
        return await self._send(
            method,
            url,
            params=params,
            json=json,
            content=content,
            headers=headers,
            idempotent=idempotent,
            raise_for_status=raise_for_status,
            stream=False,
        )

    @contextlib.asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> AsyncIterator[httpx.Response]:
        """A 2xx answer whose body the block reads as it arrives (see
        :meth:`unified_accounting.provider.ProviderSession.stream`)."""
        if not authenticated and urlsplit(url).scheme not in ("https", "http"):
            raise ValidationFailed(
                "a download link must be an absolute http(s) URL",
                provider=self.provider_name,
                issues=[FieldIssue("url", "not an absolute http(s) URL")],
            )
        response = await self._send(
            method, url, params=params, headers=headers, stream=True, authenticated=authenticated
        )
        try:
            yield response
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                f"{type(exc).__name__} reading {self.provider_name}'s answer: {exc}",
                provider=self.provider_name,
            ) from exc
        finally:
            await response.aclose()

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | AsyncIterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        raise_for_status: bool = True,
        stream: bool,
        authenticated: bool = True,
    ) -> httpx.Response:
        method = method.upper()
        safe_to_resend = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        # Names are merged case-insensitively: a caller's "accept" replaces the default "Accept"
        # rather than going out next to it. A link that needs no authentication (a signed
        # download URL, often on another host) gets none of the API's headers: no token, no tenant.
        request_headers = httpx.Headers(self.provider.default_headers(self) if authenticated else {})
        request_headers.update(headers or {})
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
            token = (
                await self._tokens.access_token(
                    self.key, self.provider, self.settings, rejected_token=rejected_token
                )
                if authenticated
                else None
            )
            rejected_token = None
            credentials = [] if token is None else [("Authorization", f"Bearer {token}")]
            request = self._http.build_request(
                method,
                url,
                params=params,
                content=content,
                headers=[*request_headers.multi_items(), *credentials],
            )
            # A limiter counting calls from their send learns when this one really leaves.
            request.extensions["trace"] = _trace
            self._hooks.ua_before_request(
                provider=self.provider_name, company_id=self.company_id, request=request
            )
            started = time.perf_counter()
            try:
                # Only API calls spend the rate limits (a download link is not one).
                slot = self.provider.request_slot(self) if authenticated else contextlib.nullcontext()
                async with slot:
                    response = await self._http.send(request, stream=True)
                    # A download's body is read by the caller, after the slot is given back: the
                    # call has been answered, and a slow reader holds up no other call.
                    if not (stream and response.is_success):
                        await response.aread()
                        _unbind(response)
            except httpx.TransportError as exc:
                hint = unreachable_hint(self.provider_name, url, self.settings.base_url)
                unreachable = ProviderUnavailable(
                    f"{type(exc).__name__} calling {self.provider_name}: {hint} ({exc or 'no detail'})",
                    provider=self.provider_name,
                )
                attempt += 1
                can_resend = safe_to_resend or isinstance(exc, NOT_SENT)
                delay = self._retry.delay(attempt, unreachable) if can_resend else None
                if delay is None:
                    raise unreachable from exc
                await self._retry.sleep(delay)
                continue
            elapsed = time.perf_counter() - started
            if authenticated:
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
                if not raise_for_status:
                    return response
                raise error_or_invalid
            error: ProviderError = error_or_invalid
            if (
                authenticated
                and isinstance(error, AuthenticationError)
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
                return self._final(response, error, raise_for_status)
            # A 429 means the provider did not process the request; a 5xx may have, so only
            # writes that carry an idempotency key (or are idempotent by nature) are re-sent.
            if not (safe_to_resend or isinstance(error, RateLimited)):
                return self._final(response, error, raise_for_status)
            if isinstance(error, RateLimited) and self._retry.rate_limit_patience is not None:
                # Background work waits rate limits out (see unified_accounting.http.retry).
                throttled += 1
                delay = self._retry.rate_limit_delay(throttled, error, throttled_wait)
                if delay is None:
                    return self._final(response, error, raise_for_status)
                throttled_wait += delay
            else:
                attempt += 1
                delay = self._retry.delay(attempt, error)
                if delay is None:
                    return self._final(response, error, raise_for_status)
            await self._retry.sleep(delay)

    @staticmethod
    def _final(response: httpx.Response, error: ProviderError, raise_for_status: bool) -> httpx.Response:
        """The answer no retry will change: raised as ``error``, or returned when asked."""
        if raise_for_status:
            raise error
        return response


#: httpcore's trace events when a request's headers start to be written (it has a connection).
_LEAVING = frozenset({"http11.send_request_headers.started", "http2.send_request_headers.started"})


async def _trace(event: str, info: dict[str, Any]) -> None:
    if event in _LEAVING:
        departing()


def _unbind(response: httpx.Response) -> None:
    """Drop httpx's read stream, which refers back to its response: that cycle kept every answer,
    and its body (a sync's page: 2 MB), alive until the garbage collector's next pass — the longer
    the fewer its passes (``bulk_collection``). The body stays readable (``content``)."""
    response.stream = httpx.ByteStream(response.content)
