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

from .chart import is_guid
from .codec import RESOURCES
from .dates import if_modified_since, parse_datetime
from .errors import PROVIDER
from .queries import XeroQuery

API_BASE = "https://api.xero.com/api.xro/2.0"
#: Xero endpoints that hold several unified resources: the field telling them apart and the values
#: of each (Invoices hold sales invoices and bills, Payments their payments and refunds...).
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "invoice": ("Type", ("ACCREC",)),
    "bill": ("Type", ("ACCPAY",)),
    # Customer payments: of invoices, refunds of credit notes, refunds of over- and prepayments.
    "payment": (
        "PaymentType",
        ("ACCRECPAYMENT", "ARCREDITPAYMENT", "AROVERPAYMENTPAYMENT", "ARPREPAYMENTPAYMENT"),
    ),
    "bill_payment": ("PaymentType", ("ACCPAYPAYMENT",)),
    "credit_note": ("Type", ("ACCRECCREDIT",)),
    "supplier_credit": ("Type", ("ACCPAYCREDIT",)),
    "expense": ("Type", ("SPEND", "RECEIVE")),
}
#: Contacts are customers and suppliers alike: a contact Xero has not yet seen on a sales invoice
#: or a bill (IsCustomer and IsSupplier both false) is listed as both.
CONTACT_FILTER = {
    "customer": "(IsCustomer==true OR IsSupplier==false)",
    "supplier": "(IsSupplier==true OR IsCustomer==false)",
}
#: Xero pages these lists; the others always come whole.
PAGED = frozenset(
    {
        "invoice",
        "customer",
        "payment",
        "journal_entry",
        "supplier",
        "bill",
        "bill_payment",
        "credit_note",
        "supplier_credit",
        "expense",
    }
)
#: Xero honours If-Modified-Since on these lists (not on tax rates, tracking categories, currencies).
MODIFIED_SINCE = PAGED | {"account", "item", "ledger_account"}
_UNIT_PLACES = {"unitdp": "4"}
#: Query parameters every read and write of a resource carries: four-decimal unit prices (Xero
#: rounds to two otherwise), and archived contacts and categories (hidden by default, yet still there).
READ_PARAMS: dict[str, dict[str, str]] = {
    **dict.fromkeys(("invoice", "bill", "item", "credit_note", "supplier_credit", "expense"), _UNIT_PLACES),
    "customer": {"includeArchived": "true"},
    "supplier": {"includeArchived": "true"},
    "tracking_category": {"includeArchived": "true"},
}
WRITE_PARAMS: dict[str, dict[str, str]] = {
    name: _UNIT_PLACES for name in ("invoice", "bill", "item", "credit_note", "supplier_credit", "expense")
}
#: Where a resource's URL differs from its envelope's name.
PATHS = {"company_info": "Organisation"}


def url(session: ProviderSession, resource: str, record_id: str | None = None, *more: str) -> str:
    path = f"{API_BASE}/{PATHS.get(resource, RESOURCES[resource][0])}"
    for segment in (record_id, *more) if record_id is not None else more:
        path += "/" + path_segment(segment)
    return rebase(path, session.settings.base_url)


def url_of(session: ProviderSession, *segments: str) -> str:
    """The URL of a path under the Accounting API, each segment encoded (``Reports``, ``ProfitAndLoss``)."""
    return _path(session, *segments)


def _path(session: ProviderSession, *segments: str) -> str:
    return rebase("/".join((API_BASE, *(path_segment(s) for s in segments))), session.settings.base_url)


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


def is_kind(resource: str, record: Mapping[str, Any]) -> bool:
    """Whether a record of a shared endpoint is one of ``resource`` (a bill is no sales invoice)."""
    rule = KINDS.get(resource)
    return rule is None or str(record.get(rule[0]) or rule[1][0]).upper() in rule[1]


def kind_filter(resource: str) -> list[str]:
    """The ``where`` terms that keep a list to ``resource``."""
    if resource in CONTACT_FILTER:
        return [CONTACT_FILTER[resource]]
    rule = KINDS.get(resource)
    if rule is None:
        return []
    field, values = rule
    terms = [f'{field}=="{value}"' for value in values]
    return [terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"]


def _by_code(record_id: str) -> dict[str, str] | None:
    """The list filter that finds an account by code (Xero reads single accounts by AccountID only);
    ``None`` for an AccountID, or for a "code" no account can have (a quote would end the filter)."""
    if is_guid(record_id) or '"' in record_id or "\\" in record_id:
        return None
    return {"where": f'Code=="{record_id}"'}


async def fetch_record(session: ProviderSession, resource: str, record_id: str) -> dict[str, Any]:
    """One record as Xero JSON; a bill (or bill payment) is not a sales record: ``NotFound``."""
    query = _by_code(record_id) if resource == "ledger_account" else None
    if resource == "ledger_account" and query is None and not is_guid(record_id):
        raise NotFound(
            f"no ledger account {record_id!r} in this Xero organisation", provider=PROVIDER, status_code=404
        )
    response = await session.request(
        "GET",
        url(session, resource, None if query else record_id),
        params={**READ_PARAMS.get(resource, {}), **(query or {})} or None,
    )
    items = _items(resource, _body(response))
    if not items or not is_kind(resource, items[0]):
        raise NotFound(
            f"no {resource} {record_id!r} in this Xero organisation", provider=PROVIDER, status_code=404
        )
    return items[0]


async def fetch_organisation(session: ProviderSession) -> dict[str, Any]:
    """The organisation with its ``Actions`` (what decides multi-currency) merged in."""
    response = await session.request("GET", url(session, "company_info"))
    organisations = _items("company_info", _body(response))
    if not organisations:
        raise NotFound("Xero answered without the organisation", provider=PROVIDER, status_code=404)
    actions = await session.request("GET", _path(session, "Organisation", "Actions"))
    listed = _body(actions)
    return {**organisations[0], "Actions": listed.get("Actions") if isinstance(listed, Mapping) else []}


async def fetch_currencies(session: ProviderSession) -> list[str]:
    """The codes of the organisation's currencies (its base currency and those it added)."""
    body = _body(await session.request("GET", _path(session, "Currencies")))
    items = body.get("Currencies") if isinstance(body, Mapping) else None
    return [str(c.get("Code")).upper() for c in items or [] if isinstance(c, Mapping) and c.get("Code")]


async def fetch_all(session: ProviderSession, resource: str) -> list[dict[str, Any]]:
    """Every record of a resource Xero lists whole (tax rates, tracking categories)."""
    response = await session.request("GET", url(session, resource), params=READ_PARAMS.get(resource))
    return _items(resource, _body(response))


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
    query: XeroQuery | None = None,
) -> RawPage:
    query = query or XeroQuery()
    params: dict[str, Any] = {**READ_PARAMS.get(resource, {}), **query.params}
    if resource in PAGED:
        # Ordered by id unless asked otherwise: an id never changes, so records updated while
        # paging do not move between pages.
        params.update(page=page, pageSize=page_size, order=query.order or f"{RESOURCES[resource][1]} ASC")
    where = kind_filter(resource) + query.where
    if where:
        params["where"] = " AND ".join(where)
    headers = (
        {"If-Modified-Since": if_modified_since(updated_since)}
        if updated_since and resource in MODIFIED_SINCE
        else None
    )
    response = await session.request("GET", url(session, resource), params=params, headers=headers)
    body = _body(response)
    fetched = _items(resource, body)
    items = [item for item in fetched if query.keep is None or query.keep(item)]
    next_page: int | None = None
    if resource in PAGED:
        pagination = body.get("pagination") if isinstance(body, Mapping) else None
        if isinstance(pagination, Mapping) and pagination.get("pageCount") is not None:
            more = page < int(pagination["pageCount"])
        else:
            more = len(fetched) >= page_size
        next_page = page + 1 if more and fetched else None
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


async def send(
    session: ProviderSession,
    method: str,
    path: Sequence[str],
    key: str,
    element: Mapping[str, Any] | None,
) -> list[dict[str, Any]]:
    """One write to a sub-resource Xero keeps outside the usual envelope (``TrackingCategories/{id}``,
    ``.../Options``): the answer's ``key`` list. A DELETE sends no body."""
    headers = {"Idempotency-Key": session.new_idempotency_key()} if method != "DELETE" else None
    response = await session.request(
        method,
        _path(session, *path),
        json=dict(element) if element is not None else None,
        headers=headers,
        idempotent=True,
    )
    body = _body(response)
    items = body.get(key) if isinstance(body, Mapping) else None
    return [item for item in items or [] if isinstance(item, dict)]


async def delete(session: ProviderSession, path: Sequence[str]) -> None:
    """A DELETE Xero answers with no body (``/Items/{id}``: 204)."""
    await session.request("DELETE", _path(session, *path), idempotent=True)


def has_errors(element: Mapping[str, Any]) -> bool:
    return element.get("StatusAttributeString") == "ERROR" or bool(element.get("ValidationErrors"))
