"""Xero JSON ↔ unified models: pure functions, no I/O.

Reading: ACCREC invoices → :class:`Invoice`, contacts → :class:`Customer`, payments →
:class:`Payment`, accounts and items → the provider's own :class:`Account` and :class:`Item`. Money
arrives as exact ``Decimal`` (bodies are parsed with ``parse_float=Decimal``), never through a float.

Writing: a unified model (or, for updates, a mapping of changed unified fields) → the Xero element.
``pass_through`` is merged last, so any Xero field the unified model lacks still reaches Xero.
Defaults that depend on the connection (tax mode, default accounts, created status) come in
:class:`EncodeOptions`, built from the provider settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from unified_accounting import jsonutil
from unified_accounting.decoding import RecordIssue, decode_each, decode_one, id_in
from unified_accounting.models import (
    Address,
    Customer,
    Invoice,
    InvoiceStatus,
    Item,
    ItemType,
    LineItem,
    LineItemType,
    Payment,
    RecordMeta,
)
from unified_accounting.models.context import from_provider

from .dates import format_date, parse_datetime, record_date
from .models import Account
from .settings import XeroSettings
from .statuses import INVOICE_TO_XERO, contact_status, customer_status, invoice_status, payment_status
from .versions import record_version

#: Unified resource → (Xero collection, id field, unified model).
RESOURCES: dict[str, tuple[str, str, type[RecordMeta]]] = {
    "invoice": ("Invoices", "InvoiceID", Invoice),
    "customer": ("Contacts", "ContactID", Customer),
    "payment": ("Payments", "PaymentID", Payment),
    "account": ("Accounts", "AccountID", Account),
    "item": ("Items", "ItemID", Item),
}

PROVIDER = "xero"

#: Xero address types of the unified addresses (POBOX is Xero's postal/billing address).
BILLING_ADDRESS, SHIPPING_ADDRESS = "POBOX", "STREET"


@dataclass(frozen=True)
class EncodeOptions:
    """Connection-level defaults applied when a unified record leaves something unsaid."""

    line_amount_types: str = "Exclusive"
    default_invoice_status: str = "AUTHORISED"
    default_sales_account_code: str | None = "200"
    default_payment_account_code: str | None = "090"

    @classmethod
    def from_settings(cls, settings: XeroSettings) -> EncodeOptions:
        return cls(
            line_amount_types=settings.line_amount_types,
            default_invoice_status=settings.default_invoice_status,
            default_sales_account_code=settings.default_sales_account_code,
            default_payment_account_code=settings.default_payment_account_code,
        )


# =========================================================================================== decoding


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _meta(data: Mapping[str, Any], id_field: str, include_raw: bool) -> dict[str, Any]:
    return {
        "id": _text(data.get(id_field)),
        "row_version": record_version(data),
        "updated_at": parse_datetime(data.get("UpdatedDateUTC")),
        "raw": dict(data) if include_raw else None,
    }


def _is_nonzero(value: Any) -> bool:
    return value is not None and Decimal(str(value)) != 0


def decode_line(data: Mapping[str, Any]) -> dict[str, Any]:
    """A Xero line as the fields of a unified :class:`LineItem` (validated with the invoice)."""
    line_id = _text(data.get("LineItemID"))
    unit, amount = data.get("UnitAmount"), data.get("LineAmount")
    if not data.get("ItemCode") and not _is_nonzero(unit) and not _is_nonzero(amount):
        # Xero has no line type: a line carrying no amount and no item is a text line.
        return {
            "id": line_id,
            "type": LineItemType.DESCRIPTION,
            "description": _text(data.get("Description")),
        }
    quantity = _decimal(data.get("Quantity"))
    unit_price = _decimal(unit)
    if quantity is not None and quantity < 0:
        # Xero allows negative quantities; unified quantities are not negative, so the sign moves
        # onto the price (the line amount is unchanged).
        quantity = -quantity
        unit_price = -unit_price if unit_price is not None else None
    return {
        "id": line_id,
        "description": _text(data.get("Description")),
        "quantity": quantity,
        "unit_price": unit_price,
        "discount_percentage": _decimal(data.get("DiscountRate")),
        "total_amount": _decimal(amount),
        "item_id": _text(data.get("ItemCode")),
        "account_id": _text(data.get("AccountCode")) or _text(data.get("AccountID")),
        "tax_rate_id": _text(data.get("TaxType")),
    }


def decode_invoice(data: Mapping[str, Any], include_raw: bool = False) -> Invoice:
    contact = data.get("Contact") or {}
    amount_paid = _decimal(data.get("AmountPaid"))
    line_amount_types = data.get("LineAmountTypes")
    # Built with the provider context: Xero stores invoices that user-input rules would refuse
    # (a due date before the invoice date is in Xero's own API examples).
    return from_provider(
        Invoice,
        {
            "number": _text(data.get("InvoiceNumber")),
            "customer_id": str(contact.get("ContactID") or ""),
            "customer_name": _text(contact.get("Name")),
            "issue_date": record_date(dict(data), "Date"),
            "due_date": record_date(dict(data), "DueDate"),
            "currency": _text(data.get("CurrencyCode")),
            "status": invoice_status(data.get("Status"), amount_paid),
            "line_items": [decode_line(line) for line in data.get("LineItems") or []],
            "sub_total": _decimal(data.get("SubTotal")),
            "total_tax": _decimal(data.get("TotalTax")),
            "total": _decimal(data.get("Total")),
            "amount_due": _decimal(data.get("AmountDue")),
            "amount_paid": amount_paid,
            "reference": _text(data.get("Reference")),
            # The tax mode says how to read unit prices and line totals, and writing it back keeps it.
            "pass_through": {"LineAmountTypes": line_amount_types} if line_amount_types else {},
            **_meta(data, "InvoiceID", include_raw),
        },
    )


#: Unified address field → Xero address field. Every line Xero holds has its own field.
ADDRESS_FIELDS = {
    "line1": "AddressLine1",
    "line2": "AddressLine2",
    "line3": "AddressLine3",
    "line4": "AddressLine4",
    "city": "City",
    "region": "Region",
    "postal_code": "PostalCode",
    "country": "Country",
}


def decode_address(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A Xero address as the fields of a unified :class:`Address`, or ``None`` when it is empty."""
    if not data:
        return None
    fields = {name: _text(data.get(key)) for name, key in ADDRESS_FIELDS.items()}
    return fields if any(value is not None for value in fields.values()) else None


def _addresses(data: Mapping[str, Any], kinds: tuple[str, ...]) -> dict[str, Any] | None:
    for kind in kinds:
        for entry in data.get("Addresses") or []:
            if str(entry.get("AddressType", "")).upper() == kind:
                address = decode_address(entry)
                if address is not None:
                    return address
    return None


def decode_phone(phones: list[Mapping[str, Any]] | None) -> str | None:
    ranked = sorted(
        (p for p in phones or [] if p.get("PhoneNumber")),
        key=lambda p: (
            ("DEFAULT", "MOBILE", "DDI").index(p["PhoneType"])
            if p.get("PhoneType") in ("DEFAULT", "MOBILE", "DDI")
            else 3
        ),
    )
    if not ranked:
        return None
    phone = ranked[0]
    country = f"+{phone['PhoneCountryCode']}" if phone.get("PhoneCountryCode") else None
    return " ".join(str(p) for p in (country, phone.get("PhoneAreaCode"), phone["PhoneNumber"]) if p)


def decode_contact(data: Mapping[str, Any], include_raw: bool = False) -> Customer:
    receivable = ((data.get("Balances") or {}).get("AccountsReceivable") or {}).get("Outstanding")
    return from_provider(
        Customer,
        {
            "display_name": _text(data.get("Name")) or str(data.get("ContactID")),
            "first_name": _text(data.get("FirstName")),
            "last_name": _text(data.get("LastName")),
            "email": _text(data.get("EmailAddress")),
            "phone": decode_phone(data.get("Phones")),
            "billing_address": _addresses(data, (BILLING_ADDRESS,)),
            "shipping_address": _addresses(data, (SHIPPING_ADDRESS, "DELIVERY")),
            "currency": _text(data.get("DefaultCurrency")),
            "balance": _decimal(receivable),
            "status": customer_status(data.get("ContactStatus")),
            "tax_number": _text(data.get("TaxNumber")),
            **_meta(data, "ContactID", include_raw),
        },
    )


def decode_payment(data: Mapping[str, Any], include_raw: bool = False) -> Payment:
    invoice = data.get("Invoice") or {}
    account = data.get("Account") or {}
    amount = _decimal(data.get("Amount")) or Decimal(0)
    allocations = (
        [{"invoice_id": str(invoice["InvoiceID"]), "amount": amount}] if invoice.get("InvoiceID") else []
    )
    return from_provider(
        Payment,
        {
            "customer_id": _text((invoice.get("Contact") or {}).get("ContactID")),
            "date": record_date(dict(data), "Date"),
            "currency": _text(invoice.get("CurrencyCode")),
            "total_amount": amount,
            "reference": _text(data.get("Reference")),
            "account_id": _text(account.get("Code")) or _text(account.get("AccountID")),
            "allocations": allocations,
            "status": payment_status(data.get("Status")),
            **_meta(data, "PaymentID", include_raw),
        },
    )


def decode_account(data: Mapping[str, Any], include_raw: bool = False) -> Account:
    return from_provider(
        Account,
        {
            "code": _text(data.get("Code")),
            "name": _text(data.get("Name")),
            "type": _text(data.get("Type")),
            "account_class": _text(data.get("Class")),
            "status": _text(data.get("Status")),
            "tax_type": _text(data.get("TaxType")),
            "description": _text(data.get("Description")),
            "currency": _text(data.get("CurrencyCode")),
            "bank_account_number": _text(data.get("BankAccountNumber")),
            "enable_payments_to_account": data.get("EnablePaymentsToAccount"),
            **_meta(data, "AccountID", include_raw),
        },
    )


def decode_item(data: Mapping[str, Any], include_raw: bool = False) -> Item:
    sales = data.get("SalesDetails") or {}
    purchase = data.get("PurchaseDetails") or {}
    tracked = data.get("IsTrackedAsInventory") is True
    # Xero has no item types: an item whose quantity is tracked is inventory; the others may be
    # goods or services alike, and are read as services.
    return from_provider(
        Item,
        {
            "code": _text(data.get("Code")),
            "name": _text(data.get("Name")) or _text(data.get("Code")) or "",
            "description": _text(data.get("Description")),
            "type": ItemType.INVENTORY if tracked else ItemType.SERVICE,
            "sales": _pricing(sales, _text(data.get("Description")))
            if data.get("IsSold") is not False and sales
            else None,
            "purchase": _pricing(purchase, _text(data.get("PurchaseDescription")))
            if data.get("IsPurchased") is not False and purchase
            else None,
            "quantity_on_hand": _decimal(data.get("QuantityOnHand")) if tracked else None,
            "inventory_account_id": _text(data.get("InventoryAssetAccountCode")),
            **_meta(data, "ItemID", include_raw),
        },
    )


def _pricing(details: Mapping[str, Any], description: str | None) -> dict[str, Any]:
    return {
        "unit_price": _decimal(details.get("UnitPrice")),
        "account_id": _text(details.get("AccountCode")),
        "tax_rate_id": _text(details.get("TaxType")),
        "description": description,
    }


DECODERS: dict[str, Callable[[Mapping[str, Any], bool], Any]] = {
    "invoice": decode_invoice,
    "customer": decode_contact,
    "payment": decode_payment,
    "account": decode_account,
    "item": decode_item,
}


def record_id_of(resource: str, data: Any) -> str | None:
    return id_in(data, RESOURCES[resource][1])


def decode_record(resource: str, data: Any, include_raw: bool = False) -> Any:
    """One Xero record; one that cannot be read raises ``DecodeFailed`` carrying the payload."""
    decoder = DECODERS[resource]
    return decode_one(
        PROVIDER,
        resource,
        data,
        lambda payload: decoder(payload, include_raw),
        record_id=record_id_of(resource, data),
    )


def decode_rows(
    resource: str, rows: Iterable[Any], include_raw: bool = False
) -> tuple[list[Any], list[RecordIssue]]:
    """The records that decode, and a :class:`RecordIssue` for each that does not (one odd record
    never fails a page)."""
    decoder = DECODERS[resource]
    return decode_each(
        PROVIDER,
        resource,
        rows,
        lambda payload: decoder(payload, include_raw),
        lambda payload: record_id_of(resource, payload),
    )


def envelope_items(resource: str, body: bytes | Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records of a Xero response envelope (``{"Invoices": [...], ...}``)."""
    data = jsonutil.loads(body) if isinstance(body, bytes) else body
    items = data.get(RESOURCES[resource][0]) if isinstance(data, Mapping) else None
    return list(items or [])


# =========================================================================================== encoding


def _reference(value: str) -> dict[str, str]:
    """Xero accepts an account or item by GUID or by code: send whichever the caller gave."""
    try:
        uuid.UUID(value)
    except ValueError:
        return {"Code": value}
    return {"AccountID": value}


def encode_line(line: LineItem, options: EncodeOptions) -> dict[str, Any]:
    out: dict[str, Any] = {"LineItemID": line.id, "Description": line.description}
    if line.type is LineItemType.DESCRIPTION:
        return {k: v for k, v in out.items() if v is not None}
    out.update(
        Quantity=line.quantity,
        UnitAmount=line.unit_price,
        DiscountRate=line.discount_percentage,
        ItemCode=line.item_id,
        TaxType=line.tax_rate_id,
    )
    if line.unit_price is None and line.total_amount is not None:
        # Only a total given: Xero derives the unit amount. With both, Xero checks they agree,
        # and a derived total may carry more decimals than Xero's rounded LineAmount.
        out["LineAmount"] = line.total_amount
    account = line.account_id
    if account is None and line.item_id is None:
        account = options.default_sales_account_code
    if account is not None:
        reference = _reference(account)
        out.update({"AccountCode": reference["Code"]} if "Code" in reference else reference)
    return {k: v for k, v in out.items() if v is not None}


def _address(kind: str, address: Address | None) -> dict[str, Any]:
    if address is None:
        return {"AddressType": kind}
    fields = {key: getattr(address, name) for name, key in ADDRESS_FIELDS.items()}
    if address.line5:
        # Xero has four address lines: a fifth (from QuickBooks) joins the fourth, not lost.
        fields["AddressLine4"] = ", ".join(line for line in (address.line4, address.line5) if line)
    return {"AddressType": kind, **{k: v for k, v in fields.items() if v is not None}}


FieldEncoder = Callable[[Any, EncodeOptions], dict[str, Any]]

INVOICE_FIELDS: dict[str, FieldEncoder] = {
    "customer_id": lambda v, o: {"Contact": {"ContactID": v}},
    "number": lambda v, o: {"InvoiceNumber": v},
    "issue_date": lambda v, o: {"Date": format_date(v) if v else None},
    "due_date": lambda v, o: {"DueDate": format_date(v) if v else None},
    "currency": lambda v, o: {"CurrencyCode": v},
    "reference": lambda v, o: {"Reference": v or ""},
    "status": lambda v, o: {"Status": INVOICE_TO_XERO[InvoiceStatus(v)]},
    "line_items": lambda v, o: {"LineItems": [encode_line(line, o) for line in v]},
}

CONTACT_FIELDS: dict[str, FieldEncoder] = {
    "display_name": lambda v, o: {"Name": v},
    "first_name": lambda v, o: {"FirstName": v},
    "last_name": lambda v, o: {"LastName": v},
    "email": lambda v, o: {"EmailAddress": v},
    "phone": lambda v, o: {"Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": v}] if v else []},
    "currency": lambda v, o: {"DefaultCurrency": v},
    "status": lambda v, o: {"ContactStatus": contact_status(v)},
    "tax_number": lambda v, o: {"TaxNumber": v},
}

#: Unified fields Xero computes: ignored when a whole record is created, refused in updates.
COMPUTED_FIELDS: dict[str, frozenset[str]] = {
    "invoice": frozenset({"customer_name", "sub_total", "total_tax", "total", "amount_due", "amount_paid"}),
    "customer": frozenset({"balance"}),
}
#: Unified fields with no Xero counterpart: refused rather than silently dropped.
UNSUPPORTED_FIELDS: dict[str, dict[str, str]] = {
    "invoice": {
        "memo": "Xero invoices have no memo; use reference (shown on the invoice)",
        "billing_address": "Xero invoices take the address of their contact",
        "shipping_address": "Xero invoices take the address of their contact",
        "email": "Xero invoices are e-mailed to their contact",
        "custom_fields": "Xero invoices have no custom fields",
    },
    "payment": {
        "payment_method": "Xero payments have no payment method",
        "unapplied_amount": "a Xero payment applies its whole amount to one invoice",
    },
}


def _apply(
    fields: Mapping[str, FieldEncoder], values: Mapping[str, Any], options: EncodeOptions
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        encoder = fields.get(name)
        if encoder is not None:
            out.update(encoder(value, options))
    return out


def _contact_addresses(values: Mapping[str, Any]) -> dict[str, Any]:
    addresses = [
        _address(kind, values[name])
        for name, kind in (("billing_address", BILLING_ADDRESS), ("shipping_address", SHIPPING_ADDRESS))
        if name in values
    ]
    return {"Addresses": addresses} if addresses else {}


def _set_fields(model: RecordMeta) -> dict[str, Any]:
    """The model's fields that carry a value (what a create sends)."""
    skip = {"id", "row_version", "created_at", "updated_at", "raw", "pass_through"}
    return {
        name: value
        for name in type(model).model_fields
        if name not in skip and (value := getattr(model, name)) not in (None, [], {})
    }


def encode_invoice(invoice: Invoice, options: EncodeOptions) -> dict[str, Any]:
    values = _set_fields(invoice)
    payload: dict[str, Any] = {"Type": "ACCREC", **_apply(INVOICE_FIELDS, values, options)}
    payload.setdefault("Status", options.default_invoice_status)
    payload.setdefault("LineItems", [])
    payload["LineAmountTypes"] = options.line_amount_types
    return {**payload, **invoice.pass_through}


def encode_contact(customer: Customer, options: EncodeOptions) -> dict[str, Any]:
    values = _set_fields(customer)
    payload = {**_apply(CONTACT_FIELDS, values, options), **_contact_addresses(values)}
    if "Name" not in payload:
        # Xero contacts have one name: the company's, else the person's.
        person = " ".join(n for n in (customer.first_name, customer.last_name) if n)
        payload["Name"] = customer.company_name or person
    return {**payload, **customer.pass_through}


def encode_payment(payment: Payment, options: EncodeOptions) -> dict[str, Any]:
    allocation = payment.allocations[0]  # exactly one: Provider.validate refuses anything else
    account = payment.account_id or options.default_payment_account_code
    payload: dict[str, Any] = {
        "Invoice": {"InvoiceID": allocation.invoice_id},
        "Amount": allocation.amount,
        "Date": format_date(payment.date) if payment.date else None,
        "Reference": payment.reference,
        "Account": _reference(account) if account else None,
    }
    return {**{k: v for k, v in payload.items() if v is not None}, **payment.pass_through}


def encode_changes(resource: str, changes: Mapping[str, Any], options: EncodeOptions) -> dict[str, Any]:
    """The Xero fields of a partial update (``changes`` maps unified fields to validated values)."""
    if resource == "invoice":
        payload = _apply(INVOICE_FIELDS, changes, options)
    elif resource == "customer":
        payload = {**_apply(CONTACT_FIELDS, changes, options), **_contact_addresses(changes)}
        if "Name" not in payload and changes.get("company_name"):
            payload["Name"] = changes["company_name"]
    else:
        raise ValueError(f"Xero updates no {resource!r} records")
    return {**payload, **dict(changes.get("pass_through") or {})}


class XeroCodec:
    """The provider's :class:`~unified_accounting.provider.Codec`."""

    def decode(self, resource: str, payload: Mapping[str, Any] | bytes, include_raw: bool = False) -> Any:
        """One record (or a whole response envelope); one that cannot be read raises ``DecodeFailed``."""
        data: Any = (
            decode_one(PROVIDER, resource, payload, jsonutil.loads) if isinstance(payload, bytes) else payload
        )
        if isinstance(data, Mapping) and RESOURCES[resource][0] in data:
            items = envelope_items(resource, data)
            data = items[0] if items else data  # a whole response envelope
        return decode_record(resource, data, include_raw)

    def decode_list(self, resource: str, body: bytes, include_raw: bool = False) -> list[Any]:
        """Every record of a response envelope; the first that cannot be read raises ``DecodeFailed``."""
        records, issues = self.decode_page(resource, body, include_raw)
        if issues:
            raise issues[0].error
        return records

    def decode_page(
        self, resource: str, body: bytes | Mapping[str, Any] | list[Any], include_raw: bool = False
    ) -> tuple[list[Any], list[RecordIssue]]:
        """The records of a response envelope (bytes or parsed), or of its elements already taken
        out, that decode, and a :class:`RecordIssue` for each that does not."""
        items = (
            body
            if isinstance(body, list)
            else decode_one(PROVIDER, resource, body, lambda raw: envelope_items(resource, raw))
        )
        return decode_rows(resource, items, include_raw)

    def encode(self, model: RecordMeta, options: EncodeOptions | None = None) -> dict[str, Any]:
        options = options or EncodeOptions()
        if isinstance(model, Invoice):
            return encode_invoice(model, options)
        if isinstance(model, Customer):
            return encode_contact(model, options)
        if isinstance(model, Payment):
            return encode_payment(model, options)
        raise ValueError(f"Xero cannot write a {type(model).__name__}")
