"""The unified bill: what the company owes a supplier (QuickBooks ``Bill``, Xero ``ACCPAY`` invoice)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .documents import DueDocument
from .money import NonNegativeAmount
from .terms import PaymentTerms


class BillStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"
    DELETED = "deleted"


class Bill(DueDocument):
    """A supplier's bill. Its lines name expense accounts (``account_id``) or items (``item_id``)."""

    supplier_id: str = Field(min_length=1, description="Id of the supplier; required.")
    supplier_name: str | None = None
    status: BillStatus | None = None
    amount_due: NonNegativeAmount | None = None
    amount_paid: NonNegativeAmount | None = None
    terms: PaymentTerms | None = None
