"""The unified sales invoice and its lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from .common import Address, Currency, CustomField, Money, RecordMeta, UnifiedModel
from .context import is_provider_data
from .money import Amount, NonNegativeAmount, Quantity, UnitPrice
from .tax import TaxMode
from .terms import PaymentTerms
from .tracking import TrackingRef


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
DiscountPercentage = Annotated[Money, AfterValidator(_percentage_input)]
#: Units of the company's home currency per one unit of the document's currency (always > 0).
ExchangeRate = Annotated[Decimal, Field(gt=0)]


class LineItem(UnifiedModel):
    """One document line. ``total_amount`` is derived from quantity, price and discount when omitted.

    Whether ``unit_price`` and ``total_amount`` include tax is the document's ``tax_mode``."""

    id: str | None = None
    type: LineItemType = LineItemType.SALES_ITEM
    description: str | None = None
    # A negative quantity is a credit, which belongs on a credit note, not on an invoice line
    # (refused from users; a provider's stored line is read as it is).
    quantity: Quantity | None = None
    unit_price: UnitPrice | None = None
    #: A discount on this line, in percent; or ``discount_amount`` — not both.
    discount_percentage: DiscountPercentage | None = None
    #: A discount on this line, in money (for a discount line: see ``LineItemType.DISCOUNT``).
    discount_amount: NonNegativeAmount | None = None
    #: What the line comes to: quantity × unit price less the discount (tax included or not by mode).
    total_amount: Amount | None = None
    item_id: str | None = None
    account_id: str | None = None
    #: The tax rate charged, by the id ``conn.tax_rates.list()`` gives.
    tax_rate_id: str | None = None
    #: The line's tax, as the provider computed it (an override where a provider takes one).
    tax_amount: Amount | None = None
    tracking: list[TrackingRef] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_discount(self, info: ValidationInfo) -> LineItem:
        if is_provider_data(info) or info.field_name not in (None, "discount_percentage", "discount_amount"):
            return self
        if self.discount_percentage is not None and self.discount_amount is not None:
            raise ValueError("give discount_percentage or discount_amount, not both")
        return self

    @model_validator(mode="after")
    def _derive_total(self) -> LineItem:
        if self.total_amount is None and self.quantity is not None and self.unit_price is not None:
            total = self.quantity * self.unit_price
            if self.discount_percentage:
                total = total * (Decimal(100) - self.discount_percentage) / Decimal(100)
            elif self.discount_amount:
                total = total - self.discount_amount
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
    #: The document's currency (``None`` on input: the company's home currency).
    currency: Currency | None = None
    #: Units of home currency per one unit of ``currency``: an EUR invoice of a USD company at
    #: ``Decimal("1.08")`` is booked at 1.08 USD per EUR. ``None`` on input: the provider's rate.
    currency_rate: ExchangeRate | None = None
    status: InvoiceStatus | None = None
    #: Whether line prices include tax (``None`` on input: the company's default).
    tax_mode: TaxMode | None = None
    line_items: list[LineItem] = Field(default_factory=list)
    sub_total: Amount | None = None
    total_tax: Amount | None = None
    total: Amount | None = None
    amount_due: NonNegativeAmount | None = None
    amount_paid: NonNegativeAmount | None = None
    memo: str | None = None
    reference: str | None = None
    #: The customer's purchase order number.
    po_number: str | None = None
    terms: PaymentTerms | None = None
    #: Tags on the whole document (QuickBooks departments and classes; lines carry their own).
    tracking: list[TrackingRef] = Field(default_factory=list)
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
