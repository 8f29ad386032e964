"""The organisation itself: ``/Organisation``, ``/Organisation/Actions`` and ``/Currencies``.

``GET /Organisation`` answers ``{"Organisations": [one]}`` with the fields Xero documents (name, legal name,
``Version``, ``BaseCurrency``, ``CountryCode``, ``PaysTax``, financial year end, tax basis and period,
``DefaultSalesTax``, time zone, addresses, phones, ``PaymentTerms``...); it is read-only.
``GET /Organisation/Actions`` lists what the connected user may do; ``UseMulticurrency`` is ``ALLOWED``
only for a multi-currency organisation (Xero gates multi-currency by plan).

``GET /Currencies`` lists the base currency and the currencies added; ``PUT /Currencies``
``{"Code", "Description"}`` adds one (a currency is never removed).  A single-currency organisation
refuses new currencies, and documents in a currency the organisation has not added are refused (both
wordings UNVERIFIED).  Organisations are made multi-currency with the ``multi_currency`` option (or
``TenantSpec.multi_currency``); ``currencies`` adds currencies at the start.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .errors import ValidationFailed
from .journal import Journal
from .regions import CURRENCY_NAMES, REGION_FACTS, iso_country
from .state import IdFactory, Record, TenantState

#: A selection of Xero's organisation actions; all but multi-currency are allowed in the emulator.
ACTIONS = (
    "CreateApprovedInvoice",
    "CreateDraftInvoice",
    "CreateInvoicePayment",
    "VoidInvoice",
    "DeleteDraftInvoice",
    "CreateContact",
    "UpdateContact",
    "ViewProfitAndLossReport",
    "UseMulticurrency",
)


def organisation_record(t: TenantState, ids: IdFactory, created: datetime) -> Record:
    facts = REGION_FACTS.get(t.version, REGION_FACTS["GLOBAL"])
    short = t.name.replace(" ", "")[:6].upper() or "ORG"
    year_end_day, year_end_month = facts.year_end
    return {
        "OrganisationID": t.tenant_id,
        "APIKey": ids.token(15).upper()[:30],
        "Name": t.name,
        "LegalName": f"{t.name} Limited" if not t.name.endswith(("Ltd", "Limited")) else t.name,
        "PaysTax": True,
        "Version": t.version,
        "OrganisationType": "COMPANY",
        "BaseCurrency": t.base_currency,
        "CountryCode": iso_country(t.country_code),
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        # Derived from the id rather than drawn, so seeded ids stay as they were.
        "RegistrationNumber": f"{int(t.tenant_id[:8], 16) % 10**8:08d}",
        "TaxNumber": f"{int(t.tenant_id[-8:], 16) % 10**9:09d}",
        "FinancialYearEndDay": year_end_day,
        "FinancialYearEndMonth": year_end_month,
        "SalesTaxBasis": facts.sales_tax_basis,
        "SalesTaxPeriod": facts.sales_tax_period,
        "DefaultSalesTax": facts.default_sales_tax,
        "DefaultPurchasesTax": facts.default_sales_tax,
        "CreatedDateUTC": created,
        "OrganisationEntityType": "COMPANY",
        "Timezone": facts.timezone,
        "ShortCode": f"!{short[:5]}",
        "Edition": "BUSINESS",
        "Class": "STANDARD",
        "LineOfBusiness": "Professional services",
        "Addresses": [
            {
                "AddressType": "POBOX",
                "AddressLine1": "PO Box 1234",
                "City": "Springfield",
                "PostalCode": "1234",
                "Country": iso_country(t.country_code),
                "AttentionTo": "Accounts",
            }
        ],
        "Phones": [{"PhoneType": "OFFICE", "PhoneNumber": "555-0100"}],
        "ExternalLinks": [{"LinkType": "Website", "Url": "https://www.example.com"}],
        "PaymentTerms": {
            "Bills": {"Day": 20, "Type": "OFFOLLOWINGMONTH"},
            "Sales": {"Day": 20, "Type": "OFFOLLOWINGMONTH"},
        },
    }


def actions(t: TenantState) -> list[dict[str, str]]:
    return [
        {
            "Name": name,
            "Status": "ALLOWED" if name != "UseMulticurrency" or t.multi_currency else "NOT-ALLOWED",
        }
        for name in ACTIONS
    ]


def currency_record(code: str) -> Record:
    return {"Code": code, "Description": CURRENCY_NAMES.get(code, code)}


def seed_currencies(t: TenantState, extra: tuple[str, ...]) -> None:
    t.currencies[t.base_currency] = currency_record(t.base_currency)
    for code in extra:
        t.currencies[code.upper()] = currency_record(code.upper())


def add_currency(t: TenantState, journal: Journal, data: Mapping[str, Any]) -> Record:
    code = str(data.get("Code") or "").strip().upper()
    if not code:
        raise ValidationFailed("A currency code must be provided.")
    if len(code) != 3 or not code.isalpha():
        raise ValidationFailed(f"'{code}' is not a valid currency code.")  # UNVERIFIED wording
    if code in t.currencies:
        return t.currencies[code]
    if not t.multi_currency:
        raise ValidationFailed("This organisation cannot use multiple currencies.")  # UNVERIFIED wording
    record = currency_record(code)
    if data.get("Description"):
        record["Description"] = str(data["Description"])
    journal.set(t.currencies, code, record)
    return record
