"""The conformance harness for the Xero emulator, for this package's tests and for product tests.

``throttle`` queues injected 429s with ``Retry-After: 0``, as the suite requires (a 429 injected
without it asks for 60 seconds, like Xero).

``XeroHarness.australia()`` runs an Australian organisation (AUD, GST 10 %: "GST on Income"
``OUTPUT``), the one to compare tax with a non-US QuickBooks company; any emulator option may be given
to ``XeroHarness(...)``. The conformance kit makes several tracking categories in one organisation
(three to page through), more than the two active ones Xero allows: unless told otherwise the
harness's emulator allows more (the provider's own tests hold Xero's limit).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from unified_accounting.models import Invoice, InvoiceStatus, RecordMeta, TrackingCategory, TrackingOption
from unified_accounting.plugins import get_provider
from unified_accounting.testing import EmulatorGrant, ProviderHarness
from unified_accounting.testing.harness import SampleRecords
from unified_accounting.types import ASGIApp

from .emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TenantSpec, XeroEmulator, create_emulator
from .provider import XeroProvider

#: Tracking categories (active, in all) the harness's organisations allow: enough for the kit.
KIT_TRACKING_LIMITS = (10, 20)


def emulator_of(app: Any) -> XeroEmulator:
    emulator: XeroEmulator = app.state.emulator
    return emulator


class XeroHarness(ProviderHarness):
    provider = "xero"
    settings: ClassVar[dict[str, Any]] = {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    base_url: ClassVar[str] = "http://xero.test"

    def __init__(self, **emulator_options: Any) -> None:
        self.emulator_options = {"tracking_category_limits": KIT_TRACKING_LIMITS, **emulator_options}

    @classmethod
    def australia(cls, **emulator_options: Any) -> XeroHarness:
        """An Australian organisation: AUD, "GST on Income" ``OUTPUT`` and "GST on Expenses" ``INPUT``
        at 10 %."""
        return cls(tenants=[TenantSpec.australia()], **emulator_options)

    @classmethod
    def multi_currency(
        cls, *currencies: str, country: str = "NZ", base_currency: str | None = None, **emulator_options: Any
    ) -> XeroHarness:
        """An organisation whose plan has multi-currency and that added ``currencies`` (none given:
        EUR), in ``country`` (its own currency unless ``base_currency`` says otherwise)."""
        spec = TenantSpec(
            name=f"Multi-currency ({country})",
            country_code=country,
            base_currency=base_currency,
            multi_currency=True,
            currencies=tuple(currencies) or ("EUR",),
        )
        return cls(tenants=[spec], **emulator_options)

    def create_app(self) -> ASGIApp:
        # The provider keeps an organisation's info, currencies, rates and categories for minutes,
        # keyed by app, base URL and tenant id; emulators made with the same seed share tenant ids, so
        # a new organisation starts with nothing kept about the one before.
        provider = get_provider("xero")
        if isinstance(provider, XeroProvider):
            provider.forget()
        return create_emulator(**self.emulator_options)

    async def grant(self, app: ASGIApp) -> EmulatorGrant:
        emulator = emulator_of(app)
        issued = emulator.issue_tokens([emulator.default_tenant_id])
        return EmulatorGrant(
            company_id=emulator.default_tenant_id,
            access_token=issued["access_token"],
            refresh_token=issued.get("refresh_token"),
            expires_at=issued["expires_at"],
        )

    def throttle(self, app: ASGIApp, count: int) -> None:
        emulator = emulator_of(app)
        emulator.faults.clear()
        emulator.fail_next(count, 429, retry_after_s=0)

    def advance(self, app: ASGIApp, seconds: float) -> None:
        emulator_of(app).advance(seconds)

    def now(self, app: ASGIApp) -> datetime:
        return emulator_of(app).now()

    def seed(self, app: ASGIApp, resource: str, count: int) -> list[str] | None:
        """Items, which the provider reads but does not create, straight into the emulator's
        default organisation, shaped as its seeded items are."""
        if resource != "item":
            return super().seed(app, resource, count)
        emulator = emulator_of(app)
        tenant = emulator.tenant()
        ids = []
        for _ in range(count):
            item_id = emulator.ids.new()
            code = f"CONF-{item_id[:8].upper()}"
            tenant.items[item_id] = {
                "ItemID": item_id,
                "Code": code,
                "Name": f"Conformance {code}",
                "Description": "Conformance item",
                "IsTrackedAsInventory": False,
                "IsSold": True,
                "IsPurchased": False,
                "SalesDetails": {"UnitPrice": Decimal("25.00"), "AccountCode": "200", "TaxType": "OUTPUT"},
                "UpdatedDateUTC": emulator.now(),
            }
            tenant.item_codes[code] = item_id
            ids.append(item_id)
        return ids

    async def sample(
        self, resource: str, records: SampleRecords, *, deletable: bool = False
    ) -> RecordMeta | None:
        if resource == "tracking_category":
            return TrackingCategory(
                name=f"Conformance {uuid.uuid4().hex[:8]}",
                options=[TrackingOption(name="North"), TrackingOption(name="South")],
            )
        return await super().sample(resource, records, deletable=deletable)

    def changes(self, resource: str) -> dict[str, Any] | None:
        if resource == "tracking_category":
            return {"name": f"Renamed {uuid.uuid4().hex[:8]}"}
        return super().changes(resource)

    def invoice_changes(self) -> dict[str, Any]:
        # Xero invoices have no memo; the reference is the free-text field printed on them.
        return {"reference": "Changed by the conformance suite"}

    def deletable_invoice(self, customer_id: str) -> Invoice:
        # Xero deletes only unapproved invoices.
        return self.invoice(customer_id).model_copy(update={"status": InvoiceStatus.DRAFT})
