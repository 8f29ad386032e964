"""Turns internal records into Xero's JSON shapes.

Dates become ``/Date(ms+0000)/`` (plus ``DateString``/``DueDateString`` for calendar dates), ``None`` fields
are omitted as Xero does, and internal bookkeeping keys (prefixed ``_``) are dropped.  Invoices embed a
contact summary and payment summaries; payments embed their invoice and account.  Unpaged invoice lists drop
line items (``EmulatorOptions.line_items_in_unpaged_lists``); lists drop a line's ``DiscountAmount`` (only a
single invoice carries it, as on Xero).  Unit prices come at 2 dp unless the request asked ``unitdp=4``.
Contacts list both address types and all four phone types, empty ones padded as Xero pads them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .credits import credits_of
from .dates import date_string, wire_date, wire_timestamp
from .state import Record, TenantState
from .tracking import category_wire, line_tracking_wire

_DATE_STRING_FIELDS = {"Date": "DateString", "DueDate": "DueDateString"}


def wire(value: Any) -> Any:
    """Generic conversion of a record tree to JSON-ready values (Decimals stay Decimals)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None or key.startswith("_"):
                continue
            if isinstance(item, datetime):
                out[key] = wire_timestamp(item)
            elif isinstance(item, date):
                string_key = _DATE_STRING_FIELDS.get(key)
                if string_key:
                    out[string_key] = date_string(item)
                out[key] = wire_date(item)
            else:
                out[key] = wire(item)
        return out
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    return value


def contact_summary(t: TenantState, contact_id: str | None, full: bool = False) -> dict[str, Any]:
    contact = t.contacts.get(contact_id or "")
    if contact is None:
        return {"ContactID": contact_id}
    if full:
        return dict(contact_wire(t, contact))
    summary = {
        "ContactID": contact["ContactID"],
        "ContactNumber": contact.get("ContactNumber"),
        "Name": contact.get("Name"),
        "ContactStatus": contact.get("ContactStatus"),
        "EmailAddress": contact.get("EmailAddress"),
        "HasValidationErrors": False,
    }
    return {k: v for k, v in summary.items() if v is not None}


def _unit_places(value: Any, unitdp: int) -> Any:
    # Without unitdp=4 Xero answers unit prices rounded to 2 dp (Rounding in Xero).
    if isinstance(value, Decimal) and unitdp < 4:
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return value


def line_wire(t: TenantState, line: Record, listed: bool, unitdp: int) -> dict[str, Any]:
    out: dict[str, Any] = wire({k: v for k, v in line.items() if k != "Tracking"})
    out["UnitAmount"] = _unit_places(line.get("UnitAmount"), unitdp)
    out["Tracking"] = line_tracking_wire(t, line.get("Tracking") or [])
    if listed:
        # Lists (paged or by IDs) return DiscountRate but not DiscountAmount (XeroAPI/Xero-OpenAPI#592).
        out.pop("DiscountAmount", None)
    return out


def invoice_wire(
    t: TenantState,
    rec: Record,
    include_lines: bool = True,
    full_contact: bool = False,
    *,
    listed: bool = False,
    unitdp: int = 4,
) -> dict[str, Any]:
    out: dict[str, Any] = wire({k: v for k, v in rec.items() if k != "LineItems"})
    out["LineItems"] = [line_wire(t, line, listed, unitdp) for line in rec.get("LineItems", [])]
    out["Contact"] = contact_summary(t, (rec.get("Contact") or {}).get("ContactID"), full_contact)
    out.setdefault("Reference", "")
    out["HasErrors"] = False
    out["Prepayments"] = []
    out["Overpayments"] = []
    out["CreditNotes"] = [wire(c) for c in credits_of(t, rec["InvoiceID"])]
    payments = []
    for payment_id in rec.get("_PaymentIDs", ()):
        payment = t.payments.get(payment_id)
        if payment is None:
            continue
        payments.append(
            wire(
                {
                    "PaymentID": payment["PaymentID"],
                    "Date": payment["Date"],
                    "Amount": payment["Amount"],
                    "Reference": payment.get("Reference"),
                    "CurrencyRate": payment.get("CurrencyRate"),
                    "HasAccount": True,
                    "HasValidationErrors": False,
                }
            )
        )
    out["Payments"] = payments
    if not include_lines:
        out.pop("LineItems", None)
    return out


#: Real contacts list both address types and all four phone types, empty ones included.
PADDED_ADDRESSES = ("STREET", "POBOX")
PADDED_PHONES = ("DEFAULT", "DDI", "MOBILE", "FAX")


def contact_wire(t: TenantState, rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = wire(rec)
    addresses = list(out.get("Addresses") or [])
    kinds = {a.get("AddressType") for a in addresses}
    addresses += [{"AddressType": kind} for kind in PADDED_ADDRESSES if kind not in kinds]
    phones = list(out.get("Phones") or [])
    kinds = {p.get("PhoneType") for p in phones}
    phones += [
        {"PhoneType": kind, "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""}
        for kind in PADDED_PHONES
        if kind not in kinds
    ]
    out["Addresses"], out["Phones"] = addresses, phones
    out["HasValidationErrors"] = False
    return out


def payment_wire(t: TenantState, rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = wire(rec)
    credit = t.credit_notes.get((rec.get("CreditNote") or {}).get("CreditNoteID") or "")
    if credit is not None:
        # A refund names its credit note in an object still called Invoice (as Xero answers it),
        # and in CreditNote.
        out["Invoice"] = {
            "Type": credit["Type"],
            "InvoiceID": credit["CreditNoteID"],
            "InvoiceNumber": credit.get("CreditNoteNumber"),
            "Contact": contact_summary(t, (credit.get("Contact") or {}).get("ContactID")),
            "CurrencyCode": credit.get("CurrencyCode"),
            "HasErrors": False,
        }
        out["CreditNote"] = {
            "CreditNoteID": credit["CreditNoteID"],
            "CreditNoteNumber": credit.get("CreditNoteNumber"),
        }
        return out
    kind = next((k for k in ("Overpayment", "Prepayment") if isinstance(rec.get(k), dict)), None)
    if kind is not None:
        held = t.prepaid[rec[kind][f"{kind}ID"]]
        out.pop("Invoice", None)
        out[kind] = {
            f"{kind}ID": held[f"{kind}ID"],
            "Type": held["Type"],
            "Contact": contact_summary(t, (held.get("Contact") or {}).get("ContactID")),
            "CurrencyCode": held["CurrencyCode"],
        }
        return out
    invoice = t.invoices.get(rec["Invoice"]["InvoiceID"])
    if invoice is not None:
        out["Invoice"] = {
            k: v
            for k, v in {
                "Type": invoice["Type"],
                "InvoiceID": invoice["InvoiceID"],
                "InvoiceNumber": invoice.get("InvoiceNumber"),
                "Contact": contact_summary(t, (invoice.get("Contact") or {}).get("ContactID")),
                "CurrencyCode": invoice.get("CurrencyCode"),
                "HasErrors": False,
                "IsDiscounted": False,
            }.items()
            if v is not None
        }
    return out


def plain_wire(t: TenantState, rec: Record) -> dict[str, Any]:
    result: dict[str, Any] = wire(rec)
    return result


def tracking_wire(t: TenantState, rec: Record) -> dict[str, Any]:
    return category_wire(rec)


def credit_note_wire(t: TenantState, rec: Record, listed: bool = False, unitdp: int = 4) -> dict[str, Any]:
    out: dict[str, Any] = wire({k: v for k, v in rec.items() if k != "LineItems"})
    out["LineItems"] = [line_wire(t, line, listed, unitdp) for line in rec.get("LineItems", [])]
    out["Contact"] = contact_summary(t, (rec.get("Contact") or {}).get("ContactID"))
    out.setdefault("Reference", "")
    out["Payments"] = [
        wire({k: p[k] for k in ("PaymentID", "Date", "Amount", "Reference") if k in p})
        for p in t.payments.values()
        if (p.get("CreditNote") or {}).get("CreditNoteID") == rec["CreditNoteID"]
    ]
    out["HasErrors"] = False
    return out


def manual_journal_wire(t: TenantState, rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = wire({k: v for k, v in rec.items() if k != "JournalLines"})
    out["JournalLines"] = [
        {
            **wire({k: v for k, v in line.items() if k != "Tracking"}),
            "Tracking": line_tracking_wire(t, line.get("Tracking") or []),
        }
        for line in rec.get("JournalLines") or []
    ]
    return out


WIRE: dict[str, Callable[[TenantState, Record], dict[str, Any]]] = {
    "ManualJournal": manual_journal_wire,
    "Contact": contact_wire,
    "Payment": payment_wire,
    "Account": plain_wire,
    "Item": plain_wire,
    "TaxRate": plain_wire,
    "TrackingCategory": tracking_wire,
    "Currency": plain_wire,
}


def entity_wire(
    t: TenantState,
    entity: str,
    rec: Record,
    *,
    include_lines: bool = True,
    full_contact: bool = False,
    today: date | None = None,
    listed: bool = False,
    unitdp: int = 4,
) -> dict[str, Any]:
    if entity == "Invoice":
        return invoice_wire(
            t, rec, include_lines=include_lines, full_contact=full_contact, listed=listed, unitdp=unitdp
        )
    if entity == "CreditNote":
        return credit_note_wire(t, rec, listed, unitdp)
    if entity == "BankTransaction":
        out = wire({k: v for k, v in rec.items() if k != "LineItems"})
        out["LineItems"] = [line_wire(t, line, listed, unitdp) for line in rec.get("LineItems", [])]
        out["Contact"] = contact_summary(t, (rec.get("Contact") or {}).get("ContactID"))
        return out
    if entity == "Item":
        out = plain_wire(t, rec)
        for side in ("SalesDetails", "PurchaseDetails"):
            if isinstance(out.get(side), dict) and "UnitPrice" in out[side]:
                out[side] = {**out[side], "UnitPrice": _unit_places(out[side]["UnitPrice"], unitdp)}
        return out
    if entity == "Contact" and today is not None:
        # A single contact is answered with its balances (Xero's documented read-only Balances).
        return {**contact_wire(t, rec), "Balances": contact_balances(t, rec["ContactID"], today)}
    return WIRE[entity](t, rec)


def contact_balances(t: TenantState, contact_id: str, today: date) -> dict[str, Any]:
    """``Balances``: what the contact owes (sales) and is owed (bills), outstanding and overdue."""
    sums = {
        kind: {"Outstanding": Decimal("0.00"), "Overdue": Decimal("0.00")} for kind in ("ACCREC", "ACCPAY")
    }
    for invoice in t.invoices.values():
        if (invoice.get("Contact") or {}).get("ContactID") != contact_id or invoice.get(
            "Status"
        ) != "AUTHORISED":
            continue
        due = invoice.get("AmountDue") or Decimal(0)
        totals = sums.get(str(invoice.get("Type")))
        if totals is None:
            continue
        totals["Outstanding"] += due
        if invoice.get("DueDate") is not None and invoice["DueDate"] < today:
            totals["Overdue"] += due
    return {"AccountsReceivable": sums["ACCREC"], "AccountsPayable": sums["ACCPAY"]}


def field_resolver(t: TenantState, entity: str) -> Callable[[Record, list[str]], Any]:
    """Resolve a dotted ``where``/``order`` path on an internal record, following references."""

    def resolve(rec: Record, parts: list[str]) -> Any:
        value: Any = rec
        for index, part in enumerate(parts):
            if isinstance(value, dict):
                if index == 0 and part == "Contact" and entity == "Invoice":
                    value = t.contacts.get(
                        (rec.get("Contact") or {}).get("ContactID", ""), rec.get("Contact")
                    )
                    continue
                if index == 0 and part == "Invoice" and entity == "Payment":
                    value = t.invoices.get(
                        (rec.get("Invoice") or {}).get("InvoiceID", ""), rec.get("Invoice")
                    )
                    continue
                value = _get_ci(value, part)
            else:
                return None
        return value

    return resolve


def _get_ci(mapping: dict[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for k, v in mapping.items():
        if k.lower() == lowered:
            return v
    return None
