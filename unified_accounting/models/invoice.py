"""The unified sales invoice and its lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from .common import Address, Currency, CustomField, Money, NonNegativeMoney, RecordMeta, UnifiedModel
from .context import is_provider_data


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"
    DELETED = "deleted"


class LineItemType(StrEnum):
    SALES_ITEM = "sales_item"
    DISCOUNT = "discount"
    DESCRIPTION = "description"
    GROUP = "group"


def _percentage_input(value: Any, info: ValidationInfo) -> Any:
    if value is not None and not 0 <= value <= 100 and not is_provider_data(info):
        bound = "greater than or equal to 0" if value < 0 else "less than or equal to 100"
        raise ValueError(f"Input should be {bound}")
    return value


#: A discount percentage, 0 to 100 (the bound is a rule for input: see :mod:`.context`).
Percentage = Annotated[Money, AfterValidator(_percentage_input)]


class LineItem(UnifiedModel):
    """One invoice line. ``total_amount`` is derived from quantity, price and discount when omitted."""

    id: str | None = None
    type: LineItemType = LineItemType.SALES_ITEM
    description: str | None = None
    # A negative quantity is a credit, which belongs on a credit note, not on an invoice line
    # (refused from users; a provider's stored line is read as it is).
    quantity: NonNegativeMoney | None = None
    unit_price: Money | None = None
    discount_percentage: Percentage | None = None
    total_amount: Money | None = None
    item_id: str | None = None
    account_id: str | None = None
    tax_code: str | None = None

    @model_validator(mode="after")
    def _derive_total(self) -> LineItem:
        if self.total_amount is None and self.quantity is not None and self.unit_price is not None:
            total = self.quantity * self.unit_price
            if self.discount_percentage:
                total = total * (Decimal(100) - self.discount_percentage) / Decimal(100)
            # Bypass validate_assignment: re-running this validator on assignment would recurse.
            object.__setattr__(self, "total_amount", total)
        return self


class Invoice(RecordMeta):
    """A sales invoice (QuickBooks ``Invoice``, Xero ``ACCREC`` invoice)."""

    number: str | None = None
    customer_id: str = Field(min_length=1, description="Id of the customer billed; required.")
    customer_name: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    currency: Currency | None = None
    status: InvoiceStatus | None = None
    line_items: list[LineItem] = Field(default_factory=list)
    sub_total: Money | None = None
    total_tax: Money | None = None
    total: Money | None = None
    amount_due: NonNegativeMoney | None = None
    amount_paid: NonNegativeMoney | None = None
    memo: str | None = None
    reference: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    email: str | None = None
    custom_fields: list[CustomField] = Field(default_factory=list)

    @model_validator(mode="after")
    def _due_after_issue(self, info: ValidationInfo) -> Invoice:
        # A rule for input only: providers do store invoices due before their date (Xero's own
        # examples have some), and reading one must not fail. On assignment it guards the dates only,
        # so a provider's record stays editable in its other fields.
        if is_provider_data(info) or info.field_name not in (None, "issue_date", "due_date"):
            return self
        if self.issue_date and self.due_date and self.due_date < self.issue_date:
            raise ValueError("due_date must not be before issue_date")
        return self
