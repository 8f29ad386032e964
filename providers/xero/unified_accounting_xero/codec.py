"""Xero JSON ↔ unified models: pure functions, no I/O.

Reading: ACCREC invoices → :class:`Invoice`, contacts → :class:`Customer` (:mod:`.contacts`), payments →
:class:`Payment`, tax rates → :class:`TaxRate` (:mod:`.taxes`), tracking categories →
:class:`TrackingCategory` (:mod:`.tracking`), the organisation → :class:`CompanyInfo`
(:mod:`.organisation`), items → the unified :class:`Item`, the chart of accounts → the provider's own
:class:`Account`. Money arrives as exact ``Decimal`` (bodies are parsed with
``parse_float=Decimal``), never through a float.

Writing: a unified model (or, for updates, a mapping of changed unified fields) → the Xero element.
``pass_through`` is merged last, so any Xero field the unified model lacks still reaches Xero.
Defaults that depend on the connection (tax mode, default accounts, created status) come in
:class:`EncodeOptions`, built from the provider settings; so does what one write needs to know (the
organisation's tracking categories, the record an update changes).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from unified_accounting import jsonutil
from unified_accounting.decoding import RecordIssue, decode_each, decode_one, id_in
from unified_accounting.models import (
    CompanyInfo,
    Customer,
    Invoice,
    InvoiceStatus,
    Item,
    ItemType,
    LineItem,
    LineItemType,
    Payment,
    PaymentTerms,
    RecordMeta,
    TaxMode,
    TaxRate,
    TrackingCategory,
)
from unified_accounting.models.context import from_provider

from .contacts import (
    BILLING_ADDRESS,
    SHIPPING_ADDRESS,
    decode_contact,
    encode_contact,
    encode_contact_fields,
    first_address,
)
from .currency import unified_rate, xero_rate
from .dates import format_date, parse_datetime, record_date
from .models import Account
from .organisation import decode_organisation
from .settings import XeroSettings
from .statuses import INVOICE_TO_XERO, invoice_status, payment_status
from .support import FIELD_SUPPORT, computed, refused
from .taxes import TO_LINE_AMOUNT_TYPES, decode_tax_rate, encode_tax_rate, encode_tax_rate_changes, tax_mode
from .terms import due_date
from .tracking import TrackingNames, decode_category, decode_line_tracking, encode_category
from .versions import record_version

#: Unified resource → (Xero collection, id field, unified model). The collection names the envelope.
RESOURCES: dict[str, tuple[str, str, type[RecordMeta]]] = {
    "invoice": ("Invoices", "InvoiceID", Invoice),
    "customer": ("Contacts", "ContactID", Customer),
    "payment": ("Payments", "PaymentID", Payment),
    "account": ("Accounts", "AccountID", Account),
    "item": ("Items", "ItemID", Item),
    "tax_rate": ("TaxRates", "TaxType", TaxRate),
    "tracking_category": ("TrackingCategories", "TrackingCategoryID", TrackingCategory),
    "company_info": ("Organisations", "OrganisationID", CompanyInfo),
}

PROVIDER = "xero"


@dataclass(frozen=True)
class EncodeOptions:
    """Connection-level defaults applied when a unified record leaves something unsaid, and what one
    write needs to know about the organisation and the record it changes."""

    line_amount_types: str = "Exclusive"
    default_invoice_status: str = "AUTHORISED"
    default_sales_account_code: str | None = "200"
    default_payment_account_code: str | None = "090"
    #: The organisation's tracking categories, to write line tracking by name.
    tracking: TrackingNames | None = None
    #: The day a document without an issue date is dated (due dates from terms count from it).
    today: date | None = None
    #: The record an update changes, as Xero holds it (its lines, people, bills terms).
    current: Mapping[str, Any] | None = None

    @classmethod
    def from_settings(cls, settings: XeroSettings) -> EncodeOptions:
        return cls(
            line_amount_types=settings.line_amount_types or "Exclusive",
            default_invoice_status=settings.default_invoice_status,
            default_sales_account_code=settings.default_sales_account_code,
            default_payment_account_code=settings.default_payment_account_code,
        )

    def previous_line(self, line_id: str | None) -> Mapping[str, Any] | None:
        if not line_id or self.current is None:
            return None
        for line in self.current.get("LineItems") or []:
            if isinstance(line, Mapping) and str(line.get("LineItemID") or "").lower() == line_id.lower():
                return line
        return None


# =========================================================================================== decoding


def _decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


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
    return value is not None and value != "" and Decimal(str(value)) != 0


def decode_line(data: Mapping[str, Any]) -> dict[str, Any]:
    """A Xero line as the fields of a unified :class:`LineItem` (validated with the invoice)."""
    line_id = _text(data.get("LineItemID"))
    unit, amount = data.get("UnitAmount"), data.get("LineAmount")
    tracking = decode_line_tracking(data.get("Tracking"))
    if not data.get("ItemCode") and not _is_nonzero(unit) and not _is_nonzero(amount):
        # Xero has no line type: a line carrying no amount and no item is a text line.
        return {
            "id": line_id,
            "type": LineItemType.DESCRIPTION,
            "description": _text(data.get("Description")),
            "tracking": tracking,
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
        # Lists leave DiscountAmount out (Xero's, not ours): a single read carries it.
        "discount_amount": _decimal(data.get("DiscountAmount")),
        "total_amount": _decimal(amount),
        "item_id": _text(data.get("ItemCode")),
        "account_id": _text(data.get("AccountCode")) or _text(data.get("AccountID")),
        "tax_rate_id": _text(data.get("TaxType")),
        "tax_amount": _decimal(data.get("TaxAmount")),
        "tracking": tracking,
    }


def decode_invoice(data: Mapping[str, Any], include_raw: bool = False) -> Invoice:
    contact = data.get("Contact") or {}
    amount_paid = _decimal(data.get("AmountPaid"))
    reference = _text(data.get("Reference"))
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
            "currency_rate": unified_rate(_decimal(data.get("CurrencyRate"))),
            "status": invoice_status(data.get("Status"), amount_paid),
            "tax_mode": tax_mode(data.get("LineAmountTypes")),
            "line_items": [decode_line(line) for line in data.get("LineItems") or []],
            "sub_total": _decimal(data.get("SubTotal")),
            "total_tax": _decimal(data.get("TotalTax")),
            "total": _decimal(data.get("Total")),
            "amount_due": _decimal(data.get("AmountDue")),
            "amount_paid": amount_paid,
            # A sales invoice's Reference is where Xero keeps the customer's order number.
            "reference": reference,
            "po_number": reference,
            **_meta(data, "InvoiceID", include_raw),
        },
    )


def decode_customer(data: Mapping[str, Any], include_raw: bool = False) -> Customer:
    receivable = ((data.get("Balances") or {}).get("AccountsReceivable") or {}).get("Outstanding")
    return decode_contact(data, _meta(data, "ContactID", include_raw), _decimal(receivable))


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
            "currency_rate": unified_rate(_decimal(data.get("CurrencyRate"))),
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


def decode_rate(data: Mapping[str, Any], include_raw: bool = False) -> TaxRate:
    return decode_tax_rate(data, _meta(data, "TaxType", include_raw))


def decode_tracking_category(data: Mapping[str, Any], include_raw: bool = False) -> TrackingCategory:
    return decode_category(data, _meta(data, "TrackingCategoryID", include_raw))


def decode_company(data: Mapping[str, Any], include_raw: bool = False) -> CompanyInfo:
    address = first_address(data.get("Addresses"), (BILLING_ADDRESS, SHIPPING_ADDRESS))
    return decode_organisation(data, _meta(data, "OrganisationID", include_raw), address)


DECODERS: dict[str, Callable[[Mapping[str, Any], bool], Any]] = {
    "invoice": decode_invoice,
    "customer": decode_customer,
    "payment": decode_payment,
    "account": decode_account,
    "item": decode_item,
    "tax_rate": decode_rate,
    "tracking_category": decode_tracking_category,
    "company_info": decode_company,
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


def _same(value: Any, stored: Any) -> bool:
    if value is None or stored is None or stored == "":
        return (value is None) == (stored is None or stored == "")
    if isinstance(value, Decimal):
        return value == Decimal(str(stored))
    return str(value).upper() == str(stored).upper()


def _taxed_alike(line: LineItem, previous: Mapping[str, Any]) -> bool:
    """Whether ``line`` is taxed on what the stored line was (so its old tax amount still holds)."""
    pairs = (
        (line.quantity, previous.get("Quantity")),
        (line.unit_price, previous.get("UnitAmount")),
        (line.discount_percentage, previous.get("DiscountRate")),
        (line.total_amount, previous.get("LineAmount")),
        (line.tax_rate_id, previous.get("TaxType")),
        (line.account_id, previous.get("AccountCode") or previous.get("AccountID")),
        (line.item_id, previous.get("ItemCode")),
    )
    return all(_same(value, stored) for value, stored in pairs)


def encode_line(line: LineItem, options: EncodeOptions) -> dict[str, Any]:
    out: dict[str, Any] = {"LineItemID": line.id, "Description": line.description}
    if line.tracking:
        if options.tracking is None:
            raise ValueError("line tracking is written by name: pass the organisation's TrackingNames")
        out["Tracking"] = [options.tracking.encode(ref) for ref in line.tracking]
    if line.type is LineItemType.DESCRIPTION:
        return {k: v for k, v in out.items() if v is not None}
    previous = options.previous_line(line.id)
    discount_amount = line.discount_amount
    if (
        discount_amount is None
        and line.discount_percentage is None
        and previous is not None
        and previous.get("DiscountAmount") not in (None, "")
        and _same(line.total_amount, previous.get("LineAmount"))
    ):
        # The line was read from a list, which leaves DiscountAmount out; its total still has the
        # discount in it. Write back what Xero holds, not less.
        discount_amount = Decimal(str(previous["DiscountAmount"]))
    out.update(
        Quantity=line.quantity,
        UnitAmount=line.unit_price,
        DiscountRate=line.discount_percentage,
        DiscountAmount=discount_amount,
        ItemCode=line.item_id,
        TaxType=line.tax_rate_id,
    )
    if line.tax_amount is not None and (
        previous is None
        or not _same(line.tax_amount, previous.get("TaxAmount"))
        or _taxed_alike(line, previous)
    ):
        # A tax amount is Xero's to compute, and an override when sent. One read back with a line and
        # left as it was while the line changed is stale: Xero computes the new one.
        out["TaxAmount"] = line.tax_amount
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


FieldEncoder = Callable[[Any, EncodeOptions], dict[str, Any]]

INVOICE_FIELDS: dict[str, FieldEncoder] = {
    "customer_id": lambda v, o: {"Contact": {"ContactID": v}},
    "number": lambda v, o: {"InvoiceNumber": v},
    "issue_date": lambda v, o: {"Date": format_date(v) if v else None},
    "due_date": lambda v, o: {"DueDate": format_date(v) if v else None},
    "currency": lambda v, o: {"CurrencyCode": v},
    "currency_rate": lambda v, o: {"CurrencyRate": xero_rate(v)} if v is not None else {},
    "reference": lambda v, o: {"Reference": v or ""},
    "po_number": lambda v, o: {"Reference": v or ""},
    "status": lambda v, o: {"Status": INVOICE_TO_XERO[InvoiceStatus(v)]},
    "tax_mode": lambda v, o: {"LineAmountTypes": TO_LINE_AMOUNT_TYPES[TaxMode(v)]} if v is not None else {},
    "line_items": lambda v, o: {"LineItems": [encode_line(line, o) for line in v]},
}

#: Unified fields Xero computes: ignored when a whole record is created, refused in updates.
COMPUTED_FIELDS: dict[str, frozenset[str]] = {name: computed(name) for name in FIELD_SUPPORT}
#: Unified fields with no Xero counterpart: refused rather than silently dropped.
UNSUPPORTED_FIELDS: dict[str, dict[str, str]] = {name: refused(name) for name in FIELD_SUPPORT}


def _apply(
    fields: Mapping[str, FieldEncoder], values: Mapping[str, Any], options: EncodeOptions
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        encoder = fields.get(name)
        if encoder is not None:
            out.update(encoder(value, options))
    return out


def _set_fields(model: RecordMeta) -> dict[str, Any]:
    """The model's fields that carry a value (what a create sends)."""
    skip = {"id", "row_version", "created_at", "updated_at", "raw", "pass_through"}
    return {
        name: value
        for name in type(model).model_fields
        if name not in skip and (value := getattr(model, name)) not in (None, [], {})
    }


def _due_from_terms(values: Mapping[str, Any], options: EncodeOptions, payload: dict[str, Any]) -> None:
    """Xero invoices keep no terms: without a due date, the terms give one (from the issue date, or
    the date the invoice is given when it has none)."""
    terms = values.get("terms")
    if terms is None or values.get("due_date") is not None:
        return
    issued = values.get("issue_date")
    if issued is None and options.current is not None:
        issued = record_date(dict(options.current), "Date")
    if issued is None:
        issued = options.today or date.today()
        payload["Date"] = format_date(issued)
    payload["DueDate"] = format_date(due_date(PaymentTerms.model_validate(terms), issued))


def encode_invoice(invoice: Invoice, options: EncodeOptions) -> dict[str, Any]:
    values = _set_fields(invoice)
    payload: dict[str, Any] = {"Type": "ACCREC", **_apply(INVOICE_FIELDS, values, options)}
    payload.setdefault("Status", options.default_invoice_status)
    payload.setdefault("LineItems", [])
    payload.setdefault("LineAmountTypes", options.line_amount_types)
    _due_from_terms(values, options, payload)
    return {**payload, **invoice.pass_through}


def encode_payment(payment: Payment, options: EncodeOptions) -> dict[str, Any]:
    allocation = payment.allocations[0]  # exactly one: Provider.validate refuses anything else
    account = payment.account_id or options.default_payment_account_code
    payload: dict[str, Any] = {
        "Invoice": {"InvoiceID": allocation.invoice_id},
        "Amount": allocation.amount,
        "Date": format_date(payment.date) if payment.date else None,
        "Reference": payment.reference,
        "Account": _reference(account) if account else None,
        "CurrencyRate": xero_rate(payment.currency_rate) if payment.currency_rate is not None else None,
    }
    return {**{k: v for k, v in payload.items() if v is not None}, **payment.pass_through}


def encode_changes(resource: str, changes: Mapping[str, Any], options: EncodeOptions) -> dict[str, Any]:
    """The Xero fields of a partial update (``changes`` maps unified fields to validated values)."""
    if resource == "invoice":
        payload = _apply(INVOICE_FIELDS, changes, options)
        _due_from_terms(changes, options, payload)
    elif resource == "customer":
        payload = encode_contact_fields(changes, options.current)
        if "Name" not in payload and changes.get("company_name"):
            payload["Name"] = changes["company_name"]
    elif resource == "tax_rate":
        payload = encode_tax_rate_changes(changes, options.current or {})
        return payload
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
            return encode_contact(model, _set_fields(model))
        if isinstance(model, Payment):
            return encode_payment(model, options)
        if isinstance(model, TaxRate):
            return encode_tax_rate(model)
        if isinstance(model, TrackingCategory):
            return encode_category(model)
        raise ValueError(f"Xero cannot write a {type(model).__name__}")
