"""Reports on QuickBooks: the emulator computes them from the company's transactions, and the
provider reads Intuit's Header/Columns/Rows into the unified report without losing a cell."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from unified_accounting_quickbooks.reports import read_report, report_params

from unified_accounting import AccountClassification, Report, ReportName, ReportPeriod, ValidationFailed
from unified_accounting.provider import ReportRequest

from .test_api import Env, api_calls, make_env

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
JANUARY = (date(2026, 1, 1), date(2026, 1, 31))
ASSET, LIABILITY, EQUITY = (
    AccountClassification.ASSET,
    AccountClassification.LIABILITY,
    AccountClassification.EQUITY,
)
INCOME, EXPENSE = AccountClassification.INCOME, AccountClassification.EXPENSE


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = await make_env()
    yield made
    await made.client.aclose()


def account_id(env: Env, name: str) -> str:
    return next(a["Id"] for a in env.emulator.records("Account", env.realm) if a["Name"] == name)


def create(env: Env, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    made: dict[str, Any] = env.emulator.create(entity, body, env.realm)
    return made


def sales_line(amount: str, taxed: bool = False) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"value": "1"}}
    if taxed:
        detail["TaxCodeRef"] = {"value": "TAX"}
    return {"Amount": Decimal(amount), "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def expense_line(amount: str, account: str) -> dict[str, Any]:
    return {
        "Amount": Decimal(amount),
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account}},
    }


class Books:
    """Known postings in January 2026 of a fresh company."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.office = account_id(env, "Office Expenses")
        self.customer = create(env, "Customer", {"DisplayName": "Report customer"})["Id"]
        self.vendor = create(env, "Vendor", {"DisplayName": "Report vendor"})["Id"]

    def invoice(self, amount: str, day: str = "2026-01-05", *, taxed: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "CustomerRef": {"value": self.customer},
            "TxnDate": day,
            "DueDate": day,
            "Line": [sales_line(amount, taxed)],
        }
        if taxed:
            body["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": "2"}}  # California, 8 %
        return create(self.env, "Invoice", body)

    def payment(self, invoice: dict[str, Any], amount: str, day: str = "2026-01-20") -> dict[str, Any]:
        return create(
            self.env,
            "Payment",
            {
                "CustomerRef": {"value": self.customer},
                "TotalAmt": Decimal(amount),
                "TxnDate": day,
                "Line": [
                    {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
                ],
            },
        )

    def bill(self, amount: str, day: str = "2026-01-08") -> dict[str, Any]:
        body = {
            "VendorRef": {"value": self.vendor},
            "TxnDate": day,
            "Line": [expense_line(amount, self.office)],
        }
        return create(self.env, "Bill", body)

    def bill_payment(self, bill: dict[str, Any], amount: str, day: str = "2026-01-25") -> dict[str, Any]:
        return create(
            self.env,
            "BillPayment",
            {
                "VendorRef": {"value": self.vendor},
                "PayType": "Check",
                "CheckPayment": {"BankAccountRef": {"value": "1"}},
                "TotalAmt": Decimal(amount),
                "TxnDate": day,
                "Line": [
                    {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}
                ],
            },
        )


def amount(report: Report, classification: AccountClassification, column: str = "total") -> Decimal:
    return report.classified_total(classification, column)


def assert_balances(sheet: Report) -> None:
    for column in sheet.amount_columns:
        assets = amount(sheet, ASSET, column)
        assert assets == amount(sheet, LIABILITY, column) + amount(sheet, EQUITY, column), column


async def test_profit_and_loss_and_balance_sheet_move_by_exactly_the_documents(env: Env) -> None:
    books = Books(env)
    reports = env.conn.reports
    before_pl = await reports.profit_and_loss(*JANUARY)
    before_bs = await reports.balance_sheet(JANUARY[1])
    invoice = books.invoice("200.00", taxed=True)  # 200 + 16 tax
    assert invoice["TotalAmt"] == Decimal("216.00")
    books.payment(invoice, "100.00")
    bill = books.bill("80.00")
    books.bill_payment(bill, "30.00")
    create(
        env,
        "Purchase",
        {
            "AccountRef": {"value": "1"},
            "PaymentType": "Check",
            "TxnDate": "2026-01-12",
            "Line": [expense_line("12.50", books.office)],
        },
    )
    create(
        env,
        "CreditMemo",
        {"CustomerRef": {"value": books.customer}, "TxnDate": "2026-01-15", "Line": [sales_line("25.00")]},
    )
    create(
        env,
        "VendorCredit",
        {
            "VendorRef": {"value": books.vendor},
            "TxnDate": "2026-01-16",
            "Line": [expense_line("5.00", books.office)],
        },
    )
    after_pl = await reports.profit_and_loss(*JANUARY)
    after_bs = await reports.balance_sheet(JANUARY[1])
    # income: 200 invoiced less 25 credited; expenses: 80 billed + 12.50 spent less 5 credited
    assert amount(after_pl, INCOME) - amount(before_pl, INCOME) == Decimal("175.00")
    assert amount(after_pl, EXPENSE) - amount(before_pl, EXPENSE) == Decimal("87.50")
    assert after_pl.find("Net Income").amount("total") == Decimal("87.50")
    receivable = account_id(env, "Accounts Receivable (A/R)")
    payable = account_id(env, "Accounts Payable (A/P)")
    assert after_bs.account_row(receivable).amount("total") == Decimal("91.00")  # 216 - 100 - 25
    assert after_bs.account_row(payable).amount("total") == Decimal("45.00")  # 80 - 30 - 5
    tax = account_id(env, "Sales Tax Payable")
    assert after_bs.account_row(tax).amount("total") == Decimal("16.00")
    checking = after_bs.account_row("1").amount("total")
    assert checking == Decimal("-42.50")  # 30 paid to the vendor, 12.50 spent
    assert after_bs.account_row(account_id(env, "Undeposited Funds")).amount("total") == Decimal("100.00")
    assert amount(after_bs, ASSET) - amount(before_bs, ASSET) == Decimal("148.50")
    assert_balances(before_bs)
    assert_balances(after_bs)
    net_income_row = after_bs.find("Net Income")
    assert net_income_row.group == "NetIncome" and net_income_row.amount("total") == Decimal("87.50")


async def test_cash_basis_counts_what_was_paid_when_it_was_paid(env: Env) -> None:
    books = Books(env)
    invoice = books.invoice("200.00", taxed=True)
    books.payment(invoice, "54.00", day="2026-02-03")  # a quarter of 216, in February
    bill = books.bill("80.00")
    books.bill_payment(bill, "20.00")
    reports = env.conn.reports
    january = await reports.profit_and_loss(*JANUARY, accounting_method="cash")
    february = await reports.profit_and_loss(date(2026, 2, 1), date(2026, 2, 28), accounting_method="cash")
    assert january.basis is not None and january.basis.value == "cash"
    assert amount(january, INCOME) == 0 and amount(january, EXPENSE) == Decimal("20.00")
    assert amount(february, INCOME) == Decimal("50.00")  # the income share of 54 (4 is tax)
    sheet = await reports.balance_sheet(date(2026, 2, 28), accounting_method="cash")
    assert_balances(sheet)
    with pytest.raises(KeyError):
        sheet.account_row(account_id(env, "Accounts Receivable (A/R)"))
    sent = [entry for entry in api_calls(env) if "/reports/" in entry.path]
    assert {entry.query["accounting_method"] for entry in sent} == {"Cash"}


async def test_earlier_years_close_into_retained_earnings(env: Env) -> None:
    books = Books(env)
    books.invoice("300.00", day="2025-11-10")
    books.invoice("40.00", day="2026-01-10")
    sheet = await env.conn.reports.balance_sheet(JANUARY[1])
    retained = sheet.account_row(account_id(env, "Retained Earnings"))
    assert retained.amount("total") == Decimal("300.00")
    assert sheet.find("Net Income").amount("total") == Decimal("40.00")
    assert amount(sheet, EQUITY) == Decimal("340.00")
    assert_balances(sheet)
    trial = await env.conn.reports.trial_balance(JANUARY[1])
    income = trial.account_row(account_id(env, "Sales of Product Income"))
    assert income.amount("credit") == Decimal("40.00")  # this year's only
    total = trial.find("TOTAL")
    assert total.kind == "total" and total.amount("debit") == total.amount("credit") == Decimal("340.00")


async def test_months_split_the_profit_and_loss_and_the_balance_sheet(env: Env) -> None:
    books = Books(env)
    books.invoice("10.00", day="2026-01-10")
    books.invoice("20.00", day="2026-02-10")
    books.invoice("40.00", day="2026-03-10")
    report = await env.conn.reports.profit_and_loss(date(2026, 1, 1), date(2026, 3, 31), columns="month")
    keys = [column.key for column in report.columns]
    assert keys == ["account", "Jan 2026", "Feb 2026", "Mar 2026", "total"]
    assert [(c.start_date, c.end_date) for c in report.columns[1:3]] == [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
    ]
    income = report.find("Total Income")
    assert [income.amount(key) for key in keys[1:]] == [Decimal(10), Decimal(20), Decimal(40), Decimal(70)]
    quarters = await env.conn.reports.balance_sheet(date(2026, 6, 30), columns="quarter")
    assert [column.title for column in quarters.columns[1:]] == ["Jan - Mar 2026", "Apr - Jun 2026"]
    assert_balances(quarters)


async def test_aged_reports_bucket_open_documents_by_days_past_due(env: Env) -> None:
    books = Books(env)
    books.invoice("100.00", day="2026-01-05")  # due the same day: 55 days late on 1 March
    fresh = books.invoice("30.00", day="2026-02-27")
    books.payment(fresh, "10.00", day="2026-02-28")
    other = create(env, "Customer", {"DisplayName": "Someone else"})["Id"]
    create(
        env,
        "Invoice",
        {"CustomerRef": {"value": other}, "TxnDate": "2026-01-05", "Line": [sales_line("9.00")]},
    )
    aged = await env.conn.reports.aged_receivables(date(2026, 3, 1), customer_id=books.customer)
    assert aged.as_of == date(2026, 3, 1)
    assert [column.key for column in aged.columns] == [
        "customer",
        "current",
        "1_30",
        "31_60",
        "61_90",
        "91_over",
        "total",
    ]
    (row,) = [row for row in aged.walk() if row.kind == "row"]
    assert row.party_id == books.customer and row.ledger_account_id is None
    assert row.amount("31_60") == Decimal("100.00") and row.amount("1_30") == Decimal("20.00")
    assert row.amount("current") is None  # QuickBooks leaves an empty cell for zero
    assert row.amount("total") == Decimal("120.00")
    (sent,) = [entry for entry in api_calls(env) if entry.path.endswith("/reports/AgedReceivables")]
    assert sent.query["customer"] == books.customer and sent.query["report_date"] == "2026-03-01"
    bill = books.bill("50.00", day="2026-02-20")
    assert bill["Balance"] == Decimal("50.00")
    payables = await env.conn.reports.aged_payables(date(2026, 3, 1), supplier_id=books.vendor)
    (owed,) = [row for row in payables.walk() if row.kind == "row"]
    assert owed.party_id == books.vendor and owed.amount("total") == Decimal("50.00")


def test_report_parameters_are_intuits() -> None:
    january = ReportRequest(ReportName.PROFIT_AND_LOSS, *JANUARY, columns=ReportPeriod.QUARTER)
    assert report_params(january) == {
        "accounting_method": "Accrual",
        "summarize_column_by": "Quarter",
        "start_date": "2026-01-01",
        "end_date": "2026-01-31",
    }
    aged = ReportRequest(ReportName.AGED_PAYABLES, as_of=date(2026, 3, 1), supplier_id="56")
    assert report_params(aged) == {"report_date": "2026-03-01", "vendor": "56"}
    for name in (ReportName.AGED_RECEIVABLES, ReportName.TRIAL_BALANCE):
        with pytest.raises(ValidationFailed) as caught:
            report_params(ReportRequest(name, as_of=date(2026, 3, 1), columns=ReportPeriod.MONTH))
        assert [issue.field for issue in caught.value.issues] == ["columns"]


async def test_include_raw_keeps_intuits_payload(env: Env) -> None:
    Books(env).invoice("12.00")
    report = await env.conn.reports.profit_and_loss(*JANUARY, include_raw=True)
    assert report.raw is not None and report.raw["Header"]["ReportName"] == "ProfitAndLoss"
    assert_lossless(report.raw, report)


# ----------------------------------------------------------------------------- mapping, no loss


def raw_cells(rows: list[dict[str, Any]]) -> Iterator[tuple[str, str | None]]:
    for row in rows:
        for part in ("Header", "Summary"):
            for cell in (row.get(part) or {}).get("ColData") or ():
                yield str(cell.get("value")), cell.get("id")
        for cell in row.get("ColData") or ():
            yield str(cell.get("value")), cell.get("id")
        yield from raw_cells((row.get("Rows") or {}).get("Row") or [])


def unified_cells(report: Report) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for row in report.walk():
        ident = row.ledger_account_id or row.party_id
        out.append((row.label, ident))
        out += [("" if value is None else str(value), None) for value in row.values.values()]
    return out


def assert_lossless(raw: Any, report: Report) -> None:
    """Every cell and id QuickBooks sent is in the unified report (amounts compared as numbers)."""

    def norm(cells: Any) -> list[tuple[str, str | None]]:
        out = []
        for value, ident in cells:
            with contextlib.suppress(ArithmeticError):
                value = str(Decimal(value))
            out.append((value, ident))
        return sorted(out, key=lambda pair: (pair[0], pair[1] or ""))

    expected = norm(raw_cells(raw["Rows"]["Row"]))
    # a section's label is its Header's first cell; a bare Summary section is its total row
    got = norm(unified_cells(report))
    missing = [cell for cell in expected if cell not in got]
    assert missing == [], missing


def test_an_intuit_shaped_profit_and_loss_reads_without_loss() -> None:
    payload = json.loads((FIXTURES / "reports" / "profit_and_loss.json").read_text())
    report = read_report(ReportName.PROFIT_AND_LOSS, payload)
    assert (report.start_date, report.end_date, report.currency) == (
        date(2026, 1, 1),
        date(2026, 1, 31),
        "USD",
    )
    assert report.basis is not None and report.basis.value == "accrual"
    assert [(c.key, c.kind) for c in report.columns] == [("account", "label"), ("total", "amount")]
    assert_lossless(payload, report)
    income = report.rows[0]
    assert (income.kind, income.group, income.classification) == ("section", "Income", INCOME)
    parent = income.rows[1]  # a parent account with a sub-account: a section of its own
    assert parent.kind == "section" and parent.ledger_account_id == "45"
    assert [row.ledger_account_id for row in parent.rows] == ["45", "46"]
    assert parent.total is not None and parent.total.amount("total") == Decimal("130.00")
    assert report.account_row("79").amount("total") == Decimal("335.25")
    assert report.find("Gross Profit").kind == "total"
    assert report.find("Net Income").amount("total") == Decimal("265.25")
    assert amount(report, INCOME) == Decimal("465.25") and amount(report, EXPENSE) == Decimal("200.00")


def test_a_row_with_more_cells_than_columns_is_not_read() -> None:
    payload = json.loads((FIXTURES / "reports" / "profit_and_loss.json").read_text())
    payload["Rows"]["Row"][0]["Rows"]["Row"][0]["ColData"].append({"value": "1.00"})
    with pytest.raises(ValueError, match="cells for 2 columns"):
        read_report(ReportName.PROFIT_AND_LOSS, payload)


async def test_a_foreign_currency_invoice_posts_at_its_rate_and_the_books_still_balance() -> None:
    env = await make_env(country="GB", multi_currency=True, exchange_rates={"EUR": "1.0833"})
    try:
        customer = create(env, "Customer", {"DisplayName": "Euro customer", "CurrencyRef": {"value": "EUR"}})
        standard = next(c["Id"] for c in env.emulator.records("TaxCode", env.realm) if c["Name"] == "20.0% S")
        line = sales_line("43.34")
        line["SalesItemLineDetail"]["TaxCodeRef"] = {"value": standard}
        invoice = create(
            env,
            "Invoice",
            {
                "CustomerRef": {"value": customer["Id"]},
                "CurrencyRef": {"value": "EUR"},
                "TxnDate": "2026-01-05",
                "Line": [line],
            },
        )
        assert (invoice["TotalAmt"], invoice["HomeTotalAmt"]) == (Decimal("52.01"), Decimal("56.34"))
        create(
            env,
            "Payment",
            {
                "CustomerRef": {"value": customer["Id"]},
                "CurrencyRef": {"value": "EUR"},
                "ExchangeRate": Decimal("1.2"),
                "TotalAmt": Decimal(20),
                "TxnDate": "2026-01-10",
                "Line": [
                    {"Amount": Decimal(20), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
                ],
            },
        )
        report = await env.conn.reports.profit_and_loss(*JANUARY)
        assert report.currency == "GBP" and amount(report, INCOME) == Decimal("46.95")  # 43.34 x 1.0833
        for basis in ("accrual", "cash"):
            assert_balances(await env.conn.reports.balance_sheet(JANUARY[1], accounting_method=basis))
            trial = await env.conn.reports.trial_balance(JANUARY[1], accounting_method=basis)
            total = trial.find("TOTAL")
            assert total.amount("debit") == total.amount("credit")
    finally:
        await env.client.aclose()
