"""The Reports API (``GET /v3/company/{realmId}/reports/{ReportName}``), computed from the company's
own transactions.

Served: ``ProfitAndLoss``, ``BalanceSheet``, ``TrialBalance``, ``AgedReceivables`` (Intuit's
"ARAgingSummary") and ``AgedPayables`` ("APAgingSummary"); the aged *detail* reports are not
emulated (the unified API asks for the summaries). The answer is Intuit's shape, not wrapped in an
entity key: ``{Header, Columns, Rows}``; amounts are strings ("275.00"), one ``ColData`` per
column, account and party rows carry the entity ``id`` (Intuit API reference: ProfitAndLoss,
BalanceSheet, TrialBalance, ARAgingSummary, APAgingSummary).

How the books are kept (a double entry per transaction, in the home currency):

* Invoice: debit accounts receivable ``TotalAmt``; credit each sales line's item income account
  (an item without one: "Sales of Product Income", as the chart's default), debit discounts to
  their ``DiscountAccountRef``, credit ``TxnTaxDetail.TotalTax`` to the company's tax liability.
  A credit memo is the same reversed. Payment: debit ``DepositToAccountRef``, credit receivable.
* Bill: credit ``APAccountRef``; debit each line's account (an item line: the item's expense
  account, else "Cost of Goods Sold"); tax paid is debited to the tax liability. A vendor credit is
  the same reversed. Bill payment: debit payable, credit the bank or credit card account.
* Purchase: credit its ``AccountRef``, debit the lines and the tax (reversed for a refund,
  ``Credit: true``). Journal entry: each line as posted.
* A document in another currency posts at its ``ExchangeRate``; exchange gains and losses are
  not computed (simplification). Home amounts are rounded to cents (a home currency without
  minor units, JPY, is not modelled here).
* Cash basis (``accounting_method=Cash``): an invoice or bill counts when payments settle it, in
  the proportion settled, at the payment's date; credit memos, vendor credits, purchases and
  journal entries count at their own date as on accrual (simplification: QuickBooks also defers
  a credit memo until it is applied).
* Profit and loss accounts before the fiscal year of a balance sheet's date are closed into the
  "Retained Earnings" account; the current year's appear as the Equity section's ``NetIncome``
  row, so assets equal liabilities plus equity. The trial balance takes profit and loss accounts
  from the start of the fiscal year of ``end_date`` (``start_date`` is not used by it).
* Aging: open invoices and credit memos as of ``report_date`` (less what payments dated on or
  before it applied), and unapplied payment amounts, by days past ``DueDate`` (credits and
  payments by their date): Current, 1 - 30, 31 - 60, 61 - 90, 91 and over. Bills and vendor
  credits likewise for payables. ``aging_method`` and ``aging_period`` are not emulated.
* ``summarize_column_by``: Total (default), Month, Quarter or Year (others: fault). Rows of
  accounts without postings are left out, as QuickBooks' default "non-zero rows" does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from . import faults
from .books import MONTHS

if TYPE_CHECKING:
    from .entities import Ledger
    from .state import Record

ZERO = Decimal(0)
CENT = Decimal("0.01")
REPORT_NAMES = {
    "profitandloss": "ProfitAndLoss",
    "balancesheet": "BalanceSheet",
    "trialbalance": "TrialBalance",
    "agedreceivables": "AgedReceivables",
    "agedpayables": "AgedPayables",
}
BASES = {"accrual": "Accrual", "cash": "Cash"}
PERIODS = ("Total", "Month", "Quarter", "Year")
AGING_TITLES = ("Current", "1 - 30", "31 - 60", "61 - 90", "91 and over")
AGING_KEYS = ("current", "1_30", "31_60", "61_90", "91_over")
MONTH_ABBREVIATIONS = tuple(month[:3] for month in MONTHS)


# --------------------------------------------------------------------------------------- postings


@dataclass(frozen=True)
class Posting:
    day: date
    account: str
    #: Debit positive, credit negative, in the home currency.
    amount: Decimal


@dataclass
class Books:
    """What a report reads of a company: its accounts and every posting on one basis."""

    accounts: dict[str, Record]
    postings: list[Posting] = field(default_factory=list)

    def balances(self, start: date | None, end: date) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for posting in self.postings:
            if posting.day <= end and (start is None or posting.day >= start):
                out[posting.account] = out.get(posting.account, ZERO) + posting.amount
        return out


def _day(record: Record) -> date:
    return date.fromisoformat(str(record.data.get("TxnDate"))[:10])


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _ref(value: Any) -> str | None:
    if isinstance(value, Mapping) and value.get("value") not in (None, ""):
        return str(value["value"])
    return None


class _Chart:
    """The accounts a posting falls back to when a document names none."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.accounts = {record.id: record for record in ledger.realm.table("Account")}

    def of_type(self, account_type: str, sub_type: str | None = None) -> str:
        for record in self.accounts.values():
            if record.data.get("AccountType") == account_type and (
                sub_type is None or record.data.get("AccountSubType") == sub_type
            ):
                return record.id
        raise faults.business(f"The company has no {sub_type or account_type} account for this report")

    def named(self, name: str, account_type: str) -> str:
        for record in self.accounts.values():
            if str(record.data.get("Name", "")).lower() == name.lower():
                return record.id
        return self.of_type(account_type)

    @property
    def receivable(self) -> str:
        return self.of_type("Accounts Receivable")

    @property
    def tax(self) -> str:
        for sub_type in ("SalesTaxPayable", "GlobalTaxPayable"):
            for record in self.accounts.values():
                if record.data.get("AccountSubType") == sub_type:
                    return record.id
        return self.of_type("Other Current Liability")

    @property
    def retained(self) -> str:
        return self.of_type("Equity", "RetainedEarnings")

    def item_account(self, item_id: str | None, key: str, fallback: tuple[str, str]) -> str:
        item = self.ledger.realm.table("Item").get(item_id) if item_id else None
        account = _ref(item.data.get(key)) if item is not None else None
        if account is None and item is not None and key == "ExpenseAccountRef":
            account = _ref(item.data.get("AssetAccountRef"))
        return account or self.named(*fallback)


class _Entry:
    """The postings of one document before conversion to the home currency.

    ``control`` is the account the document settles through (receivable, payable, the bank of a
    purchase) and its amount; an amount of ``None`` takes whatever balances the entry (a payment on
    a cash basis). With a fixed amount, any difference (rounding, tax-inclusive lines) is left on
    the largest line."""

    def __init__(self, day: date, rate: Decimal) -> None:
        self.day = day
        self.rate = rate
        self.lines: list[tuple[str, Decimal]] = []
        self.control: tuple[str, Decimal | None] | None = None

    def add(self, account: str, amount: Decimal) -> None:
        if amount:
            self.lines.append((account, amount))

    def _home(self, amount: Decimal) -> Decimal:
        return (amount * self.rate).quantize(CENT, ROUND_HALF_UP)

    def postings(self) -> list[Posting]:
        lines = [(account, self._home(value)) for account, value in self.lines]
        index: int | None = None
        if self.control is not None:
            account, fixed = self.control
            lines.append((account, ZERO if fixed is None else self._home(fixed)))
            if fixed is None:
                index = len(lines) - 1
        remainder = -sum((value for _, value in lines), ZERO)
        if remainder and lines:
            if index is None:
                candidates = lines[:-1] if self.control is not None and len(lines) > 1 else lines
                index = _largest(candidates)
            account, value = lines[index]
            lines[index] = (account, value + remainder)
        return [Posting(self.day, account, value) for account, value in lines if value]


def _largest(lines: list[tuple[str, Decimal]]) -> int:
    return max(range(len(lines)), key=lambda index: abs(lines[index][1]))


def _rate(record: Record) -> Decimal:
    rate = record.data.get("ExchangeRate")
    return _decimal(rate) if rate not in (None, "") else Decimal(1)


def _sales(chart: _Chart, record: Record, sign: int) -> _Entry:
    """An invoice (``sign`` 1) or credit memo (-1): credit income and tax, debit receivable."""
    entry = _Entry(_day(record), _rate(record))
    for line in record.data.get("Line") or ():
        amount = _decimal(line.get("Amount"))
        kind = line.get("DetailType")
        if kind == "SalesItemLineDetail":
            detail = line.get("SalesItemLineDetail") or {}
            account = chart.item_account(
                _ref(detail.get("ItemRef")), "IncomeAccountRef", ("Sales of Product Income", "Income")
            )
            entry.add(account, -sign * amount)
        elif kind == "DiscountLineDetail":
            detail = line.get("DiscountLineDetail") or {}
            account = _ref(detail.get("DiscountAccountRef")) or chart.named("Discounts given", "Income")
            entry.add(account, sign * amount)
    entry.add(chart.tax, -sign * _decimal((record.data.get("TxnTaxDetail") or {}).get("TotalTax")))
    entry.control = (chart.receivable, sign * _decimal(record.data.get("TotalAmt")))
    return entry


def _expense_lines(chart: _Chart, entry: _Entry, record: Record, sign: int) -> None:
    """Debit (``sign`` 1) or credit each expense line's account and the tax of the document."""
    for line in record.data.get("Line") or ():
        amount = _decimal(line.get("Amount"))
        kind = line.get("DetailType")
        detail = line.get(kind) or {} if isinstance(kind, str) else {}
        if kind == "AccountBasedExpenseLineDetail":
            account = _ref(detail.get("AccountRef")) or chart.named("Office Expenses", "Expense")
        elif kind == "ItemBasedExpenseLineDetail":
            account = chart.item_account(
                _ref(detail.get("ItemRef")), "ExpenseAccountRef", ("Cost of Goods Sold", "Cost of Goods Sold")
            )
        else:
            continue
        entry.add(account, sign * amount)
    entry.add(chart.tax, sign * _decimal((record.data.get("TxnTaxDetail") or {}).get("TotalTax")))


def _payables(chart: _Chart, record: Record, sign: int) -> _Entry:
    """A bill (``sign`` 1) or vendor credit (-1): debit the lines, credit payable."""
    entry = _Entry(_day(record), _rate(record))
    _expense_lines(chart, entry, record, sign)
    payable = _ref(record.data.get("APAccountRef")) or chart.of_type("Accounts Payable")
    entry.control = (payable, -sign * _decimal(record.data.get("TotalAmt")))
    return entry


def _purchase(chart: _Chart, record: Record) -> _Entry:
    sign = -1 if record.data.get("Credit") is True else 1
    entry = _Entry(_day(record), _rate(record))
    _expense_lines(chart, entry, record, sign)
    paid_from = _ref(record.data.get("AccountRef")) or chart.of_type("Bank")
    entry.control = (paid_from, -sign * _decimal(record.data.get("TotalAmt")))
    return entry


def _journal(record: Record) -> _Entry:
    entry = _Entry(_day(record), _rate(record))
    for line in record.data.get("Line") or ():
        detail = line.get("JournalEntryLineDetail") or {}
        account = _ref(detail.get("AccountRef"))
        if account is None:
            continue
        amount = _decimal(line.get("Amount"))
        entry.add(account, amount if detail.get("PostingType") == "Debit" else -amount)
    return entry


def _settlement(chart: _Chart, record: Record, receipt: bool, cash: bool) -> _Entry:
    """A payment (``receipt``) or bill payment: the money account against the receivable or payable
    (on a cash basis the balance of what it did not pay of documents, see :func:`books`)."""
    entry = _Entry(_day(record), _rate(record))
    total = _decimal(record.data.get("TotalAmt"))
    if receipt:
        money_account = _ref(record.data.get("DepositToAccountRef")) or chart.named(
            "Undeposited Funds", "Other Current Asset"
        )
        entry.add(money_account, total)
        entry.control = (chart.receivable, None if cash else -total)
    else:
        block = record.data.get("CheckPayment") or record.data.get("CreditCardPayment") or {}
        paid_from = _ref(block.get("BankAccountRef") or block.get("CCAccountRef")) or chart.of_type("Bank")
        entry.add(paid_from, -total)
        entry.control = (chart.of_type("Accounts Payable"), None if cash else total)
    return entry


def _cash_share(document: _Entry, paid: Decimal) -> list[tuple[str, Decimal]]:
    """The part of a document's lines (all but its control account) that ``paid`` settles."""
    whole = sum((value for _, value in document.lines), ZERO)
    if not whole:
        return []
    share = [(a, (v * paid / abs(whole)).quantize(CENT, ROUND_HALF_UP)) for a, v in document.lines]
    remainder = (paid if whole > 0 else -paid) - sum((v for _, v in share), ZERO)
    if remainder and share:
        index = _largest(share)
        share[index] = (share[index][0], share[index][1] + remainder)
    return share


def books(ledger: Ledger, basis: str) -> Books:
    """Every posting of the company on ``basis`` ("Accrual" or "Cash")."""
    chart = _Chart(ledger)
    realm = ledger.realm
    out = Books(chart.accounts)
    cash = basis == "Cash"
    invoices = {r.id: _sales(chart, r, 1) for r in realm.table("Invoice")}
    bills = {r.id: _payables(chart, r, 1) for r in realm.table("Bill")}
    if not cash:
        for entry in (*invoices.values(), *bills.values()):
            out.postings += entry.postings()
    for record in realm.table("CreditMemo"):
        out.postings += _sales(chart, record, -1).postings()
    for record in realm.table("VendorCredit"):
        out.postings += _payables(chart, record, -1).postings()
    for record in realm.table("Purchase"):
        out.postings += _purchase(chart, record).postings()
    for record in realm.table("JournalEntry"):
        out.postings += _journal(record).postings()
    settlements: tuple[tuple[str, dict[str, _Entry], Mapping[str, Mapping[str, Decimal]]], ...] = (
        ("Payment", invoices, realm.applied),
        ("BillPayment", bills, realm.bill_applied),
    )
    for entity, documents, applied in settlements:
        for record in realm.table(entity):
            entry = _settlement(chart, record, entity == "Payment", cash)
            if cash:
                # Payment and document share a currency: the shares convert at the payment's rate.
                for document_id, amounts in applied.items():
                    paid = amounts.get(record.id)
                    document = documents.get(document_id)
                    if paid is not None and document is not None:
                        for account, value in _cash_share(document, paid):
                            entry.add(account, value)
            out.postings += entry.postings()
    return out


# ------------------------------------------------------------------------------------- the shapes


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


def _cells(label: str, values: Iterable[str], account: Record | None = None) -> list[dict[str, str]]:
    first = {"value": label} if account is None else {"value": label, "id": account.id}
    return [first, *({"value": value} for value in values)]


def _section(
    group: str, title: str | None, rows: list[dict[str, Any]], total: list[Decimal] | None, total_label: str
) -> dict[str, Any]:
    section: dict[str, Any] = {"type": "Section", "group": group}
    width = len(total) if total is not None else 0
    if title is not None:
        section["Header"] = {"ColData": _cells(title, [""] * width)}
        section["Rows"] = {"Row": rows} if rows else {}
    if total is not None:
        section["Summary"] = {"ColData": _cells(total_label, map(_money, total))}
    return section


@dataclass(frozen=True)
class Span:
    start: date | None
    end: date
    title: str
    key: str


def _periods(start: date, end: date, by: str) -> list[tuple[date, date, str]]:
    if by == "Total":
        return []
    spans = []
    first = start
    while first <= end:
        if by == "Month":
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            title = f"{MONTH_ABBREVIATIONS[first.month - 1]} {first.year}"
        elif by == "Quarter":
            quarter_start = (first.month - 1) // 3 * 3 + 1
            month = quarter_start + 3
            following = date(first.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
            last_month = MONTH_ABBREVIATIONS[quarter_start + 1]
            title = f"{MONTH_ABBREVIATIONS[quarter_start - 1]} - {last_month} {first.year}"
        else:
            following = date(first.year + 1, 1, 1)
            title = str(first.year)
        spans.append((first, min(following - timedelta(days=1), end), title))
        first = following
    return spans


def _columns(label: str, label_type: str, spans: list[Span]) -> dict[str, Any]:
    columns: list[dict[str, Any]] = [
        {"ColTitle": "", "ColType": label_type, "MetaData": [{"Name": "ColKey", "Value": label}]}
    ]
    for span in spans:
        meta = [{"Name": "ColKey", "Value": span.key}]
        if span.key != "total":
            meta = [
                {"Name": "StartDate", "Value": (span.start or span.end).isoformat()},
                {"Name": "EndDate", "Value": span.end.isoformat()},
                *meta,
            ]
        columns.append({"ColTitle": span.title, "ColType": "Money", "MetaData": meta})
    return {"Column": columns}


def _header(ledger: Ledger, name: str, basis: str | None, start: date, end: date, by: str) -> dict[str, Any]:
    header: dict[str, Any] = {
        "Time": ledger.clock.qbo(ledger.clock.now()),
        "ReportName": name,
    }
    if basis is not None:
        header["ReportBasis"] = basis
    header |= {
        "StartPeriod": start.isoformat(),
        "EndPeriod": end.isoformat(),
        "SummarizeColumnsBy": by,
        "Currency": ledger.options.home_currency,
    }
    return header


def _options(has_data: bool, *extra: tuple[str, str]) -> list[dict[str, str]]:
    pairs = [*extra, ("NoReportData", "false" if has_data else "true")]
    return [{"Name": name, "Value": value} for name, value in pairs]


def _fiscal_start(ledger: Ledger, day: date) -> date:
    info = ledger.realm.table("CompanyInfo").get("1")
    month_name = str((info.data.get("FiscalYearStartMonth") if info else None) or "January")
    month = next((i + 1 for i, m in enumerate(MONTHS) if m.lower() == month_name.lower()), 1)
    year = day.year if day.month >= month else day.year - 1
    return date(year, month, 1)


# ---------------------------------------------------------------------------------- profit and loss

PL_SECTIONS = (
    # group, title, account types, sign (income shown as credit positive)
    ("Income", "Income", ("Income",), -1),
    ("COGS", "Cost of Goods Sold", ("Cost of Goods Sold",), 1),
    ("Expenses", "Expenses", ("Expense",), 1),
    ("OtherIncome", "Other Income", ("Other Income",), -1),
    ("OtherExpenses", "Other Expenses", ("Other Expense",), 1),
)
PL_TYPES = frozenset(t for _, _, types, _ in PL_SECTIONS for t in types)


def _account_rows(
    accounts: list[Record], columns: list[dict[str, Decimal]], sign: int
) -> tuple[list[dict[str, Any]], list[Decimal]]:
    rows = []
    totals = [ZERO] * len(columns)
    for account in sorted(accounts, key=lambda a: str(a.data.get("Name", "")).lower()):
        values = [sign * column.get(account.id, ZERO) for column in columns]
        if not any(values) and not any(account.id in column for column in columns):
            continue
        rows.append(
            {
                "type": "Data",
                "ColData": _cells(str(account.data.get("Name", "")), map(_money, values), account),
            }
        )
        totals = [a + b for a, b in zip(totals, values, strict=True)]
    return rows, totals


def profit_and_loss(ledger: Ledger, params: Mapping[str, str]) -> dict[str, Any]:
    basis = _basis(ledger, params)
    start, end = _period(ledger, params)
    by = _summarize(params)
    spans = [Span(s, e, title, title) for s, e, title in _periods(start, end, by)]
    spans.append(Span(start, end, "Total", "total"))
    kept = books(ledger, basis)
    columns = [kept.balances(span.start, span.end) for span in spans]
    by_type: dict[str, list[Record]] = {}
    for account in kept.accounts.values():
        by_type.setdefault(str(account.data.get("AccountType")), []).append(account)
    sections: dict[str, tuple[list[dict[str, Any]], list[Decimal]]] = {}
    for group, _, types, sign in PL_SECTIONS:
        accounts = [a for t in types for a in by_type.get(t, [])]
        sections[group] = _account_rows(accounts, columns, sign)
    width = len(spans)

    def minus(a: list[Decimal], b: list[Decimal]) -> list[Decimal]:
        return [x - y for x, y in zip(a, b, strict=True)]

    def plus(a: list[Decimal], b: list[Decimal]) -> list[Decimal]:
        return [x + y for x, y in zip(a, b, strict=True)]

    gross = minus(sections["Income"][1], sections["COGS"][1])
    operating = minus(gross, sections["Expenses"][1])
    other = minus(sections["OtherIncome"][1], sections["OtherExpenses"][1])
    rows: list[dict[str, Any]] = []
    for group, title, _, _ in PL_SECTIONS:
        found, total = sections[group]
        if found or group in ("Income", "Expenses"):
            rows.append(_section(group, title, found, total, f"Total {title}"))
        if group == "COGS":
            rows.append(_section("GrossProfit", None, [], gross, "Gross Profit"))
        if group == "Expenses":
            rows.append(_section("NetOperatingIncome", None, [], operating, "Net Operating Income"))
    if sections["OtherIncome"][0] or sections["OtherExpenses"][0]:
        rows.append(_section("NetOtherIncome", None, [], other, "Net Other Income"))
    rows.append(_section("NetIncome", None, [], plus(operating, other), "Net Income"))
    has_data = any(found for found, _ in sections.values())
    assert width == len(gross)
    return {
        "Header": {
            **_header(ledger, "ProfitAndLoss", basis, start, end, by),
            "Option": _options(has_data, ("AccountingStandard", "GAAP")),
        },
        "Columns": _columns("account", "Account", spans),
        "Rows": {"Row": rows},
    }


def _net_income(kept: Books, accounts: Mapping[str, Record], start: date | None, end: date) -> Decimal:
    """Income less expenses between the dates (credits positive)."""
    balances = kept.balances(start, end)
    return -sum(
        (v for k, v in balances.items() if str(accounts[k].data.get("AccountType")) in PL_TYPES), ZERO
    )


# ------------------------------------------------------------------------------------ balance sheet

BS_LAYOUT: tuple[Any, ...] = (
    (
        "TotalAssets",
        "ASSETS",
        "TOTAL ASSETS",
        1,
        (
            (
                "CurrentAssets",
                "Current Assets",
                (
                    ("BankAccounts", "Bank Accounts", ("Bank",)),
                    ("AR", "Accounts Receivable", ("Accounts Receivable",)),
                    ("OtherCurrentAssets", "Other Current Assets", ("Other Current Asset",)),
                ),
            ),
            ("FixedAssets", "Fixed Assets", ("Fixed Asset",)),
            ("OtherAssets", "Other Assets", ("Other Asset",)),
        ),
    ),
    (
        "TotalLiabilitiesAndEquity",
        "LIABILITIES AND EQUITY",
        "TOTAL LIABILITIES AND EQUITY",
        -1,
        (
            (
                "Liabilities",
                "Liabilities",
                (
                    (
                        "CurrentLiabilities",
                        "Current Liabilities",
                        (
                            ("AP", "Accounts Payable", ("Accounts Payable",)),
                            ("CreditCards", "Credit Cards", ("Credit Card",)),
                            (
                                "OtherCurrentLiabilities",
                                "Other Current Liabilities",
                                ("Other Current Liability",),
                            ),
                        ),
                    ),
                    ("LongTermLiabilities", "Long-Term Liabilities", ("Long Term Liability",)),
                ),
            ),
            ("Equity", "Equity", ("Equity",)),
        ),
    ),
)


class _SheetColumns:
    """Per column of a balance sheet: each account's balance and the year's net income."""

    def __init__(self, ledger: Ledger, kept: Books, ends: list[date]) -> None:
        self.balances: list[dict[str, Decimal]] = []
        self.net_income: list[Decimal] = []
        accounts = kept.accounts
        retained = _Chart(ledger).retained
        for end in ends:
            year_start = _fiscal_start(ledger, end)
            balances = {
                k: v
                for k, v in kept.balances(None, end).items()
                if str(accounts[k].data.get("AccountType")) not in PL_TYPES
            }
            earlier = _net_income(kept, accounts, None, year_start - timedelta(days=1))
            if earlier:
                balances[retained] = balances.get(retained, ZERO) - earlier
            self.balances.append(balances)
            self.net_income.append(_net_income(kept, accounts, year_start, end))


def _sheet_group(
    node: tuple[Any, ...], by_type: Mapping[str, list[Record]], sheet: _SheetColumns, sign: int
) -> tuple[dict[str, Any] | None, list[Decimal]]:
    group, title, inner = node[0], node[1], node[2]
    width = len(sheet.balances)
    if inner and isinstance(inner[0], str):  # account types: a leaf section
        accounts = [a for t in inner for a in by_type.get(t, [])]
        rows, totals = _account_rows(accounts, sheet.balances, sign)
        if group == "Equity":
            rows.append(
                {
                    "type": "Data",
                    "group": "NetIncome",
                    "ColData": _cells("Net Income", map(_money, sheet.net_income)),
                }
            )
            totals = [a + b for a, b in zip(totals, sheet.net_income, strict=True)]
        if not rows:
            return None, [ZERO] * width
        return _section(group, title, rows, totals, f"Total {title}"), totals
    rows = []
    totals = [ZERO] * width
    for child in inner:
        section, child_totals = _sheet_group(child, by_type, sheet, sign)
        if section is not None:
            rows.append(section)
            totals = [a + b for a, b in zip(totals, child_totals, strict=True)]
    if not rows:
        return None, totals
    return _section(group, title, rows, totals, f"Total {title}"), totals


def balance_sheet(ledger: Ledger, params: Mapping[str, str]) -> dict[str, Any]:
    basis = _basis(ledger, params)
    start, end = _period(ledger, params)
    by = _summarize(params)
    spans = [Span(s, e, title, title) for s, e, title in _periods(start, end, by)] or [
        Span(None, end, "Total", "total")
    ]
    kept = books(ledger, basis)
    sheet = _SheetColumns(ledger, kept, [span.end for span in spans])
    by_type: dict[str, list[Record]] = {}
    for account in kept.accounts.values():
        by_type.setdefault(str(account.data.get("AccountType")), []).append(account)
    rows = []
    for group, title, total_label, sign, inner in BS_LAYOUT:
        children = []
        totals = [ZERO] * len(spans)
        for child in inner:
            section, child_totals = _sheet_group(child, by_type, sheet, sign)
            if section is not None:
                children.append(section)
                totals = [a + b for a, b in zip(totals, child_totals, strict=True)]
        rows.append(_section(group, title, children, totals, total_label))
    return {
        "Header": {
            **_header(ledger, "BalanceSheet", basis, start, end, by),
            "Option": _options(bool(kept.postings), ("AccountingStandard", "GAAP")),
        },
        "Columns": _columns("account", "Account", spans),
        "Rows": {"Row": rows},
    }


# ------------------------------------------------------------------------------------ trial balance


def trial_balance(ledger: Ledger, params: Mapping[str, str]) -> dict[str, Any]:
    basis = _basis(ledger, params)
    start, end = _period(ledger, params)
    if _summarize(params) != "Total":
        raise faults.invalid_property(
            "The emulated TrialBalance is summarized by Total only", "summarize_column_by"
        )
    kept = books(ledger, basis)
    sheet = _SheetColumns(ledger, kept, [end])
    year_start = _fiscal_start(ledger, end)
    balances = dict(sheet.balances[0])
    for account, value in kept.balances(year_start, end).items():
        if str(kept.accounts[account].data.get("AccountType")) in PL_TYPES:
            balances[account] = value
    rows: list[dict[str, Any]] = []
    debits = credits = ZERO
    for record in sorted(kept.accounts.values(), key=lambda a: str(a.data.get("Name", "")).lower()):
        found = balances.get(record.id)
        if not found:
            continue
        debit, credit = (found, ZERO) if found > 0 else (ZERO, -found)
        debits += debit
        credits += credit
        cells = [_money(debit) if debit else "", _money(credit) if credit else ""]
        rows.append({"ColData": _cells(str(record.data.get("Name", "")), cells, record)})
    rows.append(
        {
            "type": "Section",
            "group": "GrandTotal",
            "Summary": {"ColData": _cells("TOTAL", [_money(debits), _money(credits)])},
        }
    )
    columns = {
        "Column": [
            {"ColTitle": "", "ColType": "Account", "MetaData": [{"Name": "ColKey", "Value": "account"}]},
            {"ColTitle": "Debit", "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": "debit"}]},
            {"ColTitle": "Credit", "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": "credit"}]},
        ]
    }
    return {
        "Header": {
            **_header(ledger, "TrialBalance", basis, start, end, "Total"),
            "Option": _options(bool(rows[:-1])),
        },
        "Columns": columns,
        "Rows": {"Row": rows},
    }


# --------------------------------------------------------------------------------------------- aging


@dataclass
class _Open:
    party: str
    day: date
    amount: Decimal


def _applied_by(ledger: Ledger, entity: str, book: Mapping[str, Decimal], as_of: date) -> Decimal:
    table = ledger.realm.table(entity)
    total = ZERO
    for payment_id, amount in book.items():
        payment = table.get(payment_id)
        if payment is not None and _day(payment) <= as_of:
            total += amount
    return total


def _open_items(ledger: Ledger, payables: bool, as_of: date) -> list[_Open]:
    realm = ledger.realm
    party_key = "VendorRef" if payables else "CustomerRef"
    documents = ("Bill", "VendorCredit") if payables else ("Invoice", "CreditMemo")
    books_ = (
        (realm.bill_applied, realm.vendor_credit_applied)
        if payables
        else (realm.applied, realm.credit_applied)
    )
    settled_by = "BillPayment" if payables else "Payment"
    out: list[_Open] = []
    for entity, book, sign in zip(documents, books_, (1, -1), strict=True):
        for record in realm.table(entity):
            if _day(record) > as_of or record.voided:
                continue
            total = _decimal(record.data.get("HomeTotalAmt", record.data.get("TotalAmt")))
            applied = _applied_by(ledger, settled_by, book.get(record.id, {}), as_of) * _rate(record)
            remaining = (total - applied).quantize(CENT, ROUND_HALF_UP)
            if remaining:
                due = record.data.get("DueDate") if sign > 0 else None
                day = date.fromisoformat(str(due)[:10]) if due else _day(record)
                out.append(_Open(str(_ref(record.data.get(party_key))), day, sign * remaining))
    if not payables:
        for record in realm.table("Payment"):
            unapplied = _decimal(record.data.get("UnappliedAmt"))
            if unapplied and _day(record) <= as_of and not record.voided:
                party = str(_ref(record.data.get("CustomerRef")))
                out.append(_Open(party, _day(record), -(unapplied * _rate(record)).quantize(CENT)))
    return out


def _bucket(days: int) -> int:
    if days <= 0:
        return 0
    return min(4, (days - 1) // 30 + 1)


def aging(ledger: Ledger, params: Mapping[str, str], payables: bool) -> dict[str, Any]:
    as_of = _date(params, "report_date") or ledger.clock.today()
    wanted_key = "vendor" if payables else "customer"
    wanted = {part.strip() for part in (params.get(wanted_key) or "").split(",") if part.strip()}
    entity = "Vendor" if payables else "Customer"
    parties: dict[str, list[Decimal]] = {}
    for item in _open_items(ledger, payables, as_of):
        if wanted and item.party not in wanted:
            continue
        buckets = parties.setdefault(item.party, [ZERO] * len(AGING_KEYS))
        buckets[_bucket((as_of - item.day).days)] += item.amount
    table = ledger.realm.table(entity)
    rows: list[dict[str, Any]] = []
    grand = [ZERO] * (len(AGING_KEYS) + 1)

    def name(party_id: str) -> str:
        record = table.get(party_id)
        return str(record.data.get("DisplayName", party_id)) if record is not None else party_id

    for party_id in sorted(parties, key=lambda p: name(p).lower()):
        buckets = parties[party_id]
        values = [*buckets, sum(buckets, ZERO)]
        if not values[-1] and not any(buckets):
            continue
        grand = [a + b for a, b in zip(grand, values, strict=True)]
        cells = [_money(v) if v else "" for v in values]
        rows.append({"ColData": [{"value": name(party_id), "id": party_id}, *({"value": c} for c in cells)]})
    rows.append(
        {
            "type": "Section",
            "group": "GrandTotal",
            "Summary": {"ColData": _cells("TOTAL", map(_money, grand))},
        }
    )
    label_type = "Vendor" if payables else "Customer"
    columns = [
        {"ColTitle": "", "ColType": label_type, "MetaData": [{"Name": "ColKey", "Value": label_type.lower()}]}
    ]
    for title, key in (*zip(AGING_TITLES, AGING_KEYS, strict=True), ("Total", "total")):
        columns.append(
            {"ColTitle": title, "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": key}]}
        )
    header: dict[str, Any] = {
        "Time": ledger.clock.qbo(ledger.clock.now()),
        "ReportName": "AgedPayables" if payables else "AgedReceivables",
        "StartPeriod": as_of.isoformat(),
        "EndPeriod": as_of.isoformat(),
        "Currency": ledger.options.home_currency,
    }
    if wanted:
        header[label_type] = ",".join(sorted(wanted))
    header["Option"] = _options(bool(rows[:-1]), ("report_date", as_of.isoformat()))
    return {"Header": header, "Columns": {"Column": columns}, "Rows": {"Row": rows}}


# ----------------------------------------------------------------------------------------- parameters


def _date(params: Mapping[str, str], name: str) -> date | None:
    text = params.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise faults.invalid_property(f"{name} {text!r} is not a date (YYYY-MM-DD)", name) from None


def _basis(ledger: Ledger, params: Mapping[str, str]) -> str:
    given = params.get("accounting_method")
    if given is None:
        return "Accrual"  # the emulated company's ReportPrefs.ReportBasis
    basis = BASES.get(given.lower())
    if basis is None:
        raise faults.invalid_property(f"accounting_method {given!r} is Cash or Accrual", "accounting_method")
    return basis


def _summarize(params: Mapping[str, str]) -> str:
    given = params.get("summarize_column_by") or "Total"
    for period in PERIODS:
        if period.lower() == given.lower():
            return period
    raise faults.invalid_property(
        f"summarize_column_by {given!r} is not emulated (Total, Month, Quarter, Year)", "summarize_column_by"
    )


def _period(ledger: Ledger, params: Mapping[str, str]) -> tuple[date, date]:
    end = _date(params, "end_date") or ledger.clock.today()
    start = _date(params, "start_date") or _fiscal_start(ledger, end)
    if start > end:
        raise faults.invalid_property("start_date is after end_date", "start_date")
    return start, end


REPORTS: dict[str, Callable[[Ledger, Mapping[str, str]], dict[str, Any]]] = {
    "ProfitAndLoss": profit_and_loss,
    "BalanceSheet": balance_sheet,
    "TrialBalance": trial_balance,
    "AgedReceivables": lambda ledger, params: aging(ledger, params, payables=False),
    "AgedPayables": lambda ledger, params: aging(ledger, params, payables=True),
}


def report(ledger: Ledger, name: str, params: Mapping[str, str]) -> dict[str, Any]:
    """The report ``name`` (any case) of the company, with the request's ``params``."""
    known = REPORT_NAMES.get(name.lower())
    if known is None:
        raise faults.invalid_property(
            f"Report {name} is not emulated (ProfitAndLoss, BalanceSheet, TrialBalance, AgedReceivables, "
            "AgedPayables)",
            "ReportName",
        )
    return REPORTS[known](ledger, params)
