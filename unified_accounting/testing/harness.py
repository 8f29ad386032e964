"""What a provider package supplies so the conformance suite can drive its emulator.

Besides steering the emulator, a harness supplies sample records: :meth:`ProviderHarness.sample`
gives a new record of any resource of the catalog (defaults exist for every resource the library
declares), :meth:`ProviderHarness.changes` an update for it, and :meth:`ProviderHarness.seed` puts
records into the emulator for a resource the provider cannot create through its API.
"""

from __future__ import annotations

import abc
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from ..models import Allocation, Customer, Invoice, LineItem, Payment, RecordMeta, TaxRate, TaxRateUse
from ..types import ASGIApp


@dataclass(frozen=True)
class EmulatorGrant:
    """Tokens the emulator issued for one company, as ``import_connection`` takes them."""

    company_id: str
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None


class SampleRecords(Protocol):
    """What :meth:`ProviderHarness.sample` may ask for: records a sample needs to name."""

    async def created(self, resource: str) -> Any:
        """A new record of ``resource``, created through the client under test for this sample."""
        ...


class ProviderHarness(abc.ABC):
    """Subclass this next to your provider's tests and return it from a ``ua_harness`` fixture.

    The suite builds a fresh emulator per test with :meth:`create_app`, connects to it through an
    ``httpx.ASGITransport`` (no sockets) and uses the remaining methods to steer it.
    """

    #: The registered provider name.
    provider: ClassVar[str]
    #: Keyword arguments for ``Client(providers={provider: settings})``; ``base_url`` is added.
    settings: ClassVar[dict[str, Any]] = {}
    #: The base URL the client uses for the emulator (any host: no network is involved).
    base_url: ClassVar[str] = "http://emulator.test"
    #: ``Client(rate_limits=...)`` for the suite's clients: ``"off"`` when :meth:`create_app`
    #: starts the emulator without limits, so that no test waits out the provider's real pacing
    #: (the limits have tests of their own, on a fake clock).
    rate_limits: ClassVar[str] = "process"

    @abc.abstractmethod
    def create_app(self) -> ASGIApp:
        """A new emulator with empty (or harmless) state."""

    @abc.abstractmethod
    async def grant(self, app: ASGIApp) -> EmulatorGrant:
        """Valid tokens for one company of ``app``."""

    @abc.abstractmethod
    def throttle(self, app: ASGIApp, count: int) -> None:
        """Make the next ``count`` API calls answer 429 with ``Retry-After: 0``."""

    @abc.abstractmethod
    def advance(self, app: ASGIApp, seconds: float) -> None:
        """Move the emulator's clock forward (so ``updated_since`` can be tested without sleeping)."""

    @abc.abstractmethod
    def now(self, app: ASGIApp) -> datetime:
        """The emulator's current time (timezone-aware)."""

    # Sample records. Override when the provider needs more (an item, an account, a tax code).

    async def sample(
        self, resource: str, records: SampleRecords, *, deletable: bool = False
    ) -> RecordMeta | None:
        """A new record of ``resource`` for the suite to create, or ``None`` when the harness has
        none: the suite's tests of that resource then skip, saying to override this method.

        ``records.created(name)`` creates a record a sample names (the customer of an invoice).
        ``deletable`` asks for a record the provider lets ``delete`` remove. The defaults cover
        every resource the library declares; a new resource needs a branch here.
        """
        if resource == "customer":
            return self.customer()
        if resource == "invoice":
            customer_id = str((await records.created("customer")).id)
            return self.deletable_invoice(customer_id) if deletable else self.invoice(customer_id)
        if resource == "payment":
            invoice = await records.created("invoice")
            return self.payment(invoice, (invoice.total / 2).quantize(Decimal("0.01")))
        if resource == "tax_rate":
            return self.tax_rate()
        return None

    def changes(self, resource: str) -> dict[str, Any] | None:
        """Fields an update of a sample ``resource`` record may change (``None``: the harness has
        none, and update round trips of the resource skip)."""
        if resource == "customer":
            return self.customer_changes()
        if resource == "invoice":
            return self.invoice_changes()
        if resource == "payment":
            return {"reference": f"Conformance {uuid.uuid4().hex[:6]}"}
        if resource == "tax_rate":
            return {"name": f"Conformance rate {uuid.uuid4().hex[:6]}"}
        return None

    def seed(self, app: ASGIApp, resource: str, count: int) -> list[str] | None:
        """Put ``count`` records of ``resource`` straight into the emulator and return their ids,
        for a resource the provider cannot create through its API (QuickBooks tax rates). Fewer than
        ``count`` when the provider holds no more (QuickBooks has two tracking categories, class and
        department); at least two, so that paging is still tested. ``None`` (the default): the
        harness cannot, and tests needing such records skip."""
        return None

    def tax_rate(self) -> TaxRate:
        return TaxRate(
            name=f"Conformance rate {uuid.uuid4().hex[:8]}",
            rate=Decimal("7.25"),
            applies_to=[TaxRateUse.SALES],
        )

    def customer(self) -> Customer:
        return Customer(display_name=f"Conformance {uuid.uuid4().hex[:10]}", email="ap@example.com")

    def invoice(self, customer_id: str) -> Invoice:
        return Invoice(
            customer_id=customer_id,
            issue_date=date(2026, 1, 5),
            line_items=[
                LineItem(description="Consulting", quantity=Decimal("3"), unit_price=Decimal("0.10"))
            ],
        )

    def deletable_invoice(self, customer_id: str) -> Invoice:
        """An invoice the provider lets ``delete`` remove (some only delete drafts)."""
        return self.invoice(customer_id)

    def payment(self, invoice: Invoice, amount: Decimal) -> Payment:
        return Payment(
            customer_id=invoice.customer_id,
            total_amount=amount,
            date=date(2026, 1, 6),
            allocations=[Allocation(invoice_id=str(invoice.id), amount=amount)],
        )

    def customer_changes(self) -> dict[str, Any]:
        return {"email": f"billing-{uuid.uuid4().hex[:6]}@example.com"}

    def invoice_changes(self) -> dict[str, Any]:
        return {"memo": "Changed by the conformance suite"}

    def raw_read(self) -> tuple[str, dict[str, Any]] | None:
        """A harmless read for ``conn.request``: a path relative to the company's API root and its
        query parameters (QuickBooks ``("companyinfo/<realm>", {})``, Xero ``("Organisation", {})``).
        ``None`` (the default): the raw request test checks only the paths it refuses."""
        return None
