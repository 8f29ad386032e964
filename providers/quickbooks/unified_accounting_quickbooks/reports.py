"""QuickBooks' Reports API read into the unified :class:`~unified_accounting.Report`, and the
request parameters of each unified report.

The unified reports map onto ``ProfitAndLoss``, ``BalanceSheet``, ``TrialBalance``,
``AgedReceivables`` and ``AgedPayables`` (Intuit API reference, report entities; the aged reports
are the summaries Intuit also calls ARAgingSummary and APAgingSummary: one row per customer or
vendor, which is what ``aged_receivables(customer_id=...)`` narrows with ``customer=``).

The answer is ``{Header, Columns, Rows}``: every ``Row`` is a ``Section`` (``Header``, ``Rows``,
``Summary``) or a data row of ``ColData`` cells, one per column, amounts as strings. Nothing is
dropped: each section becomes a section row (its ``Header`` cells its values, its ``Summary`` its
total), a section holding only a ``Summary`` (Gross Profit, Net Income, the aging's GrandTotal) a
total row, each data row a row; the ``id`` of a row's first cell lands in ``ledger_account_id``
(account reports) or ``party_id`` (customer and vendor reports), ``group`` is kept, and the
groups of the balance sheet and the profit and loss give the sections their classification.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from unified_accounting.errors import FieldIssue, ValidationFailed
from unified_accounting.models import (
    AccountClassification,
    AccountingMethod,
    Report,
    ReportColumn,
    ReportName,
    ReportPeriod,
    ReportRow,
)
from unified_accounting.provider import ReportRequest

#: The QuickBooks report behind each unified one.
REPORT_PATHS: dict[ReportName, str] = {
    ReportName.PROFIT_AND_LOSS: "ProfitAndLoss",
    ReportName.BALANCE_SHEET: "BalanceSheet",
    ReportName.TRIAL_BALANCE: "TrialBalance",
    ReportName.AGED_RECEIVABLES: "AgedReceivables",
    ReportName.AGED_PAYABLES: "AgedPayables",
}
TITLES: dict[ReportName, str] = {
    ReportName.PROFIT_AND_LOSS: "Profit and Loss",
    ReportName.BALANCE_SHEET: "Balance Sheet",
    ReportName.TRIAL_BALANCE: "Trial Balance",
    ReportName.AGED_RECEIVABLES: "A/R Aging Summary",
    ReportName.AGED_PAYABLES: "A/P Aging Summary",
}
SUMMARIZE = {
    ReportPeriod.TOTAL: "Total",
    ReportPeriod.MONTH: "Month",
    ReportPeriod.QUARTER: "Quarter",
    ReportPeriod.YEAR: "Year",
}
#: Report groups whose sections hold one kind of account (Intuit's group names, US and others).
CLASSIFIED_GROUPS: dict[str, AccountClassification] = {
    "TotalAssets": AccountClassification.ASSET,
    "CurrentAssets": AccountClassification.ASSET,
    "BankAccounts": AccountClassification.ASSET,
    "AR": AccountClassification.ASSET,
    "OtherCurrentAssets": AccountClassification.ASSET,
    "FixedAssets": AccountClassification.ASSET,
    "OtherAssets": AccountClassification.ASSET,
    "Liabilities": AccountClassification.LIABILITY,
    "CurrentLiabilities": AccountClassification.LIABILITY,
    "AP": AccountClassification.LIABILITY,
    "CreditCards": AccountClassification.LIABILITY,
    "OtherCurrentLiabilities": AccountClassification.LIABILITY,
    "LongTermLiabilities": AccountClassification.LIABILITY,
    "Equity": AccountClassification.EQUITY,
    "Income": AccountClassification.INCOME,
    "OtherIncome": AccountClassification.INCOME,
    "COGS": AccountClassification.EXPENSE,
    "Expenses": AccountClassification.EXPENSE,
    "OtherExpenses": AccountClassification.EXPENSE,
}
#: The label column's ``ColType`` → where a row's ``id`` goes.
PARTY_TYPES = frozenset({"Customer", "Vendor", "Employee"})
AS_OF = frozenset({ReportName.BALANCE_SHEET, ReportName.TRIAL_BALANCE})
AGED = frozenset({ReportName.AGED_RECEIVABLES, ReportName.AGED_PAYABLES})


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"invalid report request: {message}", issues=[FieldIssue(field, message)], provider="quickbooks"
    )


def report_params(request: ReportRequest) -> dict[str, str]:
    """The query parameters of ``request`` (checked by the client for dates already)."""
    name = request.name
    if name in AGED:
        if request.columns is not ReportPeriod.TOTAL:
            raise _invalid(
                "columns", "QuickBooks' aging reports have fixed columns: leave columns at 'total'"
            )
        assert request.as_of is not None
        params = {"report_date": request.as_of.isoformat()}
        party = request.customer_id if name is ReportName.AGED_RECEIVABLES else request.supplier_id
        if party is not None:
            params["customer" if name is ReportName.AGED_RECEIVABLES else "vendor"] = party
        return params
    params = {
        "accounting_method": "Cash" if request.accounting_method is AccountingMethod.CASH else "Accrual"
    }
    if name is ReportName.TRIAL_BALANCE and request.columns is not ReportPeriod.TOTAL:
        raise _invalid("columns", "QuickBooks' trial balance has a debit and a credit column only")
    params["summarize_column_by"] = SUMMARIZE[request.columns]
    if name is ReportName.PROFIT_AND_LOSS:
        assert request.start_date is not None and request.end_date is not None
        start, end = request.start_date, request.end_date
    else:
        assert request.as_of is not None
        # As of a date: QuickBooks would otherwise default the period to "this fiscal year to
        # date" of today; the start matters only to the period columns of a balance sheet.
        end = request.as_of
        start = date(end.year, 1, 1)
    params["start_date"], params["end_date"] = start.isoformat(), end.isoformat()
    return params


# ------------------------------------------------------------------------------------ reading


def _pairs(items: Any) -> dict[str, str]:
    """``[{"Name": ..., "Value": ...}]`` (Intuit's ``Option`` and ``MetaData``) as a dict."""
    out: dict[str, str] = {}
    for pair in items or ():
        if isinstance(pair, Mapping) and pair.get("Name") is not None:
            out[str(pair["Name"])] = str(pair.get("Value", ""))
    return out


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _key(column: Mapping[str, Any], index: int, taken: set[str]) -> str:
    meta = _pairs(column.get("MetaData"))
    key = meta.get("ColKey") or re.sub(r"[^a-z0-9]+", "_", str(column.get("ColTitle") or "").lower()).strip(
        "_"
    )
    key = key or f"column_{index}"
    unique, suffix = key, 2
    while unique in taken:
        unique, suffix = f"{key}_{suffix}", suffix + 1
    taken.add(unique)
    return unique


def _columns(payload: Mapping[str, Any]) -> tuple[list[ReportColumn], str | None]:
    """The columns (the first is the rows' label) and the label column's ``ColType``."""
    raw = (payload.get("Columns") or {}).get("Column") or []
    columns: list[ReportColumn] = []
    taken: set[str] = set()
    for index, column in enumerate(raw):
        kind = str(column.get("ColType") or "")
        meta = _pairs(column.get("MetaData"))
        columns.append(
            ReportColumn(
                key=_key(column, index, taken),
                title=str(column.get("ColTitle") or ""),
                kind="label"
                if index == 0
                else "amount"
                if kind == "Money"
                else "date"
                if kind == "Date"
                else "text",
                start_date=_date(meta.get("StartDate")),
                end_date=_date(meta.get("EndDate")),
            )
        )
    return columns, (str(raw[0].get("ColType")) if raw else None)


class _Reader:
    def __init__(self, columns: list[ReportColumn], label_type: str | None) -> None:
        self.keys = [column.key for column in columns]
        self.party = label_type in PARTY_TYPES

    def cells(self, cells: Any) -> tuple[str, str | None, dict[str, Any]]:
        """A ``ColData`` list → the label, the first cell's id and the other cells by column key."""
        cells = list(cells or ())
        if len(cells) > len(self.keys):
            raise ValueError(f"a row has {len(cells)} cells for {len(self.keys)} columns")
        label = str(cells[0].get("value") or "") if cells else ""
        ident = cells[0].get("id") if cells else None
        values = {key: cell.get("value") for key, cell in zip(self.keys[1:], cells[1:], strict=False)}
        return label, (str(ident) if ident not in (None, "") else None), values

    def ids(self, ident: str | None) -> dict[str, str | None]:
        return {"party_id": ident} if self.party else {"ledger_account_id": ident}

    def row(self, row: Mapping[str, Any]) -> ReportRow:
        group = row.get("group")
        group = str(group) if group is not None else None
        header, rows, summary = row.get("Header"), row.get("Rows"), row.get("Summary")
        if row.get("type") != "Section" and "ColData" in row:
            label, ident, values = self.cells(row["ColData"])
            return ReportRow(kind="row", label=label, group=group, values=values, **self.ids(ident))
        total = None
        if isinstance(summary, Mapping):
            label, ident, values = self.cells(summary.get("ColData"))
            total = ReportRow(kind="total", label=label, group=group, values=values, **self.ids(ident))
        if header is None and not (rows or {}).get("Row") and total is not None:
            return total  # Gross Profit, Net Income, GrandTotal: a figure, not a group of rows
        label, ident, values = self.cells((header or {}).get("ColData"))
        return ReportRow(
            kind="section",
            label=label or (total.label if total is not None else group or ""),
            group=group,
            classification=CLASSIFIED_GROUPS.get(group or ""),
            values=values,
            rows=[self.row(child) for child in (rows or {}).get("Row") or ()],
            total=total,
            **self.ids(ident),
        )


def read_report(name: ReportName, payload: Mapping[str, Any]) -> Report:
    """A Reports API answer → the unified report (raises on a payload that is not one)."""
    header = payload["Header"]
    columns, label_type = _columns(payload)
    reader = _Reader(columns, label_type)
    rows = [reader.row(row) for row in (payload.get("Rows") or {}).get("Row") or ()]
    options = _pairs(header.get("Option"))
    basis = header.get("ReportBasis")
    start, end = _date(header.get("StartPeriod")), _date(header.get("EndPeriod"))
    fields: dict[str, Any] = {
        "name": name,
        "title": TITLES[name],
        "currency": header.get("Currency"),
        "basis": AccountingMethod(str(basis).lower()) if basis else None,
        "columns": columns,
        "rows": rows,
    }
    if name is ReportName.PROFIT_AND_LOSS:
        fields |= {"start_date": start, "end_date": end}
    elif name in AGED:
        fields["as_of"] = _date(options.get("report_date")) or end
    else:
        fields["as_of"] = end
    return Report.model_validate(fields)


__all__ = ["REPORT_PATHS", "read_report", "report_params"]
