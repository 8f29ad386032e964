"""Status-code fallback mapping, for providers (or answers) with no richer error body."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..errors import (
    AuthenticationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    ValidationFailed,
)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds (it may be a number or an HTTP date), or ``None`` when absent/garbled."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_from_status(
    provider: str,
    response: httpx.Response,
    *,
    message: str | None = None,
    code: str | None = None,
    detail: str | None = None,
    request_id: str | None = None,
    raw: object = None,
) -> ProviderError | ValidationFailed:
    """Choose the error class from the HTTP status alone, keeping whatever details the caller parsed."""
    status = response.status_code
    if raw is None:
        raw = response.text
    text = message or response.reason_phrase or f"HTTP {status}"
    details: dict[str, Any] = {
        "provider": provider,
        "status_code": status,
        "code": code,
        "detail": detail,
        "request_id": request_id,
        "raw": raw,
    }
    if status == 429:
        return RateLimited(text, retry_after=retry_after_seconds(response), **details)
    if status == 401:
        return AuthenticationError(text, **details)
    if status == 403:
        return PermissionDenied(text, **details)
    if status == 404:
        return NotFound(text, **details)
    if status in (409, 412):
        return Conflict(text, **details)
    if status in (400, 422):
        return ValidationFailed(text, **details)
    if status >= 500:
        return ProviderUnavailable(text, **details)
    return ProviderError(text, **details)
