"""QuickBooks Online error bodies, and injected failures.

Business errors are ``{"Fault":{"Error":[{"Message","Detail","code","element"}],"type":"ValidationFault"},
"time":...}`` answered with HTTP 400 (a fault inside a batch item comes back with HTTP 200).
A GET of an id that does not exist is answered 400 with code 610 "Object Not Found", like the real
service (which never answers 404 for a missing entity).

Gateway authentication errors use lowercase keys and an epoch-milliseconds ``time``; throttling is
answered with an XML body even when JSON was asked for.

Injected failures (``fail_next``, ``error_rate``: see :mod:`unified_accounting.emulation.faults`)
answer with the same bodies: 429 with the throttle XML, 5xx with a ``SystemFault``.

Codes whose exact wording in the real service is UNVERIFIED (batch too large, CDC look-back too old,
unsupported operation) use the closest documented code; the ``Detail`` says what went wrong.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from starlette.responses import JSONResponse, Response

from unified_accounting.emulation import Fault

from . import jsonutil

STALE_OBJECT = "5010"
OBJECT_NOT_FOUND = "610"
DUPLICATE_NAME = "6240"
DUPLICATE_DOC_NUMBER = "6210"
REQUIRED_PARAM_MISSING = "2020"
INVALID_REFERENCE = "2500"
INVALID_PROPERTY = "2010"
BUSINESS_VALIDATION = "6000"
AMOUNT_MISMATCH = "6070"
DISCOUNT_MISSING = "6090"
US_LINE_TAX_CODE = "6100"
INVALID_PARENT = "700"
UNSUPPORTED_OPERATION = "500"
QUERY_PARSER = "4000"
QUERY_VALIDATION = "4001"
REQUEST_PARSE = "2310"


class QBOFault(Exception):
    """A QuickBooks fault: raised by the business rules, turned into a fault body by the routes."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str = "",
        element: str = "",
        *,
        fault_type: str = "ValidationFault",
        status: int = 400,
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.fault_type = fault_type
        self.status = status

    def fault(self) -> dict[str, Any]:
        error: dict[str, Any] = {"Message": self.message, "Detail": self.detail or self.message}
        error["code"] = self.code
        if self.element:
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}


def stale_object(entity: str, current: str, sent: Any) -> QBOFault:
    return QBOFault(
        STALE_OBJECT,
        "Stale Object Error",
        f"Stale Object Error : You and another user were working on the same thing. "
        f"Please try again. {entity} SyncToken is {current}, request had {sent}",
        "SyncToken",
    )


def not_found(entity: str, entity_id: Any) -> QBOFault:
    return QBOFault(
        OBJECT_NOT_FOUND,
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"Check the fields with accounts, customers, items, vendors or employees. ({entity} Id={entity_id})",
    )


def required(element: str) -> QBOFault:
    return QBOFault(
        REQUIRED_PARAM_MISSING,
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def business(detail: str, element: str = "") -> QBOFault:
    return QBOFault(
        BUSINESS_VALIDATION,
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element,
    )


def invalid_reference(entity: str, ref: Any, element: str) -> QBOFault:
    return QBOFault(
        INVALID_REFERENCE,
        "Invalid Reference Id",
        f"Invalid Reference Id : {entity} with Id {ref} does not exist",
        element,
    )


def invalid_property(detail: str, element: str = "") -> QBOFault:
    return QBOFault(INVALID_PROPERTY, "Request has invalid or unsupported property", detail, element)


def unsupported_operation(detail: str) -> QBOFault:
    return QBOFault(UNSUPPORTED_OPERATION, "Unsupported Operation", detail)


def request_parse(detail: str) -> QBOFault:
    return QBOFault(REQUEST_PARSE, "Request can not be parsed", f"Error parsing object: {detail}")


def query_parser(detail: str) -> QBOFault:
    return QBOFault(QUERY_PARSER, "Error parsing query", f"QueryParserError: {detail}")


def query_validation(detail: str) -> QBOFault:
    return QBOFault(QUERY_VALIDATION, "Invalid query", f"QueryValidationError: {detail}")


def fault_body(fault: QBOFault, time: str) -> dict[str, Any]:
    return {"Fault": fault.fault(), "time": time}


def gateway_auth_body(epoch_ms: int) -> dict[str, Any]:
    """401 body of the API gateway (missing, expired or revoked access token)."""
    return {
        "fault": {
            "error": [
                {"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401", "code": "3200"}
            ],
            "type": "AUTHENTICATION",
        },
        "time": epoch_ms,
    }


def authorization_body(time: str) -> dict[str, Any]:
    """403 body: a valid token used for a company it was not issued for."""
    return {
        "Fault": {
            "Error": [
                {
                    "Message": "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                    "Detail": "The access token is not authorized for this company",
                    "code": "3100",
                }
            ],
            "type": "AuthorizationFault",
        },
        "time": time,
    }


def throttle_xml(time: str) -> str:
    """The XML body QuickBooks sends with HTTP 429, whatever ``Accept`` asked for."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{escape(time)}" xmlns="http://schema.intuit.com/finance/v3">\n'
        '    <Fault type="SERVICE">\n'
        '        <Error code="3001">\n'
        "            <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n"
        "            <Detail>The request limit was reached.  Try again later</Detail>\n"
        "        </Error>\n"
        "    </Fault>\n"
        "</IntuitResponse>"
    )


def system_fault_body(status: int, time: str) -> dict[str, Any]:
    """Body of an injected 5xx answer."""
    if status == 503:
        message, detail = "Service Unavailable", "The service is temporarily unavailable. Please try again."
    else:
        message, detail = (
            "An application error has occurred while processing your request",
            ("System Failure Error: An unexpected error occurred while accessing or saving your data."),
        )
    return {
        "Fault": {"Error": [{"Message": message, "Detail": detail, "code": "10000"}], "type": "SystemFault"},
        "time": time,
    }


def throttle_response(time: str, retry_after_s: int | None) -> Response:
    """A 429 with the XML body; ``Retry-After`` only when configured (UNVERIFIED on the real service)."""
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else {}
    return Response(throttle_xml(time), status_code=429, media_type="application/xml", headers=headers)


def injected_api_response(fault: Fault, time: str, retry_after_s: int | None) -> Response:
    """An Accounting API call failed by ``fail_next``/``error_rate``: the throttle XML or a SystemFault."""
    if fault.status == 429:
        due = fault.retry_after_s if fault.retry_after_s is not None else retry_after_s
        return throttle_response(time, due)
    body = jsonutil.dumps(system_fault_body(fault.status, time))
    return Response(body, status_code=fault.status, media_type="application/json")


def injected_token_response(fault: Fault) -> Response:
    """A token request failed by ``fail_next(target="token")`` (the real bodies are UNVERIFIED)."""
    error = "rate_limit_exceeded" if fault.status == 429 else "server_error"
    return JSONResponse({"error": error}, status_code=fault.status)
