"""Paying suppliers' bills (QuickBooks ``BillPayment``, Xero payments on ``ACCPAY`` invoices)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field, ValidationInfo, model_validator

from .common import Currency, RecordMeta, UnifiedModel
from .context import is_provider_data
from .invoice import ExchangeRate
from .money import NonNegativeAmount


class BillPaymentStatus(StrEnum):
    POSTED = "posted"
    VOID = "void"
    DELETED = "deleted"


class BillAllocation(UnifiedModel):
    """The part of a bill payment applied to one bill (or one supplier credit used in it)."""

    bill_id: str | None = None
    #: A supplier credit used towards the payment instead of money.
    supplier_credit_id: str | None = None
    amount: NonNegativeAmount

    @model_validator(mode="after")
    def _one_document(self, info: ValidationInfo) -> BillAllocation:
        if not is_provider_data(info) and (self.bill_id is None) == (self.supplier_credit_id is None):
            raise ValueError("an allocation names either bill_id or supplier_credit_id")
        return self


class BillPayment(RecordMeta):
    supplier_id: str = Field(min_length=1, description="Id of the supplier paid; required.")
    supplier_name: str | None = None
    date: dt.date | None = None
    currency: Currency | None = None
    #: Units of home currency per one unit of ``currency`` (see ``Invoice.currency_rate``).
    currency_rate: ExchangeRate | None = None
    total_amount: NonNegativeAmount
    #: The bank or card account the money left.
    account_id: str | None = None
    reference: str | None = None
    allocations: list[BillAllocation] = Field(default_factory=list)
    status: BillPaymentStatus | None = None

    @model_validator(mode="after")
    def _allocations_fit(self, info: ValidationInfo) -> BillPayment:
        if is_provider_data(info) or info.field_name not in (None, "total_amount", "allocations"):
            return self
        paid = sum((a.amount for a in self.allocations if a.bill_id is not None), start=0)
        credited = sum((a.amount for a in self.allocations if a.supplier_credit_id is not None), start=0)
        if paid - credited > self.total_amount:
            raise ValueError(
                f"bills allocated add up to {paid} less {credited} of credits, more than total_amount "
                f"{self.total_amount}"
            )
        return self
