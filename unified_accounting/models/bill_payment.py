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


class BillPaymentType(StrEnum):
    """What a bill payment is: money paid to a supplier, or paid back by one (the payables twin of
    :class:`~unified_accounting.PaymentType`)."""

    #: Money paid for bills (the usual kind).
    BILL_PAYMENT = "bill_payment"
    #: Money a supplier paid back out of a supplier credit (Xero ``APCREDITPAYMENT``): it comes
    #: *into* ``account_id``; the allocation names the supplier credit refunded.
    SUPPLIER_CREDIT_REFUND = "supplier_credit_refund"
    #: Money a supplier paid back out of an overpayment made to them (Xero ``APOVERPAYMENTPAYMENT``).
    OVERPAYMENT = "overpayment"
    #: Money a supplier paid back out of a prepayment made to them (Xero ``APPREPAYMENTPAYMENT``).
    PREPAYMENT = "prepayment"


class BillAllocation(UnifiedModel):
    """The part of a bill payment applied to one bill (or one supplier credit used in it, or
    refunded by a ``supplier_credit_refund``)."""

    bill_id: str | None = None
    #: A supplier credit used towards the payment instead of money (or the one refunded).
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
    type: BillPaymentType = BillPaymentType.BILL_PAYMENT
    date: dt.date | None = None
    currency: Currency | None = None
    #: Units of home currency per one unit of ``currency`` (see ``Invoice.currency_rate``).
    currency_rate: ExchangeRate | None = None
    total_amount: NonNegativeAmount
    #: The bank or card account the money left (for a refund: the one it came into).
    account_id: str | None = None
    reference: str | None = None
    allocations: list[BillAllocation] = Field(default_factory=list)
    status: BillPaymentStatus | None = None

    @model_validator(mode="after")
    def _allocations_fit(self, info: ValidationInfo) -> BillPayment:
        if is_provider_data(info) or info.field_name not in (None, "total_amount", "allocations"):
            return self
        if self.type is BillPaymentType.SUPPLIER_CREDIT_REFUND:
            refunded = sum((a.amount for a in self.allocations), start=0)
            if any(a.bill_id is not None for a in self.allocations) or refunded > self.total_amount:
                raise ValueError(
                    "a supplier credit refund is allocated to the supplier credits refunded "
                    f"(supplier_credit_id), at most total_amount {self.total_amount} in all"
                )
            return self
        paid = sum((a.amount for a in self.allocations if a.bill_id is not None), start=0)
        credited = sum((a.amount for a in self.allocations if a.supplier_credit_id is not None), start=0)
        if paid - credited > self.total_amount:
            raise ValueError(
                f"bills allocated add up to {paid} less {credited} of credits, more than total_amount "
                f"{self.total_amount}"
            )
        return self
