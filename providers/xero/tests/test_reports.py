"""Xero reports against the emulator, which computes them from its own postings: documents move the
profit and loss and the balance sheet by exactly their amounts, and the balance sheet balances."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest
from unified_accounting_xero import reports as xero_reports
from unified_accounting_xero.emulator import XeroEmulator
from unified_accounting_xero.testing import XeroHarness, emulator_of

from unified_accounting import AsyncClient, AsyncConnection
from unified_accounting.errors import ValidationFailed
from unified_accounting.models import (
    AccountClassification,
    Allocation,
    Bill,
    CreditNote,
    Customer,
    Expense,
    Invoice,
    JournalEntry,
    JournalLine,
    LineItem,
    Payment,
    Report,
    ReportName,
    Supplier,
)
from unified_accounting.provider import ReportRequest

pytestmark = pytest.mark.anyio
Conn = tuple[AsyncConnection, XeroEmulator]
#: A month no seeded document falls in.
MARCH = (date(2031, 3, 1), date(2031, 3, 31))


def line(amount: str, account: str) -> LineItem:
    return LineItem(description="Goods", quantity=Decimal(1), unit_price=Decimal(amount), account_id=account)


def income(report: Report, column: str) -> Decimal:
    return report.classified_total(AccountClassification.INCOME, column)


def expenses(report: Report, column: str) -> Decimal:
    return report.classified_total(AccountClassification.EXPENSE, column)


def balance(report: Report) -> dict[AccountClassification, Decimal]:
    column = report.amount_columns[0]
    return {kind: report.classified_total(kind, column) for kind in AccountClassification}


async def _invoice(conn: AsyncConnection, amount: str, day: date, account: str = "200") -> Invoice:
    customer = await conn.customers.create(Customer(display_name=f"Report customer {amount} {day}"))
    return await conn.invoices.create(
        Invoice(customer_id=str(customer.id), issue_date=day, line_items=[line(amount, account)])
    )


async def test_profit_and_loss_moves_by_each_document(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    start = await conn.reports.profit_and_loss(*MARCH)
    assert start.find("Net Profit").amount(start.amount_columns[0]) == 0
    invoice = await _invoice(conn, "1000.00", date(2031, 3, 3))
    supplier = await conn.suppliers.create(Supplier(display_name="Paper Co"))
    await conn.bills.create(
        Bill(
            supplier_id=str(supplier.id),
            number="P-1",
            issue_date=date(2031, 3, 4),
            line_items=[line("200.00", "453")],
        )
    )
    await conn.expenses.create(
        Expense(
            date=date(2031, 3, 5),
            account_id="090",
            supplier_id=str(supplier.id),
            line_items=[line("46.00", "429")],
        )
    )
    await conn.credit_notes.create(
        CreditNote(
            customer_id=invoice.customer_id, issue_date=date(2031, 3, 6), line_items=[line("100.00", "200")]
        )
    )
    await conn.journal_entries.create(
        JournalEntry(
            date=date(2031, 3, 7),
            memo="Accrued fees",
            lines=[
                JournalLine(ledger_account_id="404", debit=Decimal("30.00")),
                JournalLine(ledger_account_id="429", credit=Decimal("30.00")),
            ],
        )
    )
    report = await conn.reports.profit_and_loss(*MARCH, include_raw=True)
    (column,) = report.amount_columns
    assert report.columns[1].start_date == MARCH[0] and report.columns[1].end_date == MARCH[1]
    # Sales 1000 less a 100 credit note; costs: 200 of paper, 40 of taxi before 15 % GST, fees moved.
    assert income(report, column) == Decimal("900.00")
    assert expenses(report, column) == Decimal("240.00")
    assert report.find("Net Profit").amount(column) == Decimal("660.00")
    sales = report.account_row(report.find("Sales").ledger_account_id or "")
    assert sales.amount(column) == Decimal("900.00") and sales.classification is None
    assert report.find("Income").classification is AccountClassification.INCOME
    assert report.raw and report.raw["Reports"][0]["ReportID"] == "ProfitAndLoss"
    assert (report.currency, report.basis) == ("NZD", "accrual")


async def test_the_balance_sheet_balances_and_moves_with_payments(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    day = date(2031, 3, 31)
    before = balance(await conn.reports.balance_sheet(day))
    invoice = await _invoice(conn, "400.00", date(2031, 3, 10))  # 460.00 with GST
    after_invoice = await conn.reports.balance_sheet(day)
    moved = balance(after_invoice)
    assert moved[AccountClassification.ASSET] - before[AccountClassification.ASSET] == Decimal("460.00")
    assert moved[AccountClassification.LIABILITY] - before[AccountClassification.LIABILITY] == Decimal(
        "60.00"
    )
    assert moved[AccountClassification.EQUITY] - before[AccountClassification.EQUITY] == Decimal("400.00")
    await conn.payments.create(
        Payment(
            customer_id=invoice.customer_id,
            total_amount=Decimal("160.00"),
            date=date(2031, 3, 20),
            account_id="090",
            allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("160.00"))],
        )
    )
    report = await conn.reports.balance_sheet(day)
    column = report.amount_columns[0]
    paid = balance(report)
    assert paid[AccountClassification.ASSET] == moved[AccountClassification.ASSET]  # receivable became cash
    assert (
        paid[AccountClassification.ASSET]
        == paid[AccountClassification.LIABILITY] + paid[AccountClassification.EQUITY]
    )
    receivable = report.find("Accounts Receivable").amount(column)
    assert receivable == after_invoice.find("Accounts Receivable").amount(column) - Decimal("160.00")
    assert report.find("Current Year Earnings").ledger_account_id == "abababab-abab-abab-abab-abababababab"
    assert [c.key for c in report.columns] == ["label", "2031-03-31"], "the unasked comparison is left out"
    assert report.as_of == day and report.start_date is None


async def test_cash_basis_counts_what_is_paid(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    invoice = await _invoice(conn, "500.00", date(2031, 3, 2))  # 575.00 with GST
    cash = await conn.reports.profit_and_loss(*MARCH, accounting_method="cash")
    assert cash.basis == "cash" and income(cash, cash.amount_columns[0]) == 0
    await conn.payments.create(
        Payment(
            customer_id=invoice.customer_id,
            total_amount=Decimal("115.00"),
            date=date(2031, 3, 9),
            account_id="090",
            allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("115.00"))],
        )
    )
    cash = await conn.reports.profit_and_loss(*MARCH, accounting_method="cash")
    assert income(cash, cash.amount_columns[0]) == Decimal("100.00")  # a fifth of the invoice, before tax
    accrual = await conn.reports.profit_and_loss(*MARCH)
    assert income(accrual, accrual.amount_columns[0]) == Decimal("500.00")
    sheet = balance(await conn.reports.balance_sheet(MARCH[1], accounting_method="cash"))
    assert (
        sheet[AccountClassification.ASSET]
        == sheet[AccountClassification.LIABILITY] + sheet[AccountClassification.EQUITY]
    )


async def test_profit_and_loss_by_month(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    await _invoice(conn, "10.00", date(2031, 1, 15))
    await _invoice(conn, "30.00", date(2031, 3, 15))
    report = await conn.reports.profit_and_loss(date(2031, 1, 1), date(2031, 3, 31), columns="month")
    (sent,) = [r for r in emulator.request_log if "/Reports/" in r.path]
    assert {k: sent.query[k] for k in ("fromDate", "toDate", "periods", "timeframe")} == {
        "fromDate": "2031-03-01",
        "toDate": "2031-03-31",
        "periods": "2",
        "timeframe": "MONTH",
    }
    assert [(c.key, c.start_date, c.end_date) for c in report.columns if c.kind == "amount"] == [
        ("2031-03-31", date(2031, 3, 1), date(2031, 3, 31)),
        ("2031-02-28", date(2031, 2, 1), date(2031, 2, 28)),
        ("2031-01-31", date(2031, 1, 1), date(2031, 1, 31)),
    ]
    sales = report.find("Sales")
    assert sales.values == {
        "2031-03-31": Decimal("30.00"),
        "2031-02-28": Decimal("0.00"),
        "2031-01-31": Decimal("10.00"),
    }


async def test_trial_balance_debits_equal_credits_and_name_accounts(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    await _invoice(conn, "80.00", date(2031, 3, 12))
    report = await conn.reports.trial_balance(MARCH[1])
    assert [c.key for c in report.columns] == ["account", "debit", "credit", "ytd_debit", "ytd_credit"]
    rows = [row for row in report.walk() if row.kind == "row"]
    assert all(row.ledger_account_id for row in rows)
    for debit, credit in (("debit", "credit"), ("ytd_debit", "ytd_credit")):
        assert sum((r.amount(debit) or 0 for r in rows), Decimal(0)) == sum(
            (r.amount(credit) or 0 for r in rows), Decimal(0)
        )
    assert report.find("Sales (200)").amount("credit") == Decimal("80.00")
    total = report.find("Total")
    assert total.amount("debit") == total.amount("credit") and total.kind == "total"


async def test_aged_receivables_of_one_customer(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    invoice = await _invoice(conn, "50.00", date(2031, 3, 1))  # 57.50
    await conn.payments.create(
        Payment(
            customer_id=invoice.customer_id,
            total_amount=Decimal("7.50"),
            date=date(2031, 3, 15),
            account_id="090",
            allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal("7.50"))],
        )
    )
    report = await conn.reports.aged_receivables(date(2031, 4, 30), customer_id=invoice.customer_id)
    (row,) = [r for r in report.walk() if r.document_id == str(invoice.id)]
    assert row.party_id == invoice.customer_id and row.label.startswith("2031-03-01")
    assert (row.amount("total"), row.amount("paid"), row.amount("due")) == (
        Decimal("57.50"),
        Decimal("7.50"),
        Decimal("50.00"),
    )
    assert row.values["reference"] == invoice.number
    earlier = await conn.reports.aged_receivables(date(2031, 3, 10), customer_id=invoice.customer_id)
    assert earlier.find("Total").amount("due") == Decimal("57.50"), "the payment came after that day"


async def test_aged_reports_need_the_contact_before_any_call(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    emulator.request_log.clear()
    with pytest.raises(ValidationFailed) as caught:
        await conn.reports.aged_payables(MARCH[1])
    assert [issue.field for issue in caught.value.issues] == ["supplier_id"]
    with pytest.raises(ValidationFailed) as caught:
        await conn.reports.aged_receivables(MARCH[1], customer_id="C-1")
    assert [issue.field for issue in caught.value.issues] == ["customer_id"]
    assert not [r for r in emulator.request_log if "/api.xro/" in r.path]


async def test_periods_xero_cannot_split_are_refused(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    emulator.request_log.clear()
    for start, end, columns in (
        (date(2031, 1, 2), date(2031, 3, 31), "month"),
        (date(2030, 1, 1), date(2031, 3, 31), "month"),  # 15 months
        (date(2031, 1, 1), date(2031, 2, 28), "quarter"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            await conn.reports.profit_and_loss(start, end, columns=columns)
        assert [issue.field for issue in caught.value.issues] == ["columns"]
    assert not [r for r in emulator.request_log if "/api.xro/" in r.path]


def test_reading_keeps_every_row_cell_and_id() -> None:
    """A report shaped as Xero documents it (a foreign-exchange group row, an untitled section, an
    attribute-only cell) is read without losing a row or a cell."""
    body = {
        "Reports": [
            {
                "ReportID": "ProfitAndLoss",
                "ReportTitles": ["Profit & Loss", "Demo", "1 March 2025 to 31 March 2025"],
                "Rows": [
                    {"RowType": "Header", "Cells": [{"Value": ""}, {"Value": "31 Mar 2025"}]},
                    {
                        "RowType": "Section",
                        "Title": " Income",
                        "Rows": [
                            {
                                "RowType": "Row",
                                "Cells": [
                                    {
                                        "Value": "Sales",
                                        "Attributes": [
                                            {"Id": "account", "Value": "3f1c2a80-0000-4000-8000-000000000200"}
                                        ],
                                    },
                                    {"Value": "1200.00"},
                                ],
                            },
                            {
                                "RowType": "Row",
                                "Cells": [
                                    {
                                        "Value": "Foreign Currency Gains and Losses",
                                        "Attributes": [{"Id": "account", "Value": "FXGROUPID"}],
                                    },
                                    {"Attributes": [{"Id": "account", "Value": "FXGROUPID"}]},
                                ],
                            },
                            {
                                "RowType": "SummaryRow",
                                "Cells": [{"Value": "Total Income"}, {"Value": "1200.00"}],
                            },
                        ],
                    },
                    {"RowType": "Section", "Title": "", "Rows": []},
                    {
                        "RowType": "Section",
                        "Rows": [
                            {"RowType": "Row", "Cells": [{"Value": "NET PROFIT"}, {"Value": "1200.00"}]}
                        ],
                    },
                ],
            }
        ]
    }
    request = ReportRequest(
        ReportName.PROFIT_AND_LOSS, start_date=date(2025, 3, 1), end_date=date(2025, 3, 31)
    )
    report = Report.model_validate(xero_reports.read(request, body, "NZD"))
    (column,) = report.amount_columns
    section = report.rows[0]
    assert (section.label, section.classification) == (" Income", AccountClassification.INCOME)
    assert [r.label for r in section.rows] == ["Sales", "Foreign Currency Gains and Losses"]
    assert section.rows[0].ledger_account_id == "3f1c2a80-0000-4000-8000-000000000200"
    assert (section.rows[1].ledger_account_id, section.rows[1].group, section.rows[1].values) == (
        None,
        "FXGROUPID",
        {column: None},
    )
    assert section.total is not None and section.total.amount(column) == Decimal("1200.00")
    assert len(report.rows) == 3 and report.find("NET PROFIT").amount(column) == Decimal("1200.00")


async def test_reports_need_their_scope() -> None:
    app = XeroHarness().create_app()
    emulator = emulator_of(app)
    narrow = emulator.issue_tokens(scopes="openid offline_access accounting.transactions accounting.settings")
    wide = emulator.issue_tokens(scopes="openid offline_access accounting.reports.read")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://xero.test") as http:
        answers = [
            await http.get(
                "/api.xro/2.0/Reports/TrialBalance",
                headers={
                    "Authorization": f"Bearer {issued['access_token']}",
                    "xero-tenant-id": emulator.default_tenant_id,
                    "Accept": "application/json",
                },
            )
            for issued in (narrow, wide)
        ]
    assert [answer.status_code for answer in answers] == [401, 200]
    assert answers[1].json()["Reports"][0]["ReportID"] == "TrialBalance"


async def test_balance_sheet_by_quarter_balances_at_each_quarter_end(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    await _invoice(conn, "70.00", date(2031, 2, 10))
    report = await conn.reports.balance_sheet(date(2031, 3, 31), columns="quarter")
    (sent,) = [r for r in emulator.request_log if "/Reports/" in r.path]
    assert (sent.query["timeframe"], sent.query["periods"], sent.query["date"]) == (
        "QUARTER",
        "3",
        "2031-03-31",
    )
    ends = [c.end_date for c in report.columns if c.kind == "amount"]
    assert ends == [date(2031, 3, 31), date(2030, 12, 31), date(2030, 9, 30), date(2030, 6, 30)]
    for column in report.amount_columns:
        assets = report.classified_total(AccountClassification.ASSET, column)
        claims = report.classified_total(AccountClassification.LIABILITY, column)
        claims += report.classified_total(AccountClassification.EQUITY, column)
        assert assets == claims, column
    receivable = report.find("Accounts Receivable")
    newest, previous = report.amount_columns[:2]
    assert (receivable.amount(newest) or 0) - (receivable.amount(previous) or 0) == Decimal("80.50")


async def test_earlier_years_profit_moves_to_retained_earnings() -> None:
    """An Australian organisation's year starts in July: the profit of the year before lands in
    Retained Earnings, this year's in Current Year Earnings."""
    harness = XeroHarness.australia()
    app = harness.create_app()
    grant = await harness.grant(app)
    async with AsyncClient(
        transport=httpx.ASGITransport(app=app),
        providers={"xero": {**harness.settings, "base_url": harness.base_url}},
        environ={},
    ) as client:
        conn = await client.import_connection(
            consumer_id="tests",
            provider="xero",
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
        )
        before = await conn.reports.balance_sheet(date(2031, 9, 30))
        await _invoice(conn, "100.00", date(2031, 1, 15))  # the year to June 2031
        await _invoice(conn, "40.00", date(2031, 8, 15))  # the year to June 2032
        after = await conn.reports.balance_sheet(date(2031, 9, 30))
        column = after.amount_columns[0]

        def amount(report: Report, label: str) -> Decimal:
            return next((r.amount(column) for r in report.walk() if r.label == label), None) or Decimal(0)

        assert amount(after, "Retained Earnings") - amount(before, "Retained Earnings") == Decimal("100.00")
        assert amount(after, "Current Year Earnings") - amount(before, "Current Year Earnings") == Decimal(
            "40.00"
        )
        assert after.find("Current Year Earnings").ledger_account_id == "abababab-abab-abab-abab-abababababab"
