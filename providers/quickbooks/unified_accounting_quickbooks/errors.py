"""QuickBooks error answers → the unified error tree.

QuickBooks answers errors in three shapes, all handled here:

* a ``Fault`` JSON body: ``{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"}}``,
  also inside a 200 answer (batch items, some writes);
* the API gateway's lowercase form for authentication: ``{"fault": {"error": [{"message", "code"}]}}``;
* XML for throttling, whatever ``Accept`` said: ``<Fault type="SERVICE"><Error code="3001">...``.

The ``intuit_tid`` response header becomes ``request_id`` (what Intuit support asks for).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from unified_accounting.errors import (
    AuthenticationError,
    Conflict,
    DuplicateRecord,
    FieldIssue,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    ValidationFailed,
)
from unified_accounting.http.errors import error_from_status, retry_after_seconds

PROVIDER = "quickbooks"
#: Intuit documents no Retry-After on a 429; it says to wait a minute.
DEFAULT_RETRY_AFTER = 60.0

STALE_OBJECT = 5010
OBJECT_NOT_FOUND = 610
DUPLICATE_CODES = frozenset({6240, 6210})
VALIDATION_CODES = frozenset({2020, 6000})
AUTHENTICATION_FAILED = 3200
AUTHORIZATION_FAILED = 3100
THROTTLED = 3001

_XML_ERROR = re.compile(r"<Error\b[^>]*\bcode=\"(?P<code>[^\"]*)\"[^>]*>(?P<body>.*?)</Error>", re.S)
_XML_FIELD = re.compile(r"<(?P<tag>Message|Detail)>(?P<text>.*?)</(?P=tag)>", re.S)
_XML_ELEMENT = re.compile(r"\belement=\"(?P<element>[^\"]*)\"")


def _code_number(code: Any) -> int | None:
    try:
        return int(str(code).strip())
    except (TypeError, ValueError):
        return None


def fault_errors(body: Any) -> list[dict[str, Any]]:
    """The error entries of a Fault (either capitalisation), normalised to ``Message/Detail/code/element``."""
    if not isinstance(body, Mapping):
        return []
    fault = body.get("Fault") or body.get("fault")
    if not isinstance(fault, Mapping):
        return []
    errors = fault.get("Error") or fault.get("error") or []
    out = []
    for error in errors if isinstance(errors, list) else [errors]:
        if isinstance(error, Mapping):
            out.append(
                {
                    "Message": error.get("Message", error.get("message")),
                    "Detail": error.get("Detail", error.get("detail")),
                    "code": error.get("code"),
                    "element": error.get("element"),
                }
            )
    return out


def _xml_errors(text: str) -> list[dict[str, Any]]:
    # Parsed with patterns, not an XML parser: the body is tiny and untrusted, and only three
    # values are needed from it.
    out = []
    for match in _XML_ERROR.finditer(text):
        fields = {m.group("tag"): m.group("text").strip() for m in _XML_FIELD.finditer(match.group("body"))}
        element = _XML_ELEMENT.search(match.group(0))
        out.append(
            {
                "Message": fields.get("Message"),
                "Detail": fields.get("Detail"),
                "code": match.group("code"),
                "element": element.group("element") if element else None,
            }
        )
    return out


def error_from_fault(
    errors: list[dict[str, Any]],
    *,
    status_code: int | None,
    request_id: str | None,
    raw: Any,
    retry_after: float | None = None,
) -> ProviderError | ValidationFailed | None:
    """The unified error for QuickBooks fault entries, or ``None`` when their code says nothing."""
    if not errors:
        return None
    first = errors[0]
    code_text = None if first.get("code") is None else str(first["code"])
    code = _code_number(code_text)
    message = str(first.get("Message") or "QuickBooks error")
    detail = first.get("Detail")
    details: dict[str, Any] = {
        "provider": PROVIDER,
        "status_code": status_code,
        "code": code_text,
        "detail": detail,
        "request_id": request_id,
        "raw": raw,
    }
    if code == STALE_OBJECT:
        return Conflict(message, **details)
    if code in DUPLICATE_CODES:
        return DuplicateRecord(message, **details)
    if code == OBJECT_NOT_FOUND:
        return NotFound(message, **details)
    if code == AUTHENTICATION_FAILED:
        return AuthenticationError(message, **details)
    if code == AUTHORIZATION_FAILED:
        return PermissionDenied(message, **details)
    if code == THROTTLED or status_code == 429:
        return RateLimited(
            message, retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after, **details
        )
    if status_code is not None and status_code >= 500:
        return ProviderUnavailable(message, **details)
    if code in VALIDATION_CODES or (status_code in (None, 200, 400) and code is not None):
        issues = [
            FieldIssue(error.get("element") or None, str(error.get("Detail") or error.get("Message") or ""))
            for error in errors
        ]
        details.pop("detail")
        return ValidationFailed(message, issues=issues, detail=detail, **details)
    return None


def error_from_response(response: httpx.Response) -> ProviderError | ValidationFailed:
    """Map any QuickBooks error answer (JSON, gateway JSON or XML) onto the error tree."""
    request_id = response.headers.get("intuit_tid")
    text = response.text
    raw: Any = text
    errors: list[dict[str, Any]] = []
    if text.lstrip().startswith("<"):
        errors = _xml_errors(text)
    else:
        try:
            raw = response.json()
        except ValueError:
            raw = text
        errors = fault_errors(raw)
    retry_after = retry_after_seconds(response)
    mapped = error_from_fault(
        errors, status_code=response.status_code, request_id=request_id, raw=raw, retry_after=retry_after
    )
    if mapped is not None:
        return mapped
    fallback = error_from_status(PROVIDER, response, request_id=request_id, raw=raw)
    if isinstance(fallback, RateLimited) and fallback.retry_after is None:
        fallback.retry_after = DEFAULT_RETRY_AFTER
    return fallback
