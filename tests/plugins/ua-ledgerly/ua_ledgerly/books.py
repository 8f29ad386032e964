"""Ledgerly's reports, computed by the emulator from its own records (pure functions).

Ledgerly's books are small: an open invoice debits Accounts receivable and credits Sales on its
issue date; a payment debits Bank and credits Accounts receivable on its date. On a cash basis
income counts when paid. The balance sheet's equity is the earnings to date, so it balances by
construction of double entry, which is what the tests check rather than assume.

The JSON is Ledgerly's own (fictional) shape, unlike the unified report on purpose: ``sections``
with ``lines`` and ``cells`` keyed by column, a ``summary``, ``class`` names of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

#: Ledgerly's fixed chart of accounts: id → (name, class).
ACCOUNTS = {
    "acc-1100": ("Accounts Receivable", "asset"),
    "acc-1000": ("Bank", "asset"),
    "acc-4000": ("Sales", "revenue"),
    "acc-3100": ("Current Year Earnings", "equity"),
}
RECEIVABLE, BANK, SALES, EARNINGS = "acc-1100", "acc-1000", "acc-4000", "acc-3100"
#: Invoices on the books (drafts, voided and deleted ones post nothing).
POSTED = ("open", "paid")
#: Ledgerly invoices are due 30 days after issue.
TERMS = timedelta(days=30)
AGEING = (
    ("current", "Current"),
    ("d1_30", "1-30"),
    ("d31_60", "31-60"),
    ("d61_90", "61-90"),
    ("older", "> 90"),
)
REPORTS = ("profitAndLoss", "balanceSheet", "trialBalance", "agedReceivables")
CURRENCY = "USD"


class ReportRequestError(ValueError):
    """A report parameter Ledgerly refuses (answered as 422 naming the parameter)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Posting:
    day: date
    account: str
    #: Debit positive, credit negative.
    amount: Decimal


def _day(record: Mapping[str, Any], field: str) -> date:
    value = record.get(field)
    return date.fromisoformat(value) if value else datetime.fromisoformat(record["createdAt"]).date()


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def postings(
    invoices: Iterable[Mapping[str, Any]], payments: Iterable[Mapping[str, Any]], basis: str
) -> list[Posting]:
    """Every posting of the books, on ``basis`` ("accrual" or "cash")."""
    posted = {invoice["id"]: invoice for invoice in invoices if invoice.get("state") in POSTED}
    out: list[Posting] = []
    if basis == "accrual":
        for invoice in posted.values():
            total = Decimal(invoice["total"])
            day = _day(invoice, "issuedOn")
            out += [Posting(day, RECEIVABLE, total), Posting(day, SALES, -total)]
    for payment in payments:
        if payment.get("invoice") not in posted:
            continue
        amount, day = Decimal(payment["amount"]), _day(payment, "paidOn")
        credited = RECEIVABLE if basis == "accrual" else SALES
        out += [Posting(day, BANK, amount), Posting(day, credited, -amount)]
    return out


def _balance(entries: list[Posting], account: str, start: date | None, end: date) -> Decimal:
    return sum(
        (
            p.amount
            for p in entries
            if p.account == account and (start is None or p.day >= start) and p.day <= end
        ),
        Decimal(0),
    )


def _months(start: date, end: date) -> list[tuple[date, date]]:
    periods = []
    first = start
    while first <= end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        periods.append((first, min(following - timedelta(days=1), end)))
        first = following
    return periods


def _header(name: str, title: str, basis: str) -> dict[str, Any]:
    return {"report": name, "title": title, "currency": CURRENCY, "basis": basis}


def profit_and_loss(
    entries: list[Posting], start: date, end: date, period: str, basis: str
) -> dict[str, Any]:
    if period not in ("total", "month"):
        raise ReportRequestError("period", "period is total or month")
    spans = _months(start, end) if period == "month" else [(start, end)]
    columns = [{"key": "label", "title": "Account", "type": "label"}]
    for first, last in spans:
        key = "total" if period == "total" else first.strftime("m%Y_%m")
        title = "Total" if period == "total" else first.strftime("%b %Y")
        columns.append({"key": key, "title": title, "type": "money", "from": str(first), "to": str(last)})
    keys = [column["key"] for column in columns[1:]]
    income = {
        key: -_balance(entries, SALES, first, last) for key, (first, last) in zip(keys, spans, strict=True)
    }
    cells = {key: _money(value) for key, value in income.items()}
    return _header("profitAndLoss", "Profit and Loss", basis) | {
        "from": str(start),
        "to": str(end),
        "columns": columns,
        "sections": [
            {
                "title": "Income",
                "class": "revenue",
                "lines": [{"label": ACCOUNTS[SALES][0], "account": SALES, "cells": cells}],
                "total": {"label": "Total Income", "cells": cells},
            },
            {
                "title": "Expenses",
                "class": "expense",
                "lines": [],
                "total": {"label": "Total Expenses", "cells": {key: "0.00" for key in keys}},
            },
        ],
        "summary": [{"label": "Net Profit", "cells": cells}],
    }


def balance_sheet(entries: list[Posting], as_of: date, basis: str) -> dict[str, Any]:
    assets = [(account, _balance(entries, account, None, as_of)) for account in (BANK, RECEIVABLE)]
    if basis == "cash":
        assets = assets[:1]
    earnings = -sum((p.amount for p in entries if p.account == SALES and p.day <= as_of), Decimal(0))
    total_assets = sum((amount for _, amount in assets), Decimal(0))

    def line(account: str, amount: Decimal) -> dict[str, Any]:
        return {"label": ACCOUNTS[account][0], "account": account, "cells": {"balance": _money(amount)}}

    return _header("balanceSheet", "Balance Sheet", basis) | {
        "asOf": str(as_of),
        "columns": [
            {"key": "label", "title": "Account", "type": "label"},
            {"key": "balance", "title": as_of.strftime("%d %b %Y"), "type": "money", "to": str(as_of)},
        ],
        "sections": [
            {
                "title": "Assets",
                "class": "asset",
                "lines": [line(account, amount) for account, amount in assets],
                "total": {"label": "Total Assets", "cells": {"balance": _money(total_assets)}},
            },
            {
                "title": "Liabilities",
                "class": "liability",
                "lines": [],
                "total": {"label": "Total Liabilities", "cells": {"balance": "0.00"}},
            },
            {
                "title": "Equity",
                "class": "equity",
                "lines": [line(EARNINGS, earnings)],
                "total": {"label": "Total Equity", "cells": {"balance": _money(earnings)}},
            },
        ],
        "summary": [{"label": "Total Liabilities and Equity", "cells": {"balance": _money(earnings)}}],
    }


def trial_balance(entries: list[Posting], as_of: date, basis: str) -> dict[str, Any]:
    lines = []
    debits = credits = Decimal(0)
    for account, (name, _) in sorted(ACCOUNTS.items()):
        if account == EARNINGS:
            continue  # this year's earnings are still in the income accounts
        balance = _balance(entries, account, None, as_of)
        if not balance:
            continue
        debit, credit = (balance, Decimal(0)) if balance > 0 else (Decimal(0), -balance)
        debits, credits = debits + debit, credits + credit
        cells = {"debit": _money(debit) if debit else "", "credit": _money(credit) if credit else ""}
        lines.append({"label": name, "account": account, "cells": cells})
    return _header("trialBalance", "Trial Balance", basis) | {
        "asOf": str(as_of),
        "columns": [
            {"key": "label", "title": "Account", "type": "label"},
            {"key": "debit", "title": "Debit", "type": "money"},
            {"key": "credit", "title": "Credit", "type": "money"},
        ],
        "sections": [
            {
                "title": "Accounts",
                "lines": lines,
                "total": {"label": "Total", "cells": {"debit": _money(debits), "credit": _money(credits)}},
            }
        ],
        "summary": [],
    }


def aged_receivables(
    customers: Mapping[str, Mapping[str, Any]],
    invoices: Iterable[Mapping[str, Any]],
    payments: Iterable[Mapping[str, Any]],
    as_of: date,
    customer: str | None,
) -> dict[str, Any]:
    paid: dict[str, Decimal] = {}
    for payment in payments:
        if _day(payment, "paidOn") <= as_of:
            paid[payment["invoice"]] = paid.get(payment["invoice"], Decimal(0)) + Decimal(payment["amount"])
    keys = [key for key, _ in AGEING] + ["total"]
    by_customer: dict[str, list[dict[str, Any]]] = {}
    sums: dict[str, dict[str, Decimal]] = {}
    for invoice in sorted(invoices, key=lambda i: i["id"]):
        if invoice.get("state") not in POSTED or _day(invoice, "issuedOn") > as_of:
            continue
        if customer is not None and invoice["customer"] != customer:
            continue
        due = Decimal(invoice["total"]) - paid.get(invoice["id"], Decimal(0))
        if due <= 0:
            continue
        late = (as_of - (_day(invoice, "issuedOn") + TERMS)).days
        bucket = "current" if late <= 0 else "d1_30" if late <= 30 else "d31_60" if late <= 60 else "d61_90"
        bucket = "older" if late > 90 else bucket
        cells = {key: "" for key in keys} | {bucket: _money(due), "total": _money(due)}
        by_customer.setdefault(invoice["customer"], []).append(
            {"label": invoice.get("number") or invoice["id"], "invoice": invoice["id"], "cells": cells}
        )
        totals = sums.setdefault(invoice["customer"], {key: Decimal(0) for key in keys})
        totals[bucket] += due
        totals["total"] += due
    grand = {key: sum((totals[key] for totals in sums.values()), Decimal(0)) for key in keys}
    return _header("agedReceivables", "Aged Receivables", "accrual") | {
        "asOf": str(as_of),
        "columns": [
            {"key": "label", "title": "Customer", "type": "label"},
            *({"key": key, "title": title, "type": "money"} for key, title in AGEING),
            {"key": "total", "title": "Total", "type": "money"},
        ],
        "sections": [
            {
                "title": customers.get(party, {}).get("name", party),
                "customer": party,
                "lines": lines,
                "total": {"label": "Total", "cells": {key: _money(sums[party][key]) for key in keys}},
            }
            for party, lines in by_customer.items()
        ],
        "summary": [{"label": "Total Receivables", "cells": {key: _money(grand[key]) for key in keys}}],
    }
