"""A customer's e-mail addresses and phone numbers, as QuickBooks keeps them.

QuickBooks has one e-mail field per customer, ``PrimaryEmailAddr.Address``, which takes several
addresses separated by commas, 100 characters in all (Intuit API reference, Customer; integrators
document the comma list). The first address is the primary one; the others read back as ``other``.
QuickBooks keeps no type or contact person per address, so ``billing`` addresses and names are
refused rather than lost.

Phones are four fields of one number each: ``PrimaryPhone`` (``primary``), ``Mobile`` (``mobile``),
``Fax`` (``fax``) and ``AlternatePhone`` (``other``); at most one number of each type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from unified_accounting.errors import FieldIssue
from unified_accounting.models import EmailAddress, EmailType, PhoneNumber, PhoneType

EMAIL_FIELD_LIMIT = 100
PHONE_FIELDS: dict[PhoneType, str] = {
    PhoneType.PRIMARY: "PrimaryPhone",
    PhoneType.MOBILE: "Mobile",
    PhoneType.FAX: "Fax",
    PhoneType.OTHER: "AlternatePhone",
}

_new_email = EmailAddress.model_construct
_new_phone = PhoneNumber.model_construct


def addresses(value: Any) -> list[str]:
    """The addresses of a comma-separated ``Address`` value."""
    if not value:
        return []
    return [part.strip() for part in str(value).split(",") if part.strip()]


def emails_of(data: Mapping[str, Any]) -> list[EmailAddress]:
    found = data.get("PrimaryEmailAddr")
    listed = addresses(found.get("Address") if isinstance(found, Mapping) else None)
    return [
        _new_email(address=address, type=EmailType.PRIMARY if index == 0 else EmailType.OTHER, name=None)
        for index, address in enumerate(listed)
    ]


def phones_of(data: Mapping[str, Any]) -> list[PhoneNumber]:
    phones = []
    for kind, key in PHONE_FIELDS.items():
        found = data.get(key)
        number = found.get("FreeFormNumber") if isinstance(found, Mapping) else None
        if number:
            phones.append(_new_phone(number=str(number), type=kind))
    return phones


def email_value(emails: Sequence[EmailAddress], email: str | None, current: Sequence[str] = ()) -> str | None:
    """The ``PrimaryEmailAddr.Address`` to write: ``emails`` (primary first) when given, else
    ``email`` as the new primary in front of the other addresses the customer has (``current``)."""
    if emails:
        primary = [e.address for e in emails if e.type is EmailType.PRIMARY]
        others = [e.address for e in emails if e.type is not EmailType.PRIMARY]
        listed = primary + others
    elif email:
        listed = [email, *(address for address in current[1:] if address != email)]
    else:
        return None
    return ", ".join(listed)


def email_issues(
    emails: Sequence[EmailAddress], email: str | None, current: Sequence[str] = ()
) -> list[FieldIssue]:
    issues = []
    for index, entry in enumerate(emails):
        if entry.type is EmailType.BILLING:
            issues.append(
                FieldIssue(
                    f"emails.{index}.type",
                    "QuickBooks keeps a customer's addresses in one list with no billing address: "
                    "use primary or other (the invoice's email is where it is sent)",
                )
            )
        if entry.name:
            issues.append(
                FieldIssue(f"emails.{index}.name", "QuickBooks keeps no contact name per e-mail address")
            )
        if "," in entry.address:
            issues.append(FieldIssue(f"emails.{index}.address", "give one address per entry"))
    if sum(1 for entry in emails if entry.type is EmailType.PRIMARY) > 1:
        issues.append(FieldIssue("emails", "QuickBooks keeps one primary address"))
    value = email_value(emails, email, current)
    if value is not None and len(value) > EMAIL_FIELD_LIMIT:
        issues.append(
            FieldIssue(
                "emails" if emails else "email",
                f"QuickBooks keeps at most {EMAIL_FIELD_LIMIT} characters of addresses per customer "
                f"(these take {len(value)})",
            )
        )
    return issues


def phone_fields(phones: Sequence[PhoneNumber], phone: str | None) -> dict[str, Any]:
    """The phone fields to write: every one of them for ``phones`` (those not given are cleared), or
    ``PrimaryPhone`` alone for ``phone``."""
    if phones:
        given = {entry.type: entry.number for entry in phones}
        return {
            key: {"FreeFormNumber": given[kind]} if kind in given else None
            for kind, key in PHONE_FIELDS.items()
        }
    if phone is not None:
        return {"PrimaryPhone": {"FreeFormNumber": phone}}
    return {}


def phone_issues(phones: Sequence[PhoneNumber]) -> list[FieldIssue]:
    seen: set[PhoneType] = set()
    issues = []
    for index, entry in enumerate(phones):
        if entry.type in seen:
            issues.append(
                FieldIssue(
                    f"phones.{index}.type",
                    f"QuickBooks keeps one {entry.type.value} number per customer "
                    "(PrimaryPhone, Mobile, Fax, AlternatePhone)",
                )
            )
        seen.add(entry.type)
    return issues
