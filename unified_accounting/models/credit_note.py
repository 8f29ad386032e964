"""Credit notes: credit a customer is given (QuickBooks ``CreditMemo``, Xero ``ACCRECCREDIT``), and
credit a supplier gives (QuickBooks ``VendorCredit``, Xero ``ACCPAYCREDIT``)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from .common import UnifiedModel
from .documents import DatedDocument
from .money import NonNegativeAmount


class CreditNoteStatus(StrEnum):
    DRAFT = "draft"
    #: Credit is left to use.
    OPEN = "open"
    #: All of it is used (allocated or refunded).
    USED = "used"
    VOID = "void"
    DELETED = "deleted"


class CreditAllocation(UnifiedModel):
    """Part of a credit applied to one document: an invoice (customer credit) or a bill (supplier
    credit)."""

    #: The invoice (for a customer credit note) or the bill (for a supplier credit) credited.
    document_id: str = Field(min_length=1)
    amount: NonNegativeAmount
    date: dt.date | None = None


class CreditNote(DatedDocument):
    """Credit given to a customer: it lowers what an invoice is owed when allocated to it
    (``conn.credit_notes.allocate(id, invoice_id=..., amount=...)``), or is refunded."""

    customer_id: str = Field(min_length=1, description="Id of the customer credited; required.")
    customer_name: str | None = None
    status: CreditNoteStatus | None = None
    #: Credit not yet allocated or refunded.
    remaining_credit: NonNegativeAmount | None = None
    allocations: list[CreditAllocation] = Field(default_factory=list)


class SupplierCredit(DatedDocument):
    """Credit a supplier gave the company: allocated to the supplier's bills
    (``conn.supplier_credits.allocate(id, bill_id=..., amount=...)``)."""

    supplier_id: str = Field(min_length=1, description="Id of the supplier; required.")
    supplier_name: str | None = None
    status: CreditNoteStatus | None = None
    remaining_credit: NonNegativeAmount | None = None
    allocations: list[CreditAllocation] = Field(default_factory=list)
