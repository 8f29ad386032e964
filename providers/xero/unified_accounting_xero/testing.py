"""The conformance harness for the Xero emulator, for this package's tests and for product tests.

``throttle`` queues injected 429s with ``Retry-After: 0``, as the suite requires (a 429 injected
without it asks for 60 seconds, like Xero).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from unified_accounting.models import Invoice, InvoiceStatus
from unified_accounting.testing import EmulatorGrant, ProviderHarness
from unified_accounting.types import ASGIApp

from .emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, XeroEmulator, create_emulator


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
        self.emulator_options = emulator_options

    def create_app(self) -> ASGIApp:
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

    def invoice_changes(self) -> dict[str, Any]:
        # Xero invoices have no memo; the reference is the free-text field printed on them.
        return {"reference": "Changed by the conformance suite"}

    def deletable_invoice(self, customer_id: str) -> Invoice:
        # Xero deletes only unapproved invoices.
        return self.invoice(customer_id).model_copy(update={"status": InvoiceStatus.DRAFT})
