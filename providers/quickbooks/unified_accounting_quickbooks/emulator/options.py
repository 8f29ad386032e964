"""Every knob of the emulator, with defaults that match the real QuickBooks Online service.

Options marked UNVERIFIED model behaviour for which no authoritative description exists; they are
switchable so a client can be tested against each plausible variant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from decimal import Decimal
from typing import ClassVar, Literal

import httpx

from unified_accounting.emulation import EmulatorOptionError
from unified_accounting.emulation import EmulatorOptions as KitOptions

from .books import Profile, profile

DEFAULT_CLIENT_ID = "emulator-client-id"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"
DEFAULT_REALM_ID = "9341453050298715"
DEFAULT_WEBHOOK_VERIFIER_TOKEN = "emulator-webhook-verifier-token"

RotationPolicy = Literal["daily", "always"]
OverflowPolicy = Literal["fault", "clamp"]
WebhookFormat = Literal["legacy", "cloudevents"]


@dataclass
class EmulatorOptions(KitOptions):
    """Configuration of a :class:`QuickBooksEmulator` (pass these as keywords to ``create_emulator``).

    The options every emulator shares (``seed``, ``client_id``/``client_secret``/``redirect_uris``,
    ``limits``, ``latency_ms``, ``error_rate``/``error_statuses``/``fault_seed``,
    ``timeout_mode``/``timeout_hang_s``, ``clock``/``start_time``/``sleep``, ``request_log_limit``,
    ``control_routes``) come from :class:`unified_accounting.emulation.EmulatorOptions`; ``seed=None``
    gives empty companies (chart of accounts only).
    """

    renamed: ClassVar[Mapping[str, str]] = {"timeout_sleep_s": "timeout_hang_s"}

    # --- companies and sample data ---------------------------------------------------------
    realms: Sequence[str] | str | int | None = None
    """Company ids: one id, a list of ids, or a number of companies to generate. Default: one company."""
    customers: int = 25
    items: int = 10
    invoices: int = 60
    payments: int | None = None
    """Number of seeded payments; default: about 40 % of the invoices."""
    history_days: int = 3 * 365
    """Seeded invoices are spread over this many days before the emulator's "now"."""
    company_name: str = "Emulated Company"
    country: str = "US"
    """The company's country, which decides its tax model: ``US`` (one tax code per transaction, lines
    ``TAX``/``NON``) or ``AU``, ``GB``, ``CA`` (a tax code per line and ``GlobalTaxCalculation``). Each
    country is seeded with its tax agencies, rates and codes (see ``emulator.books``)."""
    sales_tax_codes: Mapping[str, Decimal | int | str] = field(default_factory=dict)
    """Extra tax codes by name, each with one sales rate of that percent (owed to the country's first
    tax agency), seeded after the country's own: ``{"GST on Income": "10"}`` gives an AU company the
    code other providers' AU companies have, for tests that compare providers."""
    currency: str | None = None
    """The home currency; default: the country's (USD, AUD, GBP, CAD)."""
    multi_currency: bool = False
    """``Preferences.CurrencyPrefs.MultiCurrencyEnabled``: documents and customers in other currencies."""
    exchange_rates: Mapping[str, Decimal | int | str] = field(default_factory=dict)
    """Home-currency units per one unit of each foreign currency (``{"EUR": "1.08"}``), as of the
    company's start; documents in a currency without a rate are booked at 1, as QuickBooks does."""

    # --- OAuth ------------------------------------------------------------------------------
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    consent: Literal["allow", "deny"] = "allow"
    """``deny`` answers the authorize step with ``error=access_denied`` as if the user declined."""
    company_picker: bool = False
    """With several companies: show an HTML page to pick one instead of choosing the first."""
    access_token_ttl_s: int = 3600
    refresh_token_ttl_s: int = 8726400
    refresh_token_hard_ttl_s: int = 5 * 365 * 86400
    auth_code_ttl_s: int = 300
    """UNVERIFIED lifetime of an authorization code."""
    refresh_token_rotation: RotationPolicy = "daily"
    """``daily``: the value changes only when the current one is older than 24 h (like the real service);
    ``always``: a new value on every refresh."""
    refresh_token_grace_s: int = 86400
    """How long a superseded refresh-token value keeps working (UNVERIFIED: 0 or 24 h)."""

    # --- accounting behaviour ---------------------------------------------------------------
    utc_offset: str | timedelta | timezone = "-08:00"
    """Offset written on ``MetaData`` times and response ``time`` (US Pacific standard time by default)."""
    tax_rates: Mapping[str, Decimal | int | str] = field(default_factory=dict)
    """Legacy flat tax rate in percent per line ``TaxCodeRef`` value (``{"TAX": "8.25"}``), used only
    for a US transaction that names no tax code (``TxnTaxCodeRef``). Default: none."""
    tax_rounding: Literal["line", "document"] = "line"
    """Round each line's tax (``line``) or each rate's total once (``document``); UNVERIFIED which
    QuickBooks does (see ``emulator.taxmath``)."""
    using_sales_tax: bool = True
    """``Preferences.TaxPrefs.UsingSalesTax``: off, ``TxnTaxDetail`` is ignored and no tax is charged."""
    automated_sales_tax: bool = False
    """US automated sales tax (``TaxPrefs.PartnerTaxEnabled``): the engine replaces the transaction's
    tax code with its own choice, ``ast_tax_code`` here (real rates come from outside the API)."""
    ast_tax_code: str = "2"
    class_tracking: Literal["off", "line", "transaction"] = "off"
    """Class tracking: one class per line (``ClassTrackingPerTxnLine``), one per transaction
    (``ClassTrackingPerTxn``), or off."""
    track_departments: bool = False
    """``AccountingInfoPrefs.TrackDepartments`` (QuickBooks' UI calls departments locations)."""
    department_terminology: str = "Location"
    allow_discount: bool = True
    """``SalesFormsPrefs.AllowDiscount``: discount lines on sales forms."""
    sales_custom_fields: Sequence[str] = ()
    """Names of the sales form custom fields turned on (at most 3), e.g. ``("P.O. Number",)``."""
    unit_decimals: int = 7
    """Decimals kept on ``UnitPrice`` and ``Qty`` (rounded half up beyond). Intuit documents none;
    seven is what third-party integrators report (UNVERIFIED)."""
    auto_doc_number: bool = True
    """Assign the next ``DocNumber`` to invoices created without one (custom numbering off)."""
    reject_duplicate_doc_number: bool = False
    """Answer fault 6210 for an invoice ``DocNumber`` already in use (a company preference)."""
    query_max_results_overflow: OverflowPolicy = "fault"
    """``MAXRESULTS`` above 1000: QueryValidationError 4001 (``fault``) or silently 1000 (``clamp``)."""
    query_case_insensitive: bool = True
    """String comparison in queries (``=``, ``IN``, ``LIKE``) ignores case (UNVERIFIED)."""
    query_hides_inactive: bool = True
    """Queries on Customer/Item/Account return only active rows unless ``Active`` is in the WHERE."""
    strict_properties: bool = True
    """Refuse unknown top-level properties in a write with fault 2010, as QuickBooks does."""
    rename_inactive_customers: bool = False
    """Append `` (deleted)`` to the DisplayName of a customer made inactive (UNVERIFIED)."""
    cdc_max_age_days: int = 30
    cdc_max_objects: int = 1000
    batch_max_items: int = 30

    # --- limits (``limits=False`` turns them all off) -----------------------------------------
    requests_per_minute: int = 500
    requests_per_second: int = 10
    max_concurrent: int = 10
    batch_per_minute: int = 40
    retry_after_s: int | None = None
    """Send ``Retry-After`` with this value on throttle answers (UNVERIFIED; off by default)."""

    # --- webhooks ---------------------------------------------------------------------------
    webhook_url: str | None = None
    webhook_verifier_token: str = DEFAULT_WEBHOOK_VERIFIER_TOKEN
    webhook_format: WebhookFormat = "legacy"
    webhook_delay_s: float | None = None
    """Deliver pending events automatically this many seconds after the first one (``None``: only on
    ``deliver_webhooks()``)."""
    webhook_transport: httpx.AsyncBaseTransport | None = None
    webhook_retry: bool = False
    """Keep events whose delivery failed and send them again on the next flush."""
    cloudevents_source: str = "//quickbooks.api.intuit.com"
    """UNVERIFIED value of the CloudEvents ``source`` attribute."""

    # --- misc -------------------------------------------------------------------------------
    gc_freeze: bool = True
    """After seeding 10,000+ invoices, move the seeded objects out of the cyclic GC's reach
    (``gc.freeze``) so later collections do not rescan them."""

    def validate(self) -> None:
        super().validate()
        if self.refresh_token_rotation not in ("daily", "always"):
            raise EmulatorOptionError("refresh_token_rotation must be 'daily' or 'always'")
        if self.webhook_format not in ("legacy", "cloudevents"):
            raise EmulatorOptionError("webhook_format must be 'legacy' or 'cloudevents'")
        if self.query_max_results_overflow not in ("fault", "clamp"):
            raise EmulatorOptionError("query_max_results_overflow must be 'fault' or 'clamp'")
        profile(self.country)  # an unknown country raises, naming the known ones
        if self.tax_rounding not in ("line", "document"):
            raise EmulatorOptionError("tax_rounding must be 'line' or 'document'")
        if self.class_tracking not in ("off", "line", "transaction"):
            raise EmulatorOptionError("class_tracking must be 'off', 'line' or 'transaction'")
        if len(self.sales_custom_fields) > 3:
            raise EmulatorOptionError("QuickBooks has at most 3 sales form custom fields")
        for name, percent in self.sales_tax_codes.items():
            if not name.strip() or not 0 <= Decimal(str(percent)) <= 100:
                raise EmulatorOptionError(
                    f"sales_tax_codes: {name!r} needs a name and a percent from 0 to 100"
                )
        if self.automated_sales_tax and self.country.upper() != "US":
            raise EmulatorOptionError("automated sales tax exists in US companies only")

    def realm_ids(self) -> list[str]:
        if self.realms is None:
            return [DEFAULT_REALM_ID]
        if isinstance(self.realms, str):
            return [self.realms]
        if isinstance(self.realms, int):
            if self.realms < 1:
                raise EmulatorOptionError("realms must be at least 1")
            return [str(int(DEFAULT_REALM_ID) + index * 1117) for index in range(self.realms)]
        ids = [str(realm) for realm in self.realms]
        if not ids or len(set(ids)) != len(ids):
            raise EmulatorOptionError("realms must be non-empty and unique")
        return ids

    def tax_rate_table(self) -> dict[str, Decimal]:
        return {code: Decimal(str(rate)) for code, rate in self.tax_rates.items()}

    @property
    def profile(self) -> Profile:
        return profile(self.country)

    @property
    def home_currency(self) -> str:
        return (self.currency or self.profile.currency).upper()
