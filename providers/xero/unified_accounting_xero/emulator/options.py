"""Configuration of the Xero emulator.

Every knob of the emulator lives in :class:`EmulatorOptions`; ``create_emulator(**options)`` accepts the same
names as keyword arguments.  Defaults follow the documented behaviour of the real Xero API (token lifetimes,
rate limits, page sizes).  Options marked *unverified* model behaviour that no primary Xero source confirms;
they exist so tests can pin the behaviour they rely on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Literal

import httpx

from unified_accounting.emulation import EmulatorOptionError
from unified_accounting.emulation import EmulatorOptions as KitOptions

DEFAULT_CLIENT_ID = "EMULATORCLIENTID00000000000000000"
DEFAULT_CLIENT_SECRET = "emulator-client-secret-not-for-production-use-000000"
DEFAULT_REDIRECT_URIS: tuple[str, ...] = (
    "http://localhost:8000/callback",
    "http://127.0.0.1:8000/callback",
    "http://localhost/callback",
)
DEFAULT_WEBHOOK_KEY = "emulator-webhook-key-0000000000000000000000000000000000000000000000000000000000000000"

#: Scopes the authorize endpoint accepts.  Includes the granular scopes Xero introduced for new apps in 2026.
DEFAULT_ALLOWED_SCOPES: tuple[str, ...] = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.payments",
    "accounting.payments.read",
    "accounting.banktransactions",
    "accounting.banktransactions.read",
    "accounting.manualjournals",
    "accounting.manualjournals.read",
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.settings",
    "accounting.settings.read",
    "accounting.reports.read",
    "accounting.journals.read",
    "accounting.attachments",
    "accounting.attachments.read",
)

DEFAULT_SCOPE = (
    "openid profile email offline_access accounting.transactions accounting.contacts accounting.settings "
    "accounting.reports.read accounting.attachments"
)

RateLimitProblem = Literal["minute", "day", "appminute", "concurrent"]


@dataclass(frozen=True)
class TenantSpec:
    """One organisation served by the emulator (``None`` fields take the options' value)."""

    name: str
    tenant_id: str | None = None
    #: The home currency (``None``: the country's own, else ``USD``).
    base_currency: str | None = None
    #: ISO 3166 alpha-2 (``None``: ``EmulatorOptions.country``): decides Xero's ``Version`` (AU, NZ, UK,
    #: US, else GLOBAL), hence the tax rates, chart tax types, financial year and time zone.
    country_code: str | None = None
    #: Daily call budget for this tenant (``None``: use ``EmulatorOptions.day_limit``).
    day_limit: int | None = None
    #: The plan allows foreign currencies (``None``: ``EmulatorOptions.multi_currency``).
    multi_currency: bool | None = None
    #: Currencies added besides the base currency (``None``: ``EmulatorOptions.currencies``).
    currencies: tuple[str, ...] | None = None

    @classmethod
    def australia(cls, name: str = "Demo Company (AU)", **fields: Any) -> TenantSpec:
        """An Australian organisation: AUD, GST 10 % ("GST on Income" ``OUTPUT``, "GST on Expenses"
        ``INPUT``), financial year from July."""
        return cls(name=name, country_code="AU", base_currency="AUD", **fields)


@dataclass
class EmulatorOptions(KitOptions):
    """All emulator options.  See the module docstring of each component for the behaviour behind them.

    The options every emulator shares (``seed``, ``client_id``/``client_secret``/``redirect_uris``,
    ``limits``, ``latency_ms``, ``error_rate``/``error_statuses``/``fault_seed``,
    ``timeout_mode``/``timeout_hang_s``, ``clock``/``start_time``/``sleep``, ``request_log_limit``,
    ``control_routes``) come from :class:`unified_accounting.emulation.EmulatorOptions`.  Here ``seed``
    also seeds the ids the emulator mints (``None``: empty organisations, chart of accounts only, and
    random ids); a timeout fault holds the request ``timeout_hang_s`` then raises ``httpx.ReadTimeout``
    inside the app (seen as a timeout by an ``httpx.ASGITransport`` client).
    """

    renamed: ClassVar[Mapping[str, str]] = {"rate_limits": "limits"}

    # --- data -----------------------------------------------------------------------------------------
    #: Record counts when seeding (per tenant).
    contacts: int = 25
    items: int = 10
    invoices: int = 100
    payments: int = 40
    #: Organisations: a count, a list of names, or a list of :class:`TenantSpec` / dicts with its fields.
    tenants: int | Sequence[str | TenantSpec | Mapping[str, Any]] = 1

    # --- identity -------------------------------------------------------------------------------------
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    redirect_uris: Sequence[str] = DEFAULT_REDIRECT_URIS
    allowed_scopes: Sequence[str] = DEFAULT_ALLOWED_SCOPES
    #: Grant every configured organisation without showing the tenant picker page.
    auto_grant_all_tenants: bool = False
    #: Answer every authorize request with ``error=access_denied`` (the user pressed "Cancel").
    deny_consent: bool = False
    authorization_code_lifetime_s: int = 300
    access_token_lifetime_s: int = 1800
    #: A refresh token that is not used for this long expires.
    refresh_token_idle_lifetime_s: int = 60 * 24 * 3600
    #: After a refresh, the previous refresh token stays usable this long (0 disables the grace period).
    refresh_grace_s: int = 1800
    #: What a retry with the previous refresh token returns inside the grace period (unverified):
    #: ``"same_pair"`` returns the pair the first refresh produced; ``"new_pair"`` mints a new pair and
    #: retires the pair the first refresh produced.
    refresh_grace_mode: Literal["same_pair", "new_pair"] = "same_pair"
    #: Whether revoking a refresh token also invalidates access tokens of that user (unverified).
    revoke_invalidates_access_tokens: bool = True
    #: Enforce OAuth scopes per endpoint (401 ``AuthorizationUnsuccessful`` when missing).
    enforce_scopes: bool = True
    user_email: str = "emulated.user@example.com"

    # --- API behaviour --------------------------------------------------------------------------------
    #: Without ``Accept: application/json`` answer 406 (the emulator never produces XML).
    require_json_accept: bool = True
    default_page_size: int = 100
    max_page_size: int = 1000
    #: Real Xero omits line items from invoice lists that are not paged.
    line_items_in_unpaged_lists: bool = False
    #: 404 body (unverified): ``"problem"`` = JSON problem document, ``"text"`` = plain text.
    not_found_body: Literal["problem", "text"] = "problem"
    #: String comparisons in ``where`` ignore case (unverified).
    where_case_insensitive: bool = True
    #: Country of the organisations given by a count or by name (see :class:`TenantSpec`).
    country: str = "NZ"
    #: Organisations given by a count or by name may use foreign currencies (Xero gates this by plan).
    multi_currency: bool = False
    #: Currencies those organisations have added besides their base currency.
    currencies: Sequence[str] = ()
    #: Changes to the region's tax rates, TaxType → percent: a listed TaxType gets that rate, another
    #: is added (``None``: the region's rates as Xero sets them up; see :mod:`.regions`).
    tax_rates: Mapping[str, Decimal | int | str] | None = None
    #: TaxType of a line naming none whose account and item name none either, per invoice type
    #: (``None``: the region's sales and purchases rates).
    default_tax_type: Mapping[str, str] | None = None
    #: (active, total) tracking categories an organisation may have: Xero allows 2 active and 4 in all.
    tracking_category_limits: tuple[int, int] = (2, 4)
    #: An AUTHORISED invoice with a zero total becomes PAID at once (as Xero does).
    zero_total_becomes_paid: bool = True
    max_body_bytes: int = 3_500_000
    #: The largest attachment (Xero's attachments page says 10 MB; other pages say 25 MB).
    attachment_max_bytes: int = 10 * 1024 * 1024
    #: Invoices an organisation may email a day (Xero: 1,000 for paying organisations, 20 on trial).
    email_daily_limit: int = 1000
    provider_name: str = "Xero Emulator"
    #: How long ``Idempotency-Key`` responses are kept (unverified; ``None`` keeps them forever).
    idempotency_retention_s: int | None = 24 * 3600

    # --- limits (``limits=False`` turns them all off) ------------------------------------------------
    concurrent_limit: int = 5
    minute_limit: int = 60
    day_limit: int = 5000
    app_minute_limit: int = 10_000
    #: Value of ``X-Rate-Limit-Problem`` per kind (the app-wide and concurrent names are unverified).
    rate_limit_problem_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "minute": "minute",
            "day": "day",
            "appminute": "appminute",
            "concurrent": "concurrent",
        }
    )
    concurrent_retry_after_s: int = 1

    # --- faults -------------------------------------------------------------------------------------
    #: Statuses an Accounting API call fails with at random (``error_rate``).
    error_statuses: Sequence[int] = (500, 503)

    # --- webhooks -------------------------------------------------------------------------------------
    webhook_url: str | None = None
    webhook_key: str = DEFAULT_WEBHOOK_KEY
    webhook_transport: httpx.AsyncBaseTransport | None = None
    #: Deliver queued events automatically this many seconds after a write (``None``: only on demand).
    webhook_delay_s: float | None = None
    webhook_batch_size: int = 100
    webhook_resource_base: str = "https://api.xero.com/api.xro/2.0"
    webhook_timeout_s: float = 5.0

    def tenant_specs(self) -> list[TenantSpec]:
        raw = self.tenants
        if isinstance(raw, int):
            if raw < 1:
                raise EmulatorOptionError("tenants must be at least 1")
            names = ["Demo Company (Global)"] + [f"Demo Company {i + 1}" for i in range(1, raw)]
            return [TenantSpec(name=n) for n in names]
        specs: list[TenantSpec] = []
        for entry in raw:
            if isinstance(entry, TenantSpec):
                specs.append(entry)
            elif isinstance(entry, str):
                specs.append(TenantSpec(name=entry))
            else:
                specs.append(TenantSpec(**dict(entry)))
        if not specs:
            raise EmulatorOptionError("at least one tenant is required")
        return specs
