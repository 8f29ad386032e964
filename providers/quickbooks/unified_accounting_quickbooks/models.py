"""Unified-style records for the QuickBooks lists the core does not model yet: accounts (read only)."""

from __future__ import annotations

from unified_accounting.models import Currency, Money, RecordMeta


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
