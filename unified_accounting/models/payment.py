"""The unified customer payment and how it is allocated to invoices."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field, ValidationInfo, model_validator

from .common import Currency, RecordMeta, UnifiedModel
from .context import is_provider_data
from .invoice import ExchangeRate
from .money import NonNegativeAmount


class PaymentStatus(StrEnum):
    POSTED = "posted"
    VOID = "void"
    DELETED = "deleted"


class Allocation(UnifiedModel):
    """The part of a payment applied to one invoice."""

    invoice_id: str = Field(min_length=1)
    amount: NonNegativeAmount


class Payment(RecordMeta):
    customer_id: str | None = None
    date: dt.date | None = None
    currency: Currency | None = None
    #: Units of home currency per one unit of ``currency`` (see ``Invoice.currency_rate``).
    currency_rate: ExchangeRate | None = None
    total_amount: NonNegativeAmount
    unapplied_amount: NonNegativeAmount | None = None
    reference: str | None = None
    account_id: str | None = None
    payment_method: str | None = None
    allocations: list[Allocation] = Field(default_factory=list)
    status: PaymentStatus | None = None

    @model_validator(mode="after")
    def _allocations_fit(self, info: ValidationInfo) -> Payment:
        if is_provider_data(info) or info.field_name not in (None, "total_amount", "allocations"):
            return self
        allocated = sum((a.amount for a in self.allocations), start=0)
        if allocated > self.total_amount:
            raise ValueError(f"allocations add up to {allocated}, more than total_amount {self.total_amount}")
        return self
