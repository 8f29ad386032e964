"""Read-only Xero resources that have no unified model yet: the chart of accounts.

Lines and payments refer to accounts and items by *code* (``LineItem.account_id``,
``LineItem.item_id``, ``Payment.account_id``), the way Xero users know them, so the model carries it.
"""

from __future__ import annotations

from pydantic import Field

from unified_accounting.models import Currency, RecordMeta


class Account(RecordMeta):
    """A Xero account (resource ``"account"``); ``id`` is the AccountID."""

    code: str | None = None
    name: str | None = None
    type: str | None = Field(default=None, description="BANK, REVENUE, EXPENSE, CURRLIAB, ...")
    account_class: str | None = Field(default=None, description="ASSET, EQUITY, EXPENSE, LIABILITY, REVENUE")
    status: str | None = Field(default=None, description="ACTIVE or ARCHIVED")
    tax_type: str | None = None
    description: str | None = None
    currency: Currency | None = None
    bank_account_number: str | None = None
    enable_payments_to_account: bool | None = None
