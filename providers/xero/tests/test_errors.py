from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from unified_accounting_xero.errors import XeroRateLimited, element_error, error_from_response

from unified_accounting.errors import (
    AuthenticationError,
    DuplicateRecord,
    NotFound,
    PermissionDenied,
    ProviderUnavailable,
    RateLimited,
    ValidationFailed,
)

FIXTURES = Path(__file__).parent / "fixtures"


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers)


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": "i-123"}


def test_validation_exception_keeps_every_message() -> None:
    error = error_from_response(answer(400, (FIXTURES / "validation_error.json").read_bytes()))
    assert isinstance(error, ValidationFailed)
    assert [issue.message for issue in error.issues] == [
        "Account code '999' is not a valid code for this document.",
        "Description must be specified for each line item.",
    ]
    assert error.provider == "xero" and error.code == "ValidationException" and error.status_code == 400


def test_validation_issues_name_the_element_when_several() -> None:
    body = {
        "Type": "ValidationException",
        "Elements": [{"ValidationErrors": [{"Message": "a"}]}, {"ValidationErrors": [{"Message": "b"}]}],
    }
    error = error_from_response(answer(400, body))
    assert isinstance(error, ValidationFailed)
    assert [(i.field, i.message) for i in error.issues] == [("0", "a"), ("1", "b")]


def test_taken_names_are_duplicates() -> None:
    message = "The contact name Acme is already assigned to another contact."
    body = {"Type": "ValidationException", "Elements": [{"ValidationErrors": [{"Message": message}]}]}
    error = error_from_response(answer(400, body))
    assert isinstance(error, DuplicateRecord) and message in str(error)


def test_other_exceptions_are_validation_failures() -> None:
    error = error_from_response(
        answer(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": "bad"})
    )
    assert isinstance(error, ValidationFailed) and error.code == "QueryParseException"


@pytest.mark.parametrize(
    ("status", "title", "detail", "kind", "code"),
    [
        (
            401,
            "Unauthorized",
            "TokenExpired: token expired at 01/01/2026 00:00:00",
            AuthenticationError,
            "TokenExpired",
        ),
        (401, "Unauthorized", "AuthorizationUnsuccessful", AuthenticationError, "AuthorizationUnsuccessful"),
        (403, "Forbidden", "AuthenticationUnsuccessful", PermissionDenied, "AuthenticationUnsuccessful"),
        (404, "NotFound", "The resource you're looking for cannot be found", NotFound, None),
        (503, "Service Unavailable", "Organisation offline", ProviderUnavailable, None),
        (500, "An error occurred", "An error occurred in Xero.", ProviderUnavailable, None),
    ],
)
def test_problem_documents(
    status: int, title: str, detail: str, kind: type[Exception], code: str | None
) -> None:
    error = error_from_response(answer(status, problem(status, title, detail)))
    assert type(error) is kind
    assert error.detail == detail and error.request_id == "i-123"
    if code:
        assert error.code == code


def test_rate_limit_says_which_limit_and_when() -> None:
    headers = {"Retry-After": "42", "X-Rate-Limit-Problem": "day", "xero-correlation-id": "corr-1"}
    error = error_from_response(answer(429, problem(429, "Too Many Requests", "limit"), headers))
    assert isinstance(error, XeroRateLimited) and isinstance(error, RateLimited)
    assert error.retry_after == 42 and error.limit_kind == "day" and error.retriable
    assert error.request_id == "corr-1"


def test_plain_text_404() -> None:
    assert isinstance(
        error_from_response(answer(404, b"The resource you're looking for cannot be found")), NotFound
    )


def test_batch_element_error() -> None:
    error = element_error({"StatusAttributeString": "ERROR", "ValidationErrors": [{"Message": "Bad date"}]})
    assert isinstance(error, ValidationFailed) and [i.message for i in error.issues] == ["Bad date"]
