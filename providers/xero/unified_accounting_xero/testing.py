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
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from unified_accounting.models import (
    Bill,
    BillAllocation,
    BillPayment,
    BillStatus,
    CreditNote,
    CreditNoteStatus,
    Expense,
    Invoice,
    InvoiceStatus,
    Item,
    ItemPricing,
    JournalEntry,
    JournalEntryStatus,
    JournalLine,
    LedgerAccount,
    LedgerAccountType,
    LineItem,
    RecordMeta,
    Supplier,
    SupplierCredit,
    TrackingCategory,
    TrackingOption,
)
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
        tag = uuid.uuid4().hex[:6].upper()
        if resource == "ledger_account":
            return LedgerAccount(code=f"K{tag}", name=f"Conformance {tag}", type=LedgerAccountType.EXPENSE)
        if resource == "item":
            return Item(
                code=f"KIT-{tag}",
                name=f"Kit {tag}",
                sales=ItemPricing(unit_price=Decimal("12.50"), account_id="200"),
                purchase=ItemPricing(unit_price=Decimal("7.25"), account_id="429"),
            )
        if resource == "journal_entry":
            # Xero deletes draft journals only; others are created posted.
            status = {"status": JournalEntryStatus.DRAFT} if deletable else {}
            return JournalEntry(
                date=date(2026, 1, 5),
                memo=f"Conformance {tag}",
                lines=[
                    JournalLine(ledger_account_id="429", debit=Decimal("40.00")),
                    JournalLine(ledger_account_id="453", credit=Decimal("40.00")),
                ],
                **status,
            )
        if resource == "supplier":
            return Supplier(
                display_name=f"Supplier {tag}", email="sales@supplier.example", account_number="ACME-1"
            )
        if resource == "bill":
            supplier = await records.created("supplier")
            draft = {"status": BillStatus.DRAFT} if deletable else {}  # Xero deletes drafts only
            return Bill(
                supplier_id=str(supplier.id),
                number=f"SUP-{tag}",
                issue_date=date(2026, 1, 5),
                **draft,
                line_items=[
                    LineItem(
                        description="Paper",
                        quantity=Decimal(2),
                        unit_price=Decimal("10.50"),
                        account_id="453",
                    )
                ],
            )  # type: ignore[arg-type]
        if resource == "bill_payment":
            bill = await records.created("bill")
            amount = (bill.total / 2).quantize(Decimal("0.01"))
            return BillPayment(
                supplier_id=bill.supplier_id,
                total_amount=amount,
                date=date(2026, 1, 6),
                allocations=[BillAllocation(bill_id=str(bill.id), amount=amount)],
            )
        if resource in ("credit_note", "supplier_credit"):
            customer = resource == "credit_note"
            party = await records.created("customer" if customer else "supplier")
            draft = {"status": CreditNoteStatus.DRAFT} if deletable else {}
            line = LineItem(
                description="Returned goods",
                quantity=Decimal(1),
                unit_price=Decimal("15.00"),
                account_id="200" if customer else "429",
            )
            if customer:
                return CreditNote(
                    customer_id=str(party.id), issue_date=date(2026, 1, 7), line_items=[line], **draft
                )
            return SupplierCredit(
                supplier_id=str(party.id),
                number=f"SC-{tag}",
                issue_date=date(2026, 1, 7),
                line_items=[line],
                **draft,
            )
        if resource == "expense":
            supplier = await records.created("supplier")
            return Expense(
                date=date(2026, 1, 8),
                account_id="090",
                supplier_id=str(supplier.id),
                reference=f"Receipt {tag}",
                line_items=[
                    LineItem(
                        description="Taxi", quantity=Decimal(1), unit_price=Decimal("23.00"), account_id="429"
                    )
                ],
            )
        if resource == "tracking_category":
            return TrackingCategory(
                name=f"Conformance {uuid.uuid4().hex[:8]}",
                options=[TrackingOption(name="North"), TrackingOption(name="South")],
            )
        return await super().sample(resource, records, deletable=deletable)

    def changes(self, resource: str) -> dict[str, Any] | None:
        if resource in ("ledger_account", "item"):
            return {"name": f"Renamed {uuid.uuid4().hex[:8]}"}
        if resource == "journal_entry":
            return {"memo": f"Changed {uuid.uuid4().hex[:8]}"}
        if resource == "supplier":
            return {"email": f"orders-{uuid.uuid4().hex[:6]}@supplier.example"}
        if resource in ("bill", "supplier_credit"):
            return {"number": f"SUP-{uuid.uuid4().hex[:6]}"}
        if resource in ("credit_note", "expense"):
            return {"reference": f"Changed {uuid.uuid4().hex[:6]}"}
        if resource == "tracking_category":
            return {"name": f"Renamed {uuid.uuid4().hex[:8]}"}
        return super().changes(resource)

    def raw_read(self) -> tuple[str, dict[str, Any]] | None:
        return "Organisation", {}

    def invoice_changes(self) -> dict[str, Any]:
        # Xero invoices have no memo; the reference is the free-text field printed on them.
        return {"reference": "Changed by the conformance suite"}

    def deletable_invoice(self, customer_id: str) -> Invoice:
        # Xero deletes only unapproved invoices.
        return self.invoice(customer_id).model_copy(update={"status": InvoiceStatus.DRAFT})
