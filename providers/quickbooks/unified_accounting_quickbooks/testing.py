"""The conformance harness for the QuickBooks emulator (used by this package's tests and by anyone's)."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from unified_accounting.models import (
    Bill,
    BillAllocation,
    BillPayment,
    CreditNote,
    Expense,
    Item,
    ItemPricing,
    ItemType,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LedgerAccountType,
    LineItem,
    RecordMeta,
    Supplier,
    SupplierCredit,
)
from unified_accounting.testing import EmulatorGrant, ProviderHarness
from unified_accounting.testing.harness import SampleRecords

from .emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from .tracking import CLASS, DEPARTMENT

#: Id of the service item every harness company starts with (used as ``default_item_id``).
SERVICE_ITEM_ID = "1"
#: Id of the seeded "Checking" bank account (the first account of the emulator's chart).
CHECKING_ACCOUNT_ID = "1"


def new_realm_id() -> str:
    """A fresh company id: the client's rate limiter is per company, so tests do not share windows."""
    return str(9_000_000_000_000_000 + secrets.randbelow(999_999_999_999_999))


class QuickBooksHarness(ProviderHarness):
    provider = "quickbooks"
    settings: ClassVar[dict[str, Any]] = {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "default_item_id": SERVICE_ITEM_ID,
    }
    base_url = "http://qbo.test"
    # Intuit's 10 requests a second would pace the suite on the wall clock; the limits are tested
    # apart (tests/test_limits.py, on a fake clock).
    rate_limits = "off"

    def __init__(self, **emulator_options: Any) -> None:
        """``emulator_options`` shape the company (see ``emulator.EmulatorOptions``): an Australian
        company charging GST 10 % under a code named "GST on Income" is
        ``QuickBooksHarness(country="AU", sales_tax_codes={"GST on Income": "10"})``; a multi-currency
        one adds ``multi_currency=True, exchange_rates={"EUR": "1.08"}``."""
        self.emulator_options = emulator_options

    def create_app(self) -> Any:
        from .emulator import create_emulator

        # Retry-After: 0 on throttles, so the suite's retries do not wait Intuit's minute.
        app = create_emulator(
            realms=[new_realm_id()], **{"retry_after_s": 0, "limits": False, **self.emulator_options}
        )
        item = app.state.emulator.create("Item", {"Name": "Services", "Type": "Service", "UnitPrice": 0})
        assert item["Id"] == SERVICE_ITEM_ID
        checking = app.state.emulator.record("Account", CHECKING_ACCOUNT_ID)
        assert checking is not None and checking["AccountType"] == "Bank"
        return app

    async def grant(self, app: Any) -> EmulatorGrant:
        emulator = app.state.emulator
        issued = emulator.issue_tokens()
        now: datetime = emulator.now()
        from datetime import timedelta

        return EmulatorGrant(
            issued["realm_id"],
            issued["access_token"],
            issued["refresh_token"],
            now + timedelta(seconds=int(issued["expires_in"])),
        )

    async def sample(
        self, resource: str, records: SampleRecords, *, deletable: bool = False
    ) -> RecordMeta | None:
        tag = uuid.uuid4().hex[:8]
        if resource == "ledger_account":
            return LedgerAccount(
                name=f"Conformance {tag}",
                code=str(secrets.randbelow(9_000_000) + 1_000_000),
                description="Made by the conformance suite",
                type=LedgerAccountType.EXPENSE,
            )
        if resource == "item":
            return Item(
                name=f"Conformance {tag}",
                code=f"SKU-{tag}",
                description="Made by the conformance suite",
                type=ItemType.SERVICE,
                sales=ItemPricing(unit_price=Decimal("12.50")),
            )
        if resource == "journal_entry":
            debit = str((await records.created("ledger_account")).id)
            credit = str((await records.created("ledger_account")).id)
            return JournalEntry(
                date=date(2026, 1, 5),
                number=f"JE-{tag}",
                memo="Made by the conformance suite",
                lines=[
                    JournalLine(ledger_account_id=debit, debit=Decimal("25.10"), description="Moved in"),
                    JournalLine(ledger_account_id=credit, credit=Decimal("25.10"), description="Moved out"),
                ],
            )
        if resource == "credit_note":
            customer = str((await records.created("customer")).id)
            return CreditNote(
                customer_id=customer,
                number=f"CN-{tag}",
                issue_date=date(2026, 1, 5),
                line_items=[
                    LineItem(description="Returned", quantity=Decimal(1), unit_price=Decimal("7.50"))
                ],
            )
        if resource in ("supplier_credit", "expense"):
            account = str((await records.created("ledger_account")).id)
            lines = [
                LineItem(description="Returned paper", total_amount=Decimal("12.40"), account_id=account)
            ]
            if resource == "expense":
                return Expense(
                    date=date(2026, 1, 5), account_id=CHECKING_ACCOUNT_ID, number=f"E-{tag}", line_items=lines
                )
            supplier = str((await records.created("supplier")).id)
            return SupplierCredit(
                supplier_id=supplier, number=f"VC-{tag}", issue_date=date(2026, 1, 5), line_items=lines
            )
        if resource == "supplier":
            return Supplier(display_name=f"Conformance supplier {tag}", email="sales@example.com")
        if resource == "bill":
            supplier = str((await records.created("supplier")).id)
            account = str((await records.created("ledger_account")).id)
            return Bill(
                supplier_id=supplier,
                number=f"B-{tag}",
                issue_date=date(2026, 1, 5),
                due_date=date(2026, 2, 4),
                line_items=[
                    LineItem(description="Paper", total_amount=Decimal("40.20"), account_id=account),
                    LineItem(description="Ink", total_amount=Decimal("9.80"), account_id=account),
                ],
            )
        if resource == "bill_payment":
            bill = await records.created("bill")
            return BillPayment(
                supplier_id=str(bill.supplier_id),
                date=date(2026, 1, 6),
                total_amount=Decimal("20.00"),
                account_id=CHECKING_ACCOUNT_ID,
                allocations=[BillAllocation(bill_id=str(bill.id), amount=Decimal("20.00"))],
            )
        return await super().sample(resource, records, deletable=deletable)

    def changes(self, resource: str) -> dict[str, Any] | None:
        if resource in ("ledger_account", "item"):
            return {"description": f"Changed {uuid.uuid4().hex[:6]}"}
        if resource in ("journal_entry", "bill", "credit_note", "supplier_credit", "expense"):
            return {"memo": f"Changed {uuid.uuid4().hex[:6]}"}
        if resource == "supplier":
            return {"company_name": f"Changed {uuid.uuid4().hex[:6]} Ltd"}
        if resource == "bill_payment":
            return {"reference": f"CHK-{uuid.uuid4().hex[:6]}"}
        return super().changes(resource)

    def raw_read(self) -> tuple[str, dict[str, Any]] | None:
        return "query", {"query": "select * from CompanyInfo"}

    def throttle(self, app: Any, count: int) -> None:
        emulator = app.state.emulator
        if count == 0:
            emulator.faults.clear()
        else:
            emulator.fail_next(count, status=429)

    def advance(self, app: Any, seconds: float) -> None:
        app.state.emulator.advance(seconds)

    def now(self, app: Any) -> datetime:
        now: datetime = app.state.emulator.now()
        return now

    def seed(self, app: Any, resource: str, count: int) -> list[str] | None:
        """Items, which the provider reads but does not create, straight into the emulator; the two
        tracking categories, when the company's preferences turn them on (``class_tracking``,
        ``track_departments``): QuickBooks holds no others."""
        if resource == "tracking_category":
            options = app.state.emulator.options
            both = options.class_tracking != "off" and options.track_departments
            return [CLASS, DEPARTMENT] if both else None
        if resource != "item":
            return super().seed(app, resource, count)
        emulator = app.state.emulator
        body = {"Type": "Service", "UnitPrice": 25}
        return [
            str(emulator.create("Item", {**body, "Name": f"Conformance {secrets.token_hex(5)}"})["Id"])
            for _ in range(count)
        ]
