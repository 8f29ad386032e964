"""``conn.request``: the escape hatch to any endpoint of the provider's API the unified API lacks.

The call goes through the connection's session like every other (token and refresh, the rate
limiter, retries, the provider's error tree); its path is checked to stay under the company's API
root (:mod:`unified_accounting.http.raw_paths`), and a write carries the provider's idempotency
key, without which it is never re-sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .. import jsonutil
from ..errors import FieldIssue, ValidationFailed
from ..http.raw_paths import join_under
from ..provider import Provider
from .session import HttpSession

#: Methods ``conn.request`` sends, and those of them that read.
METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
READS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Headers the session owns: a caller cannot set them.
OWNED_HEADERS = frozenset({"authorization", "host", "content-length", "transfer-encoding", "cookie"})


@dataclass(frozen=True)
class RawResponse:
    """The provider's answer to ``conn.request``: status, headers and body as sent."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def content_type(self) -> str | None:
        value: str | None = self.headers.get("content-type")
        return value

    @property
    def text(self) -> str:
        """The body as text, in the charset the answer names (UTF-8 otherwise)."""
        encoding = "utf-8"
        for parameter in (self.content_type or "").split(";")[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.lower() == "charset" and value:
                encoding = value.strip('"')
        try:
            return self.content.decode(encoding, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON, every number with a fraction an exact ``Decimal``."""
        return jsonutil.loads(self.content)

    def __repr__(self) -> str:
        return f"<RawResponse {self.status_code} {self.content_type or '-'} {len(self.content)} bytes>"


def _refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"invalid raw request: {message}", issues=[FieldIssue(field, message)])


def _method(method: str) -> str:
    verb = method.upper() if isinstance(method, str) else ""
    if verb not in METHODS:
        raise _refused("method", f"{method!r} is not one of {', '.join(sorted(METHODS))}")
    return verb


def _headers(provider: Provider, session: HttpSession, headers: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's headers, none of them one the session or the company's identity sets (Xero's
    tenant header names the company as much as the path does)."""
    given = dict(headers or {})
    fixed = {name.lower() for name in provider.default_headers(session)} - {"accept"}
    for name, value in given.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise _refused("headers", "header names and values are strings")
        if name.lower() in OWNED_HEADERS | fixed:
            raise _refused("headers", f"{name!r} is set by the connection and cannot be given")
        if any(c in name + value for c in "\r\n\0"):
            raise _refused("headers", f"{name!r} holds a line break or NUL")
    return given


async def send_raw(
    provider: Provider,
    session: HttpSession,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None,
    json: Any,
    content: bytes | str | None,
    headers: Mapping[str, str] | None,
    raise_for_status: bool,
) -> RawResponse:
    """Check the request, then send it through ``session`` (see the module docstring)."""
    verb = _method(method)
    if json is not None and content is not None:
        raise _refused("content", "give json= or content=, not both")
    if content is not None and not isinstance(content, bytes | str):
        raise _refused("content", f"must be bytes or text, got {type(content).__name__}")
    url = join_under(provider.api_root(session), path)
    query, extra = provider.prepare_request(
        session, verb, dict(params or {}), _headers(provider, session, headers)
    )
    idempotent = verb in READS
    if not idempotent:
        keyed = provider.idempotent_request(session, verb, query, extra)
        if keyed is not None:
            query, extra = keyed
            idempotent = True
    response = await session.request(
        verb,
        url,
        params=query or None,
        json=json,
        content=content,
        headers=extra,
        idempotent=idempotent,
        raise_for_status=raise_for_status,
    )
    return RawResponse(response.status_code, response.headers, response.content)


__all__ = ["RawResponse", "send_raw"]
