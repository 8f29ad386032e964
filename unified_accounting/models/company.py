"""The company a connection reaches: who it is, its home currency, its tax setup."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import Address, Currency, RecordMeta
from .tax import TaxMode


class TaxSystem(StrEnum):
    """How the company's tax works, which decides what a document may say about tax."""

    #: US sales tax: one rate per document, lines only taxable or not (QuickBooks US companies).
    SALES_TAX = "sales_tax"
    #: VAT, GST and the like: a rate per line, tax-inclusive prices possible.
    VAT = "vat"
    #: The company charges no tax.
    NONE = "none"


class CompanyInfo(RecordMeta):
    """The connected company (QuickBooks ``CompanyInfo`` and ``Preferences``, Xero ``Organisation``).

    A connection reaches exactly one company, so it is read with ``conn.company_info.get()``."""

    name: str
    legal_name: str | None = None
    #: ISO 3166 alpha-2 code of the company's country ("US", "GB", "AU").
    country: str | None = None
    #: The home currency: what the books are kept in and exchange rates convert into.
    base_currency: Currency
    multi_currency_enabled: bool = False
    #: 1 for January; the month the company's financial year starts.
    fiscal_year_start_month: int | None = Field(default=None, ge=1, le=12)
    tax_number: str | None = None
    tax_system: TaxSystem | None = None
    #: What a document gets when it names no tax mode.
    default_tax_mode: TaxMode | None = None
    timezone: str | None = None
    address: Address | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
