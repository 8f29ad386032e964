"""HTTP calls to the Xero Accounting API: URLs, reads, paging and writes with idempotency keys.

Everything goes through the session, which adds the token, ``xero-tenant-id`` and
``Accept: application/json`` (see ``XeroProvider.default_headers``), retries, and maps errors.
Records come back as Xero JSON; mapping is the codec's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from unified_accounting import jsonutil
from unified_accounting.errors import DecodeFailed, FieldIssue, NotFound, ValidationFailed
from unified_accounting.http.paths import path_segment
from unified_accounting.oauth import rebase
from unified_accounting.provider import ProviderSession

from .codec import RESOURCES
from .dates import if_modified_since, parse_datetime
from .errors import PROVIDER

API_BASE = "https://api.xero.com/api.xro/2.0"
#: Xero's Invoices and Payments endpoints also hold bills and bill payments: keep to sales.
SALES_FILTER = {"invoice": 'Type=="ACCREC"', "payment": 'PaymentType=="ACCRECPAYMENT"'}
SALES_TYPE = {"invoice": ("Type", "ACCREC"), "payment": ("PaymentType", "ACCRECPAYMENT")}
#: Xero pages these lists; accounts and items always come whole.
PAGED = frozenset({"invoice", "customer", "payment"})
#: Query parameters every read and write of a resource carries: four-decimal unit prices (Xero
#: rounds to two otherwise), and archived contacts (hidden by default, yet still customers).
READ_PARAMS: dict[str, dict[str, str]] = {"invoice": {"unitdp": "4"}, "customer": {"includeArchived": "true"}}
WRITE_PARAMS: dict[str, dict[str, str]] = {"invoice": {"unitdp": "4"}}


def url(session: ProviderSession, resource: str, record_id: str | None = None) -> str:
    path = f"{API_BASE}/{RESOURCES[resource][0]}"
    if record_id is not None:
        path += "/" + path_segment(record_id)
    return rebase(path, session.settings.base_url)


def id_list(record_ids: Sequence[str]) -> str:
    """The ``IDs=`` filter: ids separated by commas, so an id holding one would name two records."""
    for record_id in record_ids:
        path_segment(record_id)
        if "," in record_id:
            raise ValidationFailed(
                f"id {record_id!r} cannot be looked up",
                issues=[FieldIssue("id", "a Xero id has no comma; pass the id Xero returned")],
                provider=PROVIDER,
            )
    return ",".join(record_ids)


def id_of(resource: str, record: Mapping[str, Any]) -> str:
    return str(record.get(RESOURCES[resource][1]) or "")


def _items(resource: str, body: Any) -> list[dict[str, Any]]:
    items = body.get(RESOURCES[resource][0]) if isinstance(body, Mapping) else None
    return [item for item in items or [] if isinstance(item, dict)]


def _body(response: httpx.Response) -> Any:
    """The answer's JSON; a body that is not JSON raises ``DecodeFailed`` (an error of the tree)."""
    try:
        return jsonutil.loads(response.content)
    except ValueError as exc:
        raise DecodeFailed(
            "Xero answered with a body that is not JSON",
            provider=PROVIDER,
            status_code=response.status_code,
            issues=[FieldIssue(None, str(exc))],
            raw=response.text,
        ) from None


def _is_sales(resource: str, record: Mapping[str, Any]) -> bool:
    rule = SALES_TYPE.get(resource)
    return rule is None or str(record.get(rule[0]) or rule[1]).upper() == rule[1]


async def fetch_record(session: ProviderSession, resource: str, record_id: str) -> dict[str, Any]:
    """One record as Xero JSON; a bill (or bill payment) is not a sales record: ``NotFound``."""
    response = await session.request(
        "GET", url(session, resource, record_id), params=READ_PARAMS.get(resource)
    )
    items = _items(resource, _body(response))
    if not items or not _is_sales(resource, items[0]):
        raise NotFound(
            f"no {resource} {record_id!r} in this Xero organisation", provider=PROVIDER, status_code=404
        )
    return items[0]


async def fetch_records(
    session: ProviderSession, resource: str, record_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Several records by id in one call (``IDs=``), keyed by lower-case id."""
    params = {**READ_PARAMS.get(resource, {}), "IDs": id_list(record_ids)}
    response = await session.request("GET", url(session, resource), params=params)
    return {id_of(resource, item).lower(): item for item in _items(resource, _body(response))}


@dataclass
class RawPage:
    items: list[dict[str, Any]]
    next_page: int | None
    #: Xero's clock when it answered (the envelope's ``DateTimeUTC``).
    server_time: datetime | None


async def fetch_page(
    session: ProviderSession,
    resource: str,
    *,
    page: int,
    page_size: int,
    updated_since: datetime | None,
) -> RawPage:
    params: dict[str, Any] = dict(READ_PARAMS.get(resource, {}))
    if resource in PAGED:
        # Ordered by id, which never changes: records updated while paging do not move between pages.
        params.update(page=page, pageSize=page_size, order=f"{RESOURCES[resource][1]} ASC")
    if resource in SALES_FILTER:
        params["where"] = SALES_FILTER[resource]
    headers = {"If-Modified-Since": if_modified_since(updated_since)} if updated_since else None
    response = await session.request("GET", url(session, resource), params=params, headers=headers)
    body = _body(response)
    items = _items(resource, body)
    next_page: int | None = None
    if resource in PAGED:
        pagination = body.get("pagination") if isinstance(body, Mapping) else None
        if isinstance(pagination, Mapping) and pagination.get("pageCount") is not None:
            more = page < int(pagination["pageCount"])
        else:
            more = len(items) >= page_size
        next_page = page + 1 if more and items else None
    server_time = parse_datetime(body.get("DateTimeUTC")) if isinstance(body, Mapping) else None
    return RawPage(items, next_page, server_time)


async def write(
    session: ProviderSession,
    resource: str,
    method: str,
    elements: Sequence[Mapping[str, Any]],
    *,
    record_id: str | None = None,
    summarize_errors: bool = True,
) -> list[dict[str, Any]]:
    """PUT (create) or POST (update) elements; the answer's elements, in order.

    One idempotency key per logical write, sent again unchanged by every retry of it, so a write
    whose answer was lost is not applied twice.
    """
    params = dict(WRITE_PARAMS.get(resource, {}))
    if not summarize_errors:
        params["summarizeErrors"] = "false"
    response = await session.request(
        method,
        url(session, resource, record_id),
        params=params or None,
        json={RESOURCES[resource][0]: list(elements)},
        headers={"Idempotency-Key": session.new_idempotency_key()},
        idempotent=True,
    )
    return _items(resource, _body(response))


def has_errors(element: Mapping[str, Any]) -> bool:
    return element.get("StatusAttributeString") == "ERROR" or bool(element.get("ValidationErrors"))
