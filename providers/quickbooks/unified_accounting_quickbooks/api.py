"""The thin HTTP layer over the Accounting API v3: URLs, ``minorversion``, ``requestid`` and metering.

Every call carries ``minorversion=75`` (Intuit answers anything lower as 75 since August 2025).
Every write carries a ``requestid`` made once per logical write and re-sent unchanged on each retry,
so QuickBooks answers a retried write from its idempotency store instead of applying it twice.
Reads check the monthly CorePlus budget before they are sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from unified_accounting.errors import DecodeFailed, FieldIssue, ProviderError
from unified_accounting.http.paths import path_segment
from unified_accounting.oauth import rebase
from unified_accounting.provider import ProviderSession, ProviderSettings
from unified_accounting.ratelimits import counted_as
from unified_accounting.settings import settings_as

from .codec import loads
from .errors import error_from_fault, fault_errors
from .limits import BATCH
from .settings import QuickBooksSettings

if TYPE_CHECKING:
    from .meter import UsageMeter

MINOR_VERSION = "75"
PRODUCTION_API = "https://quickbooks.api.intuit.com"
SANDBOX_API = "https://sandbox-quickbooks.api.intuit.com"


def settings_of(session: ProviderSession) -> QuickBooksSettings:
    return settings_as(QuickBooksSettings, session.settings)


def app_of(session: ProviderSession) -> str:
    """Intuit's limits and meter count per app: the OAuth client id names it."""
    return session.settings.client_id or ""


def api_url(settings: ProviderSettings, company_id: str, *path: str) -> str:
    """``/v3/company/{company_id}/{path...}`` on the environment's host. Every part is encoded as one
    path segment: a record id can neither add query parameters nor leave the company's path."""
    host = SANDBOX_API if settings.environment == "sandbox" else PRODUCTION_API
    parts = [path_segment(company_id, field="company_id"), *(path_segment(part) for part in path)]
    return rebase(f"{host}/v3/company/" + "/".join(parts), settings.base_url)


def company_url(session: ProviderSession, *path: str) -> str:
    return api_url(session.settings, session.company_id, *path)


def is_metered(request: httpx.Request) -> bool:
    """Reads, queries and CDC are CorePlus (metered); creates, updates and batches of writes are free."""
    return request.method == "GET" or request.url.path.rstrip("/").endswith("/query")


class Api:
    """HTTP calls of one provider instance (the meter is shared by every session)."""

    def __init__(self, meter: UsageMeter) -> None:
        self.meter = meter

    def _check_budget(self, session: ProviderSession) -> None:
        self.meter.check(app_of(session), settings_of(session).monthly_read_budget)

    async def read(
        self, session: ProviderSession, *path: str, params: Mapping[str, str] | None = None
    ) -> Any:
        """GET a company path; the parsed JSON (a 200 carrying a Fault raises)."""
        self._check_budget(session)
        response = await session.request(
            "GET", company_url(session, *path), params={**(params or {}), "minorversion": MINOR_VERSION}
        )
        return parse(response)

    async def query(self, session: ProviderSession, text: str) -> Any:
        return await self.read(session, "query", params={"query": text})

    async def query_bytes(self, session: ProviderSession, text: str) -> bytes:
        """Like :meth:`query`, but the answer's bytes, for the codec's ``decode_list`` (which decodes
        a page of records faster from bytes than from parsed JSON). A Fault still raises."""
        self._check_budget(session)
        response = await session.request(
            "GET",
            company_url(session, "query"),
            params={"query": text, "minorversion": MINOR_VERSION},
        )
        # A cheap, conservative test: only a body mentioning "Fault"/"fault" is parsed to look for one.
        if b'ault"' in response.content:
            parse(response)
        return response.content

    async def write(
        self,
        session: ProviderSession,
        *path: str,
        payload: Any = None,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> Any:
        """POST a write once, whatever the retries: they re-send the same ``requestid``."""
        query = {
            **(params or {}),
            "requestid": request_id or session.new_idempotency_key(),
            "minorversion": MINOR_VERSION,
        }
        response = await session.request(
            "POST",
            company_url(session, *path),
            params=query,
            json=payload,
            content=content,
            headers=headers,
            idempotent=True,
        )
        return parse(response)

    async def batch(self, session: ProviderSession, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One batch call (at most 30 items); the answers in the order of ``items``."""
        with counted_as(BATCH):  # the batch-per-minute window applies too
            body = await self.write(session, "batch", payload={"BatchItemRequest": items})
        answers = {str(answer.get("bId")): answer for answer in body.get("BatchItemResponse") or ()}
        return [answers.get(str(item["bId"]), {}) for item in items]


def parse(response: httpx.Response) -> Any:
    try:
        body = loads(response.content) if response.content else {}
    except ValueError as exc:
        raise DecodeFailed(
            "QuickBooks answered with a body that is not JSON",
            provider="quickbooks",
            status_code=response.status_code,
            request_id=response.headers.get("intuit_tid"),
            issues=[FieldIssue(None, str(exc))],
            raw=response.text,
        ) from None
    errors = fault_errors(body)
    if errors:
        # QuickBooks can answer 200 with a Fault: an error all the same.
        error = error_from_fault(
            errors,
            status_code=response.status_code,
            request_id=response.headers.get("intuit_tid"),
            raw=body,
        )
        raise error or ProviderError(
            str(errors[0].get("Message") or "QuickBooks error"), provider="quickbooks", raw=body
        )
    return body
