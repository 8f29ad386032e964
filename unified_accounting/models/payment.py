"""The unified customer payment and how it is allocated to invoices and credit notes."""

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


class PaymentType(StrEnum):
    """What a customer payment is."""

    #: Money received for invoices (the usual kind).
    INVOICE_PAYMENT = "invoice_payment"
    #: Money paid back to a customer out of a credit note.
    CREDIT_NOTE_REFUND = "credit_note_refund"
    #: Money received beyond what was invoiced, kept as credit (Xero overpayments).
    OVERPAYMENT = "overpayment"
    #: Money received before any invoice (Xero prepayments).
    PREPAYMENT = "prepayment"


class Allocation(UnifiedModel):
    """The part of a payment applied to one invoice — or a credit note used in the same payment
    (QuickBooks applies credit notes to invoices through a payment naming both)."""

    invoice_id: str | None = None
    credit_note_id: str | None = None
    amount: NonNegativeAmount

    @model_validator(mode="after")
    def _one_document(self, info: ValidationInfo) -> Allocation:
        if not is_provider_data(info) and (self.invoice_id is None) == (self.credit_note_id is None):
            raise ValueError("an allocation names either invoice_id or credit_note_id")
        return self


class Payment(RecordMeta):
    customer_id: str | None = None
    type: PaymentType = PaymentType.INVOICE_PAYMENT
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
        # Credit notes used in the payment pay for invoices too: only the rest is money received.
        invoiced = sum((a.amount for a in self.allocations if a.invoice_id is not None), start=0)
        credited = sum((a.amount for a in self.allocations if a.credit_note_id is not None), start=0)
        if invoiced - credited > self.total_amount:
            detail = f" less {credited} of credit notes" if credited else ""
            raise ValueError(
                f"allocations add up to {invoiced}{detail}, more than total_amount {self.total_amount}"
            )
        return self
