"""What a provider package supplies so the conformance suite can drive its emulator."""

from __future__ import annotations

import abc
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from ..models import Allocation, Customer, Invoice, LineItem, Payment
from ..types import ASGIApp


@dataclass(frozen=True)
class EmulatorGrant:
    """Tokens the emulator issued for one company, as ``import_connection`` takes them."""

    company_id: str
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None


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
