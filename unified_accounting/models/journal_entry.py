"""Journal entries: postings straight to ledger accounts (QuickBooks ``JournalEntry``, Xero manual
journals)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..errors import FieldIssue
from .common import Currency, RecordMeta, UnifiedModel
from .context import is_provider_data
from .invoice import ExchangeRate
from .money import Amount, NonNegativeAmount
from .tracking import TrackingRef


class JournalEntryStatus(StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    VOID = "void"
    DELETED = "deleted"


class JournalLine(UnifiedModel):
    """One posting: a debit or a credit to one account."""

    ledger_account_id: str = Field(min_length=1)
    description: str | None = None
    debit: NonNegativeAmount | None = None
    credit: NonNegativeAmount | None = None
    tax_rate_id: str | None = None
    tax_amount: Amount | None = None
    tracking: list[TrackingRef] = Field(default_factory=list)
    #: The customer or supplier the posting concerns (receivable and payable accounts need one on
    #: QuickBooks).
    customer_id: str | None = None
    supplier_id: str | None = None

    @model_validator(mode="after")
    def _debit_or_credit(self, info: ValidationInfo) -> JournalLine:
        if is_provider_data(info):
            return self
        if (self.debit is None) == (self.credit is None):
            raise ValueError("a journal line has a debit or a credit: give exactly one of them")
        return self

    @property
    def amount(self) -> Decimal:
        """Signed: debits positive, credits negative (how Xero writes journal lines)."""
        return (self.debit or Decimal(0)) - (self.credit or Decimal(0))


class JournalEntry(RecordMeta):
    date: dt.date | None = None
    number: str | None = None
    memo: str | None = None
    currency: Currency | None = None
    #: Units of home currency per one unit of ``currency`` (see ``Invoice.currency_rate``).
    currency_rate: ExchangeRate | None = None
    lines: list[JournalLine] = Field(default_factory=list)
    status: JournalEntryStatus | None = None

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit or Decimal(0) for line in self.lines), start=Decimal(0))

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit or Decimal(0) for line in self.lines), start=Decimal(0))

    @classmethod
    def update_issues(cls, fields: Mapping[str, Any]) -> list[FieldIssue]:
        """What makes a partial update's fields unacceptable on their own: new lines must balance."""
        lines = fields.get("lines")
        if lines is None:
            return []
        problem = _imbalance(lines, fields.get("currency"))
        return [FieldIssue("lines", problem)] if problem else []

    @field_validator("lines")
    @classmethod
    def _balanced(cls, lines: list[JournalLine], info: ValidationInfo) -> list[JournalLine]:
        # Checked before any HTTP call, with both totals, so the fix is obvious; on ``lines``, so
        # that the refusal names the field (``currency`` is declared first: it is known here).
        if is_provider_data(info):
            return lines
        problem = _imbalance(lines, info.data.get("currency"))
        if problem:
            raise ValueError(problem)
        return lines


def _imbalance(lines: Sequence[JournalLine], currency: str | None) -> str | None:
    """Why ``lines`` cannot make a journal entry, or ``None`` when they can."""
    if len(lines) < 2:
        return "a journal entry needs at least two lines"
    debit = sum((line.debit or Decimal(0) for line in lines), start=Decimal(0))
    credit = sum((line.credit or Decimal(0) for line in lines), start=Decimal(0))
    if debit != credit:
        return (
            f"the lines do not balance: debits total {debit} and credits total {credit} "
            f"(in {currency or 'the document currency'}); they must be equal"
        )
    return None
