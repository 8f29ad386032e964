"""What an emulated organisation starts with, by the country it is in.

Xero sets an organisation up by its ``Version`` (``AU``, ``NZ``, ``UK``, ``US`` or ``GLOBAL``): its system tax
rates, the tax types of its default chart of accounts, its financial year and time zone.  The tax tables are
the default rates Xero documents for each region (developer.xero.com, Tax Rates, "Tax Rate Constraints", and
Types, "Tax Types"), with the account classes each rate may be used with (the ``CanApplyTo*`` flags).  Names
and flags are Xero's facts; the selection per region is a subset (the rates a sales ledger meets).

Rates flagged *system* cannot be updated through the API.  The NZ table is a new organisation's: legacy
12.5 % ``OUTPUT``/``INPUT`` rates that old organisations still carry are left out (``tax_rates`` adds them).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

#: Account classes in the order of the ``CanApplyTo*`` flags below.
ACCOUNT_CLASSES = ("ASSET", "EQUITY", "EXPENSE", "LIABILITY", "REVENUE")
#: ``CanApplyTo*`` field per account class.
APPLY_FIELDS = {
    "ASSET": "CanApplyToAssets",
    "EQUITY": "CanApplyToEquity",
    "EXPENSE": "CanApplyToExpenses",
    "LIABILITY": "CanApplyToLiabilities",
    "REVENUE": "CanApplyToRevenue",
}

ALL = "11111"
SALES = "11011"  # not on expense accounts
PURCHASES = "11110"  # not on revenue accounts
LIABILITIES_ONLY = "00010"
ZERO_RATED_NZ = "00011"


@dataclass(frozen=True)
class SystemRate:
    """One default tax rate of a region."""

    tax_type: str
    name: str
    rate: Decimal
    report_tax_type: str
    #: ``CanApplyTo*`` flags as five digits in :data:`ACCOUNT_CLASSES` order.
    applies: str = ALL
    #: System-defined: the API cannot update it.
    system: bool = False
    component: str = "GST"


def _rates(*rows: SystemRate) -> tuple[SystemRate, ...]:
    return rows


TAX_TABLES: dict[str, tuple[SystemRate, ...]] = {
    "AU": _rates(
        SystemRate("OUTPUT", "GST on Income", Decimal(10), "OUTPUT", SALES),
        SystemRate("INPUT", "GST on Expenses", Decimal(10), "INPUT", PURCHASES),
        SystemRate("CAPEXINPUT", "GST on Capital", Decimal(10), "INPUT", PURCHASES),
        SystemRate("EXEMPTOUTPUT", "GST Free Income", Decimal(0), "EXEMPTOUTPUT", SALES),
        SystemRate("EXEMPTEXPORT", "GST Free Exports", Decimal(0), "EXEMPTOUTPUT", SALES),
        SystemRate("EXEMPTEXPENSES", "GST Free Expenses", Decimal(0), "EXEMPTEXPENSES", PURCHASES, True),
        SystemRate("EXEMPTCAPITAL", "GST Free Capital", Decimal(0), "EXEMPTEXPENSES", PURCHASES),
        SystemRate("INPUTTAXED", "Input Taxed", Decimal(0), "INPUTTAXED", ALL),
        SystemRate("BASEXCLUDED", "BAS Excluded", Decimal(0), "BASEXCLUDED", ALL),
        SystemRate("GSTONIMPORTS", "GST on Imports", Decimal(0), "GSTONIMPORTS", LIABILITIES_ONLY, True),
        SystemRate("GSTONCAPIMPORTS", "GST on Capital Imports", Decimal(0), "GSTONIMPORTS", LIABILITIES_ONLY),
    ),
    "NZ": _rates(
        SystemRate("OUTPUT2", "GST on Income", Decimal(15), "OUTPUT", SALES),
        SystemRate("INPUT2", "GST on Expenses", Decimal(15), "INPUT", PURCHASES),
        SystemRate("ZERORATED", "Zero Rated", Decimal(0), "EXEMPTOUTPUT", ZERO_RATED_NZ),
        SystemRate("NONE", "No GST", Decimal(0), "NONE", ALL, True),
        SystemRate("GSTONIMPORTS", "GST on Imports", Decimal(0), "GSTONIMPORTS", "11010", True),
    ),
    "UK": _rates(
        SystemRate("OUTPUT2", "20% (VAT on Income)", Decimal(20), "OUTPUT", SALES, component="VAT"),
        SystemRate("INPUT2", "20% (VAT on Expenses)", Decimal(20), "INPUT", PURCHASES, component="VAT"),
        SystemRate("RROUTPUT", "5% (VAT on Income)", Decimal(5), "OUTPUT", SALES, component="VAT"),
        SystemRate("RRINPUT", "5% (VAT on Expenses)", Decimal(5), "INPUT", PURCHASES, component="VAT"),
        SystemRate("ZERORATEDOUTPUT", "Zero Rated Income", Decimal(0), "OUTPUT", SALES, component="VAT"),
        SystemRate("ZERORATEDINPUT", "Zero Rated Expenses", Decimal(0), "INPUT", PURCHASES, component="VAT"),
        SystemRate("EXEMPTOUTPUT", "Exempt Income", Decimal(0), "EXEMPTOUTPUT", SALES, component="VAT"),
        SystemRate("EXEMPTINPUT", "Exempt Expenses", Decimal(0), "EXEMPTINPUT", PURCHASES, component="VAT"),
        SystemRate("NONE", "No VAT", Decimal(0), "NONE", ALL, True, component="VAT"),
    ),
    "US": _rates(
        SystemRate("OUTPUT", "Tax on Sales", Decimal(0), "OUTPUT", ALL, component="Sales Tax"),
        SystemRate("INPUT", "Tax on Purchases", Decimal(0), "INPUT", ALL, component="Sales Tax"),
        SystemRate("NONE", "Tax Exempt", Decimal(0), "NONE", ALL, True, component="Sales Tax"),
        SystemRate(
            "GSTONIMPORTS", "Sales Tax on Imports", Decimal(0), "GSTONIMPORTS", LIABILITIES_ONLY, True
        ),
    ),
    "GLOBAL": _rates(
        SystemRate("OUTPUT", "Tax on Sales", Decimal(0), "OUTPUT", ALL, component="Tax"),
        SystemRate("INPUT", "Tax on Purchases", Decimal(0), "INPUT", ALL, component="Tax"),
        SystemRate("NONE", "Tax Exempt", Decimal(0), "NONE", ALL, True, component="Tax"),
        SystemRate(
            "GSTONIMPORTS", "Sales Tax on Imports", Decimal(0), "GSTONIMPORTS", LIABILITIES_ONLY, True
        ),
    ),
}

#: ReportTaxType values the API lets a created rate name, per region (Types, "ReportTaxTypes").
SETTABLE_REPORT_TYPES: dict[str, frozenset[str]] = {
    "AU": frozenset({"OUTPUT", "INPUT", "EXEMPTOUTPUT", "INPUTTAXED", "BASEXCLUDED", "EXEMPTEXPENSES"}),
    "NZ": frozenset({"OUTPUT", "INPUT", "EXEMPTOUTPUT", "EXEMPTINPUT"}),
    "UK": frozenset(
        {
            "OUTPUT",
            "INPUT",
            "EXEMPTOUTPUT",
            "EXEMPTINPUT",
            "ECOUTPUT",
            "ECOUTPUTSERVICES",
            "ECINPUT",
            "ECACQUISITIONS",
            "CAPITALSALESOUTPUT",
            "CAPITALEXPENSESINPUT",
            "MOSSSALES",
        }
    ),
}
#: Where creating a rate needs a ReportTaxType.
REPORT_TYPE_REQUIRED = frozenset({"AU", "NZ", "UK"})

#: Tax types of the default chart per region: (sales, purchases, untaxed, balance sheet).
CHART_TAX_TYPES: dict[str, tuple[str, str, str, str]] = {
    "AU": ("OUTPUT", "INPUT", "BASEXCLUDED", "BASEXCLUDED"),
    "NZ": ("OUTPUT2", "INPUT2", "NONE", "NONE"),
    "UK": ("OUTPUT2", "INPUT2", "NONE", "NONE"),
    "US": ("OUTPUT", "INPUT", "NONE", "NONE"),
    "GLOBAL": ("OUTPUT", "INPUT", "NONE", "NONE"),
}


@dataclass(frozen=True)
class RegionFacts:
    timezone: str
    #: (FinancialYearEndDay, FinancialYearEndMonth)
    year_end: tuple[int, int]
    sales_tax_basis: str
    sales_tax_period: str
    default_sales_tax: str


REGION_FACTS: dict[str, RegionFacts] = {
    "AU": RegionFacts("AUSEASTERNSTANDARDTIME", (30, 6), "ACCRUALS", "QUARTERLY1", "Tax Exclusive"),
    "NZ": RegionFacts("NEWZEALANDSTANDARDTIME", (31, 3), "INVOICE", "TWOMONTHS", "Tax Exclusive"),
    "UK": RegionFacts("GMTSTANDARDTIME", (31, 3), "ACCRUAL", "QUARTERLY", "Tax Exclusive"),
    "US": RegionFacts("EASTERNSTANDARDTIME", (31, 12), "ACCRUALS", "3MONTHLY", "Tax Exclusive"),
    "GLOBAL": RegionFacts("UTC", (31, 12), "ACCRUALS", "3MONTHLY", "Tax Exclusive"),
}

#: A country's own currency, for organisations given a country and no base currency.
COUNTRY_CURRENCIES = {
    "AU": "AUD",
    "NZ": "NZD",
    "GB": "GBP",
    "UK": "GBP",
    "US": "USD",
    "CA": "CAD",
    "IE": "EUR",
    "SG": "SGD",
    "ZA": "ZAR",
    "JP": "JPY",
}

#: Value of one unit of each currency in US dollars: the emulator's own round figures, from which it
#: derives the rate of the day for foreign documents that name none (Xero would look it up at XE.com).
USD_VALUE: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.25"),
    "AUD": Decimal("0.65"),
    "NZD": Decimal("0.60"),
    "CAD": Decimal("0.74"),
    "SGD": Decimal("0.74"),
    "ZAR": Decimal("0.055"),
    "JPY": Decimal("0.0066"),
    "CHF": Decimal("1.12"),
}

CURRENCY_NAMES = {
    "AUD": "Australian Dollar",
    "CAD": "Canadian Dollar",
    "CHF": "Swiss Franc",
    "EUR": "Euro",
    "GBP": "British Pound",
    "JPY": "Japanese Yen",
    "NZD": "New Zealand Dollar",
    "SGD": "Singapore Dollar",
    "USD": "United States Dollar",
    "ZAR": "South African Rand",
}


def version_of(country: str) -> str:
    """Xero's ``Version`` for an organisation in ``country`` (ISO 3166 alpha-2; ``UK`` also taken)."""
    code = country.upper()
    if code in ("GB", "UK"):
        return "UK"
    return code if code in ("AU", "NZ", "US") else "GLOBAL"


def iso_country(country: str) -> str:
    return "GB" if country.upper() == "UK" else country.upper()
