"""Xero's financial reports (``GET /Reports/{ReportID}``) asked for and read into the unified
:class:`~unified_accounting.Report`.

Asking: the profit and loss is ``ProfitAndLoss?fromDate&toDate``; split by month, quarter or year it
is Xero's comparison of the last period with the ``periods`` before it (``timeframe``), so the range
must be whole periods, at most 12 of them. The balance sheet (``date``) comes, as Xero sends it by
default, with the same day a year earlier beside it: with ``columns="total"`` that comparison is left
out of the unified report (it stays in ``raw``); ``columns`` asks for the last 12 month ends, 4
quarter ends or 3 year ends. ``paymentsOnly=true`` is the cash basis. ``standardLayout=true``
keeps an organisation's custom layout from renaming and regrouping sections. The aged reports are
Xero's per-contact reports (``AgedReceivablesByContact?contactID=``): ``customer_id`` (or
``supplier_id``) is required.

Reading: Xero's header row names the columns (the first is the label column); its ``Section`` rows
become sections (kept in Xero's flat order: a balance sheet's ``Assets`` heading, its ``Bank`` and
``Current Assets`` sections, an untitled section holding ``Total Assets``...), ``Row`` rows become
rows and a section's last ``SummaryRow`` its total. Every cell is kept; amounts become ``Decimal``.
Cell attributes carry the ids: ``account`` → ``ledger_account_id`` (a value that is no GUID, such
as ``FXGROUPID``, goes to ``group``), ``invoiceID`` and the like → ``document_id``; the aged reports'
rows get the contact as ``party_id``. Sections are classified from their titles (income, cost and
expenses; assets, liabilities and equity, a balance sheet's headings carrying over to the sections
under them), so :meth:`Report.classified_total` adds up what Xero shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from unified_accounting.errors import FieldIssue, ValidationFailed
from unified_accounting.models import AccountClassification, AccountingMethod, ReportName, ReportPeriod
from unified_accounting.provider import ReportRequest

from .chart import is_guid
from .errors import PROVIDER

REPORT_IDS = {
    ReportName.PROFIT_AND_LOSS: "ProfitAndLoss",
    ReportName.BALANCE_SHEET: "BalanceSheet",
    ReportName.TRIAL_BALANCE: "TrialBalance",
    ReportName.AGED_RECEIVABLES: "AgedReceivablesByContact",
    ReportName.AGED_PAYABLES: "AgedPayablesByContact",
}
#: Xero's ``timeframe`` and the months in one of its periods.
TIMEFRAMES = {
    ReportPeriod.MONTH: ("MONTH", 1),
    ReportPeriod.QUARTER: ("QUARTER", 3),
    ReportPeriod.YEAR: ("YEAR", 12),
}
#: Xero compares with at most 11 earlier periods.
MAX_PERIODS = 11
#: Earlier balance sheet dates asked for when split by period: a year of month or quarter ends, or 2 years.
BALANCE_SHEET_PERIODS = {ReportPeriod.MONTH: 11, ReportPeriod.QUARTER: 3, ReportPeriod.YEAR: 2}
#: Attribute ids naming the document a row is about.
DOCUMENT_ATTRIBUTES = frozenset({"invoiceid", "invoice", "creditnoteid", "creditnote", "documentid"})
PARTY_ATTRIBUTES = frozenset({"contact", "contactid"})
_HEADER_DATES = ("%d %b %Y", "%d %B %Y", "%d %b %y")


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "the report cannot be asked of Xero", issues=[FieldIssue(field, message)], provider=PROVIDER
    )


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _month_end(index: int) -> date:
    return _month_start(index + 1) - timedelta(days=1)


def shift(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, a month's last day staying a month's last day."""
    index = _month_index(day) + months
    last = _month_end(index).day
    at_end = day == _month_end(_month_index(day))
    return _month_start(index).replace(day=last if at_end else min(day.day, last))


def _profit_and_loss_params(request: ReportRequest) -> dict[str, str]:
    start, end = request.start_date, request.end_date
    assert start is not None and end is not None
    if request.columns is ReportPeriod.TOTAL:
        return {"fromDate": start.isoformat(), "toDate": end.isoformat()}
    timeframe, months = TIMEFRAMES[request.columns]
    span = _month_index(end) - _month_index(start) + 1
    whole = start.day == 1 and end == _month_end(_month_index(end)) and span % months == 0
    if not whole or span // months - 1 > MAX_PERIODS:
        raise _refuse(
            "columns",
            f"Xero splits a profit and loss into whole {request.columns.value}s, at most "
            f"{MAX_PERIODS + 1} of them: start on the first day of a month and end on the last day "
            f"of one, {months} month(s) per column (got {start} to {end})",
        )
    first = _month_start(_month_index(end) - months + 1)
    params = {"fromDate": first.isoformat(), "toDate": end.isoformat(), "timeframe": timeframe}
    if span // months > 1:
        params["periods"] = str(span // months - 1)
    return params


def params(request: ReportRequest) -> dict[str, str]:
    """The query of ``request``'s report; what Xero cannot answer is refused naming the argument."""
    if request.name is ReportName.PROFIT_AND_LOSS:
        query = _profit_and_loss_params(request)
    else:
        assert request.as_of is not None
        query = {"date": request.as_of.isoformat()}
    if request.name in (ReportName.AGED_RECEIVABLES, ReportName.AGED_PAYABLES):
        field = "customer_id" if request.name is ReportName.AGED_RECEIVABLES else "supplier_id"
        contact = request.customer_id if request.name is ReportName.AGED_RECEIVABLES else request.supplier_id
        if contact is None:
            raise _refuse(
                field,
                f"Xero ages one contact per report ({REPORT_IDS[request.name]}): pass {field}=, "
                "once for each contact you need",
            )
        if not is_guid(contact):
            raise _refuse(field, f"{contact!r} is not a Xero ContactID (a GUID)")
        query["contactID"] = contact
        return query
    if request.name is ReportName.BALANCE_SHEET and request.columns is not ReportPeriod.TOTAL:
        query["timeframe"] = TIMEFRAMES[request.columns][0]
        query["periods"] = str(BALANCE_SHEET_PERIODS[request.columns])
    query["standardLayout"] = "true"
    if request.accounting_method is AccountingMethod.CASH:
        query["paymentsOnly"] = "true"
    return query


# ------------------------------------------------------------------------------------------------ reading
def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def _header_date(title: str) -> date | None:
    for pattern in _HEADER_DATES:
        try:
            return datetime.strptime(title.strip(), pattern).date()
        except ValueError:
            continue
    return None


def _cells(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [cell if isinstance(cell, Mapping) else {"Value": cell} for cell in row.get("Cells") or []]


def _is_amount(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return False
    return True


def _all_rows(rows: Sequence[Any]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for row in rows:
        if isinstance(row, Mapping):
            out.append(row)
            out.extend(_all_rows(row.get("Rows") or []))
    return out


def _spans(request: ReportRequest, count: int) -> list[tuple[date | None, date | None]]:
    """The period of each amount column as asked (Xero's header names only each column's end)."""
    if request.name is ReportName.PROFIT_AND_LOSS:
        start, end = request.start_date, request.end_date
        assert start is not None and end is not None
        if request.columns is ReportPeriod.TOTAL:
            return [(start, end)] * count
        months = TIMEFRAMES[request.columns][1]
        first = _month_start(_month_index(end) - months + 1)
        return [(shift(first, -i * months), shift(end, -i * months)) for i in range(count)]
    if request.name is ReportName.BALANCE_SHEET:
        assert request.as_of is not None
        months = 12 if request.columns is ReportPeriod.TOTAL else TIMEFRAMES[request.columns][1]
        return [(None, shift(request.as_of, -i * months)) for i in range(count)]
    return [(None, request.as_of)] * count


def _columns(request: ReportRequest, rows: Sequence[Any]) -> list[dict[str, Any]]:
    header = next(
        (r for r in rows if isinstance(r, Mapping) and str(r.get("RowType")).lower() == "header"), None
    )
    titles = [str(cell.get("Value") or "") for cell in _cells(header or {})]
    body = [r for r in _all_rows(rows) if str(r.get("RowType")).lower() != "header"]
    width = max([len(titles), *(len(_cells(r)) for r in body)], default=1)
    titles += [""] * (width - len(titles))
    dated = request.name in (ReportName.PROFIT_AND_LOSS, ReportName.BALANCE_SHEET)
    spans = iter(_spans(request, width - 1))
    columns = []
    used: set[str] = set()
    for index, title in enumerate(titles):
        if index == 0:
            key = _slug(title) or "label"
            columns.append({"key": key, "title": title, "kind": "label"})
            used.add(key)
            continue
        values = [_cells(r)[index].get("Value") for r in body if len(_cells(r)) > index]
        if "date" in title.lower():
            kind = "date"
        elif all(_is_amount(v) for v in values) and title.strip():
            kind = "amount"
        else:
            kind = "text"
        start, end = next(spans)
        if dated:
            end = _header_date(title) or end
            start = start if request.name is ReportName.PROFIT_AND_LOSS else None
        key = end.isoformat() if dated and end is not None else _slug(title)
        if not key or key in used:
            key = f"column_{index + 1}"
        used.add(key)
        column: dict[str, Any] = {"key": key, "title": title, "kind": kind}
        if dated:
            column |= {"start_date": start, "end_date": end}
        columns.append(column)
    return columns


def classify(title: str) -> AccountClassification | None:
    """The kind of accounts a section of this title holds (``None``: none can be told)."""
    text = title.lower()
    if "cost" in text or "expense" in text:
        return AccountClassification.EXPENSE
    if "income" in text or "revenue" in text or "sales" in text:
        return AccountClassification.INCOME
    if "asset" in text:
        return AccountClassification.ASSET
    if "liabilit" in text:
        return AccountClassification.LIABILITY
    if "equity" in text:
        return AccountClassification.EQUITY
    return None


class _Reader:
    def __init__(self, columns: list[dict[str, Any]], party_id: str | None) -> None:
        self.keys = [column["key"] for column in columns]
        self.party_id = party_id
        #: A balance sheet's heading (``Assets``) classifying the untitled-kind sections under it.
        self.heading: AccountClassification | None = None

    def row(self, data: Mapping[str, Any], kind: str) -> dict[str, Any]:
        cells = _cells(data)
        out: dict[str, Any] = {"kind": kind, "label": str(cells[0].get("Value") or "") if cells else ""}
        out["values"] = {
            self.keys[index]: (None if cell.get("Value") is None else str(cell["Value"]))
            for index, cell in enumerate(cells)
            if index > 0
        }
        for cell in cells:
            for attribute in cell.get("Attributes") or []:
                if not isinstance(attribute, Mapping):
                    continue
                name, value = str(attribute.get("Id") or "").lower(), attribute.get("Value")
                if not value:
                    continue
                if name == "account":
                    if is_guid(str(value)):
                        out.setdefault("ledger_account_id", str(value))
                    else:
                        out.setdefault("group", str(value))
                elif name in DOCUMENT_ATTRIBUTES:
                    out.setdefault("document_id", str(value))
                elif name in PARTY_ATTRIBUTES:
                    out.setdefault("party_id", str(value))
        if self.party_id is not None:
            out.setdefault("party_id", self.party_id)
        return out

    def section(self, data: Mapping[str, Any], top: bool) -> dict[str, Any]:
        title = str(data.get("Title") or "")
        children = [r for r in data.get("Rows") or [] if isinstance(r, Mapping)]
        own = classify(title) if title.strip() else None
        if top and title.strip() and not children and own is not None:
            self.heading = own  # "Assets", "Liabilities": a heading with no rows of its own
        classification = own or (self.heading if title.strip() else None)
        summaries = [i for i, r in enumerate(children) if str(r.get("RowType")).lower() == "summaryrow"]
        total_index = summaries[-1] if summaries and summaries[-1] == len(children) - 1 else None
        rows = [self.any(r, top=False) for i, r in enumerate(children) if i != total_index]
        section: dict[str, Any] = {"kind": "section", "label": title, "rows": rows}
        if total_index is not None:
            section["total"] = self.row(children[total_index], "total")
        if classification is not None:
            section["classification"] = classification
        if self.party_id is not None:
            section["party_id"] = self.party_id
        return section

    def any(self, data: Mapping[str, Any], top: bool) -> dict[str, Any]:
        kind = str(data.get("RowType") or "Row").lower()
        if kind == "section":
            return self.section(data, top)
        return self.row(data, "total" if kind == "summaryrow" else "row")


def read(request: ReportRequest, body: Mapping[str, Any], currency: str | None) -> dict[str, Any]:
    """Xero's report answer (the whole JSON body) as the fields of the unified ``Report``."""
    (report,) = body["Reports"][:1]
    rows = [r for r in report.get("Rows") or [] if isinstance(r, Mapping)]
    columns = _columns(request, rows)
    party = request.customer_id or request.supplier_id
    reader = _Reader(columns, party)
    titles = [str(t) for t in report.get("ReportTitles") or []]
    aged = request.name in (ReportName.AGED_RECEIVABLES, ReportName.AGED_PAYABLES)
    read_rows = [reader.any(r, top=True) for r in rows if str(r.get("RowType")).lower() != "header"]
    if request.name is ReportName.BALANCE_SHEET and request.columns is ReportPeriod.TOTAL:
        # Xero adds the same day a year earlier unasked; the report asked for is the first column.
        columns = columns[:2]
        _keep_cells(read_rows, {column["key"] for column in columns})
    return {
        "name": request.name,
        "title": titles[0] if titles else str(report.get("ReportName") or ""),
        "start_date": request.start_date,
        "end_date": request.end_date,
        "as_of": request.as_of,
        "currency": currency,
        "basis": None if aged else request.accounting_method,
        "columns": columns,
        "rows": read_rows,
    }


def _keep_cells(rows: list[dict[str, Any]], keys: set[str]) -> None:
    for row in rows:
        row["values"] = {key: value for key, value in row.get("values", {}).items() if key in keys}
        _keep_cells(row.get("rows", []), keys)
        if row.get("total") is not None:
            _keep_cells([row["total"]], keys)
