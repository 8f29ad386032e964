"""``GET /Reports/{ReportID}``: ProfitAndLoss, BalanceSheet, TrialBalance, AgedReceivablesByContact and
AgedPayablesByContact, computed from the organisation's postings (:mod:`.postings`) in Xero's shape:
``{"Reports": [{"ReportID", "ReportName", "ReportType", "ReportTitles", "ReportDate", "UpdatedDateUTC",
"Fields", "Rows"}]}`` with rows of ``RowType`` Header, Section (nesting Rows), Row and SummaryRow, every cell
value a string and account rows carrying an ``account`` attribute.

Parameters: ProfitAndLoss ``fromDate``/``toDate`` (default: the current month), BalanceSheet and TrialBalance
``date`` (default: today), all three ``paymentsOnly`` (cash basis); ProfitAndLoss and BalanceSheet
``periods`` (comparison periods, 1-11) and ``timeframe`` (MONTH, QUARTER, YEAR). The aged reports need
``contactID`` (any case) and take ``date`` (payments and credits up to it), ``fromDate`` and ``toDate``
(invoice dates). ``standardLayout`` and tracking filters are accepted and ignored.

Simplifications (the real layouts are richer and partly UNVERIFIED): sections follow Xero's standard
layout by account type (Income, Less Cost of Sales, Plus Other Income, Less Operating Expenses; Bank,
Current Assets, Fixed Assets, Non-current Assets, Current Liabilities, Non-current Liabilities, Equity);
comparison periods are calendar months, quarters or years (a date at a month's end stays at month ends);
the balance sheet compares with the same day a year earlier unless ``periods`` says otherwise; the
trial balance's Debit and Credit are the movement of the date's month, its YTD columns the balances
(income and expenses since the financial year started, earlier years' profit in Retained Earnings);
accounts without amounts are left out.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from .dates import DateParseError, parse_date, wire_envelope_timestamp
from .errors import json_response, not_found, simple_validation_error
from .ledger import ZERO, money
from .postings import POSTED_DOCUMENTS, Basis, Posting, balances, postings, system_account
from .state import Record, TenantState

#: The pseudo-account Xero names the current year's earnings with on a balance sheet.
CURRENT_YEAR_EARNINGS = "abababab-abab-abab-abab-abababababab"
TIMEFRAMES = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}
MAX_PERIODS = 11
NAMES = {
    "profitandloss": ("ProfitAndLoss", "Profit and Loss"),
    "balancesheet": ("BalanceSheet", "Balance Sheet"),
    "trialbalance": ("TrialBalance", "Trial Balance"),
    "agedreceivablesbycontact": ("AgedReceivablesByContact", "Aged Receivables By Contact"),
    "agedpayablesbycontact": ("AgedPayablesByContact", "Aged Payables By Contact"),
}
#: Profit and loss sections: title, account types, and the sign that shows them positive (-1: credits).
PROFIT_SECTIONS: tuple[tuple[str, frozenset[str], int], ...] = (
    ("Income", frozenset({"REVENUE", "SALES"}), -1),
    ("Less Cost of Sales", frozenset({"DIRECTCOSTS"}), 1),
    ("Plus Other Income", frozenset({"OTHERINCOME"}), -1),
    ("Less Operating Expenses", frozenset({"EXPENSE", "OVERHEADS", "DEPRECIATN"}), 1),
)
ASSET_SECTIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Bank", frozenset({"BANK"})),
    ("Current Assets", frozenset({"CURRENT", "PREPAYMENT", "INVENTORY"})),
    ("Fixed Assets", frozenset({"FIXED"})),
    ("Non-current Assets", frozenset({"NONCURRENT"})),
)
LIABILITY_SECTIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Current Liabilities", frozenset({"CURRLIAB", "LIABILITY", "CREDITCARD", "PAYGLIABILITY"})),
    ("Non-current Liabilities", frozenset({"TERMLIAB"})),
)
PROFIT_CLASSES = frozenset({"REVENUE", "EXPENSE"})


class ReportError(ValueError):
    """A parameter Xero would refuse (400)."""


# ------------------------------------------------------------------------------------------------ dates
def shift(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months; a month's last day stays a month's last day."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    last = calendar.monthrange(year, month)[1]
    at_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month, last if at_end else min(day.day, last))


def financial_year_start(t: TenantState, day: date) -> date:
    """The first day of the financial year holding ``day`` (from the organisation's year end)."""
    end_month = int(t.organisation.get("FinancialYearEndMonth") or 12)
    end_day = int(t.organisation.get("FinancialYearEndDay") or 31)

    def year_end(year: int) -> date:
        return date(year, end_month, min(end_day, calendar.monthrange(year, end_month)[1]))

    end = year_end(day.year)
    return end + timedelta(days=1) if day > end else year_end(day.year - 1) + timedelta(days=1)


def _short(day: date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def _long(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def _amount(value: Decimal) -> str:
    return str(money(value))


def _param(query: Mapping[str, str], name: str) -> str | None:
    for key, value in query.items():
        if key.lower() == name.lower():
            return value
    return None


def _date(query: Mapping[str, str], name: str, default: date | None) -> date | None:
    value = _param(query, name)
    if not value:
        return default
    try:
        return parse_date(value)
    except DateParseError:
        raise ReportError(f"The {name} '{value}' is not a valid date.") from None


def _periods(query: Mapping[str, str], default: int, default_timeframe: str) -> tuple[int, int]:
    raw = _param(query, "periods")
    try:
        periods = int(raw) if raw else default
    except ValueError:
        raise ReportError(f"periods '{raw}' must be a whole number.") from None
    if periods < 0 or periods > MAX_PERIODS:
        raise ReportError(f"periods must be between 1 and {MAX_PERIODS}.")
    timeframe = (_param(query, "timeframe") or default_timeframe).upper()
    if timeframe not in TIMEFRAMES:
        raise ReportError(f"timeframe '{timeframe}' must be one of MONTH, QUARTER, YEAR.")
    return periods, TIMEFRAMES[timeframe]


def _basis(query: Mapping[str, str]) -> Basis:
    return "cash" if (_param(query, "paymentsOnly") or "").lower() == "true" else "accrual"


# -------------------------------------------------------------------------------------------------- rows
def _cell(value: str, account_id: str | None = None, **more: str) -> dict[str, Any]:
    cell: dict[str, Any] = {"Value": value}
    attributes = [{"Value": account_id, "Id": "account"}] if account_id else []
    attributes += [{"Value": v, "Id": k} for k, v in more.items()]
    if attributes:
        cell["Attributes"] = attributes
    return cell


def _header(titles: Sequence[str]) -> dict[str, Any]:
    return {"RowType": "Header", "Cells": [{"Value": title} for title in titles]}


def _account_row(account: Record, values: Sequence[Decimal]) -> dict[str, Any]:
    account_id = str(account["AccountID"])
    cells = [_cell(str(account["Name"]), account_id)]
    cells += [_cell(_amount(value), account_id) for value in values]
    return {"RowType": "Row", "Cells": cells}


def _summary(label: str, values: Sequence[Decimal]) -> dict[str, Any]:
    return {"RowType": "SummaryRow", "Cells": [_cell(label), *(_cell(_amount(v)) for v in values)]}


def _plain(label: str, values: Sequence[Decimal]) -> dict[str, Any]:
    return {"RowType": "Row", "Cells": [_cell(label), *(_cell(_amount(v)) for v in values)]}


def _section(title: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"RowType": "Section", "Title": title, "Rows": rows}


def _accounts_of(t: TenantState, types: frozenset[str], klass: str | None = None) -> list[Record]:
    chosen = [
        a
        for a in t.accounts.values()
        if a.get("Status") != "DELETED" and (a.get("Type") in types or (klass and a.get("Class") == klass))
    ]
    return sorted(chosen, key=lambda a: (str(a.get("Code") or ""), str(a.get("Name") or "")))


def _grouped_section(
    title: str, accounts: list[Record], columns: list[dict[str, Decimal]], sign: int
) -> tuple[dict[str, Any] | None, list[Decimal]]:
    """A section of account rows (accounts without amounts left out) and its total per column."""
    rows = []
    totals = [ZERO] * len(columns)
    for account in accounts:
        values = [sign * column.get(str(account["AccountID"]), ZERO) for column in columns]
        if any(values):
            rows.append(_account_row(account, values))
            totals = [a + b for a, b in zip(totals, values, strict=True)]
    if not rows:
        return None, totals
    return _section(
        title, [*rows, _summary(f"Total {title.removeprefix('Less ').removeprefix('Plus ')}", totals)]
    ), totals


# ------------------------------------------------------------------------------------------------ reports
def _report(
    t: TenantState, key: str, titles: list[str], rows: list[dict[str, Any]], today: date, now: Any
) -> dict[str, Any]:
    report_id, name = NAMES[key]
    return {
        "ReportID": report_id,
        "ReportName": name,
        "ReportType": report_id,
        "ReportTitles": titles,
        "ReportDate": _long(today),
        "UpdatedDateUTC": wire_envelope_timestamp(now),
        "Fields": [],
        "Rows": rows,
    }


def profit_and_loss(
    t: TenantState, query: Mapping[str, str], today: date
) -> tuple[list[str], list[dict[str, Any]]]:
    start = _date(query, "fromDate", None) or today.replace(day=1)
    end = _date(query, "toDate", None) or shift(start.replace(day=1), 1) - timedelta(days=1)
    assert start is not None and end is not None
    if end < start:
        raise ReportError("The toDate must be on or after the fromDate.")
    periods, months = _periods(query, 0, "MONTH")
    entries = postings(t, _basis(query))
    spans = [(shift(start, -i * months), shift(end, -i * months)) for i in range(periods + 1)]
    columns = [balances(entries, s, e) for s, e in spans]
    rows: list[dict[str, Any]] = [_header(["", *(_short(e) for _, e in spans)])]
    totals: dict[str, list[Decimal]] = {}
    for title, types, sign in PROFIT_SECTIONS:
        klass = None
        if title == "Income":
            klass = "REVENUE"
        elif title == "Less Operating Expenses":
            klass = "EXPENSE"
        accounts = [a for a in _accounts_of(t, types, klass) if a.get("Class") in PROFIT_CLASSES]
        if klass is not None:  # types named by another section stay there
            named = {ty for _, other, _ in PROFIT_SECTIONS if other is not types for ty in other}
            accounts = [a for a in accounts if a.get("Type") not in named]
        section, total = _grouped_section(title, accounts, columns, sign)
        totals[title] = total
        if section is not None:
            rows.append(section)
        if title == "Less Cost of Sales":
            gross = [a - b for a, b in zip(totals["Income"], total, strict=True)]
            rows.append(_section("", [_plain("Gross Profit", gross)]))
    net = [
        income + other - costs - expenses
        for income, costs, other, expenses in zip(
            *(totals[title] for title, _, _ in PROFIT_SECTIONS), strict=True
        )
    ]
    rows.append(_section("", [_plain("Net Profit", net)]))
    titles = ["Profit & Loss", str(t.name), f"{_long(start)} to {_long(end)}"]
    return titles, rows


def _earnings(entries: list[Posting], t: TenantState, start: date | None, end: date) -> Decimal:
    """Profit (credit positive) of the postings dated from ``start`` to ``end``."""
    profit_accounts = {a["AccountID"] for a in t.accounts.values() if a.get("Class") in PROFIT_CLASSES}
    moved = balances(entries, start, end)
    return -sum((amount for account, amount in moved.items() if account in profit_accounts), ZERO)


def balance_sheet(
    t: TenantState, query: Mapping[str, str], today: date
) -> tuple[list[str], list[dict[str, Any]]]:
    as_of = _date(query, "date", today)
    assert as_of is not None
    periods, months = _periods(query, 1, "YEAR")
    entries = postings(t, _basis(query))
    days = [shift(as_of, -i * months) for i in range(periods + 1)]
    columns = [balances(entries, None, day) for day in days]
    rows: list[dict[str, Any]] = [_header(["", *(_short(day) for day in days)])]

    rows.append(_section("Assets", []))
    assets = [ZERO] * len(days)
    for title, types in ASSET_SECTIONS:
        accounts = [a for a in _accounts_of(t, types) if a.get("Class") == "ASSET"]
        if title == "Current Assets":  # any other asset type
            named = {ty for _, other in ASSET_SECTIONS for ty in other}
            accounts += [a for a in _accounts_of(t, frozenset(), "ASSET") if a.get("Type") not in named]
        section, total = _grouped_section(title, accounts, columns, 1)
        if section is not None:
            rows.append(section)
        assets = [a + b for a, b in zip(assets, total, strict=True)]
    rows.append(_section("", [_summary("Total Assets", assets)]))

    rows.append(_section("Liabilities", []))
    liabilities = [ZERO] * len(days)
    for title, types in LIABILITY_SECTIONS:
        accounts = [a for a in _accounts_of(t, types) if a.get("Class") == "LIABILITY"]
        if title == "Current Liabilities":
            named = {ty for _, other in LIABILITY_SECTIONS for ty in other}
            accounts += [a for a in _accounts_of(t, frozenset(), "LIABILITY") if a.get("Type") not in named]
        section, total = _grouped_section(title, accounts, columns, -1)
        if section is not None:
            rows.append(section)
        liabilities = [a + b for a, b in zip(liabilities, total, strict=True)]
    rows.append(_section("", [_summary("Total Liabilities", liabilities)]))
    rows.append(
        _section("", [_plain("Net Assets", [a - b for a, b in zip(assets, liabilities, strict=True)])])
    )

    retained = system_account(t, "RETAINEDEARNINGS")
    equity_rows = []
    equity = [ZERO] * len(days)
    for account in _accounts_of(t, frozenset(), "EQUITY"):
        values = []
        for day, column in zip(days, columns, strict=True):
            value = -column.get(str(account["AccountID"]), ZERO)
            if account["AccountID"] == retained:  # earlier years' profit
                value += _earnings(entries, t, None, financial_year_start(t, day) - timedelta(days=1))
            values.append(value)
        if any(values):
            equity_rows.append(_account_row(account, values))
            equity = [a + b for a, b in zip(equity, values, strict=True)]
    earnings = [_earnings(entries, t, financial_year_start(t, day), day) for day in days]
    cells = [_cell("Current Year Earnings", CURRENT_YEAR_EARNINGS)]
    for day, value in zip(days, earnings, strict=True):
        start = financial_year_start(t, day)
        cells.append(
            _cell(
                _amount(value),
                CURRENT_YEAR_EARNINGS,
                fromDate=f"{start.month}/{start.day}/{start.year}",
                toDate=f"{day.month}/{day.day}/{day.year}",
            )
        )
    equity_rows.append({"RowType": "Row", "Cells": cells})
    equity = [a + b for a, b in zip(equity, earnings, strict=True)]
    rows.append(_section("Equity", [*equity_rows, _summary("Total Equity", equity)]))
    titles = ["Balance Sheet", str(t.name), f"As at {_long(as_of)}"]
    return titles, rows


def trial_balance(
    t: TenantState, query: Mapping[str, str], today: date
) -> tuple[list[str], list[dict[str, Any]]]:
    as_of = _date(query, "date", today)
    assert as_of is not None
    entries = postings(t, _basis(query))
    month = balances(entries, as_of.replace(day=1), as_of)
    year_start = financial_year_start(t, as_of)
    cumulative = balances(entries, None, as_of)
    this_year = balances(entries, year_start, as_of)
    retained = system_account(t, "RETAINEDEARNINGS")
    earlier_profit = _earnings(entries, t, None, year_start - timedelta(days=1))
    rows: list[dict[str, Any]] = [_header(["Account", "Debit", "Credit", "YTD Debit", "YTD Credit"])]
    sums = [ZERO] * 4
    for title, klass in (
        ("Revenue", "REVENUE"),
        ("Expenses", "EXPENSE"),
        ("Assets", "ASSET"),
        ("Liabilities", "LIABILITY"),
        ("Equity", "EQUITY"),
    ):
        section_rows = []
        for account in _accounts_of(t, frozenset(), klass):
            account_id = str(account["AccountID"])
            moved = month.get(account_id, ZERO)
            held = (this_year if klass in PROFIT_CLASSES else cumulative).get(account_id, ZERO)
            if account_id == retained:
                held -= earlier_profit
            if not moved and not held:
                continue
            split = [max(moved, ZERO), max(-moved, ZERO), max(held, ZERO), max(-held, ZERO)]
            sums = [a + b for a, b in zip(sums, split, strict=True)]
            label = f"{account['Name']} ({account['Code']})" if account.get("Code") else str(account["Name"])
            cells = [_cell(label, account_id)]
            cells += [_cell(_amount(v) if v else "", account_id) for v in split]
            section_rows.append({"RowType": "Row", "Cells": cells})
        if section_rows:
            rows.append(_section(title, section_rows))
    rows.append(_section("", [_summary("Total", sums)]))
    return ["Trial Balance", str(t.name), f"As at {_long(as_of)}"], rows


def aged(
    t: TenantState, query: Mapping[str, str], today: date, kind: str
) -> tuple[list[str], list[dict[str, Any]]]:
    contact_id = (_param(query, "contactID") or "").strip().lower()
    if not contact_id:
        raise ReportError("A ContactID is required for this report.")
    contact = t.contacts.get(contact_id)
    if contact is None:
        raise LookupError(contact_id)
    as_of = _date(query, "date", today)
    assert as_of is not None
    start, end = _date(query, "fromDate", None), _date(query, "toDate", None)
    rows: list[dict[str, Any]] = [
        _header(["Date", "Reference", "Due Date", "", "Total", "Paid", "Credited", "Due"])
    ]
    lines = []
    sums = [ZERO] * 4
    for invoice in t.invoices.values():
        day = invoice["Date"]
        if (
            invoice["Type"] != kind
            or invoice["Status"] not in POSTED_DOCUMENTS
            or (invoice.get("Contact") or {}).get("ContactID") != contact_id
            or day > as_of
            or (start is not None and day < start)
            or (end is not None and day > end)
        ):
            continue
        invoice_id = str(invoice["InvoiceID"])
        paid = sum(
            (
                Decimal(p["Amount"])
                for p in t.payments.values()
                if p.get("Status") == "AUTHORISED"
                and not p.get("CreditNote")
                and (p.get("Invoice") or {}).get("InvoiceID") == invoice_id
                and p["Date"] <= as_of
            ),
            ZERO,
        )
        credited = sum(
            (
                Decimal(a["Amount"])
                for credit in t.credit_notes.values()
                for a in credit.get("Allocations") or []
                if a["Invoice"]["InvoiceID"] == invoice_id and (a.get("Date") or credit["Date"]) <= as_of
            ),
            ZERO,
        )
        total = Decimal(invoice["Total"])
        due = total - paid - credited
        if not due:
            continue
        due_date = invoice.get("DueDate")
        reference = str(invoice.get("InvoiceNumber") or invoice.get("Reference") or "")
        values = [total, paid, credited, due]
        sums = [a + b for a, b in zip(sums, values, strict=True)]
        cells = [
            _cell(f"{day.isoformat()}T00:00:00", invoiceID=invoice_id),
            _cell(reference, invoiceID=invoice_id),
            _cell(f"{due_date.isoformat()}T00:00:00" if due_date else "", invoiceID=invoice_id),
            _cell("", invoiceID=invoice_id),
            *(_cell(_amount(v), invoiceID=invoice_id) for v in values),
        ]
        lines.append((day, {"RowType": "Row", "Cells": cells}))
    lines.sort(key=lambda pair: pair[0])
    totals = [_cell("Total"), *(_cell("") for _ in range(3)), *(_cell(_amount(v)) for v in sums)]
    summary = {"RowType": "SummaryRow", "Cells": totals}
    rows.append(_section("", [row for _, row in lines] + [summary]))
    title = "Aged Receivables" if kind == "ACCREC" else "Aged Payables"
    return [title, str(contact.get("Name") or ""), str(t.name), f"As at {_long(as_of)}"], rows


BUILDERS: dict[
    str, Callable[[TenantState, Mapping[str, str], date], tuple[list[str], list[dict[str, Any]]]]
] = {
    "profitandloss": profit_and_loss,
    "balancesheet": balance_sheet,
    "trialbalance": trial_balance,
    "agedreceivablesbycontact": lambda t, q, d: aged(t, q, d, "ACCREC"),
    "agedpayablesbycontact": lambda t, q, d: aged(t, q, d, "ACCPAY"),
}


def serve(call: Any, report_id: str | None) -> Response:
    """Answer ``GET /Reports/{report_id}`` for an authenticated ``call`` (an ``api.ApiRequest``)."""
    em = call.em
    key = (report_id or "").lower()
    if call.request.method != "GET" or key not in BUILDERS:
        return not_found(em.options.not_found_body)
    now = em.clock.now()
    query = dict(call.request.query_params)
    try:
        titles, rows = BUILDERS[key](call.tenant, query, now.date())
    except ReportError as exc:
        return simple_validation_error(str(exc))
    except LookupError:
        return not_found(em.options.not_found_body)
    report = _report(call.tenant, key, titles, rows, now.date(), now)
    return json_response(call.envelope("Reports", [report]))
