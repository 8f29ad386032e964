"""Read-only Xero resources that have no unified model: the chart of accounts and items.

Lines and payments refer to accounts and items by *code* (``LineItem.account_id``,
``LineItem.item_id``, ``Payment.account_id``), the way Xero users know them, so both models carry it.
"""

from __future__ import annotations

from pydantic import Field

from unified_accounting.models import Currency, Money, RecordMeta


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


class Item(RecordMeta):
    """A Xero item (resource ``"item"``); ``id`` is the ItemID, ``code`` what invoice lines use."""

    code: str | None = None
    name: str | None = None
    description: str | None = None
    unit_price: Money | None = Field(default=None, description="Sales unit price.")
    sales_account_code: str | None = None
    sales_tax_type: str | None = None
    purchase_unit_price: Money | None = None
    is_sold: bool | None = None
    is_purchased: bool | None = None
    is_tracked_as_inventory: bool | None = None
