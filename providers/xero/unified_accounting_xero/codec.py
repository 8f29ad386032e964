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
    Bill,
    BillPayment,
    BillPaymentType,
    BillStatus,
    CompanyInfo,
    CreditNote,
    CreditNoteStatus,
    Customer,
    Expense,
    ExpenseStatus,
    ExpenseType,
    Invoice,
    InvoiceStatus,
    Item,
    JournalEntry,
    LedgerAccount,
    LineItem,
    LineItemType,
    Payment,
    PaymentTerms,
    PaymentType,
    RecordMeta,
    Supplier,
    SupplierCredit,
    TaxMode,
    TaxRate,
    TrackingCategory,
)
from unified_accounting.models.context import from_provider

from . import chart
from .contacts import (
    BILLING_ADDRESS,
    SHIPPING_ADDRESS,
    SUPPLIER_FIELDS,
    decode_contact,
    decode_supplier,
    encode_contact,
    encode_contact_fields,
    first_address,
)
from .currency import unified_rate, xero_rate
from .dates import format_date, parse_datetime, record_date
from .models import Account
from .organisation import decode_organisation
from .settings import XeroSettings
from .statuses import (
    BILL_TO_XERO,
    CREDIT_TO_XERO,
    INVOICE_TO_XERO,
    bill_status,
    credit_status,
    invoice_status,
    payment_status,
    settled,
)
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
    "ledger_account": ("Accounts", "AccountID", LedgerAccount),
    "supplier": ("Contacts", "ContactID", Supplier),
    "bill": ("Invoices", "InvoiceID", Bill),
    "bill_payment": ("Payments", "PaymentID", BillPayment),
    "credit_note": ("CreditNotes", "CreditNoteID", CreditNote),
    "supplier_credit": ("CreditNotes", "CreditNoteID", SupplierCredit),
    "expense": ("BankTransactions", "BankTransactionID", Expense),
    "journal_entry": ("ManualJournals", "ManualJournalID", JournalEntry),
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
    #: The status a journal entry that names none is created with.
    journal_status: str = "POSTED"

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


def _document_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """What a sales invoice and a bill share: both are Xero ``Invoice`` documents (ACCREC, ACCPAY)."""
    return {
        "number": _text(data.get("InvoiceNumber")),
        "issue_date": record_date(dict(data), "Date"),
        "due_date": record_date(dict(data), "DueDate"),
        "currency": _text(data.get("CurrencyCode")),
        "currency_rate": unified_rate(_decimal(data.get("CurrencyRate"))),
        "tax_mode": tax_mode(data.get("LineAmountTypes")),
        "line_items": [decode_line(line) for line in data.get("LineItems") or []],
        "sub_total": _decimal(data.get("SubTotal")),
        "total_tax": _decimal(data.get("TotalTax")),
        "total": _decimal(data.get("Total")),
        "amount_due": _decimal(data.get("AmountDue")),
        "amount_paid": _decimal(data.get("AmountPaid")),
    }


def _settled(data: Mapping[str, Any]) -> Decimal | None:
    return settled(_decimal(data.get("AmountPaid")), _decimal(data.get("AmountCredited")))


def decode_invoice(data: Mapping[str, Any], include_raw: bool = False) -> Invoice:
    contact = data.get("Contact") or {}
    reference = _text(data.get("Reference"))
    # Built with the provider context: Xero stores invoices that user-input rules would refuse
    # (a due date before the invoice date is in Xero's own API examples).
    return from_provider(
        Invoice,
        {
            **_document_fields(data),
            "customer_id": str(contact.get("ContactID") or ""),
            "customer_name": _text(contact.get("Name")),
            "status": invoice_status(data.get("Status"), _settled(data)),
            # A sales invoice's Reference is where Xero keeps the customer's order number.
            "reference": reference,
            "po_number": reference,
            **_meta(data, "InvoiceID", include_raw),
        },
    )


def decode_customer(data: Mapping[str, Any], include_raw: bool = False) -> Customer:
    receivable = ((data.get("Balances") or {}).get("AccountsReceivable") or {}).get("Outstanding")
    return decode_contact(data, _meta(data, "ContactID", include_raw), _decimal(receivable))


def decode_supplier_contact(data: Mapping[str, Any], include_raw: bool = False) -> Supplier:
    payable = ((data.get("Balances") or {}).get("AccountsPayable") or {}).get("Outstanding")
    return decode_supplier(data, _meta(data, "ContactID", include_raw), _decimal(payable))


def decode_bill(data: Mapping[str, Any], include_raw: bool = False) -> Bill:
    contact = data.get("Contact") or {}
    return from_provider(
        Bill,
        {
            # A bill's InvoiceNumber is what Xero shows as its reference: the supplier's number.
            **_document_fields(data),
            "supplier_id": str(contact.get("ContactID") or ""),
            "supplier_name": _text(contact.get("Name")),
            "status": bill_status(data.get("Status"), _settled(data)),
            **_meta(data, "InvoiceID", include_raw),
        },
    )


#: Xero's supplier payment types (``PaymentType``) and what each is: payments of bills, and money
#: a supplier paid back (refunds of supplier credit notes, over- and prepayments).
BILL_PAYMENT_TYPES = {
    "ACCPAYPAYMENT": BillPaymentType.BILL_PAYMENT,
    "APCREDITPAYMENT": BillPaymentType.SUPPLIER_CREDIT_REFUND,
    "APOVERPAYMENTPAYMENT": BillPaymentType.OVERPAYMENT,
    "APPREPAYMENTPAYMENT": BillPaymentType.PREPAYMENT,
}


def decode_bill_payment(data: Mapping[str, Any], include_raw: bool = False) -> BillPayment:
    """A supplier payment by its ``PaymentType``: a bill payment is allocated to its bill; a refund
    of a supplier credit to that credit (named in ``CreditNote``, and in an object still called
    ``Invoice``); refunds of over- and prepayments to neither."""
    kind = BILL_PAYMENT_TYPES.get(
        str(data.get("PaymentType") or "ACCPAYPAYMENT").upper(), BillPaymentType.BILL_PAYMENT
    )
    fields, document = _payment_fields(
        data,
        include_raw,
        kind,
        (BillPaymentType.BILL_PAYMENT, "bill_id"),
        (BillPaymentType.SUPPLIER_CREDIT_REFUND, "supplier_credit_id"),
    )
    contact = document.get("Contact") or {}
    return from_provider(
        BillPayment,
        {
            "supplier_id": str(contact.get("ContactID") or ""),
            "supplier_name": _text(contact.get("Name")),
            **fields,
        },
    )


def _payment_fields(
    data: Mapping[str, Any],
    include_raw: bool,
    kind: Any,
    paid: tuple[Any, str],
    refunded: tuple[Any, str],
) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """What customer and supplier payments share, and the document the payment is of (whose
    contact is the party). ``paid`` is the type that pays the ``Invoice`` it names and the
    allocation field naming it; ``refunded`` the type that refunds a credit note and its field."""
    invoice = data.get("Invoice") or {}
    account = data.get("Account") or {}
    amount = _decimal(data.get("Amount")) or Decimal(0)
    allocations: list[dict[str, Any]] = []
    if kind is refunded[0]:
        credit_id = (data.get("CreditNote") or {}).get("CreditNoteID") or invoice.get("InvoiceID")
        if credit_id:
            allocations = [{refunded[1]: str(credit_id), "amount": amount}]
    elif kind is paid[0] and invoice.get("InvoiceID"):
        allocations = [{paid[1]: str(invoice["InvoiceID"]), "amount": amount}]
    document = invoice or data.get("Overpayment") or data.get("Prepayment") or {}
    fields = {
        "type": kind,
        "date": record_date(dict(data), "Date"),
        "currency": _text(document.get("CurrencyCode")),
        "currency_rate": unified_rate(_decimal(data.get("CurrencyRate"))),
        "total_amount": amount,
        "reference": _text(data.get("Reference")),
        "account_id": _text(account.get("Code")) or _text(account.get("AccountID")),
        "allocations": allocations,
        "status": payment_status(data.get("Status")),
        **_meta(data, "PaymentID", include_raw),
    }
    return fields, document


def _credit_fields(data: Mapping[str, Any], include_raw: bool) -> dict[str, Any]:
    return {
        "number": _text(data.get("CreditNoteNumber")),
        "issue_date": record_date(dict(data), "Date"),
        "currency": _text(data.get("CurrencyCode")),
        "currency_rate": unified_rate(_decimal(data.get("CurrencyRate"))),
        "status": credit_status(data.get("Status")),
        "tax_mode": tax_mode(data.get("LineAmountTypes")),
        "line_items": [decode_line(line) for line in data.get("LineItems") or []],
        "sub_total": _decimal(data.get("SubTotal")),
        "total_tax": _decimal(data.get("TotalTax")),
        "total": _decimal(data.get("Total")),
        "remaining_credit": _decimal(data.get("RemainingCredit")),
        "allocations": [
            {
                "document_id": str((a.get("Invoice") or {}).get("InvoiceID") or ""),
                "amount": _decimal(a.get("Amount")) or Decimal(0),
                "date": record_date(dict(a), "Date"),
            }
            for a in data.get("Allocations") or []
            if isinstance(a, Mapping) and not a.get("IsDeleted")
        ],
        **_meta(data, "CreditNoteID", include_raw),
    }


def decode_credit_note(data: Mapping[str, Any], include_raw: bool = False) -> CreditNote:
    contact = data.get("Contact") or {}
    return from_provider(
        CreditNote,
        {
            **_credit_fields(data, include_raw),
            "customer_id": str(contact.get("ContactID") or ""),
            "customer_name": _text(contact.get("Name")),
            "reference": _text(data.get("Reference")),
        },
    )


def decode_supplier_credit(data: Mapping[str, Any], include_raw: bool = False) -> SupplierCredit:
    contact = data.get("Contact") or {}
    return from_provider(
        SupplierCredit,
        {
            **_credit_fields(data, include_raw),
            "supplier_id": str(contact.get("ContactID") or ""),
            "supplier_name": _text(contact.get("Name")),
        },
    )


_EXPENSE_STATUS = {
    "AUTHORISED": ExpenseStatus.POSTED,
    "DELETED": ExpenseStatus.DELETED,
    "VOIDED": ExpenseStatus.VOID,
}
EXPENSE_TYPES = {"SPEND": ExpenseType.EXPENSE, "RECEIVE": ExpenseType.REFUND}
TO_BANK_TRANSACTION_TYPE = {kind: name for name, kind in EXPENSE_TYPES.items()}


def decode_expense(data: Mapping[str, Any], include_raw: bool = False) -> Expense:
    contact = data.get("Contact") or {}
    account = data.get("BankAccount") or {}
    return from_provider(
        Expense,
        {
            "date": record_date(dict(data), "Date"),
            "account_id": _text(account.get("Code")) or _text(account.get("AccountID")) or "",
            "supplier_id": _text(contact.get("ContactID")),
            "supplier_name": _text(contact.get("Name")),
            "type": EXPENSE_TYPES.get(str(data.get("Type") or "").upper(), ExpenseType.EXPENSE),
            "currency": _text(data.get("CurrencyCode")),
            "currency_rate": unified_rate(_decimal(data.get("CurrencyRate"))),
            "tax_mode": tax_mode(data.get("LineAmountTypes")),
            "line_items": [decode_line(line) for line in data.get("LineItems") or []],
            "sub_total": _decimal(data.get("SubTotal")),
            "total_tax": _decimal(data.get("TotalTax")),
            "total": _decimal(data.get("Total")),
            "reference": _text(data.get("Reference")),
            "status": _EXPENSE_STATUS.get(str(data.get("Status") or "").upper()),
            **_meta(data, "BankTransactionID", include_raw),
        },
    )


#: Xero's customer payment types (``PaymentType``) and what each is.
PAYMENT_TYPES = {
    "ACCRECPAYMENT": PaymentType.INVOICE_PAYMENT,
    "ARCREDITPAYMENT": PaymentType.CREDIT_NOTE_REFUND,
    "AROVERPAYMENTPAYMENT": PaymentType.OVERPAYMENT,
    "ARPREPAYMENTPAYMENT": PaymentType.PREPAYMENT,
}


def decode_payment(data: Mapping[str, Any], include_raw: bool = False) -> Payment:
    """A customer payment by its ``PaymentType``: an invoice payment is allocated to its invoice; a
    credit-note refund to its credit note (Xero names the note in ``CreditNote``, and in an object
    still called ``Invoice``); refunds of over- and prepayments to neither."""
    kind = PAYMENT_TYPES.get(
        str(data.get("PaymentType") or "ACCRECPAYMENT").upper(), PaymentType.INVOICE_PAYMENT
    )
    fields, document = _payment_fields(
        data,
        include_raw,
        kind,
        (PaymentType.INVOICE_PAYMENT, "invoice_id"),
        (PaymentType.CREDIT_NOTE_REFUND, "credit_note_id"),
    )
    return from_provider(
        Payment, {"customer_id": _text((document.get("Contact") or {}).get("ContactID")), **fields}
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
    return chart.decode_item(data, _meta(data, "ItemID", include_raw))


def decode_ledger_account(data: Mapping[str, Any], include_raw: bool = False) -> LedgerAccount:
    return chart.decode_ledger_account(data, _meta(data, "AccountID", include_raw))


def decode_journal_entry(data: Mapping[str, Any], include_raw: bool = False) -> JournalEntry:
    return chart.decode_journal(data, _meta(data, "ManualJournalID", include_raw))


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
    "ledger_account": decode_ledger_account,
    "supplier": decode_supplier_contact,
    "bill": decode_bill,
    "bill_payment": decode_bill_payment,
    "credit_note": decode_credit_note,
    "supplier_credit": decode_supplier_credit,
    "expense": decode_expense,
    "journal_entry": decode_journal_entry,
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


def encode_line(line: LineItem, options: EncodeOptions, *, purchase: bool = False) -> dict[str, Any]:
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
    if account is None and line.item_id is None and not purchase:
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

BILL_FIELDS: dict[str, FieldEncoder] = {
    "supplier_id": lambda v, o: {"Contact": {"ContactID": v}},
    "number": lambda v, o: {"InvoiceNumber": v or ""},
    "issue_date": INVOICE_FIELDS["issue_date"],
    "due_date": INVOICE_FIELDS["due_date"],
    "currency": INVOICE_FIELDS["currency"],
    "currency_rate": INVOICE_FIELDS["currency_rate"],
    "status": lambda v, o: {"Status": BILL_TO_XERO[BillStatus(v)]},
    "tax_mode": INVOICE_FIELDS["tax_mode"],
    "line_items": lambda v, o: {"LineItems": [encode_line(line, o, purchase=True) for line in v]},
}

CREDIT_FIELDS: dict[str, FieldEncoder] = {
    "number": lambda v, o: {"CreditNoteNumber": v or ""},
    "issue_date": INVOICE_FIELDS["issue_date"],
    "currency": INVOICE_FIELDS["currency"],
    "currency_rate": INVOICE_FIELDS["currency_rate"],
    "status": lambda v, o: {"Status": CREDIT_TO_XERO[CreditNoteStatus(v)]},
    "tax_mode": INVOICE_FIELDS["tax_mode"],
}
CREDIT_NOTE_FIELDS: dict[str, FieldEncoder] = {
    **CREDIT_FIELDS,
    "customer_id": lambda v, o: {"Contact": {"ContactID": v}},
    "reference": lambda v, o: {"Reference": v or ""},
    "line_items": lambda v, o: {"LineItems": [encode_line(line, o) for line in v]},
}
SUPPLIER_CREDIT_FIELDS: dict[str, FieldEncoder] = {
    **CREDIT_FIELDS,
    "supplier_id": lambda v, o: {"Contact": {"ContactID": v}},
    "line_items": lambda v, o: {"LineItems": [encode_line(line, o, purchase=True) for line in v]},
}

EXPENSE_FIELDS: dict[str, FieldEncoder] = {
    "date": lambda v, o: {"Date": format_date(v) if v else None},
    "account_id": lambda v, o: {"BankAccount": _reference(v)},
    "supplier_id": lambda v, o: {"Contact": {"ContactID": v}},
    "type": lambda v, o: {"Type": TO_BANK_TRANSACTION_TYPE[ExpenseType(v)]},
    "currency_rate": INVOICE_FIELDS["currency_rate"],
    "tax_mode": INVOICE_FIELDS["tax_mode"],
    "reference": lambda v, o: {"Reference": v or ""},
    "line_items": lambda v, o: {"LineItems": [encode_line(line, o, purchase=True) for line in v]},
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


def encode_bill(bill: Bill, options: EncodeOptions) -> dict[str, Any]:
    values = _set_fields(bill)
    payload: dict[str, Any] = {"Type": "ACCPAY", **_apply(BILL_FIELDS, values, options)}
    payload.setdefault("Status", options.default_invoice_status)
    payload.setdefault("LineItems", [])
    payload.setdefault("LineAmountTypes", options.line_amount_types)
    _due_from_terms(values, options, payload)
    return {**payload, **bill.pass_through}


def encode_credit(credit: CreditNote | SupplierCredit, options: EncodeOptions) -> dict[str, Any]:
    customer = isinstance(credit, CreditNote)
    fields = CREDIT_NOTE_FIELDS if customer else SUPPLIER_CREDIT_FIELDS
    payload: dict[str, Any] = {
        "Type": "ACCRECCREDIT" if customer else "ACCPAYCREDIT",
        **_apply(fields, _set_fields(credit), options),
    }
    payload.setdefault("Status", options.default_invoice_status)
    payload.setdefault("LineAmountTypes", options.line_amount_types)
    return {**payload, **credit.pass_through}


def encode_expense(expense: Expense, options: EncodeOptions) -> dict[str, Any]:
    values = _set_fields(expense)
    values.setdefault("type", expense.type)
    payload = _apply(EXPENSE_FIELDS, values, options)
    # Spend money is tax inclusive unless told otherwise (Xero's default, unlike invoices').
    payload.setdefault("LineAmountTypes", "Inclusive")
    return {**{k: v for k, v in payload.items() if v is not None}, **expense.pass_through}


def encode_bill_payment(payment: BillPayment, options: EncodeOptions) -> dict[str, Any]:
    allocation = payment.allocations[0]  # exactly one document: Provider.validate refuses anything else
    account = payment.account_id or options.default_payment_account_code
    target = (
        {"CreditNote": {"CreditNoteID": allocation.supplier_credit_id}}
        if payment.type is BillPaymentType.SUPPLIER_CREDIT_REFUND
        else {"Invoice": {"InvoiceID": allocation.bill_id}}
    )
    payload: dict[str, Any] = {
        **target,
        "Amount": allocation.amount,
        "Date": format_date(payment.date) if payment.date else None,
        "Reference": payment.reference,
        "Account": _reference(account) if account else None,
        "CurrencyRate": xero_rate(payment.currency_rate) if payment.currency_rate is not None else None,
    }
    return {**{k: v for k, v in payload.items() if v is not None}, **payment.pass_through}


def encode_payment(payment: Payment, options: EncodeOptions) -> dict[str, Any]:
    allocation = payment.allocations[0]  # exactly one: Provider.validate refuses anything else
    account = payment.account_id or options.default_payment_account_code
    target = (
        {"CreditNote": {"CreditNoteID": allocation.credit_note_id}}
        if payment.type is PaymentType.CREDIT_NOTE_REFUND
        else {"Invoice": {"InvoiceID": allocation.invoice_id}}
    )
    payload: dict[str, Any] = {
        **target,
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
    elif resource in ("customer", "supplier"):
        fields = SUPPLIER_FIELDS if resource == "supplier" else None
        payload = encode_contact_fields(changes, options.current, fields)
        if "Name" not in payload and changes.get("company_name"):
            payload["Name"] = changes["company_name"]
    elif resource == "bill":
        payload = _apply(BILL_FIELDS, changes, options)
        _due_from_terms(changes, options, payload)
    elif resource == "expense":
        payload = {k: v for k, v in _apply(EXPENSE_FIELDS, changes, options).items() if v is not None}
    elif resource == "credit_note":
        payload = _apply(CREDIT_NOTE_FIELDS, changes, options)
    elif resource == "supplier_credit":
        payload = _apply(SUPPLIER_CREDIT_FIELDS, changes, options)
    elif resource == "tax_rate":
        payload = encode_tax_rate_changes(changes, options.current or {})
        return payload
    elif resource == "ledger_account":
        payload = chart.encode_account_fields(changes, options.current)
    elif resource == "item":
        payload = chart.encode_item_fields(changes, options.current)
    elif resource == "journal_entry":
        payload = chart.encode_journal_fields(changes, options.tracking, None)
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
        if isinstance(model, Customer | Supplier):
            return encode_contact(model, _set_fields(model))
        if isinstance(model, Bill):
            return encode_bill(model, options)
        if isinstance(model, BillPayment):
            return encode_bill_payment(model, options)
        if isinstance(model, Expense):
            return encode_expense(model, options)
        if isinstance(model, CreditNote | SupplierCredit):
            return encode_credit(model, options)
        if isinstance(model, Payment):
            return encode_payment(model, options)
        if isinstance(model, TaxRate):
            return encode_tax_rate(model)
        if isinstance(model, TrackingCategory):
            return encode_category(model)
        if isinstance(model, LedgerAccount):
            return chart.encode_ledger_account(model)
        if isinstance(model, Item):
            return chart.encode_item(model)
        if isinstance(model, JournalEntry):
            values = _set_fields(model)
            payload = chart.encode_journal_fields(values, options.tracking, options.journal_status)
            return {"LineAmountTypes": "NoTax", **payload, **model.pass_through}
        raise ValueError(f"Xero cannot write a {type(model).__name__}")
