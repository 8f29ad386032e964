"""What Xero would refuse, found before any HTTP call (``Provider.validate``/``validate_update``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from unified_accounting.errors import FieldIssue
from unified_accounting.models import Invoice, InvoiceStatus, LineItem, LineItemType, Payment, RecordMeta

from .codec import COMPUTED_FIELDS, UNSUPPORTED_FIELDS
from .statuses import CREATABLE_INVOICE_STATUSES, INVOICE_TO_XERO

XERO_LINE_TYPES = (LineItemType.SALES_ITEM, LineItemType.DESCRIPTION)
#: The largest amount sent to Xero. Xero publishes no bound (UNVERIFIED: its spec types amounts as
#: plain numbers); twelve digits before the point cover any real ledger and keep absurd values
#: (1e30) from reaching it, where they fail the server instead of being refused.
MAX_AMOUNT = Decimal("999999999999.99")


def _unsupported(resource: str, values: Mapping[str, Any]) -> list[FieldIssue]:
    return [
        FieldIssue(name, reason)
        for name, reason in UNSUPPORTED_FIELDS.get(resource, {}).items()
        if values.get(name) not in (None, [], {})
    ]


def _lines(lines: list[LineItem]) -> list[FieldIssue]:
    return [
        FieldIssue(
            f"line_items.{index}.type",
            f"Xero has no {line.type.value} lines (a discount is a line's discount_percentage)",
        )
        for index, line in enumerate(lines)
        if line.type not in XERO_LINE_TYPES
    ]


def _values(record: RecordMeta) -> dict[str, Any]:
    return {name: getattr(record, name) for name in type(record).model_fields}


def check_record(resource: str, record: RecordMeta) -> list[FieldIssue]:
    issues = _unsupported(resource, _values(record))
    if isinstance(record, Invoice):
        issues += _lines(record.line_items)
        if record.status is not None and record.status not in CREATABLE_INVOICE_STATUSES:
            issues.append(
                FieldIssue("status", "Xero creates invoices as draft, submitted or open (approved) only")
            )
    if isinstance(record, Payment):
        if len(record.allocations) != 1:
            issues.append(FieldIssue("allocations", "a Xero payment pays exactly one invoice"))
        elif record.allocations[0].amount != record.total_amount:
            issues.append(
                FieldIssue("total_amount", "a Xero payment applies its whole amount to its one invoice")
            )
    return issues


def check_changes(resource: str, changes: Mapping[str, Any]) -> list[FieldIssue]:
    issues = _unsupported(resource, changes)
    issues += [
        FieldIssue(name, "is computed by Xero and cannot be set")
        for name in COMPUTED_FIELDS.get(resource, frozenset())
        if name in changes
    ]
    if resource == "invoice":
        issues += _lines(list(changes.get("line_items") or []))
        status = changes.get("status")
        if status is not None and InvoiceStatus(status) not in INVOICE_TO_XERO:
            issues.append(FieldIssue("status", "paid and partially paid follow from payments"))
        if "customer_id" in changes and not changes["customer_id"]:
            issues.append(FieldIssue("customer_id", "an invoice needs a customer"))
    return issues
