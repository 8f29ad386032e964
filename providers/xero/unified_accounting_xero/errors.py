"""Xero's error answers → the unified error tree.

Xero answers errors in three shapes: a ``ValidationException`` listing the refused elements with their
``ValidationErrors``; other exception documents (``QueryParseException``, ``PostDataInvalidException``)
with a ``Message``; and problem documents ``{"Title", "Status", "Detail", "Instance"}`` for 401, 403,
404, 429 and 5xx. Every message is kept, and ``request_id`` is Xero's correlation id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from unified_accounting.errors import (
    DuplicateRecord,
    FieldIssue,
    ProviderError,
    RateLimited,
    ValidationFailed,
)
from unified_accounting.http.errors import error_from_status, retry_after_seconds

PROVIDER = "xero"
#: Phrases of Xero validation messages that mean a unique value is taken.
_DUPLICATE_PHRASES = ("already assigned to another contact", "must be unique", "already exists")


class XeroRateLimited(RateLimited):
    """A 429 (or a local refusal) naming which Xero limit was hit: ``minute``, ``day``, ``appminute``
    or ``concurrent`` (``limit_kind``; ``None`` when Xero did not say)."""

    def __init__(self, message: str, *, limit_kind: str | None = None, **details: Any) -> None:
        self.limit_kind = limit_kind
        super().__init__(message, **details)


def validation_issues(body: Mapping[str, Any]) -> list[FieldIssue]:
    """Every ``Elements[].ValidationErrors[].Message``; the field names the element when several."""
    elements = [e for e in body.get("Elements") or [] if isinstance(e, Mapping)]
    issues: list[FieldIssue] = []
    for index, element in enumerate(elements):
        for error in element.get("ValidationErrors") or []:
            message = str(error.get("Message") or "").strip()
            if message:
                issues.append(FieldIssue(str(index) if len(elements) > 1 else None, message))
    return issues


def element_error(
    element: Mapping[str, Any], request_id: str | None = None
) -> ProviderError | ValidationFailed:
    """The error of one element Xero refused in a ``summarizeErrors=false`` batch."""
    issues = [
        FieldIssue(None, str(error.get("Message")))
        for error in element.get("ValidationErrors") or []
        if error.get("Message")
    ]
    return _validation("Xero refused the record", issues, 200, request_id, dict(element))


def _validation(
    message: str, issues: list[FieldIssue], status: int, request_id: str | None, raw: Any
) -> ProviderError | ValidationFailed:
    texts = " ".join(issue.message.lower() for issue in issues)
    if issues and any(phrase in texts for phrase in _DUPLICATE_PHRASES):
        # A taken name or number is not fixed by editing the record's own fields: say so.
        return DuplicateRecord(
            "; ".join(issue.message for issue in issues),
            provider=PROVIDER,
            status_code=status,
            code="ValidationException",
            request_id=request_id,
            raw=raw,
        )
    return ValidationFailed(
        message,
        issues=issues,
        provider=PROVIDER,
        status_code=status,
        code="ValidationException",
        request_id=request_id,
        raw=raw,
    )


def error_from_response(response: httpx.Response) -> ProviderError | ValidationFailed:
    request_id = response.headers.get("xero-correlation-id")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, Mapping):
        return error_from_status(PROVIDER, response, request_id=request_id)
    kind = body.get("Type")
    if kind == "ValidationException":
        issues = validation_issues(body)
        message = str(body.get("Message") or "A validation exception occurred")
        return _validation(message, issues, response.status_code, request_id, body)
    if isinstance(kind, str) and kind.endswith("Exception"):
        message = str(body.get("Message") or kind)
        return ValidationFailed(
            message,
            issues=[FieldIssue(None, message)],
            provider=PROVIDER,
            status_code=response.status_code,
            code=kind,
            request_id=request_id,
            raw=body,
        )
    detail = str(body.get("Detail") or "") or None
    title = str(body.get("Title") or "") or None
    request_id = request_id or (str(body["Instance"]) if body.get("Instance") else None)
    # "TokenExpired: token expired at ..." → code "TokenExpired".
    code = detail.split(":", 1)[0].strip() if detail else None
    if response.status_code == 429:
        return XeroRateLimited(
            title or "Too Many Requests",
            limit_kind=response.headers.get("X-Rate-Limit-Problem"),
            retry_after=retry_after_seconds(response),
            provider=PROVIDER,
            status_code=429,
            code=code,
            detail=detail,
            request_id=request_id,
            raw=body,
        )
    return error_from_status(
        PROVIDER, response, message=title, code=code, detail=detail, request_id=request_id, raw=body
    )
