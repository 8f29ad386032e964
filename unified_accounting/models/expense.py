"""Money spent directly, not through a bill (QuickBooks ``Purchase``, Xero ``SPEND`` bank transactions)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from .documents import Document


class ExpenseType(StrEnum):
    #: Money out.
    EXPENSE = "expense"
    #: Money back on an earlier expense (QuickBooks credit-card credit, Xero ``RECEIVE``).
    REFUND = "refund"


class ExpensePaymentType(StrEnum):
    CASH = "cash"
    CHECK = "check"
    CARD = "card"


class ExpenseStatus(StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    VOID = "void"
    DELETED = "deleted"


class Expense(Document):
    """A purchase paid at once from a bank or card account; lines name the expense accounts."""

    date: dt.date | None = None
    #: The bank or card account the money left (or, for a refund, came back to).
    account_id: str = Field(min_length=1, description="Id of the bank or card account paid from.")
    supplier_id: str | None = None
    supplier_name: str | None = None
    type: ExpenseType = ExpenseType.EXPENSE
    payment_type: ExpensePaymentType | None = None
    status: ExpenseStatus | None = None
