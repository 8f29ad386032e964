"""QuickBooks error answers → the unified error tree.

QuickBooks answers errors in three shapes, all handled here:

* a ``Fault`` JSON body: ``{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"}}``,
  also inside a 200 answer (batch items, some writes);
* the API gateway's lowercase form for authentication: ``{"fault": {"error": [{"message", "code"}]}}``;
* XML for throttling and some authentication failures, whatever ``Accept`` said:
  ``<Fault type="SERVICE"><Error code="3001">...``, ``<Fault type="AuthenticationFault"><Error
  code="100">...``; read tolerantly (an ``<Error>`` left unclosed still gives its code, message,
  detail and element).

A fault whose code maps to nothing specific is classed by its fault type, then by the HTTP status,
and keeps its code, message, detail and element all the same.

The ``intuit_tid`` response header becomes ``request_id`` (what Intuit support asks for).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import unescape
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

#: Fault types that say what went wrong whatever the code (``AuthenticationFault`` with code 100,
#: the gateway's ``AUTHENTICATION``).
AUTHENTICATION_TYPES = frozenset({"authenticationfault", "authentication"})
AUTHORIZATION_TYPES = frozenset({"authorizationfault", "authorization"})

# An <Error ...> start tag (any prefix, either quote style), and what follows it up to the next
# error, the end of the fault, or the end of the body: Intuit sometimes leaves <Error> unclosed.
_XML_ERROR_START = re.compile(r"<(?:\w+:)?Error\b(?P<attributes>[^>]*)>", re.S)
_XML_ERROR_END = re.compile(r"</(?:\w+:)?(?:Error|Fault)\s*>|<(?:\w+:)?Error\b", re.S)
_XML_FIELD = re.compile(
    r"<(?:\w+:)?(?P<tag>Message|Detail)\b[^>]*>(?P<text>[^<]*)(?:</(?:\w+:)?(?P=tag)\s*>)?", re.S
)
_XML_ATTRIBUTE = re.compile(r"\b(?P<name>code|element)\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)')")
_XML_FAULT_TYPE = re.compile(r"<(?:\w+:)?Fault\b[^>]*?\btype\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)')")


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
    fault_type = fault.get("type")
    out = []
    for error in errors if isinstance(errors, list) else [errors]:
        if isinstance(error, Mapping):
            out.append(
                {
                    "Message": error.get("Message", error.get("message")),
                    "Detail": error.get("Detail", error.get("detail")),
                    "code": error.get("code"),
                    "element": error.get("element"),
                    "type": fault_type if isinstance(fault_type, str) else None,
                }
            )
    return out


def _xml_errors(text: str) -> list[dict[str, Any]]:
    """The error entries of an XML fault, read tolerantly.

    Parsed with patterns, not an XML parser: the body is small and untrusted, a strict parser
    would give up on the malformed faults Intuit really sends (an ``<Error>`` never closed), and
    only four values are needed from each error.
    """
    out = []
    fault_type = _XML_FAULT_TYPE.search(text)
    for start in _XML_ERROR_START.finditer(text):
        end = _XML_ERROR_END.search(text, start.end())
        body = text[start.end() : end.start() if end else len(text)]
        attributes = {
            m.group("name"): unescape(m.group("dq") if m.group("dq") is not None else m.group("sq"))
            for m in _XML_ATTRIBUTE.finditer(start.group("attributes"))
        }
        fields = {m.group("tag"): unescape(m.group("text").strip()) for m in _XML_FIELD.finditer(body)}
        out.append(
            {
                "Message": fields.get("Message") or None,
                "Detail": fields.get("Detail") or None,
                "code": attributes.get("code") or None,
                "element": attributes.get("element") or None,
                "type": (fault_type.group("dq") or fault_type.group("sq")) if fault_type else None,
            }
        )
    return out


def _issues(errors: list[dict[str, Any]]) -> list[FieldIssue]:
    return [
        FieldIssue(error.get("element") or None, str(error.get("Detail") or error.get("Message") or ""))
        for error in errors
    ]


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
    kind = str(first.get("type") or "").lower()
    if code == AUTHENTICATION_FAILED or kind in AUTHENTICATION_TYPES:
        return AuthenticationError(message, **details)
    if code == AUTHORIZATION_FAILED or kind in AUTHORIZATION_TYPES:
        return PermissionDenied(message, **details)
    if code == THROTTLED or status_code == 429:
        return RateLimited(
            message, retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after, **details
        )
    if status_code is not None and status_code >= 500:
        return ProviderUnavailable(message, **details)
    if code in VALIDATION_CODES or (status_code in (None, 200, 400) and (code is not None or detail)):
        details.pop("detail")
        return ValidationFailed(message, issues=_issues(errors), detail=detail, **details)
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
    # A fault whose code says nothing more than the status: keep what it said all the same.
    first = errors[0] if errors else {}
    fallback = error_from_status(
        PROVIDER,
        response,
        message=str(first["Message"]) if first.get("Message") else None,
        code=None if first.get("code") is None else str(first["code"]),
        detail=str(first["Detail"]) if first.get("Detail") else None,
        request_id=request_id,
        raw=raw,
    )
    if isinstance(fallback, ValidationFailed) and errors:
        return ValidationFailed(
            fallback.message,
            issues=[
                FieldIssue(
                    error.get("element") or None, str(error.get("Detail") or error.get("Message") or "")
                )
                for error in errors
            ],
            provider=PROVIDER,
            status_code=fallback.status_code,
            code=fallback.code,
            detail=fallback.detail,
            request_id=request_id,
            raw=raw,
        )
    if isinstance(fallback, RateLimited) and fallback.retry_after is None:
        fallback.retry_after = DEFAULT_RETRY_AFTER
    return fallback
