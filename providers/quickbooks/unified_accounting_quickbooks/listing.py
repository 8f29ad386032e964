"""List filters and sorts pushed down into QuickBooks' query (``WHERE`` and ``ORDERBY``).

QuickBooks queries take ``=``, ``<``, ``>``, ``<=``, ``>=``, ``IN`` and ``LIKE`` joined by ``AND``
(Intuit, "Data queries"); the transaction fields below (party, ``DocNumber``, ``TxnDate``) are
filterable and ``TxnDate`` and
``MetaData.LastUpdatedTime`` sortable (Intuit API reference, Invoice and Payment). Each unified
filter becomes one condition whose value is a quoted literal (:func:`query.literal`: a quote or a
backslash in it is escaped), so no value can change a query's meaning.

QuickBooks compares text without regard to case and ``created_since`` is matched from its whole
second: both narrow a little more loosely than the unified rule, which the core checks again on
what comes back. ``status`` is no QuickBooks field and is left to the core. Sorted lists are
ordered by the field, then by ``Id``, so records with the same value keep one order across pages.

A filter or sort is declared (``list_filters``/``list_sorts``) only where the catalog offers it
for the resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unified_accounting.catalog import RESOURCES

from .query import Query

#: Filters every dated transaction has (``TxnDate``, ``MetaData.CreateTime``).
_DATED: dict[str, tuple[str, str]] = {
    "date_from": ("TxnDate", ">="),
    "date_to": ("TxnDate", "<="),
    "created_since": ("MetaData.CreateTime", ">="),
}
#: Filters of documents with a number and an issue date.
_DOCUMENT: dict[str, tuple[str, str]] = {
    "number": ("DocNumber", "="),
    "issue_date_from": ("TxnDate", ">="),
    "issue_date_to": ("TxnDate", "<="),
    "created_since": ("MetaData.CreateTime", ">="),
}
#: Unified filter → (QuickBooks field, operator), per resource.
FILTERS: dict[str, dict[str, tuple[str, str]]] = {
    "invoice": {
        "customer_id": ("CustomerRef", "="),
        "number": ("DocNumber", "="),
        "issue_date_from": ("TxnDate", ">="),
        "issue_date_to": ("TxnDate", "<="),
        "created_since": ("MetaData.CreateTime", ">="),
    },
    "payment": {
        "customer_id": ("CustomerRef", "="),
        "date_from": ("TxnDate", ">="),
        "date_to": ("TxnDate", "<="),
        "created_since": ("MetaData.CreateTime", ">="),
    },
    "credit_note": {
        "customer_id": ("CustomerRef", "="),
        **_DOCUMENT,
    },
    "bill": {"supplier_id": ("VendorRef", "="), **_DOCUMENT},
    "supplier_credit": {"supplier_id": ("VendorRef", "="), **_DOCUMENT},
    "bill_payment": {"supplier_id": ("VendorRef", "="), **_DATED},
    # A purchase's payee (EntityRef) is left to the core: whether QuickBooks filters on it is not
    # documented.
    "expense": {"number": ("DocNumber", "="), **_DATED},
    "journal_entry": {"number": ("DocNumber", "="), **_DATED},
}
#: Unified sort key → QuickBooks field, per resource (fields every record has: none sorts last).
SORTS: dict[str, dict[str, str]] = {
    "invoice": {"updated_at": "MetaData.LastUpdatedTime", "issue_date": "TxnDate"},
    "payment": {"updated_at": "MetaData.LastUpdatedTime", "date": "TxnDate"},
}


def declared_filters() -> dict[str, frozenset[str]]:
    """The pushed-down filters the catalog offers, per resource."""
    out: dict[str, frozenset[str]] = {}
    for resource, filters in FILTERS.items():
        spec = RESOURCES.get(resource)
        offered = {f.name for f in spec.filters} if spec is not None else set()
        names = frozenset(filters) & offered
        if names:
            out[resource] = names
    return out


def declared_sorts() -> dict[str, frozenset[str]]:
    """The pushed-down sorts the catalog offers, per resource."""
    out: dict[str, frozenset[str]] = {}
    for resource, sorts in SORTS.items():
        spec = RESOURCES.get(resource)
        keys = frozenset(sorts) & frozenset(getattr(spec, "sorts", ()) or ())
        if keys:
            out[resource] = keys
    return out


def narrowed(query: Query, resource: str, filters: Mapping[str, Any]) -> Query:
    """``query`` with a condition for each of ``filters`` QuickBooks can apply; others are left to
    the core (it applies every filter not declared)."""
    known = FILTERS.get(resource, {})
    for name, value in filters.items():
        target = known.get(name)
        if target is None or value is None:
            continue
        field, operator = target
        query = query.where(field, operator, getattr(value, "value", value))
    return query


def ordered(query: Query, resource: str, sort: Any) -> Query:
    """``query`` ordered by ``sort`` (a ``ListSort``: ``field`` and ``descending``), then by ``Id``;
    by ``Id`` alone without one (or for a key QuickBooks cannot sort by)."""
    field = SORTS.get(resource, {}).get(getattr(sort, "field", "")) if sort is not None else None
    if field is None:
        return query.order_by("Id")
    return query.order_by(field, descending=bool(sort.descending)).then_by("Id")
