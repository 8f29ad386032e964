"""How an emulated company is set up: its country's tax model and codes, its preferences, its terms.

QuickBooks Online has two tax models (Intuit API reference: Invoice, TaxCode, TaxRate):

* **US companies** charge one tax code per transaction (``TxnTaxDetail.TxnTaxCodeRef``); lines only
  say taxable or not with the pseudo codes ``TAX`` and ``NON``. The US profile seeds the codes of
  Intuit's reference examples: ``2`` California (rate ``3``, 8 %) and ``3`` Tucson (rates ``1`` AZ
  State tax 7.1 % and ``2`` Tucson City 2 %), besides ``TAX`` and ``NON`` (which have no SyncToken).
* **Every other country** (the AU, GB and CA profiles here) puts a real tax code on each line, and
  ``GlobalTaxCalculation`` says whether amounts exclude or include tax. Each code lists its sales
  and purchase rates. The codes are our own data in the shape QuickBooks returns; the AU ``GST``
  code charges 10 % like Xero's "GST on Income".

Preferences follow the shape of Intuit's ``Preferences`` entity; the emulator's options decide the
ones that change behaviour (class and department tracking, multi-currency, sales tax, discounts,
the sales form custom fields such as "P.O. Number").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from unified_accounting.emulation import EmulatorOptionError

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class RateSeed:
    id: str
    name: str
    percent: Decimal
    agency: str


@dataclass(frozen=True)
class CodeSeed:
    id: str
    name: str
    sales: tuple[str, ...] = ()
    purchases: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Profile:
    """A country's company: currency, tax model, tax agencies, rates and codes, an address."""

    country: str
    currency: str
    #: True outside the US: a tax code per line and ``GlobalTaxCalculation``.
    global_tax: bool
    agencies: tuple[tuple[str, str], ...]
    rates: tuple[RateSeed, ...]
    codes: tuple[CodeSeed, ...]
    address: dict[str, str]
    #: What QuickBooks' own error says tax is called there ("Make sure ... have a GST rate").
    tax_word: str = "tax"
    fiscal_year_start: str = "January"


def _pct(text: str) -> Decimal:
    return Decimal(text)


US = Profile(
    country="US",
    currency="USD",
    global_tax=False,
    agencies=(("1", "Arizona Dept. of Revenue"), ("2", "California Tax Board")),
    rates=(
        RateSeed("1", "AZ State tax", _pct("7.1"), "1"),
        RateSeed("2", "Tucson City", _pct("2"), "1"),
        RateSeed("3", "California", _pct("8"), "2"),
    ),
    codes=(
        CodeSeed("2", "California", sales=("3",)),
        CodeSeed("3", "Tucson", sales=("1", "2")),
    ),
    address={
        "Line1": "2600 Marine Way",
        "City": "Mountain View",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94043",
        "Country": "US",
    },
    tax_word="sales tax",
)
AU = Profile(
    country="AU",
    currency="AUD",
    global_tax=True,
    agencies=(("1", "Australian Taxation Office"),),
    rates=(
        RateSeed("1", "GST (sales)", _pct("10"), "1"),
        RateSeed("2", "GST (purchases)", _pct("10"), "1"),
        RateSeed("3", "GST free (sales)", _pct("0"), "1"),
        RateSeed("4", "GST free (purchases)", _pct("0"), "1"),
        RateSeed("5", "Out of scope (sales)", _pct("0"), "1"),
        RateSeed("6", "Out of scope (purchases)", _pct("0"), "1"),
    ),
    codes=(
        CodeSeed("2", "GST", sales=("1",), purchases=("2",), description="GST on sales and purchases"),
        CodeSeed("3", "GST free", sales=("3",), purchases=("4",)),
        CodeSeed("4", "Out of scope", sales=("5",), purchases=("6",)),
    ),
    address={
        "Line1": "12 Harbour Street",
        "City": "Sydney",
        "CountrySubDivisionCode": "NSW",
        "PostalCode": "2000",
        "Country": "AU",
    },
    tax_word="GST",
    fiscal_year_start="July",
)
GB = Profile(
    country="GB",
    currency="GBP",
    global_tax=True,
    agencies=(("1", "HM Revenue & Customs"),),
    rates=(
        RateSeed("1", "20.0% S (sales)", _pct("20"), "1"),
        RateSeed("2", "20.0% S (purchases)", _pct("20"), "1"),
        RateSeed("3", "5.0% R (sales)", _pct("5"), "1"),
        RateSeed("4", "5.0% R (purchases)", _pct("5"), "1"),
        RateSeed("5", "0.0% Z (sales)", _pct("0"), "1"),
        RateSeed("6", "0.0% Z (purchases)", _pct("0"), "1"),
        RateSeed("7", "Exempt (sales)", _pct("0"), "1"),
        RateSeed("8", "Exempt (purchases)", _pct("0"), "1"),
    ),
    codes=(
        CodeSeed("2", "20.0% S", sales=("1",), purchases=("2",), description="Standard rate"),
        CodeSeed("3", "5.0% R", sales=("3",), purchases=("4",), description="Reduced rate"),
        CodeSeed("4", "0.0% Z", sales=("5",), purchases=("6",), description="Zero rate"),
        CodeSeed("5", "Exempt", sales=("7",), purchases=("8",)),
    ),
    address={
        "Line1": "4 Canal Wharf",
        "City": "Leeds",
        "PostalCode": "LS11 5PS",
        "Country": "GB",
    },
    tax_word="VAT",
    fiscal_year_start="April",
)
CA = Profile(
    country="CA",
    currency="CAD",
    global_tax=True,
    agencies=(("1", "Canada Revenue Agency"), ("2", "Revenu Québec")),
    rates=(
        RateSeed("1", "GST (sales)", _pct("5"), "1"),
        RateSeed("2", "GST (purchases)", _pct("5"), "1"),
        RateSeed("3", "HST ON (sales)", _pct("13"), "1"),
        RateSeed("4", "HST ON (purchases)", _pct("13"), "1"),
        RateSeed("5", "QST (sales)", _pct("9.975"), "2"),
        RateSeed("6", "QST (purchases)", _pct("9.975"), "2"),
        RateSeed("7", "Zero-rated (sales)", _pct("0"), "1"),
    ),
    codes=(
        CodeSeed("2", "GST", sales=("1",), purchases=("2",)),
        CodeSeed("3", "HST ON", sales=("3",), purchases=("4",)),
        CodeSeed("4", "GST/QST QC - 9.975", sales=("1", "5"), purchases=("2", "6")),
        CodeSeed("5", "QST QC - 9.975", sales=("5",), purchases=("6",)),
        CodeSeed("6", "Zero-rated", sales=("7",)),
    ),
    address={
        "Line1": "88 Rue Sainte-Catherine",
        "City": "Montréal",
        "CountrySubDivisionCode": "QC",
        "PostalCode": "H2X 1K4",
        "Country": "CA",
    },
    tax_word="sales tax",
)
PROFILES: dict[str, Profile] = {profile.country: profile for profile in (US, AU, GB, CA)}

#: Intuit's sample terms (API reference, Term): ids 1-5.
DEFAULT_TERMS: tuple[tuple[str, int], ...] = (
    ("Due on receipt", 0),
    ("Net 15", 15),
    ("Net 30", 30),
    ("Net 60", 60),
    ("Net 10", 10),
)


def profile(country: str) -> Profile:
    found = PROFILES.get(country.upper())
    if found is None:
        raise EmulatorOptionError(
            f"country {country!r} is not emulated (choose one of {', '.join(sorted(PROFILES))})"
        )
    return found


def preferences(
    *,
    home_currency: str,
    multi_currency: bool,
    class_tracking: str,
    track_departments: bool,
    department_terminology: str,
    allow_discount: bool,
    using_sales_tax: bool,
    partner_tax: bool,
    custom_fields: Sequence[str],
    fiscal_year_start: str,
    discount_account: dict[str, str] | None,
) -> dict[str, Any]:
    """A ``Preferences`` object in the shape QuickBooks returns it (Intuit's XSD names)."""
    fields: list[dict[str, Any]] = []
    for number, name in enumerate(custom_fields, start=1):
        fields.append(
            {
                "CustomField": [
                    {
                        "Name": f"SalesFormsPrefs.UseSalesCustom{number}",
                        "Type": "BooleanType",
                        "BooleanValue": True,
                    },
                    {
                        "Name": f"SalesFormsPrefs.SalesCustomName{number}",
                        "Type": "StringType",
                        "StringValue": name,
                    },
                ]
            }
        )
    sales_forms: dict[str, Any] = {
        "CustomField": fields,
        "CustomTxnNumbers": False,
        "AllowDeposit": False,
        "AllowDiscount": allow_discount,
        "AllowEstimates": True,
        "AllowServiceDate": False,
        "AllowShipping": False,
        "DefaultTerms": {"value": "3"},
        "AutoApplyCredit": True,
    }
    if discount_account is not None:
        sales_forms["DefaultDiscountAccount"] = dict(discount_account)
    tax: dict[str, Any] = {"UsingSalesTax": using_sales_tax}
    if partner_tax:
        tax["PartnerTaxEnabled"] = True
    return {
        "AccountingInfoPrefs": {
            "UseAccountNumbers": False,
            "TrackDepartments": track_departments,
            "DepartmentTerminology": department_terminology,
            "ClassTrackingPerTxn": class_tracking == "transaction",
            "ClassTrackingPerTxnLine": class_tracking == "line",
            "FirstMonthOfFiscalYear": fiscal_year_start,
            "TaxYearMonth": fiscal_year_start,
            "CustomerTerminology": "Customers",
        },
        "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True, "QuantityWithPriceAndRate": True},
        "SalesFormsPrefs": sales_forms,
        "VendorAndPurchasesPrefs": {"TrackingByCustomer": False, "BillableExpenseTracking": False},
        "TaxPrefs": tax,
        "CurrencyPrefs": {"MultiCurrencyEnabled": multi_currency, "HomeCurrency": {"value": home_currency}},
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {"NameValue": []},
    }


def custom_field_definitions(prefs: dict[str, Any]) -> dict[str, str]:
    """DefinitionId → name of the sales form custom fields the preferences turn on."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for group in (prefs.get("SalesFormsPrefs") or {}).get("CustomField") or ():
        for field in (group or {}).get("CustomField") or ():
            name = str(field.get("Name") or "")
            number = name[-1:] if name[-1:].isdigit() else None
            if number is None:
                continue
            if name.startswith("SalesFormsPrefs.UseSalesCustom") and field.get("BooleanValue"):
                used.add(number)
            elif name.startswith("SalesFormsPrefs.SalesCustomName") and field.get("StringValue"):
                names[number] = str(field["StringValue"])
    return {number: label for number, label in names.items() if number in used}


__all__ = [
    "DEFAULT_TERMS",
    "MONTHS",
    "PROFILES",
    "CodeSeed",
    "Profile",
    "RateSeed",
    "custom_field_definitions",
    "preferences",
    "profile",
]
