"""Xero's answers to injected failures.

The kit (:mod:`unified_accounting.emulation.faults`) queues them: ``fail_next(count, status, target=...)``
aims at the Accounting API (``"api"``, ``/api.xro/``, the default), ``"token"`` (``/connect/token``),
``"identity"`` (``/identity/``), ``"connections"`` (``/connections``) or any path prefix; with
``error_rate`` every Accounting API call fails with that probability, drawing a status from
``error_statuses`` (reproducible with ``fault_seed``).  Faults are injected before the request reaches
Xero's routes.  Bodies: 500 → Xero's generic error problem document, 503 → "Organisation offline",
429 → a minute-limit refusal with ``Retry-After``.
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import Response

from .errors import problem

ACCOUNTING_PREFIX = "/api.xro/"


def fault_response(status: int, retry_after_s: int | None = None) -> Response:
    if status == 503:
        return problem(503, "Service Unavailable", "Organisation offline")
    if status == 500:
        return problem(
            500,
            "An error occurred",
            "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
            "for current service status.",
        )
    if status == 429:
        return problem(
            429,
            "Too Many Requests",
            "The API rate limit for your organisation/application pairing has been exceeded.",
            {
                "Retry-After": str(60 if retry_after_s is None else retry_after_s),
                "X-Rate-Limit-Problem": "minute",
            },
        )
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return problem(status, phrase, f"Injected fault {status}")
