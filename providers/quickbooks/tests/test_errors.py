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


def xml_fixture(name: str) -> str:
    return (FIXTURES / "faults" / name).read_text()


def test_an_xml_fault_with_an_unclosed_error_keeps_its_content() -> None:
    # Intuit sends XML faults whose <Error> element is never closed: still a validation fault
    # with its code, message, detail (entities decoded) and element.
    error = error_from_response(answer(400, xml_fixture("validation_unclosed.xml")))
    assert type(error) is ValidationFailed
    assert error.code == "2020" and error.request_id == "1-abc-def"
    assert error.message.startswith("Required param missing")
    assert error.detail == "Required parameter Line is missing in the request & cannot be empty"
    assert [(issue.field, issue.message) for issue in error.issues] == [
        ("Line", "Required parameter Line is missing in the request & cannot be empty")
    ]


def test_an_xml_authentication_fault_with_code_100_keeps_code_message_and_detail() -> None:
    error = error_from_response(answer(401, xml_fixture("authentication_100.xml")))
    assert type(error) is AuthenticationError
    assert (error.code, error.message) == ("100", "General Authentication Error")
    assert error.detail == "AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401"
    assert error.status_code == 401 and error.provider == "quickbooks"


@pytest.mark.parametrize(
    "body",
    [
        "<Fault type='ValidationFault'><Error code='6000' element='DueDate'><Message>Bad</Message>"
        "<Detail>Due date is wrong</Detail></Error></Fault>",
        '<q:Fault xmlns:q="x" type="ValidationFault"><q:Error code="6000" element="DueDate">'
        "<q:Message>Bad</q:Message><q:Detail>Due date is wrong</q:Detail>",
    ],
    ids=["single-quotes", "prefixed-and-truncated"],
)
def test_xml_faults_are_read_tolerantly(body: str) -> None:
    error = error_from_response(answer(400, body))
    assert type(error) is ValidationFailed
    assert (error.code, error.message, error.detail) == ("6000", "Bad", "Due date is wrong")
    assert [issue.field for issue in error.issues] == ["DueDate"]


def test_a_fault_code_without_a_mapping_keeps_its_details_whatever_the_status() -> None:
    body = {"Fault": {"Error": [{"Message": "Odd", "Detail": "odd detail", "code": "9999"}], "type": "X"}}
    error = error_from_response(answer(409, body))
    assert (error.code, error.message, error.detail) == ("9999", "Odd", "odd detail")
