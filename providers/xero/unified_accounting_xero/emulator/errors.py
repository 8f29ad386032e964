"""Error documents the emulated Xero API answers with.

* 400 ``ValidationException`` (``ErrorNumber`` 10) listing the offending elements with ``ValidationErrors``.
* 400 ``QueryParseException`` (``ErrorNumber`` 16) for ``where``/``order`` expressions it cannot parse.
* 400 ``PostDataInvalidException`` (``ErrorNumber`` 14) for bodies that are not JSON (number unverified).
* 401/403/406/429/500/503 problem documents ``{"Type":null,"Title","Status","Detail","Instance"}``.
* 404: body unverified; a problem document (default) or plain text, see ``EmulatorOptions.not_found_body``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from .wirejson import dumps


class ValidationFailed(Exception):
    """A business rule rejected an element; ``messages`` become its ``ValidationErrors``."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages: list[str] = list(messages)


class QueryParseError(Exception):
    """A ``where`` or ``order`` parameter could not be parsed."""


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None, content_type: str | None = None
) -> Response:
    return Response(
        dumps(body),
        status_code=status,
        headers=dict(headers or {}),
        media_type=content_type or "application/json; charset=utf-8",
    )


def problem_body(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": str(uuid.uuid4())}


def problem(status: int, title: str, detail: str, headers: Mapping[str, str] | None = None) -> Response:
    return json_response(problem_body(status, title, detail), status, headers)


def forbidden() -> Response:
    return problem(403, "Forbidden", "AuthenticationUnsuccessful")


def unauthorized(detail: str) -> Response:
    return problem(401, "Unauthorized", detail, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def not_acceptable() -> Response:
    return problem(
        406,
        "Not Acceptable",
        "The emulator only produces JSON: send 'Accept: application/json'.",
    )


def validation_body(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": elements,
    }


def validation_error(elements: list[dict[str, Any]]) -> Response:
    return json_response(validation_body(elements), 400)


def simple_validation_error(message: str) -> Response:
    return validation_error([{"ValidationErrors": [{"Message": message}]}])


def query_parse_error(message: str) -> Response:
    return json_response({"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}, 400)


def post_data_invalid(message: str) -> Response:
    return json_response({"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message}, 400)


def not_found(style: str) -> Response:
    detail = "The resource you're looking for cannot be found"
    if style == "text":
        return Response(detail, status_code=404, media_type="text/plain; charset=utf-8")
    return problem(404, "NotFound", detail)
