"""Unified-style records for the QuickBooks lists the core does not model: items and accounts (read only)."""

from __future__ import annotations

from unified_accounting.models import Currency, Money, RecordMeta


class Item(RecordMeta):
    """A product or service (QuickBooks ``Item``), what an invoice line sells."""

    name: str
    description: str | None = None
    #: ``Service``, ``NonInventory``, ``Inventory``, ``Category`` or ``Group``.
    type: str | None = None
    sku: str | None = None
    unit_price: Money | None = None
    income_account_id: str | None = None
    active: bool = True


class Account(RecordMeta):
    """A ledger account of the chart of accounts (QuickBooks ``Account``)."""

    name: str
    number: str | None = None
    account_type: str | None = None
    account_sub_type: str | None = None
    classification: str | None = None
    currency: Currency | None = None
    current_balance: Money | None = None
    active: bool = True
