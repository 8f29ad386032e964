"""Documents as Xero prints and sends them.

* ``GET /Invoices/{id}`` and ``GET /CreditNotes/{id}`` with ``Accept: application/pdf``: the document as a
  one-page PDF (a real, well-formed file: :func:`unified_accounting.emulation.pdf.document_pdf`).
* ``POST /Invoices/{id}/Email`` (body ``{}``): emails a sales invoice to its contact; 204 No Content. Xero's
  rules: ACCREC only; status SUBMITTED, AUTHORISED or PAID; the contact needs an email address (its own
  or a contact person's with ``IncludeInEmails``); at most ``EmulatorOptions.email_daily_limit`` a day per
  organisation. Each broken rule answers 400 (Xero's texts are UNVERIFIED). A sent invoice gets
  ``SentToContact: true``; ``TenantState.emails`` records what was sent, to whom.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from unified_accounting.emulation.pdf import document_pdf

from .errors import not_found, problem, simple_validation_error
from .state import Record, TenantState

EMAILABLE_STATUSES = ("SUBMITTED", "AUTHORISED", "PAID")
_TITLES = {
    "ACCREC": "Tax Invoice",
    "ACCPAY": "Bill",
    "ACCRECCREDIT": "Credit Note",
    "ACCPAYCREDIT": "Credit Note",
}


def wants_pdf(accept: str) -> bool:
    return "application/pdf" in accept.lower()


def _lines(t: TenantState, rec: Record) -> list[str]:
    contact = t.contacts.get(str((rec.get("Contact") or {}).get("ContactID") or "")) or {}
    out = [f"To: {contact.get('Name') or ''}", f"Date: {rec.get('Date')}"]
    if rec.get("DueDate"):
        out.append(f"Due: {rec['DueDate']}")
    out.append("")
    for line in rec.get("LineItems") or []:
        out.append(f"{line.get('Description') or ''}    {line.get('LineAmount')}")
    out.append("")
    out.append(
        f"Subtotal {rec.get('SubTotal')}  Tax {rec.get('TotalTax')}  "
        f"Total {rec.get('Total')} {rec.get('CurrencyCode')}"
    )
    return out


def pdf(call: Any, rec: Record) -> Response:
    number = rec.get("InvoiceNumber") or rec.get("CreditNoteNumber") or ""
    title = f"{_TITLES.get(str(rec.get('Type')), 'Document')} {number}".strip()
    return Response(document_pdf(title, _lines(call.tenant, rec)), media_type="application/pdf")


def _recipients(contact: Record) -> list[str]:
    addresses = [str(contact["EmailAddress"])] if contact.get("EmailAddress") else []
    addresses += [
        str(person["EmailAddress"])
        for person in contact.get("ContactPersons") or []
        if person.get("IncludeInEmails") and person.get("EmailAddress")
    ]
    return addresses


def email(call: Any, rec: Record | None) -> Response:
    em, t = call.em, call.tenant
    if call.request.method != "POST":
        return problem(405, "Method Not Allowed", "Email is sent with POST")
    if rec is None:
        return not_found(em.options.not_found_body)
    if rec.get("Type") != "ACCREC":
        return simple_validation_error("Only sales invoices (ACCREC) can be emailed.")
    if rec.get("Status") not in EMAILABLE_STATUSES:
        return simple_validation_error(
            f"An invoice with status {rec.get('Status')} cannot be emailed: "
            "it must be SUBMITTED, AUTHORISED or PAID."
        )
    contact = t.contacts.get(str((rec.get("Contact") or {}).get("ContactID") or "")) or {}
    recipients = _recipients(contact)
    if not recipients:
        return simple_validation_error("The contact has no email address to send the invoice to.")
    today = em.clock.now().date()
    sent_today = sum(1 for sent in t.emails if sent["Date"] == today)
    if sent_today >= em.options.email_daily_limit:
        return simple_validation_error("The daily limit of emails for this organisation has been reached.")
    t.emails.append({"InvoiceID": rec["InvoiceID"], "To": recipients, "Date": today})
    rec["SentToContact"] = True
    rec["UpdatedDateUTC"] = em.clock.now()
    return Response(status_code=204)


__all__ = ["email", "pdf", "wants_pdf"]
