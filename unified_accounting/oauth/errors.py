"""Token- and revocation-endpoint answers → the error tree, the same way for every provider.

RFC 6749 §5.2 error codes decide first, then the status: ``invalid_grant`` means the user must
connect again; ``invalid_client`` (or a bare 401) means the app's own credentials are wrong, which
no reconnection fixes, so the message names the settings to check; a 429 or a 5xx is transient.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..errors import (
    AuthenticationError,
    DecodeFailed,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    ReauthorizationRequired,
)
from ..http.errors import retry_after_seconds


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _setting(provider: str, field: str) -> str:
    return f"the {field} setting (UA_{provider.upper()}_{field.upper()})"


def token_endpoint_error(provider: str, response: httpx.Response, endpoint: str = "token") -> ProviderError:
    """The error an OAuth endpoint's refusal stands for (the caller raises it); ``endpoint`` names
    it in the message (``"token"``, ``"revocation"``)."""
    payload = _body(response)
    body = payload if isinstance(payload, dict) else {}
    error = str(body.get("error") or "")
    description = body.get("error_description")
    details: dict[str, Any] = {
        "provider": provider,
        "status_code": response.status_code,
        "code": error or None,
        "detail": str(description) if description else None,
        "raw": body or response.text,
    }
    status = response.status_code
    if status == 429:
        wait = retry_after_seconds(response)
        return RateLimited(f"the {endpoint} endpoint is rate limiting this app", retry_after=wait, **details)
    if status >= 500:
        return ProviderUnavailable(f"the {endpoint} endpoint failed", **details)
    if error == "invalid_grant":
        return ReauthorizationRequired("the grant is no longer valid: the user must connect again", **details)
    if error == "invalid_client" or (status == 401 and not error):
        return AuthenticationError(
            f"the provider refused this app's client credentials: check {_setting(provider, 'client_secret')}"
            f" and {_setting(provider, 'client_id')}",
            **details,
        )
    if error == "unauthorized_client":
        return AuthenticationError(
            "this app may not use this grant: check its registration with the provider and "
            f"{_setting(provider, 'client_id')}",
            **details,
        )
    if error == "invalid_scope":
        return AuthenticationError(
            f"the provider refused the scopes asked for: check {_setting(provider, 'scopes')}", **details
        )
    return AuthenticationError(f"the {endpoint} request was refused ({error or status})", **details)


def token_response_json(provider: str, response: httpx.Response) -> dict[str, Any]:
    """A token endpoint's successful JSON object, or the error its answer stands for."""
    if not response.is_success:
        raise token_endpoint_error(provider, response)
    payload = _body(response)
    if not isinstance(payload, dict):
        raise DecodeFailed(
            "the token endpoint answered with something that is not a JSON object",
            provider=provider,
            status_code=response.status_code,
            raw=None,  # a token answer may hold secrets even when malformed
        )
    return payload


__all__ = ["token_endpoint_error", "token_response_json"]
