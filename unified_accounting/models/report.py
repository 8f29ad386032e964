"""Financial reports (profit and loss, balance sheet, trial balance, aged receivables and payables)
in one shape that QuickBooks' Reports API and Xero's reports both map into without loss.

A :class:`Report` has a header (what, for which period or date, in which currency, on which
basis), named :class:`ReportColumn` s and nested :class:`ReportRow` s. A row's ``values`` hold one
cell per column but the label column (the row's ``label`` is that cell): amounts as ``Decimal``,
dates and text as the provider wrote them. A section holds rows (and sections) and, usually, a
total row. Provider ids land on the row they belong to: a ledger account's, a customer's or
supplier's (``party_id``), a document's (``document_id``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_serializer, model_validator

from .common import Currency, UnifiedModel, to_decimal
from .ledger_account import AccountClassification


class ReportName(StrEnum):
    """The reports the unified API asks for by name."""

    PROFIT_AND_LOSS = "profit_and_loss"
    BALANCE_SHEET = "balance_sheet"
    TRIAL_BALANCE = "trial_balance"
    AGED_RECEIVABLES = "aged_receivables"
    AGED_PAYABLES = "aged_payables"


class AccountingMethod(StrEnum):
    """When income and expenses count: when invoiced and billed (accrual), or when paid (cash)."""

    ACCRUAL = "accrual"
    CASH = "cash"


class ReportPeriod(StrEnum):
    """How a report's amounts are split into columns: one total, or one column per period."""

    TOTAL = "total"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


#: What a column holds: the row labels, amounts (``Decimal``), dates or other text.
ColumnKind = Literal["label", "amount", "date", "text"]
#: A row's part in a report: a header line, a section of rows, a line of figures, a total.
RowKind = Literal["header", "section", "row", "total"]
#: What a cell holds: an amount (``Decimal``), text, or nothing (an empty cell).
CellValue = Decimal | str | None


class ReportColumn(UnifiedModel):
    """One column: ``key`` names its cells in every row's ``values``."""

    key: str = Field(min_length=1)
    title: str = ""
    kind: ColumnKind = "amount"
    #: The period the column covers, for a report split by period (or the report's own period).
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class ReportRow(UnifiedModel):
    """One row of a report, or a section of rows with its total."""

    kind: RowKind = "row"
    label: str = ""
    #: The ledger account the row is about (QuickBooks ColData ``id``, Xero ``account`` attribute).
    ledger_account_id: str | None = None
    #: The customer or supplier the row is about (aged reports).
    party_id: str | None = None
    #: The document the row is about (detail reports: an invoice, a bill).
    document_id: str | None = None
    #: The provider's name for the row's group (QuickBooks ``group``: ``"Income"``, ``"TotalAssets"``).
    group: str | None = None
    #: For a section (or row) of one kind of account: which (a balance sheet's assets, liabilities
    #: and equity; a profit and loss's income and expenses).
    classification: AccountClassification | None = None
    #: One cell per column but the label column, by column key.
    values: dict[str, CellValue] = Field(default_factory=dict)
    #: A section's rows, sections included.
    rows: list[ReportRow] = Field(default_factory=list)
    #: A section's total row.
    total: ReportRow | None = None

    def amount(self, column: str) -> Decimal | None:
        """The cell of ``column`` as an amount (``None`` when empty)."""
        value = self.values.get(column)
        return value if isinstance(value, Decimal) else None

    def walk(self) -> Iterator[ReportRow]:
        """This row, then every row below it, depth first (a section's total after its rows)."""
        yield self
        for row in self.rows:
            yield from row.walk()
        if self.total is not None:
            yield self.total


class Report(UnifiedModel):
    """One financial report as the provider computed it (see the module docstring)."""

    name: ReportName
    title: str = ""
    #: The period of a report over a period (profit and loss); ``None`` for one as of a date.
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    #: The date of a report as of a date (balance sheet, trial balance, aged reports).
    as_of: dt.date | None = None
    currency: Currency | None = None
    basis: AccountingMethod | None = None
    columns: list[ReportColumn] = Field(default_factory=list)
    rows: list[ReportRow] = Field(default_factory=list)
    raw: Mapping[str, Any] | None = Field(
        default=None,
        description="The provider's report payload, filled only when include_raw=True.",
        repr=False,
    )

    @field_serializer("raw")
    def _raw_as_dict(self, value: Mapping[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else dict(value)

    @model_validator(mode="after")
    def _cells_fit_the_columns(self) -> Report:
        keys = [column.key for column in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"column keys must differ, got {keys}")
        labels = [column.key for column in self.columns if column.kind == "label"]
        if len(labels) > 1:
            raise ValueError(f"a report has one label column (the rows' label), got {labels}")
        amounts = {column.key for column in self.columns if column.kind == "amount"}
        known = set(keys) - set(labels)
        for row in self.walk():
            unknown = sorted(set(row.values) - known)
            if unknown:
                raise ValueError(f"row {row.label!r} has cells of no (non-label) column: {unknown}")
            for key in amounts & set(row.values):
                value = row.values[key]
                if isinstance(value, str) and not value.strip():
                    row.values[key] = None  # an empty cell, as QuickBooks writes it
                elif value is not None:
                    row.values[key] = to_decimal(value)
        return self

    # ------------------------------------------------------------------------------- reading

    def walk(self) -> Iterator[ReportRow]:
        """Every row of the report, depth first (sections, then their rows, then their total)."""
        for row in self.rows:
            yield from row.walk()

    @property
    def amount_columns(self) -> list[str]:
        """The keys of the columns holding amounts, in order."""
        return [column.key for column in self.columns if column.kind == "amount"]

    def find(self, label: str) -> ReportRow:
        """The first row, section or total labelled ``label`` (``KeyError`` when there is none)."""
        for row in self.walk():
            if row.label == label:
                return row
        raise KeyError(f"the {self.name} report has no row labelled {label!r}")

    def account_row(self, ledger_account_id: str) -> ReportRow:
        """The first row about the ledger account ``ledger_account_id``."""
        for row in self.walk():
            if row.ledger_account_id == ledger_account_id and row.kind != "total":
                return row
        raise KeyError(f"the {self.name} report has no row for ledger account {ledger_account_id!r}")

    def classified_total(self, classification: AccountClassification, column: str) -> Decimal:
        """The sum of the totals of the outermost sections of ``classification`` in ``column``
        (a balance sheet's assets: its asset sections' totals, not counted twice when nested)."""
        total = Decimal(0)
        pending = list(self.rows)
        while pending:
            row = pending.pop()
            if row.classification is classification and row.kind == "section":
                total += (row.total.amount(column) if row.total else None) or Decimal(0)
            else:
                pending.extend(row.rows)
        return total


ReportRow.model_rebuild()

__all__ = [
    "AccountingMethod",
    "CellValue",
    "ColumnKind",
    "Report",
    "ReportColumn",
    "ReportName",
    "ReportPeriod",
    "ReportRow",
    "RowKind",
]
