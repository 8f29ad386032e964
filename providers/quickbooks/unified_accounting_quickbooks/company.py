"""The connected company: ``CompanyInfo`` and ``Preferences`` read together.

QuickBooks spreads what the unified ``CompanyInfo`` holds over two entities (Intuit API reference:
CompanyInfo, Preferences): the name, country, address and fiscal year on ``CompanyInfo``
(``FiscalYearStartMonth`` is a month's English name); the home currency, multi-currency, sales tax,
tracking and sales form custom fields on ``Preferences``. Both are read with one GET each
(``/companyinfo/{realmId}``, ``/preferences``).

:class:`CompanySetup` is what the provider checks writes against: the tax model (US companies have
one tax code per transaction and no tax-inclusive amounts), the home currency and multi-currency,
class and department tracking, and which sales form custom field is the P.O. number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from unified_accounting.models import CompanyInfo, TaxMode, TaxSystem
from unified_accounting.models.context import from_provider

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
#: Country spellings QuickBooks companies carry besides ISO alpha-2 codes.
COUNTRIES = {
    "USA": "US",
    "UNITED STATES": "US",
    "GBR": "GB",
    "UK": "GB",
    "UNITED KINGDOM": "GB",
    "AUS": "AU",
    "AUSTRALIA": "AU",
    "CAN": "CA",
    "CANADA": "CA",
    "IND": "IN",
    "INDIA": "IN",
    "FRA": "FR",
    "FRANCE": "FR",
}
#: The sales form custom field that holds the customer's purchase order number, by its name.
PO_FIELD_NAME = re.compile(r"^\s*(p\.?\s*o\.?|purchase\s+order)\s*(number|no\.?|#)?\s*$", re.IGNORECASE)
ClassTracking = Literal["off", "line", "transaction"]


@dataclass(frozen=True)
class CompanySetup:
    """What the provider checks writes against (read from ``CompanyInfo`` and ``Preferences``)."""

    country: str | None = None
    home_currency: str = "USD"
    multi_currency: bool = False
    using_sales_tax: bool = True
    class_tracking: ClassTracking = "off"
    track_departments: bool = False
    department_label: str = "Department"
    #: Sales form custom fields turned on: DefinitionId → name.
    custom_fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def us(self) -> bool:
        """US companies: one tax code per transaction, lines ``TAX``/``NON``, no tax-inclusive amounts."""
        return self.country in (None, "US")

    @property
    def po_field(self) -> tuple[str, str] | None:
        """The custom field (DefinitionId, name) holding the P.O. number, if the company has one."""
        return next(
            ((key, name) for key, name in sorted(self.custom_fields.items()) if PO_FIELD_NAME.match(name)),
            None,
        )


def country_code(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().upper()
    return COUNTRIES.get(text, text if len(text) == 2 else None)


def custom_field_names(prefs: Mapping[str, Any]) -> dict[str, str]:
    """DefinitionId → name of the sales form custom fields the preferences turn on
    (``SalesFormsPrefs.UseSalesCustom{n}`` true and ``SalesCustomName{n}`` set)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for group in _get(prefs, "SalesFormsPrefs", "CustomField") or ():
        for entry in (group or {}).get("CustomField") or () if isinstance(group, Mapping) else ():
            name = str(entry.get("Name") or "")
            number = name[-1:]
            if not number.isdigit():
                continue
            if name.startswith("SalesFormsPrefs.UseSalesCustom") and entry.get("BooleanValue") in (
                True,
                "true",
            ):
                used.add(number)
            elif name.startswith("SalesFormsPrefs.SalesCustomName") and entry.get("StringValue"):
                names[number] = str(entry["StringValue"])
    return {number: label for number, label in names.items() if number in used}


def setup_from(info: Mapping[str, Any], prefs: Mapping[str, Any]) -> CompanySetup:
    per_txn = bool(_get(prefs, "AccountingInfoPrefs", "ClassTrackingPerTxn"))
    per_line = bool(_get(prefs, "AccountingInfoPrefs", "ClassTrackingPerTxnLine"))
    tracking: ClassTracking = "line" if per_line else "transaction" if per_txn else "off"
    home = _get(prefs, "CurrencyPrefs", "HomeCurrency")
    home_code = home.get("value") if isinstance(home, Mapping) else None
    using = _get(prefs, "TaxPrefs", "UsingSalesTax")
    return CompanySetup(
        country=country_code(info.get("Country")),
        home_currency=str(home_code or "USD").upper(),
        multi_currency=bool(_get(prefs, "CurrencyPrefs", "MultiCurrencyEnabled")),
        using_sales_tax=using is not False,
        class_tracking=tracking,
        track_departments=bool(_get(prefs, "AccountingInfoPrefs", "TrackDepartments")),
        department_label=str(_get(prefs, "AccountingInfoPrefs", "DepartmentTerminology") or "Department"),
        custom_fields=custom_field_names(prefs),
    )


def _get(data: Mapping[str, Any], group: str, name: str) -> Any:
    values = data.get(group)
    return values.get(name) if isinstance(values, Mapping) else None


def _month(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().lower() in MONTHS:
        return MONTHS.index(value.strip().lower()) + 1
    return None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _address(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    return {
        "line1": value.get("Line1"),
        "line2": value.get("Line2"),
        "line3": value.get("Line3"),
        "line4": value.get("Line4"),
        "line5": value.get("Line5"),
        "city": value.get("City"),
        "region": value.get("CountrySubDivisionCode"),
        "postal_code": value.get("PostalCode"),
        "country": value.get("Country"),
    }


def _text(value: Any, key: str) -> str | None:
    found = value.get(key) if isinstance(value, Mapping) else None
    return str(found) if found else None


def decode_company(payload: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> CompanyInfo:
    """``{"CompanyInfo": {...}, "Preferences": {...}}`` → the unified company."""
    info = payload.get("CompanyInfo")
    prefs = payload.get("Preferences")
    if not isinstance(info, Mapping):
        raise ValueError("a company answer holds CompanyInfo")
    prefs = prefs if isinstance(prefs, Mapping) else {}
    setup = setup_from(info, prefs)
    tax_system = (
        (TaxSystem.SALES_TAX if setup.us else TaxSystem.VAT) if setup.using_sales_tax else TaxSystem.NONE
    )
    meta = info.get("MetaData") or {}
    email = _text(info.get("Email"), "Address") or _text(info.get("CompanyEmailAddr"), "Address")
    values: dict[str, Any] = {
        "id": info.get("Id"),
        "row_version": info.get("SyncToken"),
        "created_at": _time(meta.get("CreateTime")),
        "updated_at": _time(meta.get("LastUpdatedTime")),
        "raw": raw,
        "name": info.get("CompanyName") or info.get("LegalName") or "",
        "legal_name": info.get("LegalName"),
        "country": setup.country,
        "base_currency": setup.home_currency,
        "multi_currency_enabled": setup.multi_currency,
        "fiscal_year_start_month": _month(info.get("FiscalYearStartMonth"))
        or _month(_get(prefs, "AccountingInfoPrefs", "FirstMonthOfFiscalYear")),
        # US companies' EmployerId is their federal tax id (EIN); QuickBooks has no other field for it.
        "tax_number": info.get("EmployerId"),
        "tax_system": tax_system,
        "default_tax_mode": TaxMode.EXCLUSIVE if setup.using_sales_tax else TaxMode.NO_TAX,
        "timezone": info.get("DefaultTimeZone"),
        "address": _address(info.get("CompanyAddr") or info.get("LegalAddr")),
        "email": email,
        "phone": _text(info.get("PrimaryPhone"), "FreeFormNumber"),
        "website": _text(info.get("WebAddr"), "URI"),
    }
    company: CompanyInfo = from_provider(CompanyInfo, values)
    return company
