"""List filters and sort keys as Xero query parameters.

Invoice filters go through Xero's typed parameters where it has them and through ``where`` only for
dates, whose literals the provider writes itself from ``date`` values:

=====================  ==========================================================================
``customer_id``        ``ContactIDs=`` (GUIDs, validated and written in canonical form)
``status``             ``Statuses=`` (Xero's words); ``open`` and ``partially_paid`` are both
                       ``AUTHORISED``, told apart by ``AmountPaid`` after fetching
``number``             ``InvoiceNumbers=`` (a number holding a comma would name two: refused)
``issue_date_from/to`` ``where=Date>=DateTime(y, m, d)`` / ``Date<=DateTime(y, m, d)`` (optimised)
``updated_since``      the ``If-Modified-Since`` header
``sort``               ``order=`` ``UpdatedDateUTC``, ``Date`` or ``InvoiceNumber``, ``ASC`` or ``DESC``
=====================  ==========================================================================

Nothing a caller gives is pasted into ``where``: Xero documents no escape for ``"`` in its string
literals, so values that would need one never reach it. Invoices have no creation time in Xero's API,
so ``created_since`` cannot be applied. Tax rates and tracking categories filter by status with a
``where`` on Xero's own status words.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from unified_accounting.errors import FieldIssue, ValidationFailed
from unified_accounting.models import InvoiceStatus, TaxRateStatus, TrackingStatus

from .statuses import invoice_status, settled

#: The invoice filters (and sort) Xero applies itself.
INVOICE_FILTERS = frozenset({"customer_id", "status", "number", "issue_date_from", "issue_date_to", "sort"})
#: Unified sort key → Xero ``order`` field.
SORT_FIELDS = {"updated_at": "UpdatedDateUTC", "issue_date": "Date", "number": "InvoiceNumber"}
#: Unified invoice status → the Xero status it is stored as.
STATUS_WORDS = {
    InvoiceStatus.DRAFT: "DRAFT",
    InvoiceStatus.SUBMITTED: "SUBMITTED",
    InvoiceStatus.OPEN: "AUTHORISED",
    InvoiceStatus.PARTIALLY_PAID: "AUTHORISED",
    InvoiceStatus.PAID: "PAID",
    InvoiceStatus.VOID: "VOIDED",
    InvoiceStatus.DELETED: "DELETED",
}
#: Xero's limit of values per list filter is not published; it recommends about 40 per request.
MAX_VALUES = 40

Keep = Callable[[Mapping[str, Any]], bool]


@dataclass
class XeroQuery:
    """What a list request adds: query parameters, ``where`` conditions (joined with ``AND``), an
    ``order``, and a test the fetched records must pass (for what Xero cannot ask)."""

    params: dict[str, str] = field(default_factory=dict)
    where: list[str] = field(default_factory=list)
    order: str | None = None
    keep: Keep | None = None


def _refuse(name: str, message: str) -> ValidationFailed:
    return ValidationFailed("invalid list filter", issues=[FieldIssue(name, message)], provider="xero")


def _values(name: str, value: Any) -> list[Any]:
    """One value, or several (a list, tuple or set)."""
    values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
    if not values:
        raise _refuse(name, "give at least one value")
    if len(values) > MAX_VALUES:
        raise _refuse(name, f"at most {MAX_VALUES} values per list (Xero's guidance per request)")
    return values


def _guid(name: str, value: Any) -> str:
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        raise _refuse(name, f"{value!r} is not a Xero id (a GUID)") from None


def _number(value: Any) -> str:
    text = str(value)
    if not text or "," in text or not text.isprintable() or not text.isascii():
        # InvoiceNumbers= separates with commas, and Xero numbers are printable ASCII.
        raise _refuse(
            "number", f"{text!r} cannot be looked up: Xero invoice numbers are printable ASCII without commas"
        )
    return text


def _day(name: str, value: Any) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _refuse(name, f"give a date (datetime.date), not {type(value).__name__}")
    return value


def _date_literal(day: date) -> str:
    return f"DateTime({day.year}, {day.month:02d}, {day.day:02d})"


def invoice_statuses(value: Any) -> list[InvoiceStatus]:
    statuses: list[InvoiceStatus] = []
    for item in _values("status", value):
        try:
            statuses.append(InvoiceStatus(getattr(item, "value", item)))
        except ValueError:
            words = ", ".join(s.value for s in InvoiceStatus)
            raise _refuse("status", f"{item!r} is not an invoice status ({words})") from None
    return statuses


def invoice_query(filters: Mapping[str, Any], sort: str | None = None) -> XeroQuery:
    """The Xero request for invoice ``filters`` (unified name → value) and ``sort`` (``"-issue_date"``);
    values are validated first, so none can change what the request means."""
    query = XeroQuery()
    unknown = sorted(set(filters) - INVOICE_FILTERS)
    if unknown:
        raise _refuse(unknown[0], f"Xero lists of invoices cannot be filtered by {', '.join(unknown)}")
    if filters.get("customer_id") is not None:
        ids = [_guid("customer_id", v) for v in _values("customer_id", filters["customer_id"])]
        query.params["ContactIDs"] = ",".join(dict.fromkeys(ids))
    if filters.get("status") is not None:
        wanted = set(invoice_statuses(filters["status"]))
        query.params["Statuses"] = ",".join(sorted({STATUS_WORDS[s] for s in wanted}))
        if InvoiceStatus.OPEN in wanted or InvoiceStatus.PARTIALLY_PAID in wanted:
            query.keep = _status_test(wanted)
    if filters.get("number") is not None:
        numbers = [_number(v) for v in _values("number", filters["number"])]
        query.params["InvoiceNumbers"] = ",".join(dict.fromkeys(numbers))
    if filters.get("issue_date_from") is not None:
        query.where.append(f"Date>={_date_literal(_day('issue_date_from', filters['issue_date_from']))}")
    if filters.get("issue_date_to") is not None:
        query.where.append(f"Date<={_date_literal(_day('issue_date_to', filters['issue_date_to']))}")
    sort = sort if sort is not None else filters.get("sort")
    if sort is not None:
        query.order = order_of(sort)
    return query


def _status_test(wanted: set[InvoiceStatus]) -> Keep:
    # Xero stores open and partially paid invoices alike (AUTHORISED): only what was paid or
    # credited tells them apart.
    def keep(record: Mapping[str, Any]) -> bool:
        paid, credited = record.get("AmountPaid"), record.get("AmountCredited")
        status = invoice_status(
            record.get("Status"),
            settled(None if paid is None else _amount(paid), None if credited is None else _amount(credited)),
        )
        return status in wanted

    return keep


def _amount(value: Any) -> Decimal:
    return Decimal(str(value))


def order_of(sort: Any) -> str:
    """Xero's ``order`` for a unified sort key (``-`` first: descending); ties by id, for stable pages."""
    key = str(getattr(sort, "value", sort))
    descending = key.startswith("-")
    name = SORT_FIELDS.get(key.removeprefix("-"))
    if name is None:
        keys = ", ".join(f"{k}, -{k}" for k in SORT_FIELDS)
        raise _refuse("sort", f"{key!r} is not a sort key of Xero invoice lists ({keys})")
    return f"{name} {'DESC' if descending else 'ASC'}, InvoiceID ASC"


#: Unified status → Xero's word, for the lists that filter by status.
TAX_RATE_STATUS = {
    TaxRateStatus.ACTIVE: "ACTIVE",
    TaxRateStatus.ARCHIVED: "ARCHIVED",
    TaxRateStatus.DELETED: "DELETED",
}
TRACKING_STATUS = {
    TrackingStatus.ACTIVE: "ACTIVE",
    TrackingStatus.ARCHIVED: "ARCHIVED",
    TrackingStatus.DELETED: "DELETED",
}


def status_query(resource: str, filters: Mapping[str, Any]) -> XeroQuery:
    """``status`` of tax rates and tracking categories, as a ``where`` on Xero's status word."""
    query = XeroQuery()
    unknown = sorted(set(filters) - {"status"})
    if unknown:
        raise _refuse(
            unknown[0], f"Xero lists of {resource} records cannot be filtered by {', '.join(unknown)}"
        )
    if filters.get("status") is None:
        return query
    words: Mapping[Any, str] = TAX_RATE_STATUS if resource == "tax_rate" else TRACKING_STATUS
    kind = TaxRateStatus if resource == "tax_rate" else TrackingStatus
    statuses: Iterable[Any] = _values("status", filters["status"])
    conditions = []
    for status in statuses:
        try:
            word = words[kind(getattr(status, "value", status))]
        except ValueError:
            raise _refuse("status", f"{status!r} is not a {resource} status") from None
        conditions.append(f'Status=="{word}"')
    query.where.append(conditions[0] if len(conditions) == 1 else "(" + " OR ".join(conditions) + ")")
    return query
