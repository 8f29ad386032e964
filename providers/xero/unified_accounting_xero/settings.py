"""Settings of the Xero provider: the core's settings plus Xero's tax mode, default accounts and limits.

Every field can also come from ``UA_XERO_<FIELD>`` environment variables (``UA_XERO_TIER=starter``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from unified_accounting.settings import ProviderSettings, settings_as

from .limits import DEFAULT_DAILY_CALLS, STARTER_DAILY_CALLS

LineAmountTypes = Literal["Exclusive", "Inclusive", "NoTax"]
CreatedInvoiceStatus = Literal["DRAFT", "SUBMITTED", "AUTHORISED"]
Tier = Literal["starter", "core", "plus", "advanced", "enterprise"]


class XeroSettings(ProviderSettings):
    #: How invoice line amounts are read when an invoice's ``pass_through`` does not say: tax
    #: exclusive, tax inclusive, or no tax. See docs/providers/xero.md for what unified amounts mean.
    line_amount_types: LineAmountTypes = "Exclusive"
    #: Xero status of an invoice created without a unified ``status``. AUTHORISED (unified "open")
    #: so that it can be paid at once, as on other providers; DRAFT keeps it editable instead.
    default_invoice_status: CreatedInvoiceStatus = "AUTHORISED"
    #: Account code put on invoice lines that name neither an account nor an item. Xero refuses to
    #: approve lines without one; 200 is "Sales" in Xero's default chart of accounts.
    default_sales_account_code: str | None = "200"
    #: Bank account code a payment is paid into when ``Payment.account_id`` is missing; 090 is the
    #: business bank account of Xero's demo company (and of the emulator).
    default_payment_account_code: str | None = "090"
    #: Ask for the granular scopes Xero requires of apps created from March 2026
    #: (``accounting.invoices``, ``accounting.payments``) instead of ``accounting.transactions``.
    granular_scopes: bool = False
    #: Xero pricing tier of the app; Starter lowers the daily budget to 1,000 calls per organisation.
    tier: Tier | None = None
    #: Calls allowed per organisation per day (overrides the tier's budget).
    daily_call_budget: int | None = Field(default=None, ge=1)
    #: Overrides of Xero's other limits (``limits.RATE_LIMITS``: 5 at once and 60 a minute per
    #: organisation, 10,000 a minute per app); None keeps Xero's.
    concurrent_call_limit: int | None = Field(default=None, ge=1)
    minute_call_limit: int | None = Field(default=None, ge=1)
    app_minute_call_limit: int | None = Field(default=None, ge=1)
    #: Records per page for lists (Xero allows up to 1,000).
    page_size: int = Field(default=100, ge=1, le=1000)
    #: Elements per request of a bulk write (Xero recommends about 50).
    bulk_batch_size: int = Field(default=50, ge=1, le=1000)

    @property
    def effective_daily_budget(self) -> int:
        if self.daily_call_budget is not None:
            return self.daily_call_budget
        return STARTER_DAILY_CALLS if self.tier == "starter" else DEFAULT_DAILY_CALLS


def xero_settings(settings: ProviderSettings) -> XeroSettings:
    """The session's settings as :class:`XeroSettings` (plain core settings get Xero's defaults)."""
    return settings_as(XeroSettings, settings)
