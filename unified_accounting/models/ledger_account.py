"""The chart of accounts (QuickBooks ``Account``, Xero accounts)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import Currency, RecordMeta
from .money import Amount


class AccountClassification(StrEnum):
    """Where an account stands in the books: the balance sheet's three, and the profit and loss's two."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class LedgerAccountType(StrEnum):
    """The unified account types; each belongs to one classification (:data:`CLASSIFICATION_OF`).
    The provider's own type is kept in ``LedgerAccount.provider_type``."""

    BANK = "bank"
    ACCOUNTS_RECEIVABLE = "accounts_receivable"
    CURRENT_ASSET = "current_asset"
    FIXED_ASSET = "fixed_asset"
    INVENTORY = "inventory"
    NON_CURRENT_ASSET = "non_current_asset"
    PREPAYMENT = "prepayment"
    ACCOUNTS_PAYABLE = "accounts_payable"
    CREDIT_CARD = "credit_card"
    CURRENT_LIABILITY = "current_liability"
    LONG_TERM_LIABILITY = "long_term_liability"
    EQUITY = "equity"
    INCOME = "income"
    OTHER_INCOME = "other_income"
    COST_OF_SALES = "cost_of_sales"
    EXPENSE = "expense"
    OTHER_EXPENSE = "other_expense"
    DEPRECIATION = "depreciation"


#: The classification each unified account type belongs to.
CLASSIFICATION_OF: dict[LedgerAccountType, AccountClassification] = {
    **dict.fromkeys(
        (
            LedgerAccountType.BANK,
            LedgerAccountType.ACCOUNTS_RECEIVABLE,
            LedgerAccountType.CURRENT_ASSET,
            LedgerAccountType.FIXED_ASSET,
            LedgerAccountType.INVENTORY,
            LedgerAccountType.NON_CURRENT_ASSET,
            LedgerAccountType.PREPAYMENT,
        ),
        AccountClassification.ASSET,
    ),
    **dict.fromkeys(
        (
            LedgerAccountType.ACCOUNTS_PAYABLE,
            LedgerAccountType.CREDIT_CARD,
            LedgerAccountType.CURRENT_LIABILITY,
            LedgerAccountType.LONG_TERM_LIABILITY,
        ),
        AccountClassification.LIABILITY,
    ),
    LedgerAccountType.EQUITY: AccountClassification.EQUITY,
    LedgerAccountType.INCOME: AccountClassification.INCOME,
    LedgerAccountType.OTHER_INCOME: AccountClassification.INCOME,
    **dict.fromkeys(
        (
            LedgerAccountType.COST_OF_SALES,
            LedgerAccountType.EXPENSE,
            LedgerAccountType.OTHER_EXPENSE,
            LedgerAccountType.DEPRECIATION,
        ),
        AccountClassification.EXPENSE,
    ),
}


class LedgerAccountStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DELETED = "deleted"


class LedgerAccount(RecordMeta):
    """One account of the chart. Documents name it by ``id`` (``LineItem.account_id``,
    ``Expense.account_id``, ``JournalLine.ledger_account_id``) on every provider."""

    name: str = Field(min_length=1)
    #: The account's number in the chart ("200", "4000"), where the company uses numbers.
    code: str | None = None
    description: str | None = None
    type: LedgerAccountType
    #: Follows from ``type``; filled on reads.
    classification: AccountClassification | None = None
    #: The provider's own type ("Income", "REVENUE"), kept as it is.
    provider_type: str | None = None
    #: The provider's finer type, where it has one (QuickBooks ``AccountSubType``).
    sub_type: str | None = None
    currency: Currency | None = None
    #: The tax rate lines on this account get unless they say otherwise.
    tax_rate_id: str | None = None
    #: The account this one is a sub-account of (QuickBooks).
    parent_id: str | None = None
    bank_account_number: str | None = None
    status: LedgerAccountStatus = LedgerAccountStatus.ACTIVE
    #: The balance, where the provider gives it (read only).
    current_balance: Amount | None = None
    #: Accounts the provider keeps for itself (accounts receivable, retained earnings...): they
    #: cannot be changed or removed.
    system: bool = False
