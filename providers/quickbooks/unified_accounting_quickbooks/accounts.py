"""The chart of accounts: QuickBooks ``AccountType``/``AccountSubType`` ↔ the unified account types.

QuickBooks has fifteen account types, each with its own sub-types (Intuit's Account reference
marks one of them the default). The unified list is a little finer in three places, which
QuickBooks expresses by sub-type: inventory and prepayments are "Other Current Asset" accounts
with the ``Inventory`` and ``PrepaidExpenses`` sub-types, depreciation an "Other Expense" account
with the ``Depreciation`` sub-type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unified_accounting.errors import FieldIssue
from unified_accounting.models import LedgerAccountType

T = LedgerAccountType

#: Unified type → (QuickBooks AccountType, the sub-type written with it).
QUICKBOOKS_TYPE: dict[LedgerAccountType, tuple[str, str]] = {
    T.BANK: ("Bank", "Checking"),
    T.ACCOUNTS_RECEIVABLE: ("Accounts Receivable", "AccountsReceivable"),
    T.CURRENT_ASSET: ("Other Current Asset", "OtherCurrentAssets"),
    T.INVENTORY: ("Other Current Asset", "Inventory"),
    T.PREPAYMENT: ("Other Current Asset", "PrepaidExpenses"),
    T.FIXED_ASSET: ("Fixed Asset", "FurnitureAndFixtures"),
    T.NON_CURRENT_ASSET: ("Other Asset", "OtherLongTermAssets"),
    T.ACCOUNTS_PAYABLE: ("Accounts Payable", "AccountsPayable"),
    T.CREDIT_CARD: ("Credit Card", "CreditCard"),
    T.CURRENT_LIABILITY: ("Other Current Liability", "OtherCurrentLiabilities"),
    T.LONG_TERM_LIABILITY: ("Long Term Liability", "OtherLongTermLiabilities"),
    T.EQUITY: ("Equity", "OwnersEquity"),
    T.INCOME: ("Income", "OtherPrimaryIncome"),
    T.OTHER_INCOME: ("Other Income", "OtherMiscellaneousIncome"),
    T.COST_OF_SALES: ("Cost of Goods Sold", "SuppliesMaterialsCogs"),
    T.EXPENSE: ("Expense", "OtherBusinessExpenses"),
    T.OTHER_EXPENSE: ("Other Expense", "OtherMiscellaneousExpense"),
    T.DEPRECIATION: ("Other Expense", "Depreciation"),
}

#: QuickBooks AccountType → the unified type (before the sub-type refines it).
UNIFIED_TYPE: dict[str, LedgerAccountType] = {
    "Bank": T.BANK,
    "Accounts Receivable": T.ACCOUNTS_RECEIVABLE,
    "Other Current Asset": T.CURRENT_ASSET,
    "Fixed Asset": T.FIXED_ASSET,
    "Other Asset": T.NON_CURRENT_ASSET,
    "Accounts Payable": T.ACCOUNTS_PAYABLE,
    "Credit Card": T.CREDIT_CARD,
    "Other Current Liability": T.CURRENT_LIABILITY,
    "Long Term Liability": T.LONG_TERM_LIABILITY,
    "Equity": T.EQUITY,
    "Income": T.INCOME,
    "Other Income": T.OTHER_INCOME,
    "Cost of Goods Sold": T.COST_OF_SALES,
    "Expense": T.EXPENSE,
    "Other Expense": T.OTHER_EXPENSE,
}
#: (AccountType, AccountSubType) pairs that are a finer unified type.
REFINED: dict[tuple[str, str], LedgerAccountType] = {
    ("Other Current Asset", "Inventory"): T.INVENTORY,
    ("Other Current Asset", "PrepaidExpenses"): T.PREPAYMENT,
    ("Other Expense", "Depreciation"): T.DEPRECIATION,
}
#: What an account of an unknown AccountType reads as, by its Classification.
BY_CLASSIFICATION: dict[str, LedgerAccountType] = {
    "Asset": T.CURRENT_ASSET,
    "Liability": T.CURRENT_LIABILITY,
    "Equity": T.EQUITY,
    "Revenue": T.INCOME,
    "Expense": T.EXPENSE,
}

#: Sub-types of the accounts QuickBooks keeps for itself (Intuit's Account reference: they can
#: neither have sub-accounts nor be sub-accounts). The library refuses to archive them or change
#: their type or parent before any write; renaming them is left to QuickBooks.
SYSTEM_SUB_TYPES = frozenset(
    {
        "OpeningBalanceEquity",
        "UndepositedFunds",
        "RetainedEarnings",
        "CashReceiptIncome",
        "CashExpenditureExpense",
        "ExchangeGainOrLoss",
    }
)
#: Fields of a system account that cannot change.
SYSTEM_FIXED = ("type", "sub_type", "parent_id", "status")


def unified_type(kind: Any, sub_type: Any, classification: Any) -> LedgerAccountType:
    """The unified type of a QuickBooks account (its own type is kept beside it)."""
    refined = REFINED.get((str(kind), str(sub_type)))
    if refined is not None:
        return refined
    found = UNIFIED_TYPE.get(str(kind)) or BY_CLASSIFICATION.get(str(classification))
    if found is None:
        raise ValueError(f"QuickBooks account type {kind!r} (classification {classification!r}) is unknown")
    return found


def is_system(data: Mapping[str, Any]) -> bool:
    return str(data.get("AccountSubType")) in SYSTEM_SUB_TYPES


def system_issues(
    current: Mapping[str, Any], fields: Mapping[str, Any], *, archive: bool
) -> list[FieldIssue]:
    """Why a change to the stored account ``current`` is refused (a system account's type, parent
    and status are QuickBooks' own)."""
    if not is_system(current):
        return []
    name = current.get("Name")
    reason = (
        f"account {current.get('Id')} ({name}) is a QuickBooks system account "
        f"({current.get('AccountSubType')}): its type, parent and status cannot change"
    )
    if archive:
        return [FieldIssue("status", reason)]
    return [FieldIssue(field, reason) for field in SYSTEM_FIXED if field in fields]


__all__ = [
    "QUICKBOOKS_TYPE",
    "SYSTEM_SUB_TYPES",
    "is_system",
    "system_issues",
    "unified_type",
]
