"""QuickBooks error bodies → the unified error tree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks.errors import error_from_response

from unified_accounting.errors import (
    AuthenticationError,
    Conflict,
    DuplicateRecord,
    NotFound,
    PermissionDenied,
    ProviderUnavailable,
    RateLimited,
    ValidationFailed,
)

FIXTURES = Path(__file__).parent / "fixtures"


def answer(status: int, body: Any, **headers: str) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers={"intuit_tid": "1-abc-def", **headers})


def fault(code: str, element: str | None = None, message: str = "msg") -> dict[str, Any]:
    error: dict[str, Any] = {"Message": message, "Detail": f"detail of {code}", "code": code}
    if element:
        error["element"] = element
    return {"Fault": {"Error": [error], "type": "ValidationFault"}, "time": "2025-09-10T09:01:03.000-07:00"}


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "5010", Conflict),
        (400, "6240", DuplicateRecord),
        (400, "6210", DuplicateRecord),
        (400, "610", NotFound),
        (400, "2020", ValidationFailed),
        (400, "6000", ValidationFailed),
        (401, "3200", AuthenticationError),
        (403, "3100", PermissionDenied),
        (500, "10000", ProviderUnavailable),
        (503, "10000", ProviderUnavailable),
    ],
)
def test_fault_codes(status: int, code: str, kind: type[Exception]) -> None:
    error = error_from_response(answer(status, fault(code)))
    assert type(error) is kind
    assert (error.code, error.request_id, error.provider) == (code, "1-abc-def", "quickbooks")
    assert error.detail == f"detail of {code}" and error.raw["Fault"]["Error"][0]["code"] == code


def test_stale_object_fixture() -> None:
    body = json.loads((FIXTURES / "fault_stale.json").read_text())
    error = error_from_response(answer(400, body))
    assert isinstance(error, Conflict) and "SyncToken is 4" in (error.detail or "")


def test_validation_names_the_element() -> None:
    error = error_from_response(answer(400, fault("2020", element="Line.Amount")))
    assert isinstance(error, ValidationFailed)
    assert [issue.field for issue in error.issues] == ["Line.Amount"]


def test_gateway_lowercase_fault() -> None:
    body = json.loads((FIXTURES / "fault_gateway.json").read_text())
    error = error_from_response(answer(401, body))
    assert isinstance(error, AuthenticationError) and error.code == "3200"
    assert "AuthenticationFailed" in error.message


def test_throttle_xml_without_retry_after_waits_a_minute() -> None:
    xml = (FIXTURES / "throttle.xml").read_text()
    error = error_from_response(answer(429, xml, **{"Content-Type": "application/xml"}))
    assert isinstance(error, RateLimited) and error.retriable
    assert (error.code, error.retry_after, error.request_id) == ("3001", 60.0, "1-abc-def")
    assert (
        "ThrottleExceeded" in error.message
        and error.detail == "The request limit was reached.  Try again later"
    )


def test_throttle_honours_retry_after() -> None:
    xml = (FIXTURES / "throttle.xml").read_text()
    assert error_from_response(answer(429, xml, **{"Retry-After": "7"})).retry_after == 7.0  # type: ignore[union-attr]


def test_unparseable_bodies_fall_back_to_the_status() -> None:
    assert isinstance(error_from_response(answer(502, "<html>bad gateway</html>")), ProviderUnavailable)
    assert isinstance(error_from_response(answer(404, "not json")), NotFound)
