"""The connected organisation: Xero ``Organisation`` (plus its ``Actions``) as :class:`CompanyInfo`.

* ``fiscal_year_start_month``: the month after ``FinancialYearEndMonth`` when the year ends on the
  month's last day (or day 0); else the end month itself (a year ending 15 March starts 16 March).
* ``multi_currency_enabled``: the action ``UseMulticurrency`` is ``ALLOWED`` (Xero gates foreign
  currencies by plan; the provider reads ``/Organisation/Actions`` with the organisation).
* ``tax_system``: ``none`` when the organisation does not pay tax (``PaysTax`` false); ``sales_tax`` for
  US organisations (``Version`` US); ``vat`` otherwise (GST and VAT, a rate per line).
* ``default_tax_mode``: what ``DefaultSalesTax`` names ("Tax Exclusive", "Tax Inclusive", "No Tax"),
  else exclusive — what Xero gives an invoice sent without ``LineAmountTypes``.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from typing import Any

from unified_accounting.models import CompanyInfo, TaxMode, TaxSystem
from unified_accounting.models.context import from_provider

from .taxes import default_sales_tax


def fiscal_year_start_month(end_day: Any, end_month: Any) -> int | None:
    try:
        month = int(str(end_month))
        day = int(str(end_day or 0))
    except ValueError:
        return None
    if not 1 <= month <= 12:
        return None
    # Any year: only the length of the month matters, and February is taken at 28 days.
    last = calendar.monthrange(2001, month)[1]
    return month % 12 + 1 if day == 0 or day >= last else month


def multi_currency(actions: Any) -> bool:
    for action in actions or []:
        if isinstance(action, Mapping) and str(action.get("Name")) == "UseMulticurrency":
            return str(action.get("Status") or "").upper() == "ALLOWED"
    return False


def tax_system(data: Mapping[str, Any]) -> TaxSystem:
    if data.get("PaysTax") is False or str(data.get("PaysTax")).lower() == "false":
        return TaxSystem.NONE
    version = str(data.get("Version") or "").upper()
    return TaxSystem.SALES_TAX if version.startswith("US") else TaxSystem.VAT


def _first(entries: Any, wanted: tuple[str, ...], key: str) -> Mapping[str, Any] | None:
    for kind in wanted:
        for entry in entries or []:
            if isinstance(entry, Mapping) and str(entry.get(key) or "").upper() == kind:
                return entry
    return None


def decode_organisation(
    data: Mapping[str, Any], meta: Mapping[str, Any], address: Mapping[str, Any] | None
) -> CompanyInfo:
    """``data`` is the Organisation, with the ``Actions`` the provider read merged in; ``address`` the
    decoded postal (else street) address."""
    phone = _first(data.get("Phones"), ("OFFICE", "DEFAULT", "DDI", "MOBILE"), "PhoneType")
    website = _first(data.get("ExternalLinks"), ("WEBSITE",), "LinkType")
    number = " ".join(
        str(phone[k]) for k in ("PhoneCountryCode", "PhoneAreaCode", "PhoneNumber") if phone and phone.get(k)
    )
    return from_provider(
        CompanyInfo,
        {
            "name": str(data.get("Name") or ""),
            "legal_name": data.get("LegalName") or None,
            "country": data.get("CountryCode") or None,
            "base_currency": data.get("BaseCurrency"),
            "multi_currency_enabled": multi_currency(data.get("Actions")),
            "fiscal_year_start_month": fiscal_year_start_month(
                data.get("FinancialYearEndDay"), data.get("FinancialYearEndMonth")
            ),
            "tax_number": data.get("TaxNumber") or None,
            "tax_system": tax_system(data),
            "default_tax_mode": default_sales_tax(data.get("DefaultSalesTax")) or TaxMode.EXCLUSIVE,
            "timezone": data.get("Timezone") or None,
            "address": address,
            "phone": number or None,
            "website": (website or {}).get("Url") or None,
            **meta,
        },
    )
