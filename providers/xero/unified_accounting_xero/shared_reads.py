"""Reading records whose kind is not known yet: an ``Invoices`` id may be a sales invoice or a bill,
a ``CreditNotes`` id a customer's or a supplier's credit note.

Xero's INVOICE webhook events do not say which kind of invoice changed (its CREDITNOTE events say,
in ``data.Type``, but a delivery without ``data`` must still be read). One read answers for every
kind: ``GET /Invoices?IDs=...`` (paged, so that lines come with the records; ~40 ids a request, as
Xero's guidance on filters by many values asks) and, as Xero's credit notes have no ``IDs``
filter, ``GET /CreditNotes/{id}`` for each (a lone invoice id is read by id as well). Each record
is then decoded by its ``Type`` as the resource it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from unified_accounting.errors import NotFound
from unified_accounting.provider import Page, ProviderSession

from . import api
from .codec import RESOURCES

#: Resources Xero keeps in one collection under one id space (``Provider.shared_id_groups``).
GROUPS: tuple[tuple[str, ...], ...] = (("bill", "invoice"), ("credit_note", "supplier_credit"))
#: Ids per ``IDs=`` request.
ID_CHUNK = 40


async def fetch_any(
    session: ProviderSession, resources: Sequence[str], record_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The Xero JSON of each of ``record_ids`` found in the collection of ``resources``, whatever
    its kind."""
    resource = resources[0]
    # One id is read by id, whatever its kind: one call too, and a single read keeps the lines'
    # DiscountAmount, which Xero's lists (by IDs too) leave out.
    if RESOURCES[resource][0] == "Invoices" and len(record_ids) > 1:
        found: list[dict[str, Any]] = []
        for start in range(0, len(record_ids), ID_CHUNK):
            chunk = record_ids[start : start + ID_CHUNK]
            params = {
                **api.READ_PARAMS.get(resource, {}),
                "IDs": api.id_list(chunk),
                "page": 1,
                "pageSize": len(chunk),
            }
            response = await session.request("GET", api.url(session, resource), params=params)
            found += _elements(resource, api._body(response))
        return found
    records: list[dict[str, Any]] = []
    for record_id in record_ids:
        try:
            response = await session.request(
                "GET", api.url(session, resource, record_id), params=api.READ_PARAMS.get(resource) or None
            )
        except NotFound:
            continue
        records += _elements(resource, api._body(response))[:1]
    return records


def _elements(resource: str, body: Any) -> list[dict[str, Any]]:
    items = body.get(RESOURCES[resource][0]) if isinstance(body, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def by_kind(resources: Sequence[str], records: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``records`` sorted into the resources they are (by ``Type``); one of another kind is left out."""
    kinds: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        kind = next((resource for resource in resources if api.is_kind(resource, record)), None)
        if kind is not None:
            kinds.setdefault(kind, []).append(record)
    return kinds


def pages(decode: Any, resources: Sequence[str], records: Sequence[dict[str, Any]]) -> dict[str, Page]:
    """The records decoded as their kinds, per resource (``decode(resource, elements)`` reads a list)."""
    result: dict[str, Page] = {}
    for resource, elements in by_kind(resources, records).items():
        items, issues = decode(resource, elements)
        result[resource] = Page(items=items, issues=issues)
    return result
