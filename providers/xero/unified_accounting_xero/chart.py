"""The chart of accounts, items and manual journals between Xero and the unified models.

Ids, chosen so that the id ``conn.ledger_accounts.list()`` or ``conn.items.list()`` gives is the id
every document line takes (lines name accounts by ``AccountCode`` and items by ``ItemCode``):

* a ledger account's ``id`` is its ``Code``; a bank account created without a code has its
  ``AccountID`` instead (a GUID is written as ``AccountID`` wherever an account is named);
* an item's ``id`` is its ``Code`` (Xero requires one on every item).

Renaming a code therefore changes the record's id; documents written before keep the old code in
Xero only if it still exists (Xero itself moves them to the new code).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from unified_accounting.models import (
    CLASSIFICATION_OF,
    Item,
    ItemType,
    JournalEntry,
    JournalEntryStatus,
    JournalLine,
    LedgerAccount,
    LedgerAccountStatus,
    LedgerAccountType,
)
from unified_accounting.models.context import from_provider

from .dates import format_date, record_date
from .tracking import TrackingNames, decode_line_tracking

T = LedgerAccountType

#: Xero account type → unified type (system accounts and credit cards are told apart below).
FROM_XERO_TYPE: dict[str, LedgerAccountType] = {
    "BANK": T.BANK,
    "CURRENT": T.CURRENT_ASSET,
    "FIXED": T.FIXED_ASSET,
    "INVENTORY": T.INVENTORY,
    "NONCURRENT": T.NON_CURRENT_ASSET,
    "PREPAYMENT": T.PREPAYMENT,
    "CURRLIAB": T.CURRENT_LIABILITY,
    "LIABILITY": T.CURRENT_LIABILITY,
    "PAYG": T.CURRENT_LIABILITY,
    "TERMLIAB": T.LONG_TERM_LIABILITY,
    "EQUITY": T.EQUITY,
    "REVENUE": T.INCOME,
    "SALES": T.INCOME,
    "OTHERINCOME": T.OTHER_INCOME,
    "DIRECTCOSTS": T.COST_OF_SALES,
    "EXPENSE": T.EXPENSE,
    "OVERHEADS": T.EXPENSE,
    "DEPRECIATN": T.DEPRECIATION,
}
#: Unified type → the Xero type an account is created with. Receivable and payable accounts are
#: Xero's own system accounts (one each): they cannot be created.
TO_XERO_TYPE: dict[LedgerAccountType, str] = {
    T.BANK: "BANK",
    T.CREDIT_CARD: "BANK",
    T.CURRENT_ASSET: "CURRENT",
    T.FIXED_ASSET: "FIXED",
    T.INVENTORY: "INVENTORY",
    T.NON_CURRENT_ASSET: "NONCURRENT",
    T.PREPAYMENT: "PREPAYMENT",
    T.CURRENT_LIABILITY: "CURRLIAB",
    T.LONG_TERM_LIABILITY: "TERMLIAB",
    T.EQUITY: "EQUITY",
    T.INCOME: "REVENUE",
    T.OTHER_INCOME: "OTHERINCOME",
    T.COST_OF_SALES: "DIRECTCOSTS",
    T.EXPENSE: "EXPENSE",
    T.OTHER_EXPENSE: "OVERHEADS",
    T.DEPRECIATION: "DEPRECIATN",
}
XERO_ACCOUNT_TYPES = frozenset(FROM_XERO_TYPE)
_SYSTEM_TYPES = {"DEBTORS": T.ACCOUNTS_RECEIVABLE, "CREDITORS": T.ACCOUNTS_PAYABLE}
_ACCOUNT_STATUS = {
    "ACTIVE": LedgerAccountStatus.ACTIVE,
    "ARCHIVED": LedgerAccountStatus.ARCHIVED,
    "DELETED": LedgerAccountStatus.DELETED,
}

_JOURNAL_FROM_XERO = {
    "DRAFT": JournalEntryStatus.DRAFT,
    "POSTED": JournalEntryStatus.POSTED,
    "VOIDED": JournalEntryStatus.VOID,
    "DELETED": JournalEntryStatus.DELETED,
    "ARCHIVED": JournalEntryStatus.VOID,
}
JOURNAL_TO_XERO = {
    JournalEntryStatus.DRAFT: "DRAFT",
    JournalEntryStatus.POSTED: "POSTED",
    JournalEntryStatus.VOID: "VOIDED",
    JournalEntryStatus.DELETED: "DELETED",
}


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def account_reference(value: str) -> dict[str, str]:
    """How a document names an account: a GUID as ``AccountID``, anything else as ``AccountCode``."""
    return {"AccountID": value} if is_guid(value) else {"AccountCode": value}


# ------------------------------------------------------------------------------------------- accounts
def account_id_of(data: Mapping[str, Any]) -> str | None:
    return _text(data.get("Code")) or _text(data.get("AccountID"))


def decode_ledger_account(data: Mapping[str, Any], meta: dict[str, Any]) -> LedgerAccount:
    provider_type = _text(data.get("Type"))
    system = _text(data.get("SystemAccount"))
    kind = FROM_XERO_TYPE.get((provider_type or "").upper(), T.CURRENT_ASSET)
    if system in _SYSTEM_TYPES:
        kind = _SYSTEM_TYPES[system]
    elif kind is T.BANK and str(data.get("BankAccountType") or "").upper() == "CREDITCARD":
        kind = T.CREDIT_CARD
    return from_provider(
        LedgerAccount,
        {
            **meta,
            "id": account_id_of(data),
            "name": _text(data.get("Name")) or _text(data.get("Code")) or "",
            "code": _text(data.get("Code")),
            "description": _text(data.get("Description")),
            "type": kind,
            "classification": CLASSIFICATION_OF[kind],
            "provider_type": provider_type,
            "currency": _text(data.get("CurrencyCode")),
            "tax_rate_id": _text(data.get("TaxType")),
            "bank_account_number": _text(data.get("BankAccountNumber")),
            "status": _ACCOUNT_STATUS.get(
                str(data.get("Status") or "ACTIVE").upper(), LedgerAccountStatus.ACTIVE
            ),
            "system": bool(system),
        },
    )


def _xero_type(kind: Any, provider_type: Any) -> dict[str, Any]:
    given = str(provider_type or "").upper()
    out: dict[str, Any] = {"Type": given if given in XERO_ACCOUNT_TYPES else TO_XERO_TYPE[T(kind)]}
    if T(kind) is T.CREDIT_CARD:
        out["BankAccountType"] = "CREDITCARD"
    elif out["Type"] == "BANK":
        out["BankAccountType"] = "BANK"
    return out


def encode_account_fields(values: Mapping[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Xero fields of a ledger account's unified fields (a whole account or an update's)."""
    out: dict[str, Any] = {}
    if "type" in values or "provider_type" in values:
        kind = values.get("type")
        if kind is None and current is not None:
            kind = decode_ledger_account(current, {}).type
        typed = _xero_type(kind, values.get("provider_type"))
        if current is not None:
            typed.pop("BankAccountType", None)  # Xero never changes it
            if str(current.get("Type") or "").upper() == typed["Type"]:
                typed.pop("Type")
        out.update(typed)
    simple = {
        "name": "Name",
        "code": "Code",
        "description": "Description",
        "currency": "CurrencyCode",
        "tax_rate_id": "TaxType",
        "bank_account_number": "BankAccountNumber",
    }
    for name, key in simple.items():
        if name in values:
            out[key] = values[name] if values[name] is not None else ""
    return out


def encode_ledger_account(account: LedgerAccount) -> dict[str, Any]:
    fields = {
        name: getattr(account, name)
        for name in ("type", "provider_type", "name", "code", "description", "currency", "tax_rate_id")
        if getattr(account, name) is not None
    }
    if account.bank_account_number is not None:
        fields["bank_account_number"] = account.bank_account_number
    payload = encode_account_fields(fields, None)
    return {**payload, **account.pass_through}


# ---------------------------------------------------------------------------------------------- items
def decode_item(data: Mapping[str, Any], meta: dict[str, Any]) -> Item:
    sales = data.get("SalesDetails") or {}
    purchase = data.get("PurchaseDetails") or {}
    tracked = data.get("IsTrackedAsInventory") is True
    # Xero has no item types: an item whose quantity is tracked is inventory; the others may be
    # goods or services alike, and are read as services.
    return from_provider(
        Item,
        {
            **meta,
            "id": _text(data.get("Code")) or meta.get("id"),
            "code": _text(data.get("Code")),
            "name": _text(data.get("Name")) or _text(data.get("Code")) or "",
            "description": _text(data.get("Description")),
            "type": ItemType.INVENTORY if tracked else ItemType.SERVICE,
            "sales": _pricing(sales, "AccountCode", _text(data.get("Description")))
            if data.get("IsSold") is not False and sales
            else None,
            "purchase": _pricing(
                purchase,
                "COGSAccountCode" if tracked else "AccountCode",
                _text(data.get("PurchaseDescription")),
            )
            if data.get("IsPurchased") is not False and purchase
            else None,
            "quantity_on_hand": _decimal(data.get("QuantityOnHand")) if tracked else None,
            "inventory_account_id": _text(data.get("InventoryAssetAccountCode")),
        },
    )


def _pricing(details: Mapping[str, Any], account_key: str, description: str | None) -> dict[str, Any]:
    return {
        "unit_price": _decimal(details.get("UnitPrice")),
        "account_id": _text(details.get(account_key)) or _text(details.get("AccountCode")),
        "tax_rate_id": _text(details.get("TaxType")),
        "description": description,
    }


def _details(pricing: Mapping[str, Any] | Any, account_key: str) -> dict[str, Any]:
    values = pricing if isinstance(pricing, Mapping) else pricing.model_dump()
    out = {
        "UnitPrice": values.get("unit_price"),
        account_key: values.get("account_id"),
        "TaxType": values.get("tax_rate_id"),
    }
    return {k: v for k, v in out.items() if v is not None}


def encode_item_fields(values: Mapping[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Xero fields of an item's unified fields (a whole item or an update's)."""
    out: dict[str, Any] = {}
    for name, key in (("code", "Code"), ("name", "Name")):
        if values.get(name) is not None:
            out[key] = values[name]
    kind = values.get("type")
    if kind is None and current is not None:
        kind = ItemType.INVENTORY if current.get("IsTrackedAsInventory") else ItemType.SERVICE
    tracked = kind is not None and ItemType(kind) is ItemType.INVENTORY
    if "description" in values:
        out["Description"] = values["description"] or ""
    if "sales" in values:
        sales = values["sales"]
        out["IsSold"] = sales is not None
        if sales is not None:
            out["SalesDetails"] = _details(sales, "AccountCode")
            described = sales.get("description") if isinstance(sales, Mapping) else sales.description
            if described is not None and "Description" not in out:
                out["Description"] = described
    if "purchase" in values:
        purchase = values["purchase"]
        out["IsPurchased"] = purchase is not None
        if purchase is not None:
            # A tracked item posts its purchases to cost of sales (COGSAccountCode) through its
            # inventory asset account.
            out["PurchaseDetails"] = _details(purchase, "COGSAccountCode" if tracked else "AccountCode")
            described = purchase.get("description") if isinstance(purchase, Mapping) else purchase.description
            if described is not None:
                out["PurchaseDescription"] = described
    if values.get("inventory_account_id") is not None:
        out["InventoryAssetAccountCode"] = values["inventory_account_id"]
    return out


def encode_item(item: Item) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: getattr(item, name)
        for name in ("code", "name", "description", "type", "inventory_account_id")
        if getattr(item, name) is not None
    }
    values["sales"] = item.sales
    values["purchase"] = item.purchase
    return {**encode_item_fields(values, None), **item.pass_through}


# ------------------------------------------------------------------------------------ manual journals
def decode_journal(data: Mapping[str, Any], meta: dict[str, Any]) -> JournalEntry:
    lines = []
    for line in data.get("JournalLines") or []:
        if not isinstance(line, Mapping):
            continue
        amount = _decimal(line.get("LineAmount")) or Decimal(0)
        lines.append(
            {
                "ledger_account_id": _text(line.get("AccountCode")) or _text(line.get("AccountID")) or "",
                "description": _text(line.get("Description")),
                "debit": amount if amount >= 0 else None,
                "credit": -amount if amount < 0 else None,
                "tax_rate_id": _text(line.get("TaxType")),
                "tax_amount": _decimal(line.get("TaxAmount")),
                "tracking": decode_line_tracking(line.get("Tracking")),
            }
        )
    return from_provider(
        JournalEntry,
        {
            **meta,
            "date": record_date(dict(data), "Date"),
            "memo": _text(data.get("Narration")),
            "lines": lines,
            "status": _JOURNAL_FROM_XERO.get(str(data.get("Status") or "").upper()),
        },
    )


def encode_journal_lines(lines: list[Any], tracking: TrackingNames | None) -> list[dict[str, Any]]:
    out = []
    for given in lines:
        line = JournalLine.model_validate(given) if isinstance(given, Mapping) else given
        entry: dict[str, Any] = {
            **account_reference(line.ledger_account_id),
            "LineAmount": line.amount,
            "Description": line.description,
            "TaxType": line.tax_rate_id,
        }
        if line.tracking:
            if tracking is None:
                raise ValueError("line tracking is written by name: pass the organisation's TrackingNames")
            entry["Tracking"] = [tracking.encode(ref) for ref in line.tracking]
        out.append({k: v for k, v in entry.items() if v is not None})
    return out


def encode_journal_fields(
    values: Mapping[str, Any], tracking: TrackingNames | None, default_status: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "date" in values and values["date"] is not None:
        out["Date"] = format_date(values["date"])
    if "memo" in values:
        out["Narration"] = values["memo"]
    if values.get("status") is not None:
        out["Status"] = JOURNAL_TO_XERO[JournalEntryStatus(values["status"])]
    elif default_status is not None:
        out["Status"] = default_status
    if "lines" in values:
        out["JournalLines"] = encode_journal_lines(list(values["lines"]), tracking)
    return out
