"""Payment terms: Xero's ``PaymentTerms`` rules and the due dates they give.

A Xero contact (and the organisation) keeps one rule for sales and one for bills, ``{"Day", "Type"}``
with four types, which map one to one onto :class:`PaymentTermsType`. Xero invoices keep no terms, only
a ``DueDate``; Xero refuses to approve an invoice without one (``Due Date must be specified``, reported
by SDK users), so the provider computes it from unified ``terms`` the way Xero's rules read.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from unified_accounting.models import PaymentTerms, PaymentTermsType

TO_XERO = {
    PaymentTermsType.DAYS_AFTER_ISSUE: "DAYSAFTERBILLDATE",
    PaymentTermsType.DAYS_AFTER_END_OF_MONTH: "DAYSAFTERBILLMONTH",
    PaymentTermsType.DAY_OF_CURRENT_MONTH: "OFCURRENTMONTH",
    PaymentTermsType.DAY_OF_FOLLOWING_MONTH: "OFFOLLOWINGMONTH",
}
FROM_XERO = {xero: unified for unified, xero in TO_XERO.items()}


def decode_terms(rule: Any) -> dict[str, Any] | None:
    """A Xero ``{"Day", "Type"}`` rule as the fields of :class:`PaymentTerms`; ``None`` when there is none
    (Xero answers ``{}`` or omits it)."""
    if not isinstance(rule, Mapping) or not rule.get("Type"):
        return None
    kind = FROM_XERO.get(str(rule["Type"]).upper())
    if kind is None:
        return None
    return {"type": kind, "days": int(str(rule.get("Day") or 0))}


def encode_terms(terms: PaymentTerms) -> dict[str, Any]:
    return {"Day": terms.days, "Type": TO_XERO[terms.type]}


def _day_of(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def due_date(terms: PaymentTerms, issued: date) -> date:
    """When a document issued on ``issued`` falls due under ``terms`` (a day beyond a month's end is
    its last day)."""
    end_of_month = _day_of(issued.year, issued.month, 31)
    if terms.type is PaymentTermsType.DAYS_AFTER_ISSUE:
        return issued + timedelta(days=terms.days)
    if terms.type is PaymentTermsType.DAYS_AFTER_END_OF_MONTH:
        return end_of_month + timedelta(days=terms.days)
    if terms.type is PaymentTermsType.DAY_OF_CURRENT_MONTH:
        return _day_of(issued.year, issued.month, terms.days)
    following = end_of_month + timedelta(days=1)
    return _day_of(following.year, following.month, terms.days)
