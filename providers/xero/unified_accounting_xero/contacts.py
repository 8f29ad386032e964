"""Xero contacts as unified customers: names, e-mail addresses, phones, addresses and payment terms.

* ``emails``: the contact's ``EmailAddress`` is the primary address; its ``ContactPersons`` (at most five)
  are the others, named, ``billing`` when Xero includes them in invoice e-mails (``IncludeInEmails``),
  else ``other``.
* ``phones``: Xero keeps one number per type: ``DEFAULT`` (primary), ``MOBILE``, ``FAX`` and ``DDI``
  (direct dial: ``other``). Numbers read as ``+country area number``; written whole into
  ``PhoneNumber``. Writing ``phones`` sets all four (a type left out is emptied).
* addresses: ``POBOX`` is the billing address, ``STREET`` the shipping one; ``AttentionTo`` is
  ``contact_name``; a fifth line joins the fourth (Xero has four).
* ``terms``: ``PaymentTerms.Sales``; the bills rule Xero keeps beside it is sent back unchanged.

Xero pads contacts with empty addresses and phones of every type: empty strings are not data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from unified_accounting.models import Address, Customer, EmailType, PhoneType, Supplier
from unified_accounting.models.context import from_provider

from .statuses import contact_status, customer_status
from .terms import decode_terms, encode_terms

#: Xero address types of the unified addresses (POBOX is Xero's postal/billing address).
BILLING_ADDRESS, SHIPPING_ADDRESS = "POBOX", "STREET"
#: Unified address field → Xero address field.
ADDRESS_FIELDS = {
    "line1": "AddressLine1",
    "line2": "AddressLine2",
    "line3": "AddressLine3",
    "line4": "AddressLine4",
    "city": "City",
    "region": "Region",
    "postal_code": "PostalCode",
    "country": "Country",
    "contact_name": "AttentionTo",
}
PHONE_TYPES = {
    "DEFAULT": PhoneType.PRIMARY,
    "MOBILE": PhoneType.MOBILE,
    "FAX": PhoneType.FAX,
    "DDI": PhoneType.OTHER,
}
TO_PHONE_TYPE = {unified: xero for xero, unified in PHONE_TYPES.items()}
#: Xero keeps at most five contact persons.
MAX_CONTACT_PERSONS = 5


def _text(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value)


def decode_address(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A Xero address as the fields of a unified :class:`Address`, or ``None`` when it is empty."""
    if not data:
        return None
    fields = {name: _text(data.get(key)) for name, key in ADDRESS_FIELDS.items()}
    return fields if any(value is not None for value in fields.values()) else None


def first_address(addresses: Any, kinds: tuple[str, ...]) -> dict[str, Any] | None:
    for kind in kinds:
        for entry in addresses or []:
            if isinstance(entry, Mapping) and str(entry.get("AddressType", "")).upper() == kind:
                address = decode_address(entry)
                if address is not None:
                    return address
    return None


def phone_number(phone: Mapping[str, Any]) -> str:
    country = f"+{phone['PhoneCountryCode']}" if _text(phone.get("PhoneCountryCode")) else None
    parts = (country, _text(phone.get("PhoneAreaCode")), _text(phone.get("PhoneNumber")))
    return " ".join(str(p) for p in parts if p)


def _numbers(phones: Any) -> list[Mapping[str, Any]]:
    return [p for p in phones or [] if isinstance(p, Mapping) and _text(p.get("PhoneNumber"))]


def decode_phone(phones: Any) -> str | None:
    """The primary number: the default one, else mobile, else direct dial."""
    ranked = sorted(
        _numbers(phones),
        key=lambda p: (
            ("DEFAULT", "MOBILE", "DDI").index(p["PhoneType"])
            if p.get("PhoneType") in ("DEFAULT", "MOBILE", "DDI")
            else 3
        ),
    )
    return phone_number(ranked[0]) if ranked else None


def decode_phones(phones: Any) -> list[dict[str, Any]]:
    return [
        {"number": phone_number(p), "type": PHONE_TYPES[str(p.get("PhoneType")).upper()]}
        for p in _numbers(phones)
        if str(p.get("PhoneType") or "").upper() in PHONE_TYPES
    ]


def _person_name(person: Mapping[str, Any]) -> str | None:
    return " ".join(n for n in (_text(person.get("FirstName")), _text(person.get("LastName"))) if n) or None


def decode_emails(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    emails: list[dict[str, Any]] = []
    if _text(data.get("EmailAddress")):
        emails.append({"address": data["EmailAddress"], "type": EmailType.PRIMARY})
    for person in data.get("ContactPersons") or []:
        if isinstance(person, Mapping) and _text(person.get("EmailAddress")):
            included = person.get("IncludeInEmails") in (True, "true", "True")
            emails.append(
                {
                    "address": person["EmailAddress"],
                    "type": EmailType.BILLING if included else EmailType.OTHER,
                    "name": _person_name(person),
                }
            )
    return emails


def decode_contact(data: Mapping[str, Any], meta: Mapping[str, Any], balance: Any) -> Customer:
    return from_provider(Customer, _party(data, meta, balance, "Sales"))


def decode_supplier(data: Mapping[str, Any], meta: Mapping[str, Any], balance: Any) -> Supplier:
    """The same contact read as a supplier: its bills terms, bank details and purchases account."""
    return from_provider(
        Supplier,
        {
            **_party(data, meta, balance, "Bills"),
            "bank_account_details": _text(data.get("BankAccountDetails")),
            "default_expense_account_id": _text(data.get("PurchasesDefaultAccountCode")),
            "account_number": _text(data.get("AccountNumber")),
        },
    )


def _party(data: Mapping[str, Any], meta: Mapping[str, Any], balance: Any, terms: str) -> dict[str, Any]:
    return {
        "display_name": _text(data.get("Name")) or str(data.get("ContactID")),
        "first_name": _text(data.get("FirstName")),
        "last_name": _text(data.get("LastName")),
        "email": _text(data.get("EmailAddress")),
        "phone": decode_phone(data.get("Phones")),
        "emails": decode_emails(data),
        "phones": decode_phones(data.get("Phones")),
        "billing_address": first_address(data.get("Addresses"), (BILLING_ADDRESS,)),
        "shipping_address": first_address(data.get("Addresses"), (SHIPPING_ADDRESS, "DELIVERY")),
        "currency": _text(data.get("DefaultCurrency")),
        "balance": balance,
        "status": customer_status(data.get("ContactStatus")),
        "tax_number": _text(data.get("TaxNumber")),
        "terms": decode_terms((data.get("PaymentTerms") or {}).get(terms)),
        **meta,
    }


# ----------------------------------------------------------------------------------------------- writing


def encode_address(kind: str, address: Address | None) -> dict[str, Any]:
    if address is None:
        return {"AddressType": kind}
    fields = {key: getattr(address, name) for name, key in ADDRESS_FIELDS.items()}
    if address.line5:
        # Xero has four address lines: a fifth (from QuickBooks) joins the fourth, not lost.
        fields["AddressLine4"] = ", ".join(line for line in (address.line4, address.line5) if line)
    return {"AddressType": kind, **{k: v for k, v in fields.items() if v is not None}}


def _split_name(name: str | None) -> dict[str, str]:
    first, _, last = (name or "").strip().partition(" ")
    return {k: v for k, v in (("FirstName", first), ("LastName", last.strip())) if v}


def encode_emails(emails: list[Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """``EmailAddress`` and ``ContactPersons`` for ``emails``; the contact's people without an e-mail
    address (which ``emails`` cannot hold) are kept."""
    entries = [e if isinstance(e, Mapping) else e.model_dump() for e in emails]
    primary = next((e["address"] for e in entries if EmailType(e["type"]) is EmailType.PRIMARY), None)
    people = [
        {
            **_split_name(e.get("name")),
            "EmailAddress": e["address"],
            "IncludeInEmails": EmailType(e["type"]) is EmailType.BILLING,
        }
        for e in entries
        if EmailType(e["type"]) is not EmailType.PRIMARY
    ]
    kept = [
        dict(p)
        for p in (current or {}).get("ContactPersons") or []
        if isinstance(p, Mapping) and not _text(p.get("EmailAddress"))
    ]
    # Without a primary entry the contact's own address is ``email``'s business, not changed here.
    return {**({"EmailAddress": primary} if primary else {}), "ContactPersons": [*people, *kept]}


def encode_phones(phones: list[Any]) -> list[dict[str, Any]]:
    given = {
        TO_PHONE_TYPE[PhoneType(p["type"] if isinstance(p, Mapping) else p.type)]: (
            p["number"] if isinstance(p, Mapping) else p.number
        )
        for p in phones
    }
    return [{"PhoneType": kind, "PhoneNumber": given.get(kind, "")} for kind in PHONE_TYPES]


def encode_terms_of(terms: Any, current: Mapping[str, Any] | None, side: str = "Sales") -> dict[str, Any]:
    """``PaymentTerms`` with ``side``'s rule (Sales for customers, Bills for suppliers); the other rule
    Xero keeps beside it is sent back unchanged."""
    other = "Bills" if side == "Sales" else "Sales"
    kept = ((current or {}).get("PaymentTerms") or {}).get(other)
    return {"PaymentTerms": {side: encode_terms(terms), **({other: dict(kept)} if kept else {})}}


ContactEncoder = Callable[[Any, Mapping[str, Any] | None], dict[str, Any]]

CONTACT_FIELDS: dict[str, ContactEncoder] = {
    "display_name": lambda v, c: {"Name": v},
    "first_name": lambda v, c: {"FirstName": v},
    "last_name": lambda v, c: {"LastName": v},
    "email": lambda v, c: {"EmailAddress": v or ""},
    "phone": lambda v, c: {"Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": v or ""}]},
    "emails": encode_emails,
    "phones": lambda v, c: {"Phones": encode_phones(v)},
    "currency": lambda v, c: {"DefaultCurrency": v},
    "status": lambda v, c: {"ContactStatus": contact_status(v)},
    "tax_number": lambda v, c: {"TaxNumber": v},
    "terms": lambda v, c: encode_terms_of(v, c) if v is not None else {},
}


SUPPLIER_FIELDS: dict[str, ContactEncoder] = {
    **CONTACT_FIELDS,
    "terms": lambda v, c: encode_terms_of(v, c, "Bills") if v is not None else {},
    "bank_account_details": lambda v, c: {"BankAccountDetails": v or ""},
    "default_expense_account_id": lambda v, c: {"PurchasesDefaultAccountCode": v or ""},
    "account_number": lambda v, c: {"AccountNumber": v or ""},
}


def encode_contact_fields(
    values: Mapping[str, Any],
    current: Mapping[str, Any] | None,
    fields: Mapping[str, ContactEncoder] | None = None,
) -> dict[str, Any]:
    """The Xero fields of the unified ``values`` given (a whole customer's or supplier's, or an
    update's)."""
    fields = CONTACT_FIELDS if fields is None else fields
    payload: dict[str, Any] = {}
    # ``emails``/``phones`` win over ``email``/``phone`` (the model keeps the two consistent).
    for name in sorted(values, key=lambda n: n in ("emails", "phones")):
        encoder = fields.get(name)
        if encoder is None or (name in ("emails", "phones") and not values[name] and name[:-1] in values):
            continue
        payload.update(encoder(values[name], current))
    addresses = [
        encode_address(kind, values[name])
        for name, kind in (("billing_address", BILLING_ADDRESS), ("shipping_address", SHIPPING_ADDRESS))
        if name in values
    ]
    if addresses:
        payload["Addresses"] = addresses
    return payload


def encode_contact(customer: Customer | Supplier, values: Mapping[str, Any]) -> dict[str, Any]:
    fields = SUPPLIER_FIELDS if isinstance(customer, Supplier) else CONTACT_FIELDS
    payload = encode_contact_fields(values, None, fields)
    if "Name" not in payload:
        # Xero contacts have one name: the company's, else the person's.
        person = " ".join(n for n in (customer.first_name, customer.last_name) if n)
        payload["Name"] = customer.company_name or person
    return {**payload, **customer.pass_through}
