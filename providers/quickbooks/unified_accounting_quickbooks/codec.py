"""QuickBooks Online JSON ↔ unified models: pure functions, no I/O.

:func:`decode_invoice` and its siblings are the reference decoders: they read parsed JSON (amounts
are exact ``Decimal`` from :func:`loads`, never a float), parse dates and times, check currencies
against the ISO list and build the records with pydantic's ``model_construct``. The few rules the
models would enforce and the wire can break (a negative quantity, a due date before the issue date,
...) are checked cheaply; a record that fails them goes through full pydantic validation, which
raises naming the field.

A page of invoices (``decode_list``), the hot path, is decoded by :mod:`.fastpath` straight from the
bytes; it hands every record it cannot vouch for back to :func:`decode_invoice`, so both give the same
records and the same errors.

Encoding maps unified fields to QuickBooks fields one at a time (:data:`ENCODERS`), so the same
tables serve a full create and the fields of a sparse update. ``pass_through`` is merged on top.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
from pydantic import BaseModel

from unified_accounting.decoding import (
    RecordIssue,
    decode_each,
    decode_failure,
    decode_one,
    id_in,
    readable_raw,
)
from unified_accounting.models import (
    Address,
    Allocation,
    Bill,
    BillPayment,
    BillPaymentStatus,
    BillStatus,
    CreditNote,
    CreditNoteStatus,
    Customer,
    CustomerStatus,
    CustomField,
    Expense,
    ExpensePaymentType,
    ExpenseStatus,
    ExpenseType,
    Invoice,
    InvoiceStatus,
    Item,
    ItemStatus,
    ItemType,
    JournalEntry,
    JournalEntryStatus,
    JournalLine,
    LedgerAccount,
    LedgerAccountStatus,
    LedgerAccountType,
    LineItem,
    LineItemType,
    PartyStatus,
    Payment,
    PaymentStatus,
    PhoneType,
    RecordMeta,
    Supplier,
    SupplierCredit,
    TaxMode,
    TaxRate,
    TrackingCategory,
    TrackingRef,
)
from unified_accounting.models.context import from_provider
from unified_accounting.models.currency import ISO_4217_CODES
from unified_accounting.models.ledger_account import CLASSIFICATION_OF
from unified_accounting.models.money import QuantizedRecords, quantized, quantum

from . import accounts, contacts, fastpath, taxes, tracking
from .company import PO_FIELD_NAME, CompanySetup, decode_company, setup_from
from .models import Account
from .terms import terms_of

ZERO = Decimal(0)
PROVIDER = "quickbooks"

#: Unified resource name → QuickBooks entity name (a tax rate is a TaxCode with its TaxRates; a
#: tracking category is read from Preferences and the Class or Department list).
ENTITIES: dict[str, str] = {
    "invoice": "Invoice",
    "customer": "Customer",
    "payment": "Payment",
    "item": "Item",
    "account": "Account",
    "ledger_account": "Account",
    "journal_entry": "JournalEntry",
    "supplier": "Vendor",
    "bill": "Bill",
    "bill_payment": "BillPayment",
    "credit_note": "CreditMemo",
    "supplier_credit": "VendorCredit",
    "expense": "Purchase",
    "tax_rate": "TaxCode",
    "company_info": "CompanyInfo",
}
#: QuickBooks entity → the resource its changes and webhook events are routed to (an Account is
#: the unified ledger account; ``conn.resource("account")`` still reads QuickBooks' own shape).
RESOURCES: dict[str, str] = {
    **{entity: resource for resource, entity in ENTITIES.items() if resource != "ledger_account"},
    "Account": "ledger_account",
}
MODELS: dict[str, type[RecordMeta]] = {
    "invoice": Invoice,
    "customer": Customer,
    "payment": Payment,
    "item": Item,
    "ledger_account": LedgerAccount,
    "journal_entry": JournalEntry,
    "supplier": Supplier,
    "bill": Bill,
    "bill_payment": BillPayment,
    "credit_note": CreditNote,
    "supplier_credit": SupplierCredit,
    "expense": Expense,
    "account": Account,
}


# Numbers with a fraction or an exponent become Decimal from their own digits; integers stay int.
_json = msgspec.json.Decoder(float_hook=Decimal)


def loads(body: bytes | str) -> Any:
    """Parse QuickBooks JSON with every fraction as an exact ``Decimal`` (never through a float)."""
    try:
        return _json.decode(body)
    except msgspec.DecodeError:
        # Either not JSON (the standard parser's message names line and column), or JSON msgspec
        # refuses but the standard parser reads (a byte-order mark, UTF-16, NaN).
        return json.loads(body, parse_float=Decimal)


# ------------------------------------------------------------------------------------ decoding


def _money(value: Any) -> Decimal | None:
    # JSON integers arrive as int; fractions are already Decimal thanks to parse_float.
    if value is None or type(value) is Decimal:
        return value
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    return Decimal(value) if isinstance(value, int) else Decimal(str(value))


def _time(value: Any) -> datetime | None:
    # QuickBooks writes company-local times with an offset; the models hold UTC.
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)


def _date(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _ref(value: Any) -> str | None:
    if value is None:
        return None
    ref = value.get("value")
    return None if ref in (None, "") else str(ref)


def _currency(ref: Any) -> str | None:
    code = _ref(ref)
    if code is None:
        return None
    code = code.upper()
    if code not in ISO_4217_CODES:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


_new_address = Address.model_construct


def _address(value: Any) -> Address | None:
    if not value:
        return None
    # Free-form addresses (Line1–Line5, often without City: the usual form in real companies)
    # keep every line.
    return _new_address(
        line1=value.get("Line1"),
        line2=value.get("Line2"),
        line3=value.get("Line3"),
        line4=value.get("Line4"),
        line5=value.get("Line5"),
        city=value.get("City"),
        region=value.get("CountrySubDivisionCode"),
        postal_code=value.get("PostalCode"),
        country=value.get("Country"),
        contact_name=None,
    )


def _meta(data: Mapping[str, Any], raw: Mapping[str, Any] | None) -> dict[str, Any]:
    meta = data.get("MetaData") or {}
    return {
        "id": data.get("Id"),
        "row_version": data.get("SyncToken"),
        "created_at": _time(meta.get("CreateTime")),
        "updated_at": _time(meta.get("LastUpdatedTime")),
        "raw": raw,
        "pass_through": {},
    }


_new_line = LineItem.model_construct
_SALES, _DISCOUNT, _DESCRIPTION, _GROUP = (
    LineItemType.SALES_ITEM,
    LineItemType.DISCOUNT,
    LineItemType.DESCRIPTION,
    LineItemType.GROUP,
)


def _amount(value: Any, unit: Decimal | None) -> Decimal | None:
    """Money at the currency's minor units (as the core would leave it: see ``models.money``)."""
    amount = _money(value)
    if amount is None or unit is None or amount.as_tuple().exponent == unit.as_tuple().exponent:
        return amount
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


def _line(
    line: Mapping[str, Any], txn_code: str | None, inclusive: bool, unit: Decimal | None
) -> tuple[LineItem | None, str | None]:
    """One line and the tax code it names (``None``: the computed subtotal, not a line item)."""
    kind = line.get("DetailType")
    if kind == "SalesItemLineDetail":
        detail = line.get("SalesItemLineDetail") or {}
        code = _ref(detail.get("TaxCodeRef"))
        quantity, price = _money(detail.get("Qty")), _money(detail.get("UnitPrice"))
        net = _amount(line.get("Amount"), unit)
        gross = _amount(detail.get("TaxInclusiveAmt"), unit)
        total = net
        if inclusive and gross is not None:
            # Tax-inclusive: the unified line is gross; QuickBooks keeps the net beside it.
            total = gross
            if quantity:
                price = taxes.unit_price(gross, quantity)
        return _new_line(
            id=line.get("Id"),
            type=_SALES,
            description=line.get("Description"),
            quantity=quantity,
            unit_price=price,
            discount_percentage=None,
            discount_amount=None,
            total_amount=total,
            item_id=_ref(detail.get("ItemRef")),
            account_id=_ref(detail.get("ItemAccountRef")),
            tax_rate_id=taxes.line_rate_id(code, txn_code),
            tax_amount=gross - net if gross is not None and net is not None else None,
            tracking=tracking.line_tags(detail),
        ), code
    if kind == "SubTotalLineDetail":
        return None, None  # computed by QuickBooks from the other lines: not something sold
    if kind == "DiscountLineDetail":
        detail = line.get("DiscountLineDetail") or {}
        percent_based = detail.get("PercentBased") in (True, "true")
        amount = _amount(line.get("Amount"), unit)
        code = _ref(detail.get("TaxCodeRef"))
        return _new_line(
            id=line.get("Id"),
            type=_DISCOUNT,
            description=line.get("Description"),
            quantity=None,
            unit_price=None,
            discount_percentage=_money(detail.get("DiscountPercent")) if percent_based else None,
            discount_amount=None if percent_based else amount,
            total_amount=amount,
            item_id=None,
            account_id=_ref(detail.get("DiscountAccountRef")),
            tax_rate_id=taxes.line_rate_id(code, txn_code),
            tax_amount=None,
            tracking=tracking.line_tags(detail),
        ), code
    if kind == "GroupLineDetail":
        detail = line.get("GroupLineDetail") or {}
        return _new_line(
            id=line.get("Id"),
            type=_GROUP,
            description=line.get("Description"),
            quantity=_money(detail.get("Quantity")),
            unit_price=None,
            discount_percentage=None,
            discount_amount=None,
            total_amount=_amount(line.get("Amount"), unit),
            item_id=_ref(detail.get("GroupItemRef")),
            account_id=None,
            tax_rate_id=None,
            tax_amount=None,
            tracking=[],
        ), None
    # DescriptionOnly, and any detail type added later: keep the text, the rest stays in ``raw``.
    return _new_line(
        id=line.get("Id"),
        type=_DESCRIPTION,
        description=line.get("Description"),
        quantity=None,
        unit_price=None,
        discount_percentage=None,
        discount_amount=None,
        total_amount=None,
        item_id=None,
        account_id=None,
        tax_rate_id=None,
        tax_amount=None,
        tracking=[],
    ), None


def is_voided(data: Mapping[str, Any]) -> bool:
    """QuickBooks keeps a voided transaction, zeroed, with "Voided" prepended to ``PrivateNote``."""
    note = data.get("PrivateNote")
    return bool(note) and str(note).startswith("Voided") and not data.get("TotalAmt")


def invoice_status(data: Mapping[str, Any], total: Decimal | None, balance: Decimal | None) -> InvoiceStatus:
    if is_voided(data):
        return InvoiceStatus.VOID
    if total is None or balance is None or balance == total:
        return InvoiceStatus.OPEN
    if balance == 0:
        return InvoiceStatus.PAID
    return InvoiceStatus.PARTIALLY_PAID


def _custom_fields(values: Any) -> list[CustomField]:
    return [
        CustomField.model_construct(
            id=_str_or_none(field.get("DefinitionId")),
            name=field.get("Name"),
            value=_str_or_none(field.get("StringValue")),
        )
        for field in values or ()
    ]


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _po_number(entries: Any) -> str | None:
    for entry in entries or ():
        if isinstance(entry, Mapping) and PO_FIELD_NAME.match(str(entry.get("Name") or "")):
            value = entry.get("StringValue")
            return None if value is None else str(value)
    return None


def _rate(value: Any) -> Decimal | None:
    # A rate of 0 (or less) means none; QuickBooks writes 1 for the home currency.
    rate = _money(value)
    return rate if rate is not None and rate > 0 else None


def decode_invoice(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> Invoice:
    currency = _currency(data.get("CurrencyRef"))
    unit = quantum(currency)
    txn_code = taxes.transaction_code(data)
    inclusive = data.get("GlobalTaxCalculation") == "TaxInclusive"
    lines = []
    codes = []
    sub_total = None
    for entry in data.get("Line") or ():
        line, code = _line(entry, txn_code, inclusive, unit)
        if line is None:
            sub_total = _amount(entry.get("Amount"), unit)
        else:
            lines.append(line)
            if line.type is _SALES:
                codes.append(code)
    total = _amount(data.get("TotalAmt"), unit)
    balance = _amount(data.get("Balance"), unit)
    status = invoice_status(data, total, balance)
    paid = None
    if total is not None and balance is not None:
        paid = total - balance if status is not InvoiceStatus.VOID else _amount(ZERO, unit)
    customer = data.get("CustomerRef") or {}
    email = data.get("BillEmail")
    memo = data.get("CustomerMemo")
    tax = data.get("TxnTaxDetail")
    fields = data.get("CustomField")
    values: dict[str, Any] = {
        **_meta(data, raw),
        "number": data.get("DocNumber"),
        "customer_id": _ref(customer),
        "customer_name": customer.get("name"),
        "issue_date": _date(data.get("TxnDate")),
        "due_date": _date(data.get("DueDate")),
        "currency": currency,
        "currency_rate": _rate(data.get("ExchangeRate")),
        "status": status,
        "tax_mode": taxes.document_mode(data, codes),
        "line_items": lines,
        "sub_total": sub_total,
        "total_tax": _amount(tax.get("TotalTax"), unit) if tax else None,
        "total": total,
        "amount_due": balance,
        "amount_paid": paid,
        "memo": memo.get("value") if memo else None,
        "reference": None,
        "po_number": _po_number(fields),
        "terms": terms_of(_ref(data.get("SalesTermRef"))),
        "tracking": tracking.document_tags(data),
        "billing_address": _address(data.get("BillAddr")),
        "shipping_address": _address(data.get("ShipAddr")),
        "email": email.get("Address") if email else None,
        "custom_fields": _custom_fields(fields),
    }
    if _invoice_breaks_rules(values):
        validated: Invoice = _validated(Invoice, values)
        return validated
    return Invoice.model_construct(**values)


def _invoice_breaks_rules(values: Mapping[str, Any]) -> bool:
    if not values["customer_id"]:
        return True
    for amount in (values["amount_due"], values["amount_paid"]):
        if amount is not None and amount < 0:
            return True
    issued, due = values["issue_date"], values["due_date"]
    if issued and due and due < issued:
        return True
    for line in values["line_items"]:
        if line.quantity is not None and line.quantity < 0:
            return True
        percent = line.discount_percentage
        if percent is not None and not 0 <= percent <= 100:
            return True
    return False


def _validated(model: type[RecordMeta], values: Mapping[str, Any]) -> Any:
    """Full validation, for the rare record the fast path cannot vouch for (raises naming the field)."""
    return from_provider(model, {key: _plain(value) for key, value in values.items()})


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, BaseModel):
        return value.model_dump()
    return value


def _party_fields(data: Mapping[str, Any], raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a customer and a vendor share: both are QuickBooks name-list entities."""
    currency = _currency(data.get("CurrencyRef"))
    emails = contacts.emails_of(data)
    phones = contacts.phones_of(data)
    return {
        **_meta(data, raw),
        "display_name": data.get("DisplayName"),
        "company_name": data.get("CompanyName"),
        "first_name": data.get("GivenName"),
        "last_name": data.get("FamilyName"),
        "email": emails[0].address if emails else None,
        "phone": next((phone.number for phone in phones if phone.type is PhoneType.PRIMARY), None),
        "emails": emails,
        "phones": phones,
        "billing_address": _address(data.get("BillAddr")),
        "shipping_address": _address(data.get("ShipAddr")),
        "currency": currency,
        "balance": _amount(data.get("Balance"), quantum(currency)),
    }


def decode_customer(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> Customer:
    values: dict[str, Any] = {
        **_party_fields(data, raw),
        "status": CustomerStatus.ARCHIVED if data.get("Active") is False else CustomerStatus.ACTIVE,
        "tax_number": data.get("PrimaryTaxIdentifier"),
        "parent_id": _ref(data.get("ParentRef")),
        "terms": terms_of(_ref(data.get("SalesTermRef"))),
    }
    if not any(values[key] for key in ("display_name", "company_name", "first_name", "last_name")):
        validated: Customer = _validated(Customer, values)
        return validated
    return Customer.model_construct(**values)


#: The documents a payment's lines link (``LinkedTxn.TxnType``), by the allocation field naming them.
PAYMENT_LINKS = {"Invoice": "invoice_id", "CreditMemo": "credit_note_id"}
BILL_PAYMENT_LINKS = {"Bill": "bill_id", "VendorCredit": "supplier_credit_id"}
NO_DOCUMENT = dict.fromkeys(PAYMENT_LINKS.values())


def _linked(
    data: Mapping[str, Any], unit: Decimal | None, fields: Mapping[str, str]
) -> list[tuple[str, str, Decimal]]:
    """A payment's allocations as its lines record them: (the unified field naming the document,
    its id, the line's amount) for each linked transaction whose ``TxnType`` ``fields`` names."""
    found = []
    for line in data.get("Line") or ():
        amount = _amount(line.get("Amount"), unit)
        if amount is None:
            continue
        for link in line.get("LinkedTxn") or ():
            field = fields.get(link.get("TxnType"))
            if field is not None:
                found.append((field, str(link["TxnId"]), amount))
    return found


def decode_payment(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> Payment:
    currency = _currency(data.get("CurrencyRef"))
    unit = quantum(currency)
    allocations = [
        Allocation.model_construct(
            **{"invoice_id": None, "credit_note_id": None, field: linked}, amount=amount
        )
        for field, linked, amount in _linked(
            data, unit, {"Invoice": "invoice_id", "CreditMemo": "credit_note_id"}
        )
    ]
    total = _amount(data.get("TotalAmt"), unit)
    unapplied = _amount(data.get("UnappliedAmt"), unit)
    values: dict[str, Any] = {
        **_meta(data, raw),
        "customer_id": _ref(data.get("CustomerRef")),
        "date": _date(data.get("TxnDate")),
        "currency": currency,
        "currency_rate": _rate(data.get("ExchangeRate")),
        "total_amount": total,
        "unapplied_amount": unapplied,
        "reference": data.get("PaymentRefNum"),
        "account_id": _ref(data.get("DepositToAccountRef")),
        "payment_method": _ref(data.get("PaymentMethodRef")),
        "allocations": allocations,
        "status": PaymentStatus.VOID if is_voided(data) else PaymentStatus.POSTED,
    }
    allocated = sum((a.amount for a in allocations if a.invoice_id), ZERO) - sum(
        (a.amount for a in allocations if a.credit_note_id), ZERO
    )
    if (
        total is None
        or total < 0
        or (unapplied is not None and unapplied < 0)
        or allocated > total
        or any(a.amount < 0 for a in allocations)
    ):
        validated: Payment = _validated(Payment, values)
        return validated
    return Payment.model_construct(**values)


#: QuickBooks item ``Type`` → the unified item type.
ITEM_TYPES = {
    "Service": ItemType.SERVICE,
    "Inventory": ItemType.INVENTORY,
    "NonInventory": ItemType.NON_INVENTORY,
    "Group": ItemType.BUNDLE,
    "Category": ItemType.CATEGORY,
}


def decode_item(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> Item:
    sold = data.get("UnitPrice") is not None or data.get("IncomeAccountRef")
    bought = data.get("PurchaseCost") is not None or data.get("ExpenseAccountRef")
    tracked = data.get("TrackQtyOnHand") in (True, "true")
    return from_provider(
        Item,
        {
            **_meta(data, raw),
            "name": data.get("Name") or "",
            "code": data.get("Sku"),
            "description": data.get("Description"),
            "type": ITEM_TYPES.get(str(data.get("Type")), ItemType.SERVICE),
            "sales": {
                "unit_price": _money(data.get("UnitPrice")),
                "account_id": _ref(data.get("IncomeAccountRef")),
                "tax_rate_id": _ref(data.get("SalesTaxCodeRef")),
                "description": data.get("Description"),
            }
            if sold
            else None,
            "purchase": {
                "unit_price": _money(data.get("PurchaseCost")),
                "account_id": _ref(data.get("ExpenseAccountRef")),
                "tax_rate_id": _ref(data.get("PurchaseTaxCodeRef")),
                "description": data.get("PurchaseDesc"),
            }
            if bought
            else None,
            "quantity_on_hand": _money(data.get("QtyOnHand")) if tracked else None,
            "inventory_account_id": _ref(data.get("AssetAccountRef")),
            "status": ItemStatus.ACTIVE if data.get("Active") is not False else ItemStatus.ARCHIVED,
        },
    )


def decode_account(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> Account:
    return from_provider(
        Account,
        {
            **_meta(data, raw),
            "name": data.get("Name") or "",
            "number": data.get("AcctNum"),
            "account_type": data.get("AccountType"),
            "account_sub_type": data.get("AccountSubType"),
            "classification": data.get("Classification"),
            "currency": _currency(data.get("CurrencyRef")),
            "current_balance": _money(data.get("CurrentBalance")),
            "active": data.get("Active") is not False,
        },
    )


def decode_ledger_account(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> LedgerAccount:
    kind, sub_type = data.get("AccountType"), data.get("AccountSubType")
    unified = accounts.unified_type(kind, sub_type, data.get("Classification"))
    currency = _currency(data.get("CurrencyRef"))
    values: dict[str, Any] = {
        **_meta(data, raw),
        "name": data.get("Name") or "",
        "code": data.get("AcctNum"),
        "description": data.get("Description"),
        "type": unified,
        "classification": CLASSIFICATION_OF[unified],
        "provider_type": kind,
        "sub_type": sub_type,
        "currency": currency,
        "tax_rate_id": _ref(data.get("TaxCodeRef")),
        "parent_id": _ref(data.get("ParentRef")),
        "bank_account_number": data.get("BankNum"),
        "status": LedgerAccountStatus.ARCHIVED if data.get("Active") is False else LedgerAccountStatus.ACTIVE,
        "current_balance": _amount(data.get("CurrentBalance"), quantum(currency)),
        "system": accounts.is_system(data),
    }
    if not values["name"]:
        validated: LedgerAccount = _validated(LedgerAccount, values)
        return validated
    return LedgerAccount.model_construct(**values)


#: QuickBooks journal line ``Entity.Type`` → the unified line field naming it.
JOURNAL_PARTIES = {"Customer": "customer_id", "Vendor": "supplier_id"}


def _journal_line(line: Mapping[str, Any], unit: Decimal | None) -> dict[str, Any] | None:
    if line.get("DetailType") != "JournalEntryLineDetail":
        return None  # DescriptionOnly lines post nothing; they stay in ``raw``
    detail = line.get("JournalEntryLineDetail") or {}
    amount = _amount(line.get("Amount"), unit)
    credit = detail.get("PostingType") == "Credit"
    party = detail.get("Entity") or {}
    values: dict[str, Any] = {
        "ledger_account_id": _ref(detail.get("AccountRef")) or "",
        "description": line.get("Description"),
        "debit": None if credit else amount,
        "credit": amount if credit else None,
        "tax_rate_id": _ref(detail.get("TaxCodeRef")),
        "tax_amount": _amount(detail.get("TaxAmount"), unit),
        "tracking": [tag.model_dump() for tag in tracking.document_tags(detail)],
        "customer_id": None,
        "supplier_id": None,
    }
    field_name = JOURNAL_PARTIES.get(str(party.get("Type")))
    if field_name is not None:
        values[field_name] = _ref(party.get("EntityRef"))
    return values


def decode_journal_entry(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> JournalEntry:
    currency = _currency(data.get("CurrencyRef"))
    unit = quantum(currency)
    lines = [found for line in data.get("Line") or () if (found := _journal_line(line, unit))]
    validated: JournalEntry = from_provider(
        JournalEntry,
        {
            **_meta(data, raw),
            "date": _date(data.get("TxnDate")),
            "number": data.get("DocNumber"),
            "memo": data.get("PrivateNote"),
            "currency": currency,
            "currency_rate": _rate(data.get("ExchangeRate")),
            "lines": lines,
            # QuickBooks journal entries are posted when saved; they are deleted, never voided.
            "status": JournalEntryStatus.POSTED,
        },
    )
    return validated


def decode_supplier(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> Supplier:
    values: dict[str, Any] = {
        **_party_fields(data, raw),
        "status": PartyStatus.ARCHIVED if data.get("Active") is False else PartyStatus.ACTIVE,
        "tax_number": data.get("TaxIdentifier"),
        "terms": terms_of(_ref(data.get("TermRef"))),
        "bank_account_details": None,
        "default_expense_account_id": _ref(data.get("PrefillAccountRef")),
        "account_number": data.get("AcctNum"),
    }
    if not any(values[key] for key in ("display_name", "company_name", "first_name", "last_name")):
        validated: Supplier = _validated(Supplier, values)
        return validated
    return Supplier.model_construct(**values)


def _expense_line(
    line: Mapping[str, Any], txn_code: str | None, inclusive: bool, unit: Decimal | None
) -> tuple[LineItem, str | None] | None:
    """One bill (or expense) line and the tax code it names; ``None`` for a line that is not one."""
    kind = line.get("DetailType")
    if kind not in ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"):
        return None
    detail = line.get(kind) or {}
    code = _ref(detail.get("TaxCodeRef"))
    net = _amount(line.get("Amount"), unit)
    gross = _amount(detail.get("TaxInclusiveAmt"), unit)
    total = gross if inclusive and gross is not None else net
    by_item = kind == "ItemBasedExpenseLineDetail"
    quantity = _money(detail.get("Qty")) if by_item else None
    price = _money(detail.get("UnitPrice")) if by_item else None
    if by_item and inclusive and gross is not None and quantity:
        price = taxes.unit_price(gross, quantity)
    return _new_line(
        id=line.get("Id"),
        type=_SALES,
        description=line.get("Description"),
        quantity=quantity,
        unit_price=price,
        discount_percentage=None,
        discount_amount=None,
        total_amount=total,
        item_id=_ref(detail.get("ItemRef")) if by_item else None,
        account_id=None if by_item else _ref(detail.get("AccountRef")),
        tax_rate_id=taxes.line_rate_id(code, txn_code),
        tax_amount=gross - net if gross is not None and net is not None else None,
        tracking=tracking.line_tags(detail),
    ), code


def bill_status(data: Mapping[str, Any], total: Decimal | None, balance: Decimal | None) -> BillStatus:
    if total is None or balance is None or balance == total:
        return BillStatus.OPEN
    if balance == 0:
        return BillStatus.PAID
    return BillStatus.PARTIALLY_PAID


def _expense_document(data: Mapping[str, Any]) -> dict[str, Any]:
    """What bills, vendor credits and purchases share: expense lines, tax and totals."""
    currency = _currency(data.get("CurrencyRef"))
    unit = quantum(currency)
    txn_code = taxes.transaction_code(data)
    inclusive = data.get("GlobalTaxCalculation") == "TaxInclusive"
    lines, codes = [], []
    lines_total = ZERO
    for entry in data.get("Line") or ():
        found = _expense_line(entry, txn_code, inclusive, unit)
        if found is None:
            continue
        line, code = found
        lines.append(line)
        codes.append(code)
        lines_total += line.total_amount or ZERO
    total = _amount(data.get("TotalAmt"), unit)
    tax = data.get("TxnTaxDetail")
    return {
        "number": data.get("DocNumber"),
        "currency": currency,
        "currency_rate": _rate(data.get("ExchangeRate")),
        "tax_mode": taxes.document_mode(data, codes),
        "line_items": [line.model_dump() for line in lines],
        "sub_total": _bill_sub_total(total, tax, unit, lines_total),
        "total_tax": _amount(tax.get("TotalTax"), unit) if tax else None,
        "total": total,
        "memo": data.get("PrivateNote"),
        "reference": None,
        "tracking": [tag.model_dump() for tag in tracking.document_tags(data)],
    }


def decode_supplier_credit(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> SupplierCredit:
    body = _expense_document(data)
    left = _amount(data.get("Balance"), quantum(body["currency"]))
    vendor = data.get("VendorRef") or {}
    used = left is not None and left == 0 and bool(body["total"])
    validated: SupplierCredit = from_provider(
        SupplierCredit,
        {
            **_meta(data, raw),
            **body,
            "supplier_id": _ref(vendor) or "",
            "supplier_name": vendor.get("name"),
            "issue_date": _date(data.get("TxnDate")),
            "status": CreditNoteStatus.USED if used else CreditNoteStatus.OPEN,
            "remaining_credit": left,
            # QuickBooks links a vendor credit to the bill payments that use it, not to the bills.
            "allocations": [],
        },
    )
    return validated


#: QuickBooks ``PaymentType`` ↔ the unified expense payment type.
EXPENSE_PAYMENT_TYPES = {
    "Cash": ExpensePaymentType.CASH,
    "Check": ExpensePaymentType.CHECK,
    "CreditCard": ExpensePaymentType.CARD,
}
PAYMENT_TYPES_OUT = {kind: name for name, kind in EXPENSE_PAYMENT_TYPES.items()}


def decode_expense(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> Expense:
    payee = data.get("EntityRef") or {}
    vendor = payee if payee.get("type") in (None, "Vendor") else {}
    validated: Expense = from_provider(
        Expense,
        {
            **_meta(data, raw),
            **_expense_document(data),
            "date": _date(data.get("TxnDate")),
            "account_id": _ref(data.get("AccountRef")) or "",
            "supplier_id": _ref(vendor),
            "supplier_name": vendor.get("name"),
            "type": ExpenseType.REFUND if data.get("Credit") in (True, "true") else ExpenseType.EXPENSE,
            "payment_type": EXPENSE_PAYMENT_TYPES.get(str(data.get("PaymentType"))),
            "status": ExpenseStatus.VOID if is_voided(data) else ExpenseStatus.POSTED,
        },
    )
    return validated


def decode_bill(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> Bill:
    body = _expense_document(data)
    total = body["total"]
    balance = _amount(data.get("Balance"), quantum(body["currency"]))
    vendor = data.get("VendorRef") or {}
    # A bill's sub-total: its lines' net amounts, or when its amounts include tax, the total less it.
    if data.get("GlobalTaxCalculation") != "TaxInclusive" or total is None:
        body["sub_total"] = sum((line["total_amount"] or ZERO for line in body["line_items"]), ZERO)
    else:
        body["sub_total"] = total - (body["total_tax"] or ZERO)
    values: dict[str, Any] = {
        **_meta(data, raw),
        **body,
        "supplier_id": _ref(vendor) or "",
        "supplier_name": vendor.get("name"),
        "issue_date": _date(data.get("TxnDate")),
        "due_date": _date(data.get("DueDate")),
        "amount_due": balance,
        "amount_paid": total - balance if total is not None and balance is not None else None,
        "status": bill_status(data, total, balance),
        "terms": terms_of(_ref(data.get("SalesTermRef"))),
    }
    validated: Bill = from_provider(Bill, values)
    return validated


def _bill_sub_total(total: Decimal | None, tax: Any, unit: Decimal | None, lines: Decimal) -> Decimal:
    total_tax = _amount(tax.get("TotalTax"), unit) if isinstance(tax, Mapping) else None
    if total is not None and total_tax is not None:
        return total - total_tax
    return lines


def decode_credit_note(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> CreditNote:
    # A credit memo has the body of an invoice: its lines, tax and totals read the same way.
    body = decode_invoice({**data, "Balance": data.get("TotalAmt")})
    total = body.total
    remaining = _amount(data.get("RemainingCredit"), quantum(body.currency))
    if is_voided(data):
        status = CreditNoteStatus.VOID
    elif remaining is not None and remaining == 0 and total:
        status = CreditNoteStatus.USED
    else:
        status = CreditNoteStatus.OPEN
    values: dict[str, Any] = {
        **_meta(data, raw),
        "number": body.number,
        "customer_id": body.customer_id,
        "customer_name": body.customer_name,
        "issue_date": body.issue_date,
        "currency": body.currency,
        "currency_rate": body.currency_rate,
        "tax_mode": body.tax_mode,
        "line_items": body.line_items,
        "sub_total": body.sub_total,
        "total_tax": body.total_tax,
        "total": total,
        "memo": body.memo,
        "reference": None,
        "tracking": body.tracking,
        "status": status,
        "remaining_credit": remaining,
        # QuickBooks links a credit memo to the payments that use it, not to the invoices: the
        # provider reads them from those payments (see credit_uses).
        "allocations": [],
    }
    if remaining is not None and remaining < 0:
        validated: CreditNote = _validated(CreditNote, values)
        return validated
    return CreditNote.model_construct(**values)


def decode_bill_payment(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> BillPayment:
    currency = _currency(data.get("CurrencyRef"))
    unit = quantum(currency)
    allocations = [
        {field: linked, "amount": amount}
        for field, linked, amount in _linked(
            data, unit, {"Bill": "bill_id", "VendorCredit": "supplier_credit_id"}
        )
    ]
    paid_from = (
        data.get("CreditCardPayment") if data.get("PayType") == "CreditCard" else data.get("CheckPayment")
    )
    paid_from = paid_from or {}
    vendor = data.get("VendorRef") or {}
    values: dict[str, Any] = {
        **_meta(data, raw),
        "supplier_id": _ref(vendor) or "",
        "supplier_name": vendor.get("name"),
        "date": _date(data.get("TxnDate")),
        "currency": currency,
        "currency_rate": _rate(data.get("ExchangeRate")),
        "total_amount": _amount(data.get("TotalAmt"), unit),
        "account_id": _ref(paid_from.get("CCAccountRef") or paid_from.get("BankAccountRef")),
        "reference": data.get("DocNumber"),
        "allocations": allocations,
        "status": BillPaymentStatus.VOID if is_voided(data) else BillPaymentStatus.POSTED,
    }
    validated: BillPayment = from_provider(BillPayment, values)
    return validated


Decoder = Callable[[Mapping[str, Any], Mapping[str, Any] | None], Any]


def decode_tax_rate(data: Mapping[str, Any], raw: Mapping[str, Any] | None = None) -> TaxRate:
    """``{"TaxCode": {...}, "TaxRate": {id: {...}}}``: a code and the rates it names."""
    code = data.get("TaxCode")
    if not isinstance(code, Mapping):
        raise ValueError("a tax rate is read from a TaxCode")
    rates = data.get("TaxRate")
    return taxes.decode_tax_code(code, rates if isinstance(rates, Mapping) else {}, raw)


def decode_tracking_category(
    data: Mapping[str, Any], raw: Mapping[str, Any] | None = None
) -> TrackingCategory:
    """``{"Category": "class", "Preferences": {...}, "Options": [...]}``: one category and its options."""
    category = data.get("Category")
    if category not in tracking.CATEGORIES:
        raise ValueError(f"QuickBooks has no tracking category {category!r}")
    prefs = data.get("Preferences") if isinstance(data.get("Preferences"), Mapping) else {}
    name = tracking.CATEGORY_NAMES[category]
    if category == tracking.DEPARTMENT:
        name = setup_from({}, prefs).department_label
    meta = prefs.get("MetaData") or {}
    found = tracking.category(
        category,
        name,
        data.get("Options") or (),
        _time(meta.get("LastUpdatedTime")),
        _time(meta.get("CreateTime")),
    )
    return found.model_copy(update={"raw": raw}) if raw is not None else found


DECODERS: dict[str, Decoder] = {
    "invoice": decode_invoice,
    "customer": decode_customer,
    "payment": decode_payment,
    "item": decode_item,
    "account": decode_account,
    "ledger_account": decode_ledger_account,
    "journal_entry": decode_journal_entry,
    "supplier": decode_supplier,
    "bill": decode_bill,
    "bill_payment": decode_bill_payment,
    "credit_note": decode_credit_note,
    "supplier_credit": decode_supplier_credit,
    "expense": decode_expense,
    "tax_rate": decode_tax_rate,
    "tracking_category": decode_tracking_category,
    "company_info": decode_company,
}
#: Resources read from several QuickBooks entities at once: their payloads are mappings of entities.
COMPOSITE = frozenset({"tax_rate", "tracking_category", "company_info"})


def decoder(resource: str) -> Decoder:
    try:
        return DECODERS[resource]
    except KeyError:
        raise ValueError(f"QuickBooks has no resource {resource!r} (known: {', '.join(DECODERS)})") from None


# ------------------------------------------------------------------------------------ encoding

Encoded = dict[str, Any]
Encoder = Callable[[Any, "EncodeContext"], Encoded]


@dataclass
class EncodeContext:
    """What encoding needs besides the record. The provider fills it from the connected company;
    with the defaults (the codec alone) tax codes and amounts are written as given."""

    #: The item a sales line without ``item_id`` sells (the ``default_item_id`` setting).
    default_item_id: str | None = None
    #: The company's setup; ``None`` when unknown.
    setup: CompanySetup | None = None
    #: The document's tax mode (its lines are written by it).
    tax_mode: TaxMode | None = None
    #: Tax code id → its sales rates in percent (to split tax-inclusive lines).
    code_percents: Mapping[str, Sequence[Decimal]] = field(default_factory=dict)
    #: The document's currency (amounts are rounded to its minor units).
    currency: str | None = None
    #: A customer's current e-mail addresses (an update of ``email`` alone keeps the others).
    current_emails: Sequence[str] = ()
    #: How a bill payment pays: ``Check`` (from a bank account) or ``CreditCard``.
    pay_type: str = "Check"

    @property
    def us(self) -> bool:
        return self.setup is not None and self.setup.us


def _ref_out(value: Any) -> dict[str, str] | None:
    return None if value is None else {"value": str(value)}


def encode_address(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    wire = {
        "Line1": address.line1,
        "Line2": address.line2,
        "Line3": address.line3,
        "Line4": address.line4,
        "Line5": address.line5,
        "City": address.city,
        "CountrySubDivisionCode": address.region,
        "PostalCode": address.postal_code,
        "Country": address.country,
    }
    return {key: value for key, value in wire.items() if value is not None}


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _class_ref(tags: Sequence[TrackingRef]) -> dict[str, str] | None:
    return next((_ref_out(tag.option_id) for tag in tags if tag.category_id == tracking.CLASS), None)


def _line_code(line: LineItem, context: EncodeContext) -> dict[str, str] | None:
    """The line's ``TaxCodeRef``: US lines are taxable or not (the code goes to the transaction)."""
    code = line.tax_rate_id
    if context.us:
        if context.tax_mode is TaxMode.NO_TAX or code == taxes.NON:
            return {"value": taxes.NON}
        return None if code is None else {"value": taxes.TAX}
    return _ref_out(code)


def encode_line(line: LineItem, context: EncodeContext) -> dict[str, Any]:
    wire: dict[str, Any] = _drop_none({"Id": line.id, "Description": line.description})
    if line.type is LineItemType.SALES_ITEM:
        wire["DetailType"] = "SalesItemLineDetail"
        detail: dict[str, Any] = {
            "ItemRef": _ref_out(line.item_id or context.default_item_id),
            "Qty": line.quantity,
            "UnitPrice": line.unit_price,
            "TaxCodeRef": _line_code(line, context),
            "ItemAccountRef": _ref_out(line.account_id),
            "ClassRef": _class_ref(line.tracking),
        }
        wire["Amount"] = line.total_amount
        percents = context.code_percents.get(line.tax_rate_id or "")
        if context.tax_mode is TaxMode.INCLUSIVE and not context.us and percents is not None:
            # QuickBooks keeps the net amount and unit price, and the gross beside them.
            unit = quantum(context.currency) or Decimal("0.01")
            gross = line.total_amount
            if gross is None and line.quantity is not None and line.unit_price is not None:
                gross = line.quantity * line.unit_price
            if gross is not None:
                gross = gross.quantize(unit, rounding=ROUND_HALF_UP)
                net = taxes.inclusive_net(gross, percents, unit)
                wire["Amount"] = net
                detail["TaxInclusiveAmt"] = gross
                if line.quantity:
                    detail["UnitPrice"] = taxes.unit_price(net, line.quantity)
        wire["SalesItemLineDetail"] = _drop_none(detail)
    elif line.type is LineItemType.DISCOUNT:
        wire["DetailType"] = "DiscountLineDetail"
        percent = line.discount_percentage
        wire["Amount"] = line.discount_amount if line.discount_amount is not None else line.total_amount
        wire["DiscountLineDetail"] = _drop_none(
            {
                "PercentBased": percent is not None,
                "DiscountPercent": percent,
                "DiscountAccountRef": _ref_out(line.account_id),
                "TaxCodeRef": None if context.us else _ref_out(line.tax_rate_id),
                "ClassRef": _class_ref(line.tracking),
            }
        )
    elif line.type is LineItemType.GROUP:
        wire["DetailType"] = "GroupLineDetail"
        wire["GroupLineDetail"] = _drop_none(
            {"GroupItemRef": _ref_out(line.item_id), "Quantity": line.quantity}
        )
    else:
        wire["DetailType"] = "DescriptionOnly"
        wire["DescriptionLineDetail"] = {}
    return _drop_none(wire)


def _wrap(key: str, inner: str | None = None) -> Encoder:
    """An encoder writing the value to ``key`` (or to ``key.inner`` as an object); ``None`` clears it."""

    def encode(value: Any, context: EncodeContext) -> Encoded:
        if value is None:
            return {key: None}
        if isinstance(value, date):
            value = value.isoformat()
        return {key: {inner: value} if inner else value}

    return encode


def _field(key: str, convert: Callable[[Any], Any]) -> Encoder:
    def encode(value: Any, context: EncodeContext) -> Encoded:
        return {key: None if value is None else convert(value)}

    return encode


def _lines(value: Any, context: EncodeContext) -> Encoded:
    lines = list(value or ())
    encoded: Encoded = {"Line": [encode_line(line, context) for line in lines]}
    if context.us and context.tax_mode is not TaxMode.NO_TAX:
        # One code per US transaction: the one the taxable lines name (validated to be one).
        codes = {line.tax_rate_id for line in lines} - {None, taxes.TAX, taxes.NON}
        if len(codes) == 1:
            encoded["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": codes.pop()}}
    return encoded


def _tax_mode(value: Any, context: EncodeContext) -> Encoded:
    # US companies have no GlobalTaxCalculation: their no_tax is written by the lines (NON).
    if value is None or context.us:
        return {}
    return {"GlobalTaxCalculation": taxes.GLOBAL_TAX_CALCULATION[TaxMode(value)]}


def _custom_fields_out(value: Any, context: EncodeContext) -> Encoded:
    return {
        "CustomField": [
            _drop_none({"DefinitionId": f.id, "Name": f.name, "Type": "StringType", "StringValue": f.value})
            for f in value or ()
        ]
    }


def _po_number_out(value: Any, context: EncodeContext) -> Encoded:
    found = context.setup.po_field if context.setup is not None else None
    if found is None:
        raise ValueError("the company has no P.O. Number custom field (the provider refuses po_number)")
    definition, name = found
    return {
        "CustomField": [
            {"DefinitionId": definition, "Name": name, "Type": "StringType", "StringValue": value or ""}
        ]
    }


def _terms(value: Any, context: EncodeContext) -> Encoded:
    if value is None:
        return {"SalesTermRef": None}
    if value.id is None:
        raise ValueError("terms need the id of a QuickBooks Term (the provider finds or creates it)")
    return {"SalesTermRef": {"value": str(value.id)}}


def _document_tracking(value: Any, context: EncodeContext) -> Encoded:
    tags = list(value or ())
    department = next((tag.option_id for tag in tags if tag.category_id == tracking.DEPARTMENT), None)
    return {"DepartmentRef": _ref_out(department), "ClassRef": _class_ref(tags)}


def _total_tax(value: Any, context: EncodeContext) -> Encoded:
    return {"TxnTaxDetail": None if value is None else {"TotalTax": value}}


def _allocations(value: Any, context: EncodeContext) -> Encoded:
    def link(allocation: Any) -> dict[str, Any]:
        if allocation.invoice_id is not None:
            return {"TxnId": allocation.invoice_id, "TxnType": "Invoice"}
        return {"TxnId": allocation.credit_note_id, "TxnType": "CreditMemo"}

    return {"Line": [{"Amount": a.amount, "LinkedTxn": [link(a)]} for a in value or ()]}


def _active(value: Any, context: EncodeContext) -> Encoded:
    return {"Active": value != CustomerStatus.ARCHIVED}


def _parent(value: Any, context: EncodeContext) -> Encoded:
    # A sub-customer (a job) names its parent and is marked Job.
    if value is None:
        return {"ParentRef": None, "Job": False}
    return {"ParentRef": {"value": str(value)}, "Job": True}


_address_field = _field  # readability: addresses are objects converted by encode_address


def _archived_if(archived: Any) -> Encoder:
    def encode(value: Any, context: EncodeContext) -> Encoded:
        return {"Active": value != archived}

    return encode


def _account_type(value: Any, context: EncodeContext) -> Encoded:
    # The sub-type goes with the type: a type change must not keep a sub-type of the old one.
    kind, sub_type = accounts.QUICKBOOKS_TYPE[LedgerAccountType(value)]
    return {"AccountType": kind, "AccountSubType": sub_type}


def _account_parent(value: Any, context: EncodeContext) -> Encoded:
    if value is None:
        return {"ParentRef": None, "SubAccount": False}
    return {"ParentRef": {"value": str(value)}, "SubAccount": True}


#: Unified item type → QuickBooks ``Type`` (bundles and categories are not created through the API).
ITEM_TYPES_OUT = {
    ItemType.SERVICE: "Service",
    ItemType.INVENTORY: "Inventory",
    ItemType.NON_INVENTORY: "NonInventory",
}


def _item_type(value: Any, context: EncodeContext) -> Encoded:
    kind = ItemType(value)
    if kind not in ITEM_TYPES_OUT:
        raise ValueError(f"QuickBooks items of type {kind.value} cannot be written through the API")
    encoded: Encoded = {"Type": ITEM_TYPES_OUT[kind]}
    if kind is ItemType.INVENTORY:
        encoded["TrackQtyOnHand"] = True
    return encoded


def _item_sales(value: Any, context: EncodeContext) -> Encoded:
    if value is None:
        return {"UnitPrice": 0, "IncomeAccountRef": None, "SalesTaxCodeRef": None}
    return {
        "UnitPrice": value.unit_price if value.unit_price is not None else 0,
        "IncomeAccountRef": _ref_out(value.account_id),
        "SalesTaxCodeRef": _ref_out(value.tax_rate_id),
    }


def _item_purchase(value: Any, context: EncodeContext) -> Encoded:
    if value is None:
        return {
            "PurchaseCost": None,
            "ExpenseAccountRef": None,
            "PurchaseTaxCodeRef": None,
            "PurchaseDesc": None,
        }
    return {
        "PurchaseCost": value.unit_price,
        "ExpenseAccountRef": _ref_out(value.account_id),
        "PurchaseTaxCodeRef": _ref_out(value.tax_rate_id),
        "PurchaseDesc": value.description,
    }


def encode_journal_line(line: JournalLine, context: EncodeContext) -> dict[str, Any]:
    credit = line.credit is not None
    detail: dict[str, Any] = {
        "PostingType": "Credit" if credit else "Debit",
        "AccountRef": {"value": line.ledger_account_id},
    }
    party = ("Customer", line.customer_id) if line.customer_id else ("Vendor", line.supplier_id)
    if party[1]:
        detail["Entity"] = {"Type": party[0], "EntityRef": {"value": str(party[1])}}
    for tag in line.tracking:
        key = "DepartmentRef" if tag.category_id == tracking.DEPARTMENT else "ClassRef"
        detail[key] = {"value": tag.option_id}
    if line.tax_rate_id is not None:
        # QuickBooks needs the side of the tax with the code: credits are read as sales tax,
        # debits as purchase tax.
        detail["TaxCodeRef"] = {"value": line.tax_rate_id}
        detail["TaxApplicableOn"] = "Sales" if credit else "Purchase"
        detail["TaxAmount"] = line.tax_amount if line.tax_amount is not None else ZERO
    return _drop_none(
        {
            "Description": line.description,
            "Amount": line.credit if credit else line.debit,
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": detail,
        }
    )


def encode_expense_line(line: LineItem, context: EncodeContext) -> dict[str, Any]:
    """A bill (or expense) line: by item when it names one, else by account."""
    amount = line.total_amount
    if amount is None and line.quantity is not None and line.unit_price is not None:
        amount = line.quantity * line.unit_price
    by_item = line.item_id is not None
    detail: dict[str, Any] = {"TaxCodeRef": _line_code(line, context), "ClassRef": _class_ref(line.tracking)}
    if by_item:
        detail.update(
            {"ItemRef": {"value": line.item_id}, "Qty": line.quantity, "UnitPrice": line.unit_price}
        )
    else:
        detail["AccountRef"] = _ref_out(line.account_id)
    percents = context.code_percents.get(line.tax_rate_id or "")
    wire: dict[str, Any] = {"Id": line.id, "Description": line.description, "Amount": amount}
    if (
        context.tax_mode is TaxMode.INCLUSIVE
        and not context.us
        and percents is not None
        and amount is not None
    ):
        unit = quantum(context.currency) or Decimal("0.01")
        gross = amount.quantize(unit, rounding=ROUND_HALF_UP)
        net = taxes.inclusive_net(gross, percents, unit)
        wire["Amount"] = net
        detail["TaxInclusiveAmt"] = gross
        if by_item and line.quantity:
            detail["UnitPrice"] = taxes.unit_price(net, line.quantity)
    kind = "ItemBasedExpenseLineDetail" if by_item else "AccountBasedExpenseLineDetail"
    wire["DetailType"] = kind
    wire[kind] = _drop_none(detail)
    return _drop_none(wire)


def _expense_lines(value: Any, context: EncodeContext) -> Encoded:
    lines = list(value or ())
    encoded: Encoded = {"Line": [encode_expense_line(line, context) for line in lines]}
    if context.us and context.tax_mode is not TaxMode.NO_TAX:
        codes = {line.tax_rate_id for line in lines} - {None, taxes.TAX, taxes.NON}
        if len(codes) == 1:
            encoded["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": codes.pop()}}
    return encoded


def _supplier_terms(value: Any, context: EncodeContext) -> Encoded:
    return {"TermRef": _terms(value, context)["SalesTermRef"]}


def _bill_allocations(value: Any, context: EncodeContext) -> Encoded:
    lines = []
    for allocation in value or ():
        if allocation.bill_id is not None:
            link = {"TxnId": allocation.bill_id, "TxnType": "Bill"}
        else:
            link = {"TxnId": allocation.supplier_credit_id, "TxnType": "VendorCredit"}
        lines.append({"Amount": allocation.amount, "LinkedTxn": [link]})
    return {"Line": lines}


def _paid_from(value: Any, context: EncodeContext) -> Encoded:
    # QuickBooks pays by check from a bank account, or by credit card from a card account: the
    # provider reads the account's type into the context.
    if value is None:
        return {}
    if context.pay_type == "CreditCard":
        return {"PayType": "CreditCard", "CreditCardPayment": {"CCAccountRef": {"value": str(value)}}}
    return {"PayType": "Check", "CheckPayment": {"BankAccountRef": {"value": str(value)}}}


def _payee(value: Any, context: EncodeContext) -> Encoded:
    return {"EntityRef": None if value is None else {"value": str(value), "type": "Vendor"}}


def _refund(value: Any, context: EncodeContext) -> Encoded:
    return {"Credit": ExpenseType(value) is ExpenseType.REFUND}


def _payment_type(value: Any, context: EncodeContext) -> Encoded:
    return {} if value is None else {"PaymentType": PAYMENT_TYPES_OUT[ExpensePaymentType(value)]}


def _journal_lines(value: Any, context: EncodeContext) -> Encoded:
    return {"Line": [encode_journal_line(line, context) for line in value or ()]}


#: Unified field → how it is written. Fields absent here are computed by QuickBooks (read only);
#: a customer's e-mails and phones are written together (see :func:`encode_fields`).
ENCODERS: dict[str, dict[str, Encoder]] = {
    "invoice": {
        "number": _wrap("DocNumber"),
        "customer_id": _wrap("CustomerRef", "value"),
        "issue_date": _wrap("TxnDate"),
        "due_date": _wrap("DueDate"),
        "currency": _wrap("CurrencyRef", "value"),
        "currency_rate": _wrap("ExchangeRate"),
        "tax_mode": _tax_mode,
        "line_items": _lines,
        "total_tax": _total_tax,
        "memo": _wrap("CustomerMemo", "value"),
        "po_number": _po_number_out,
        "terms": _terms,
        "tracking": _document_tracking,
        "billing_address": _address_field("BillAddr", encode_address),
        "shipping_address": _address_field("ShipAddr", encode_address),
        "email": _wrap("BillEmail", "Address"),
        "custom_fields": _custom_fields_out,
    },
    "customer": {
        "display_name": _wrap("DisplayName"),
        "company_name": _wrap("CompanyName"),
        "first_name": _wrap("GivenName"),
        "last_name": _wrap("FamilyName"),
        "billing_address": _address_field("BillAddr", encode_address),
        "shipping_address": _address_field("ShipAddr", encode_address),
        "currency": _wrap("CurrencyRef", "value"),
        "status": _active,
        "tax_number": _wrap("PrimaryTaxIdentifier"),
        "parent_id": _parent,
        "terms": _terms,
    },
    "payment": {
        "customer_id": _wrap("CustomerRef", "value"),
        "date": _wrap("TxnDate"),
        "currency": _wrap("CurrencyRef", "value"),
        "currency_rate": _wrap("ExchangeRate"),
        "total_amount": _wrap("TotalAmt"),
        "reference": _wrap("PaymentRefNum"),
        "account_id": _wrap("DepositToAccountRef", "value"),
        "payment_method": _wrap("PaymentMethodRef", "value"),
        "allocations": _allocations,
    },
    "ledger_account": {
        "name": _wrap("Name"),
        "code": _wrap("AcctNum"),
        "description": _wrap("Description"),
        "type": _account_type,
        "currency": _wrap("CurrencyRef", "value"),
        "tax_rate_id": _wrap("TaxCodeRef", "value"),
        "parent_id": _account_parent,
        "bank_account_number": _wrap("BankNum"),
        "status": _archived_if(LedgerAccountStatus.ARCHIVED),
    },
    "item": {
        "name": _wrap("Name"),
        "code": _wrap("Sku"),
        "description": _wrap("Description"),
        "type": _item_type,
        "sales": _item_sales,
        "purchase": _item_purchase,
        "quantity_on_hand": _wrap("QtyOnHand"),
        "inventory_account_id": _wrap("AssetAccountRef", "value"),
        "status": _archived_if(ItemStatus.ARCHIVED),
    },
    "supplier": {
        "display_name": _wrap("DisplayName"),
        "company_name": _wrap("CompanyName"),
        "first_name": _wrap("GivenName"),
        "last_name": _wrap("FamilyName"),
        "billing_address": _address_field("BillAddr", encode_address),
        "shipping_address": _address_field("ShipAddr", encode_address),
        "currency": _wrap("CurrencyRef", "value"),
        "status": _archived_if(PartyStatus.ARCHIVED),
        "tax_number": _wrap("TaxIdentifier"),
        "terms": _supplier_terms,
        "default_expense_account_id": _wrap("PrefillAccountRef", "value"),
        "account_number": _wrap("AcctNum"),
    },
    "bill": {
        "number": _wrap("DocNumber"),
        "supplier_id": _wrap("VendorRef", "value"),
        "issue_date": _wrap("TxnDate"),
        "due_date": _wrap("DueDate"),
        "currency": _wrap("CurrencyRef", "value"),
        "currency_rate": _wrap("ExchangeRate"),
        "tax_mode": _tax_mode,
        "line_items": _expense_lines,
        "memo": _wrap("PrivateNote"),
        "terms": _terms,
        "tracking": _document_tracking,
    },
    "bill_payment": {
        "supplier_id": _wrap("VendorRef", "value"),
        "date": _wrap("TxnDate"),
        "currency": _wrap("CurrencyRef", "value"),
        "currency_rate": _wrap("ExchangeRate"),
        "total_amount": _wrap("TotalAmt"),
        "account_id": _paid_from,
        "reference": _wrap("DocNumber"),
        "allocations": _bill_allocations,
    },
    "journal_entry": {
        "date": _wrap("TxnDate"),
        "number": _wrap("DocNumber"),
        "memo": _wrap("PrivateNote"),
        "currency": _wrap("CurrencyRef", "value"),
        "currency_rate": _wrap("ExchangeRate"),
        "lines": _journal_lines,
    },
}
ENCODERS["supplier_credit"] = {
    name: ENCODERS["bill"][name]
    for name in (
        "number",
        "supplier_id",
        "issue_date",
        "currency",
        "currency_rate",
        "tax_mode",
        "line_items",
        "memo",
        "tracking",
    )
}
ENCODERS["expense"] = {
    "number": _wrap("DocNumber"),
    "date": _wrap("TxnDate"),
    "account_id": _wrap("AccountRef", "value"),
    "supplier_id": _payee,
    "type": _refund,
    "payment_type": _payment_type,
    "currency": _wrap("CurrencyRef", "value"),
    "currency_rate": _wrap("ExchangeRate"),
    "tax_mode": _tax_mode,
    "line_items": _expense_lines,
    "memo": _wrap("PrivateNote"),
    "tracking": _document_tracking,
}
#: A credit memo is written like an invoice (it has no due date, terms or P.O. number).
ENCODERS["credit_note"] = {
    name: ENCODERS["invoice"][name]
    for name in (
        "number",
        "customer_id",
        "issue_date",
        "currency",
        "currency_rate",
        "tax_mode",
        "line_items",
        "total_tax",
        "memo",
        "tracking",
    )
}
#: Customer fields written together: the e-mail list and the phone fields.
CONTACT_FIELDS = frozenset({"email", "emails", "phone", "phones"})
#: Fields written by :func:`encode_fields` itself rather than by an encoder of their own.
EXTRA_FIELDS: dict[str, frozenset[str]] = {
    "customer": CONTACT_FIELDS,
    "supplier": CONTACT_FIELDS,
    "ledger_account": frozenset({"sub_type"}),
}

#: Unified fields QuickBooks computes or has no place for (refused in updates, ignored on create).
READ_ONLY: dict[str, frozenset[str]] = {
    "invoice": frozenset({"customer_name", "status", "sub_total", "total", "amount_due", "amount_paid"}),
    "customer": frozenset({"balance"}),
    "payment": frozenset({"unapplied_amount", "status"}),
    "ledger_account": frozenset({"classification", "provider_type", "current_balance", "system"}),
    "journal_entry": frozenset({"status"}),
    "supplier": frozenset({"balance"}),
    "bill": frozenset(
        {"supplier_name", "status", "sub_total", "total_tax", "total", "amount_due", "amount_paid"}
    ),
    "bill_payment": frozenset({"supplier_name", "status"}),
    "credit_note": frozenset(
        {"customer_name", "status", "sub_total", "total", "remaining_credit", "allocations"}
    ),
    "supplier_credit": frozenset(
        {"supplier_name", "status", "sub_total", "total_tax", "total", "remaining_credit", "allocations"}
    ),
    "expense": frozenset({"supplier_name", "status", "sub_total", "total_tax", "total"}),
}


def _merge(payload: dict[str, Any], encoded: Encoded) -> None:
    """Add one field's JSON: ``TxnTaxDetail`` parts and ``CustomField`` entries from several
    unified fields are combined (a P.O. number replaces a custom field of the same definition)."""
    for key, value in encoded.items():
        before = payload.get(key)
        if key == "TxnTaxDetail" and isinstance(before, dict) and isinstance(value, dict):
            payload[key] = {**before, **value}
        elif key == "CustomField" and isinstance(before, list) and isinstance(value, list):
            replaced = {entry.get("DefinitionId") for entry in value}
            payload[key] = [entry for entry in before if entry.get("DefinitionId") not in replaced] + value
        elif key == "TxnTaxDetail" and value is None and isinstance(before, dict):
            continue  # total_tax=None only clears what no other field wrote
        else:
            payload[key] = value


def _contacts(values: Mapping[str, Any], context: EncodeContext) -> Encoded:
    encoded: Encoded = {}
    if "email" in values or "emails" in values:
        value = contacts.email_value(values.get("emails") or (), values.get("email"), context.current_emails)
        encoded["PrimaryEmailAddr"] = None if value is None else {"Address": value}
    if "phone" in values or "phones" in values:
        phones = values.get("phones") or ()
        fields = contacts.phone_fields(phones, values.get("phone"))
        encoded.update(fields or {"PrimaryPhone": None})
    return encoded


def encode_fields(resource: str, values: Mapping[str, Any], context: EncodeContext) -> dict[str, Any]:
    """QuickBooks JSON for the unified ``values`` given (a partial record: a sparse update)."""
    encoders = ENCODERS.get(resource)
    if encoders is None:
        raise ValueError(f"QuickBooks {resource!r} records are read only here")
    payload: dict[str, Any] = {}
    for name, value in values.items():
        encode = encoders.get(name)
        if encode is not None:
            _merge(payload, encode(value, context))
    if resource in ("customer", "supplier"):
        payload.update(_contacts(values, context))
    sales = values.get("sales") if resource == "item" else None
    if sales is not None and sales.description is not None and values.get("description") is None:
        payload["Description"] = sales.description  # QuickBooks has one sales text
    if resource == "ledger_account" and values.get("sub_type") is not None:
        payload["AccountSubType"] = values["sub_type"]  # after the type's default sub-type
    pass_through = values.get("pass_through")
    if pass_through:
        payload.update(pass_through)
    return payload


def resource_of(model: RecordMeta) -> str:
    for resource, cls in MODELS.items():
        if isinstance(model, cls):
            return resource
    raise ValueError(f"QuickBooks cannot encode a {type(model).__name__}")


def encode_record(model: RecordMeta, context: EncodeContext) -> dict[str, Any]:
    """A whole unified record → QuickBooks JSON for a create (unset fields are left out)."""
    resource = resource_of(model)
    names = [*ENCODERS.get(resource, {}), *EXTRA_FIELDS.get(resource, ())]
    values = {
        name: getattr(model, name)
        for name in names
        if (getattr(model, name) not in (None, [])) or name in model.model_fields_set
    }
    payload = {
        key: value for key, value in encode_fields(resource, values, context).items() if value is not None
    }
    payload.update(model.pass_through)
    return payload


# ------------------------------------------------------------------------------------- the codec


class QuickBooksCodec:
    """The provider's :class:`unified_accounting.Codec`."""

    def decode(self, resource: str, payload: Mapping[str, Any] | bytes, include_raw: bool = False) -> Any:
        """One record (or a single-object answer); one that cannot be read raises ``DecodeFailed``."""
        data: Any = (
            decode_one(PROVIDER, resource, payload, _parsed) if isinstance(payload, bytes | str) else payload
        )
        entity = ENTITIES.get(resource)
        if (
            entity
            and resource not in COMPOSITE
            and isinstance(data, Mapping)
            and isinstance(data.get(entity), dict)
        ):
            data = data[entity]  # a single-object answer: {"Invoice": {...}}
        return decode_record(resource, data, include_raw)

    def decode_list(self, resource: str, body: bytes, include_raw: bool = False) -> list[Any]:
        """Every record of a query answer; the first that cannot be read raises ``DecodeFailed``."""
        records, issues = self.decode_page(resource, body, include_raw)
        if issues:
            raise issues[0].error
        return records

    def decode_page(
        self, resource: str, body: bytes | Mapping[str, Any] | list[Any], include_raw: bool = False
    ) -> tuple[list[Any], list[RecordIssue]]:
        """The records of a query answer that decode, and a :class:`RecordIssue` for each that does
        not (one odd record never fails the page). ``body`` is the answer's bytes (invoices take the
        fast path), the answer parsed, or its rows already taken out (a CDC block). A body that is
        not a query answer at all raises ``DecodeFailed``."""
        if resource in COMPOSITE and isinstance(body, Mapping):
            return decode_composite_page(resource, body, include_raw)
        if isinstance(body, list):
            return decode_rows(resource, body, include_raw)
        if isinstance(body, Mapping):
            return decode_query_rows(resource, body, include_raw)
        if resource == "invoice" and fastpath.ENABLED:
            try:
                decoded = fastpath.decode_invoices(body, include_raw, _decode_invoice_element)
            except fastpath.NotAPage:
                pass  # not JSON, or not shaped like a query page: the reference path says why
            else:
                # Built quantized (the records it hands to the reference decoder come back
                # quantized too): the provider's read path takes them as they are.
                records = QuantizedRecords(item for item in decoded if not isinstance(item, RecordIssue))
                if len(records) == len(decoded):
                    return records, []
                return records, [item for item in decoded if isinstance(item, RecordIssue)]
        return decode_query_rows(resource, parse_query_answer(resource, body), include_raw)

    def encode(self, model: RecordMeta, *, default_item_id: str | None = None) -> dict[str, Any]:
        return encode_record(model, EncodeContext(default_item_id))


def decode_query(resource: str, body: Mapping[str, Any], include_raw: bool = False) -> list[Any]:
    """The records of a parsed query answer (``QueryResponse.<Entity>``; absent when nothing matched).
    The first record that cannot be read raises ``DecodeFailed``."""
    records, issues = decode_query_rows(resource, body, include_raw)
    if issues:
        raise issues[0].error
    return records


def decode_query_rows(
    resource: str, body: Mapping[str, Any], include_raw: bool = False
) -> tuple[list[Any], list[RecordIssue]]:
    """The records of a parsed query answer that decode, and an issue for each that does not."""
    response = body.get("QueryResponse") if isinstance(body, Mapping) else None
    rows = (response.get(ENTITIES[resource]) if isinstance(response, Mapping) else None) or ()
    decode = decoder(resource)
    # The rows were parsed for this call alone, so each can be kept as ``raw`` without a copy.
    return decode_each(
        PROVIDER,
        resource,
        rows,
        (lambda row: decode(row, row)) if include_raw else (lambda row: decode(row, None)),
        _record_id,
    )


def decode_composite_page(
    resource: str, body: Mapping[str, Any], include_raw: bool = False
) -> tuple[list[Any], list[RecordIssue]]:
    """A page of a resource read from several entities: tax codes with the rates they name
    (``{"TaxCode": [...], "TaxRate": {id: {...}}}``), or the tracking categories a company's
    preferences turn on (``{"Preferences": {...}, "Class": [...], "Department": [...]}``)."""
    if resource == "tax_rate":
        rates = body.get("TaxRate") if isinstance(body.get("TaxRate"), Mapping) else {}
        rows = body.get("TaxCode") or ()
        return decode_each(
            PROVIDER,
            resource,
            rows,
            lambda row: decode_tax_rate({"TaxCode": row, "TaxRate": rates}, row if include_raw else None),
            _record_id,
        )
    if resource == "tracking_category":
        prefs = body.get("Preferences") if isinstance(body.get("Preferences"), Mapping) else {}
        setup = setup_from({}, prefs)
        enabled = [tracking.CLASS] if setup.class_tracking != "off" else []
        if setup.track_departments:
            enabled.append(tracking.DEPARTMENT)
        payloads = [
            {
                "Category": category,
                "Preferences": prefs,
                "Options": body.get(tracking.ENTITIES[category]) or [],
            }
            for category in enabled
        ]
        return decode_each(
            PROVIDER,
            resource,
            payloads,
            lambda payload: decode_tracking_category(payload, payload if include_raw else None),
            lambda payload: payload.get("Category"),
        )
    return decode_each(
        PROVIDER,
        resource,
        [body],
        lambda data: decode_company(data, data if include_raw else None),
        _record_id,
    )


def decode_rows(
    resource: str, rows: Iterable[Any], include_raw: bool = False
) -> tuple[list[Any], list[RecordIssue]]:
    """Rows already parsed (a CDC block): the records that decode and an issue for each that does not."""
    decode = decoder(resource)
    return decode_each(
        PROVIDER,
        resource,
        rows,
        (lambda row: decode(row, row)) if include_raw else (lambda row: decode(row, None)),
        _record_id,
    )


def decode_record(resource: str, payload: Mapping[str, Any], include_raw: bool = False) -> Any:
    """One record (a read's or a write's answer); one that cannot be read raises ``DecodeFailed``."""
    decode = decoder(resource)
    return decode_one(
        PROVIDER,
        resource,
        payload,
        lambda data: decode(data, dict(data) if include_raw else None),
        record_id=_record_id(payload),
    )


def _record_id(row: Any) -> str | None:
    return id_in(row, "Id")


def _parsed(body: bytes | str) -> Any:
    return loads(body)


def _query_body(body: bytes) -> Any:
    parsed = loads(body)
    if not isinstance(parsed, Mapping):
        raise TypeError(f"a query answer is a JSON object, not {type(parsed).__name__}")
    return parsed


def parse_query_answer(resource: str, body: bytes) -> Any:
    """A query answer's JSON; a body that is not a JSON object raises ``DecodeFailed``."""
    return decode_one(PROVIDER, resource, body, _query_body)


def _decode_invoice_element(element: bytes, raw: Mapping[str, Any] | None) -> Invoice | RecordIssue:
    """One invoice of a page the reference way (the fast path's fallback), quantized as the fast
    path's records are, or the issue it raised."""
    try:
        return quantized(decode_invoice(loads(element), raw))
    except Exception as exc:  # a pure decoder's every failure means "this record cannot be read"
        data = readable_raw(element)
        record_id = _record_id(data)
        error = decode_failure(PROVIDER, "invoice", data, exc, record_id=record_id)
        return RecordIssue("invoice", record_id, error)
