"""Credit notes (``/CreditNotes``) and their allocations to invoices and bills.

Rules, from Xero's Credit Notes page and the SDK:

* ``Type`` ACCRECCREDIT (a customer's) or ACCPAYCREDIT (a supplier's) and ``Contact`` are required; a draft
  may have no lines.  Lines, tax and totals are worked out as on invoices (:mod:`.ledger`); credit notes
  take no discounts.  ``Reference`` is kept on ACCRECCREDIT only; ACCRECCREDIT numbers are minted
  ``CN-0001`` when missing.
* Statuses move as invoices': DRAFT/SUBMITTED → DRAFT, SUBMITTED, AUTHORISED, DELETED; AUTHORISED →
  VOIDED only while nothing is allocated or refunded.  A credit note is PAID when ``RemainingCredit``
  reaches zero (``FullyPaidOnDate`` set).
* ``PUT /CreditNotes/{id}/Allocations`` (``{"Allocations": [{"Invoice": {"InvoiceID"}, "Amount", "Date"}]}``,
  or one bare allocation) applies credit to an AUTHORISED invoice of the matching side (ACCREC for
  ACCRECCREDIT, ACCPAY for ACCPAYCREDIT) in the same currency: the credit note must be AUTHORISED and
  the amount may exceed neither its ``RemainingCredit`` nor the invoice's ``AmountDue``.  The invoice's
  ``AmountCredited`` rises and it becomes PAID at zero.  The allocation date defaults to the later of the
  two documents' dates.  ``DELETE /CreditNotes/{id}/Allocations/{AllocationID}`` undoes one.
* A refund is a payment naming ``CreditNote`` (:meth:`.ledger.Ledger.create_payment`).
* Every change publishes a CREDITNOTE webhook event carrying ``data: {Type, Status}``.

The wording of refusals Xero does not document is UNVERIFIED.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from . import taxes, tracking
from .dates import read_date
from .errors import ValidationFailed
from .ledger import (
    CREATABLE_STATUSES,
    INVOICE_STATUSES,
    LINE_AMOUNT_TYPES,
    TRANSITIONS,
    ZERO,
    Ledger,
    WriteContext,
    exchange_rate,
    money,
    to_decimal,
)
from .refunds import deleted_refund, refund_payment, refund_terms
from .state import Record, TenantState

CREDIT_TYPES = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def event(ctx: WriteContext, rec: Record, kind: str) -> None:
    ctx.journal.event(
        ctx.tenant.tenant_id, "CREDITNOTE", kind, rec["CreditNoteID"], Type=rec["Type"], Status=rec["Status"]
    )


def write_credit_note(
    ledger: Ledger, ctx: WriteContext, data: Mapping[str, Any], existing: Record | None
) -> Record:
    t, j = ctx.tenant, ctx.journal
    errors: list[str] = []
    if existing is not None:
        if existing["Status"] in ("PAID", "VOIDED", "DELETED"):
            raise ValidationFailed("Credit note not of valid status for modification")
        rec = dict(existing)
    else:
        rec = {
            "CreditNoteID": ledger.ids.new(),
            "Type": None,
            "Status": "DRAFT",
            "LineAmountTypes": "Exclusive",
            "LineItems": [],
            "CurrencyCode": t.base_currency,
            "CurrencyRate": Decimal("1.000000"),
            "HasAttachments": False,
            "Allocations": [],
            "AppliedAmount": ZERO,
        }
    if "Type" in data:
        kind = str(data["Type"] or "").upper()
        if kind not in CREDIT_TYPES:
            errors.append(f"Credit note Type '{data['Type']}' is not valid.")
        elif existing is not None and kind != existing["Type"]:
            errors.append("The Type of an existing credit note cannot be changed.")
        else:
            rec["Type"] = kind
    if not rec.get("Type"):
        raise ValidationFailed(*(errors or ["Credit note Type must be specified."]))
    old = existing["Status"] if existing is not None else None
    status = old or "DRAFT"
    used = rec["AppliedAmount"] > 0  # allocated or refunded
    if data.get("Status") is not None:
        requested = str(data["Status"]).upper()
        if requested not in INVOICE_STATUSES:
            errors.append(f"Credit note Status '{data['Status']}' is not valid.")
        elif old is None and requested not in CREATABLE_STATUSES:
            errors.append("Credit note not of valid status for creation")
        elif old is not None and requested not in TRANSITIONS.get(old, set()):
            errors.append(f"Credit note cannot be changed from {old} to {requested}.")
        else:
            status = requested
    if status == "VOIDED" and used:
        errors.append("This credit note has been allocated or refunded: remove those before voiding it.")
    contact: Record | None = None
    if "Contact" in data:
        given = data["Contact"]
        contact = ledger.find_contact(t, given) if isinstance(given, Mapping) else None
        if contact is None:
            errors.append(
                "The Contact must contain at least 1 of the following elements to identify the contact: "
                "Name, ContactID, ContactNumber"
            )
    elif existing is None:
        errors.append(
            "The Contact must contain at least 1 of the following elements to identify the contact: "
            "Name, ContactID, ContactNumber"
        )
    for key in ("Date", "DueDate"):
        when = read_date(data, key, errors)
        if when is not None:
            rec[key] = when
    rec.setdefault("Date", ctx.now.date())
    if "Reference" in data and rec["Type"] == "ACCRECCREDIT":
        rec["Reference"] = _text(data["Reference"])
    if data.get("CreditNoteNumber"):
        rec["CreditNoteNumber"] = str(data["CreditNoteNumber"]).strip()
    if data.get("CurrencyCode"):
        code = str(data["CurrencyCode"]).upper()
        if code not in t.currencies:
            errors.append(f"The currency '{code}' has not been added to this organisation.")
        elif used and code != rec["CurrencyCode"]:
            errors.append("This document cannot be edited as it has been allocated.")
        rec["CurrencyCode"] = code
        rec["CurrencyRate"] = exchange_rate(t, code)
    rate = ledger._currency_rate(t, rec["CurrencyCode"], data.get("CurrencyRate"), errors)
    if rate is not None:
        rec["CurrencyRate"] = rate
    if data.get("LineAmountTypes"):
        mode = LINE_AMOUNT_TYPES.get(str(data["LineAmountTypes"]).upper())
        if mode is None:
            errors.append(f"LineAmountTypes '{data['LineAmountTypes']}' is not valid.")
        else:
            rec["LineAmountTypes"] = mode
    if "LineItems" in data:
        if used:
            errors.append("This document cannot be edited as it has been allocated.")
        elif not isinstance(data["LineItems"], list):
            errors.append("LineItems must be a list.")
        else:
            if any(
                isinstance(raw, Mapping) and (raw.get("DiscountRate") or raw.get("DiscountAmount"))
                for raw in data["LineItems"]
            ):
                errors.append("Discounts are only supported on sales invoices.")  # UNVERIFIED wording
            previous = {li["LineItemID"]: li for li in rec.get("LineItems", [])}
            # Lines are read as the matching invoice side's (item details, default tax).
            side = {"Type": CREDIT_TYPES[rec["Type"]], "LineAmountTypes": rec["LineAmountTypes"]}
            rec["LineItems"] = [
                ledger._line_item(t, side, raw, previous, ctx.unitdp, errors) for raw in data["LineItems"]
            ]
    if status in ("SUBMITTED", "AUTHORISED") and status != old:
        if not rec["LineItems"]:
            errors.append("A credit note must have at least one line item to be submitted or approved.")
        if any(not li.get("AccountCode") for li in rec["LineItems"]):
            errors.append("Account code must be specified for each line item.")
    if errors:
        raise ValidationFailed(*dict.fromkeys(errors))
    rec["AmountPaid"], rec["AmountCredited"] = ZERO, ZERO
    ledger.compute_totals(t, rec)
    rec.pop("AmountDue", None)
    applied = rec["AppliedAmount"]
    rec["RemainingCredit"] = money(rec["Total"] - applied)
    if rec["RemainingCredit"] < 0:
        raise ValidationFailed("The credit note total cannot be less than the credit already used.")
    if contact is not None:
        rec["Contact"] = {"ContactID": contact["ContactID"]}
    if rec["Type"] == "ACCRECCREDIT" and not rec.get("CreditNoteNumber"):
        number = sum(1 for c in t.credit_notes.values() if c["Type"] == "ACCRECCREDIT") + 1
        rec["CreditNoteNumber"] = f"CN-{number:04d}"
    rec["Status"] = status
    rec["UpdatedDateUTC"] = ctx.now
    for li in rec["LineItems"]:
        taxes.mark_used(t, j, str(li.get("TaxType") or ""))
        tracking.mark_used(t, j, li.get("Tracking") or [])
    j.set(t.credit_notes, rec["CreditNoteID"], rec)
    event(ctx, rec, "CREATE" if existing is None else "UPDATE")
    return rec


def use_credit(ctx: WriteContext, credit: Record, amount: Decimal, on: date | None) -> Record:
    """Lower (or, negative ``amount``, restore) what is left of a credit note."""
    rec = dict(credit)
    rec["AppliedAmount"] = money(rec["AppliedAmount"] + amount)
    rec["RemainingCredit"] = money(rec["Total"] - rec["AppliedAmount"])
    if rec["RemainingCredit"] == 0:
        rec["Status"], rec["FullyPaidOnDate"] = "PAID", on
    elif rec["Status"] == "PAID":
        rec["Status"] = "AUTHORISED"
        rec.pop("FullyPaidOnDate", None)
    rec["UpdatedDateUTC"] = ctx.now
    ctx.journal.set(ctx.tenant.credit_notes, rec["CreditNoteID"], rec)
    event(ctx, rec, "UPDATE")
    return rec


def _credit_invoice(ctx: WriteContext, invoice_id: str, amount: Decimal, on: date | None) -> None:
    t = ctx.tenant
    invoice = dict(t.invoices[invoice_id])
    invoice["AmountCredited"] = money(invoice["AmountCredited"] + amount)
    invoice["AmountDue"] = money(invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"])
    if invoice["AmountDue"] == 0 and amount > 0:
        invoice["Status"], invoice["FullyPaidOnDate"] = "PAID", on
    elif invoice["Status"] == "PAID" and invoice["AmountDue"] > 0:
        invoice["Status"] = "AUTHORISED"
        invoice.pop("FullyPaidOnDate", None)
    invoice["UpdatedDateUTC"] = ctx.now
    ctx.journal.set(t.invoices, invoice_id, invoice)
    ctx.journal.event(t.tenant_id, "INVOICE", "UPDATE", invoice_id)


def allocate(ledger: Ledger, ctx: WriteContext, credit: Record, data: Mapping[str, Any]) -> Record:
    """One allocation of ``credit`` to an invoice or bill; the allocation as stored."""
    t = ctx.tenant
    errors: list[str] = []
    target = data.get("Invoice") if isinstance(data.get("Invoice"), Mapping) else {}
    assert isinstance(target, Mapping)
    invoice = t.invoices.get(str(target.get("InvoiceID") or "").lower())
    if invoice is None:
        raise ValidationFailed("Invoice could not be found.")
    if credit["Status"] != "AUTHORISED":
        errors.append("Only AUTHORISED credit notes can be allocated.")
    if invoice["Status"] != "AUTHORISED":
        errors.append("Credit can only be allocated to AUTHORISED invoices.")
    if invoice["Type"] != CREDIT_TYPES[credit["Type"]]:
        errors.append(f"A {credit['Type']} credit note cannot be allocated to an {invoice['Type']} invoice.")
    if invoice["CurrencyCode"] != credit["CurrencyCode"]:
        errors.append("The credit note and the invoice must be in the same currency.")
    amount = ZERO
    try:
        amount = money(to_decimal(data.get("Amount"), "Amount"))
    except ValidationFailed as exc:
        errors.extend(exc.messages)
    if amount <= 0:
        errors.append("The allocation amount must be greater than zero.")
    elif amount > credit["RemainingCredit"]:
        errors.append("The allocation amount exceeds the credit note's remaining credit.")
    elif invoice["Status"] == "AUTHORISED" and amount > invoice["AmountDue"]:
        errors.append("Payment amount exceeds the amount outstanding on this document")
    on = read_date(data, "Date", errors) or max(credit["Date"], invoice["Date"])
    if errors:
        raise ValidationFailed(*dict.fromkeys(errors))
    allocation: Record = {
        "AllocationID": ledger.ids.new(),
        "Amount": amount,
        "Date": on,
        "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice.get("InvoiceNumber")},
    }
    used = use_credit(ctx, credit, amount, on)
    used["Allocations"] = [*credit["Allocations"], allocation]
    ctx.journal.set(t.credit_notes, used["CreditNoteID"], used)
    _credit_invoice(ctx, invoice["InvoiceID"], amount, on)
    return allocation


def remove_allocation(ctx: WriteContext, credit: Record, allocation_id: str) -> Record | None:
    found = next((a for a in credit["Allocations"] if a["AllocationID"] == allocation_id.lower()), None)
    if found is None:
        return None
    restored = use_credit(ctx, credit, -found["Amount"], None)
    restored["Allocations"] = [a for a in credit["Allocations"] if a is not found]
    ctx.journal.set(ctx.tenant.credit_notes, restored["CreditNoteID"], restored)
    _credit_invoice(ctx, found["Invoice"]["InvoiceID"], -found["Amount"], None)
    return found


def credits_of(t: TenantState, invoice_id: str) -> list[Record]:
    """The credit notes allocated to an invoice, as the invoice lists them (``CreditNotes``)."""
    out = []
    for credit in t.credit_notes.values():
        applied = sum(
            (a["Amount"] for a in credit["Allocations"] if a["Invoice"]["InvoiceID"] == invoice_id),
            start=ZERO,
        )
        if applied:
            out.append(
                {
                    "CreditNoteID": credit["CreditNoteID"],
                    "CreditNoteNumber": credit.get("CreditNoteNumber"),
                    "AppliedAmount": applied,
                    "Date": credit["Date"],
                    "Total": credit["Total"],
                }
            )
    return out


def refund(ledger: Ledger, ctx: WriteContext, data: Mapping[str, Any]) -> Record:
    """A payment naming ``CreditNote``: money paid back out of a customer's credit note
    (ARCREDITPAYMENT), or received back from a supplier's (APCREDITPAYMENT)."""
    t = ctx.tenant
    ref = data["CreditNote"]
    credit = t.credit_notes.get(str(ref.get("CreditNoteID") or "").lower())
    if credit is None and ref.get("CreditNoteNumber"):
        number = str(ref["CreditNoteNumber"]).upper()
        credit = next(
            (c for c in t.credit_notes.values() if str(c.get("CreditNoteNumber")).upper() == number), None
        )
    if credit is None:
        raise ValidationFailed("Credit note could not be found.")
    found = credit

    def credit_errors(amount: Decimal) -> list[str]:
        if found["Status"] != "AUTHORISED":
            return ["Refunds can only be made from Authorised credit notes."]
        if amount <= 0 or amount > found["RemainingCredit"]:
            return ["Payment amount exceeds the amount outstanding on this document"]
        return []

    terms = refund_terms(ctx, data, credit_errors)
    payment = refund_payment(
        ledger,
        ctx,
        data,
        terms,
        rate=exchange_rate(t, credit["CurrencyCode"]),
        payment_type="ARCREDITPAYMENT" if credit["Type"] == "ACCRECCREDIT" else "APCREDITPAYMENT",
        documents={
            "Invoice": {"InvoiceID": credit["CreditNoteID"]},
            "CreditNote": {"CreditNoteID": credit["CreditNoteID"]},
        },
    )
    use_credit(ctx, credit, payment["Amount"], payment["Date"])
    return payment


def delete_refund(ctx: WriteContext, existing: Record, data: Mapping[str, Any]) -> Record:
    """``Status: DELETED`` on a refund: the credit comes back to its credit note."""
    rec = deleted_refund(ctx, existing, data)
    use_credit(ctx, ctx.tenant.credit_notes[rec["CreditNote"]["CreditNoteID"]], -rec["Amount"], None)
    return rec
