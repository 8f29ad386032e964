"""What every money document has: a number, dates, currency, tax mode, lines, totals, tracking.

Invoices, bills, credit notes, supplier credits and expenses all carry these fields with the same
meaning; each adds its party and its own status.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, ValidationInfo, model_validator

from .common import Currency, RecordMeta
from .context import is_provider_data
from .invoice import ExchangeRate, LineItem
from .money import Amount
from .tax import TaxMode
from .tracking import TrackingRef


class Document(RecordMeta):
    """Fields shared by invoices' siblings (bills, credit notes, supplier credits, expenses)."""

    number: str | None = None
    #: The document's currency (``None`` on input: the company's home currency).
    currency: Currency | None = None
    #: Units of home currency per one unit of ``currency`` (see ``Invoice.currency_rate``).
    currency_rate: ExchangeRate | None = None
    #: Whether line prices include tax (``None`` on input: the company's default).
    tax_mode: TaxMode | None = None
    line_items: list[LineItem] = Field(default_factory=list)
    sub_total: Amount | None = None
    total_tax: Amount | None = None
    total: Amount | None = None
    memo: str | None = None
    reference: str | None = None
    #: Tags on the whole document (lines carry their own).
    tracking: list[TrackingRef] = Field(default_factory=list)


class DatedDocument(Document):
    """A document issued on a date: credit notes and supplier credits."""

    issue_date: dt.date | None = None


class DueDocument(DatedDocument):
    """A document issued on a date that falls due later: bills."""

    due_date: dt.date | None = None

    @model_validator(mode="after")
    def _due_after_issue(self, info: ValidationInfo) -> DueDocument:
        # As on invoices: a rule for what users send, not for what providers store.
        if is_provider_data(info) or info.field_name not in (None, "issue_date", "due_date"):
            return self
        if self.issue_date and self.due_date and self.due_date < self.issue_date:
            raise ValueError("due_date must not be before issue_date")
        return self
