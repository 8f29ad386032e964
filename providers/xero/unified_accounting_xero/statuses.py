"""Status words between Xero and the unified models."""

from __future__ import annotations

from decimal import Decimal

from unified_accounting.models import (
    BillStatus,
    CreditNoteStatus,
    CustomerStatus,
    InvoiceStatus,
    PaymentStatus,
)

_INVOICE_FROM_XERO = {
    "DRAFT": InvoiceStatus.DRAFT,
    "SUBMITTED": InvoiceStatus.SUBMITTED,
    "AUTHORISED": InvoiceStatus.OPEN,
    "PAID": InvoiceStatus.PAID,
    "VOIDED": InvoiceStatus.VOID,
    "DELETED": InvoiceStatus.DELETED,
}

#: Unified statuses a caller may ask for when writing, and the Xero status each becomes. Paid and
#: partially paid are outcomes of payments, never written directly.
INVOICE_TO_XERO = {
    InvoiceStatus.DRAFT: "DRAFT",
    InvoiceStatus.SUBMITTED: "SUBMITTED",
    InvoiceStatus.OPEN: "AUTHORISED",
    InvoiceStatus.VOID: "VOIDED",
    InvoiceStatus.DELETED: "DELETED",
}
#: What an invoice may be created as (Xero refuses the others on creation).
CREATABLE_INVOICE_STATUSES = frozenset({InvoiceStatus.DRAFT, InvoiceStatus.SUBMITTED, InvoiceStatus.OPEN})
#: Xero invoice statuses a change feed reports as deletions.
GONE_INVOICE_STATUSES = frozenset({"DELETED", "VOIDED"})


def invoice_status(xero_status: str | None, amount_settled: Decimal | None) -> InvoiceStatus | None:
    """AUTHORISED splits into open and partially paid, which Xero tells apart only by what was
    settled: AmountPaid plus AmountCredited (:func:`settled`). Part of an invoice settled by a
    credit note is partially paid, as it is on QuickBooks, where credit is applied by a payment."""
    if not xero_status:
        return None
    status = _INVOICE_FROM_XERO.get(xero_status.upper())
    if status is InvoiceStatus.OPEN and amount_settled is not None and amount_settled > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return status


def settled(paid: Decimal | None, credited: Decimal | None) -> Decimal | None:
    """What was settled of a document: its AmountPaid plus its AmountCredited (``None``: neither given)."""
    if paid is None and credited is None:
        return None
    return (paid or Decimal(0)) + (credited or Decimal(0))


def customer_status(contact_status: str | None) -> CustomerStatus:
    # GDPRREQUEST contacts are being erased: like archived ones they can no longer be used.
    if (contact_status or "ACTIVE").upper() == "ACTIVE":
        return CustomerStatus.ACTIVE
    return CustomerStatus.ARCHIVED


def contact_status(status: CustomerStatus) -> str:
    return "ARCHIVED" if status is CustomerStatus.ARCHIVED else "ACTIVE"


def payment_status(xero_status: str | None) -> PaymentStatus | None:
    if not xero_status:
        return None
    return PaymentStatus.DELETED if xero_status.upper() == "DELETED" else PaymentStatus.POSTED


_BILL_FROM_XERO = {
    # A submitted bill awaits approval: not yet owed, like a draft.
    "DRAFT": BillStatus.DRAFT,
    "SUBMITTED": BillStatus.DRAFT,
    "AUTHORISED": BillStatus.OPEN,
    "PAID": BillStatus.PAID,
    "VOIDED": BillStatus.VOID,
    "DELETED": BillStatus.DELETED,
}
#: Unified bill statuses a caller may write, and the Xero status each becomes.
BILL_TO_XERO = {
    BillStatus.DRAFT: "DRAFT",
    BillStatus.OPEN: "AUTHORISED",
    BillStatus.VOID: "VOIDED",
    BillStatus.DELETED: "DELETED",
}
CREATABLE_BILL_STATUSES = frozenset({BillStatus.DRAFT, BillStatus.OPEN})


def bill_status(xero_status: str | None, amount_paid: Decimal | None) -> BillStatus | None:
    if not xero_status:
        return None
    status = _BILL_FROM_XERO.get(xero_status.upper())
    if status is BillStatus.OPEN and amount_paid is not None and amount_paid > 0:
        return BillStatus.PARTIALLY_PAID
    return status


_CREDIT_FROM_XERO = {
    "DRAFT": CreditNoteStatus.DRAFT,
    "SUBMITTED": CreditNoteStatus.DRAFT,
    "AUTHORISED": CreditNoteStatus.OPEN,
    # Xero calls a credit note whose credit is all allocated or refunded PAID.
    "PAID": CreditNoteStatus.USED,
    "VOIDED": CreditNoteStatus.VOID,
    "DELETED": CreditNoteStatus.DELETED,
}
CREDIT_TO_XERO = {
    CreditNoteStatus.DRAFT: "DRAFT",
    CreditNoteStatus.OPEN: "AUTHORISED",
    CreditNoteStatus.VOID: "VOIDED",
    CreditNoteStatus.DELETED: "DELETED",
}
CREATABLE_CREDIT_STATUSES = frozenset({CreditNoteStatus.DRAFT, CreditNoteStatus.OPEN})


def credit_status(xero_status: str | None) -> CreditNoteStatus | None:
    return _CREDIT_FROM_XERO.get(xero_status.upper()) if xero_status else None
