"""Documents as Xero prints and emails them.

* A PDF is the record's own URL read with ``Accept: application/pdf`` (``/Invoices/{id}``,
  ``/CreditNotes/{id}``).
* ``send`` is ``POST /Invoices/{id}/Email`` (an empty body; 204). Xero chooses the recipients: the
  contact's email address and its contact persons marked "include in emails"; it emails sales invoices
  only, once SUBMITTED, AUTHORISED or PAID (a draft is refused), and at most 1,000 a day per paying
  organisation (20 on a trial, none on the demo company). What can be known first is checked before
  the email is asked for, each with the field to fix: an address given as ``to`` (Xero takes none), the
  invoice's status, a contact without any address. The email is not re-sent on a lost answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unified_accounting.errors import FieldIssue, ValidationFailed
from unified_accounting.provider import ProviderSession

from . import api
from .errors import PROVIDER

#: Statuses of an invoice Xero emails.
EMAILABLE = frozenset({"SUBMITTED", "AUTHORISED", "PAID"})


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "Xero cannot email this invoice", issues=[FieldIssue(field, message)], provider=PROVIDER
    )


async def pdf(session: ProviderSession, resource: str, record_id: str) -> bytes:
    response = await session.request(
        "GET", api.url(session, resource, record_id), headers={"Accept": "application/pdf"}
    )
    return response.content


def recipients(contact: Mapping[str, Any]) -> list[str]:
    """Who Xero emails an invoice of ``contact`` to."""
    found = [str(contact["EmailAddress"])] if contact.get("EmailAddress") else []
    found += [
        str(person["EmailAddress"])
        for person in contact.get("ContactPersons") or []
        if isinstance(person, Mapping) and person.get("IncludeInEmails") and person.get("EmailAddress")
    ]
    return found


async def email(session: ProviderSession, record_id: str, to: str | None) -> dict[str, Any]:
    """Email the sales invoice ``record_id``; the invoice as Xero keeps it afterwards."""
    if to is not None:
        raise _refuse(
            "to",
            "Xero emails an invoice to its customer's email address (and contact persons marked "
            "'include in emails') and takes no other: leave to out, or change the customer's email",
        )
    invoice = await api.fetch_record(session, "invoice", record_id)
    status = str(invoice.get("Status") or "").upper()
    if status not in EMAILABLE:
        raise _refuse(
            "status",
            f"Xero emails invoices once approved (SUBMITTED, AUTHORISED or PAID); this one is {status}: "
            "approve it first",
        )
    contact_id = str((invoice.get("Contact") or {}).get("ContactID") or "")
    contact = await api.fetch_record(session, "customer", contact_id) if contact_id else {}
    if not recipients(contact):
        raise _refuse(
            "customer_id",
            f"customer {contact_id or '(none)'} has no email address for Xero to send the invoice to: "
            "set the customer's email first",
        )
    await session.request(
        "POST", api.url(session, "invoice", api.id_of("invoice", invoice), "Email"), json={}
    )
    return await api.fetch_record(session, "invoice", api.id_of("invoice", invoice))
