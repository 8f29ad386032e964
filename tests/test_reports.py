"""``conn.reports`` against the Ledgerly emulator, which computes its reports from its own postings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from ua_ledgerly.books import BANK, RECEIVABLE, SALES
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import (
    AccountClassification,
    AccountingMethod,
    Allocation,
    Customer,
    DecodeFailed,
    Invoice,
    LineItem,
    Payment,
    Report,
    ReportName,
    UnsupportedOperation,
    ValidationFailed,
)
from unified_accounting.client.async_client import AsyncConnection

pytestmark = pytest.mark.anyio

JAN_1, JAN_31 = dt.date(2026, 1, 1), dt.date(2026, 1, 31)


async def post_sale(
    conn: AsyncConnection, *, quantity: str, price: str, issued: dt.date, paid: str | None, paid_on: dt.date
) -> tuple[str, str]:
    """An invoice issued on ``issued``, part paid on ``paid_on``: (customer id, invoice id)."""
    customer = await conn.customers.create(Customer(display_name=f"Buyer {quantity} {price}"))
    invoice = await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            issue_date=issued,
            line_items=[LineItem(description="Work", quantity=Decimal(quantity), unit_price=Decimal(price))],
        )
    )
    if paid is not None:
        await conn.payments.create(
            Payment(
                customer_id=str(customer.id),
                total_amount=Decimal(paid),
                date=paid_on,
                allocations=[Allocation(invoice_id=str(invoice.id), amount=Decimal(paid))],
            )
        )
    return str(customer.id), str(invoice.id)


def income(report: Report, column: str = "total") -> Decimal:
    return report.classified_total(AccountClassification.INCOME, column)


async def test_profit_and_loss_moves_by_exactly_the_posted_amounts(conn: AsyncConnection) -> None:
    before_accrual = await conn.reports.profit_and_loss(JAN_1, JAN_31)
    before_cash = await conn.reports.profit_and_loss(JAN_1, JAN_31, accounting_method="cash")
    await post_sale(
        conn,
        quantity="3",
        price="10.00",
        issued=dt.date(2026, 1, 5),
        paid="12.50",
        paid_on=dt.date(2026, 1, 20),
    )
    # Outside the period: moves nothing.
    await post_sale(conn, quantity="1", price="99.99", issued=dt.date(2026, 2, 2), paid=None, paid_on=JAN_1)

    accrual = await conn.reports.profit_and_loss(JAN_1, JAN_31)
    cash = await conn.reports.profit_and_loss(JAN_1, JAN_31, accounting_method=AccountingMethod.CASH)

    assert income(accrual) - income(before_accrual) == Decimal("30.00")
    assert income(cash) - income(before_cash) == Decimal("12.50")
    assert accrual.name is ReportName.PROFIT_AND_LOSS
    assert (accrual.start_date, accrual.end_date, accrual.as_of) == (JAN_1, JAN_31, None)
    assert (accrual.basis, cash.basis) == (AccountingMethod.ACCRUAL, AccountingMethod.CASH)
    assert accrual.currency == "USD"
    assert accrual.account_row(SALES).amount("total") == Decimal("30.00")
    assert accrual.find("Net Profit").kind == "total"
    assert isinstance(accrual.find("Net Profit").amount("total"), Decimal)
    assert [c.kind for c in accrual.columns] == ["label", "amount"]


async def test_profit_and_loss_by_month_has_one_dated_column_per_month(conn: AsyncConnection) -> None:
    await post_sale(conn, quantity="2", price="5.00", issued=dt.date(2026, 2, 14), paid=None, paid_on=JAN_1)
    report = await conn.reports.profit_and_loss(JAN_1, dt.date(2026, 3, 15), columns="month")
    amounts = [c for c in report.columns if c.kind == "amount"]
    assert [(c.start_date, c.end_date) for c in amounts] == [
        (JAN_1, JAN_31),
        (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 15)),
    ]
    sales = report.account_row(SALES)
    assert [sales.amount(c.key) for c in amounts] == [Decimal("0.00"), Decimal("10.00"), Decimal("0.00")]


async def test_balance_sheet_balances_and_moves_by_the_postings(conn: AsyncConnection) -> None:
    as_of = dt.date(2026, 1, 31)
    before = await conn.reports.balance_sheet(as_of)
    await post_sale(
        conn,
        quantity="3",
        price="10.00",
        issued=dt.date(2026, 1, 5),
        paid="12.50",
        paid_on=dt.date(2026, 1, 20),
    )
    after = await conn.reports.balance_sheet(as_of)

    for report in (before, after, await conn.reports.balance_sheet(as_of, accounting_method="cash")):
        assets = report.classified_total(AccountClassification.ASSET, "balance")
        liabilities = report.classified_total(AccountClassification.LIABILITY, "balance")
        equity = report.classified_total(AccountClassification.EQUITY, "balance")
        assert assets == liabilities + equity, report.basis
    receivable = after.account_row(RECEIVABLE).amount("balance") or 0
    bank = after.account_row(BANK).amount("balance") or 0
    assert receivable - (before.account_row(RECEIVABLE).amount("balance") or 0) == Decimal("17.50")
    assert bank - (before.account_row(BANK).amount("balance") or 0) == Decimal("12.50")
    assert after.as_of == as_of and after.start_date is None


async def test_trial_balance_debits_equal_credits(conn: AsyncConnection) -> None:
    await post_sale(
        conn, quantity="4", price="2.50", issued=dt.date(2026, 1, 5), paid="4.00", paid_on=dt.date(2026, 1, 6)
    )
    report = await conn.reports.trial_balance(JAN_31)
    total = report.find("Total")
    assert total.amount("debit") == total.amount("credit") == Decimal("10.00")
    assert report.account_row(SALES).amount("credit") == Decimal("10.00")
    assert report.account_row(SALES).amount("debit") is None  # an empty cell stays empty


async def test_aged_receivables_puts_each_invoice_in_its_bucket_with_its_ids(conn: AsyncConnection) -> None:
    customer, invoice = await post_sale(
        conn,
        quantity="3",
        price="10.00",
        issued=dt.date(2026, 1, 5),
        paid="12.50",
        paid_on=dt.date(2026, 1, 20),
    )
    other, _ = await post_sale(
        conn, quantity="1", price="7.00", issued=dt.date(2026, 2, 25), paid=None, paid_on=JAN_1
    )
    report = await conn.reports.aged_receivables(dt.date(2026, 3, 1))
    section = next(row for row in report.rows if row.party_id == customer)
    assert section.kind == "section"
    (line,) = section.rows
    assert line.document_id == invoice
    # Issued 5 January, due 30 days later (4 February): 25 days late on 1 March.
    assert line.amount("d1_30") == Decimal("17.50") and line.amount("current") is None
    assert report.find("Total Receivables").amount("total") == Decimal("24.50")

    only = await conn.reports.aged_receivables(dt.date(2026, 3, 1), customer_id=other)
    assert [row.party_id for row in only.rows if row.kind == "section"] == [other]


async def test_raw_payload_on_request(conn: AsyncConnection) -> None:
    plain = await conn.reports.trial_balance(JAN_31)
    raw = await conn.reports.trial_balance(JAN_31, include_raw=True)
    assert plain.raw is None
    assert raw.raw is not None and raw.raw["report"] == "trialBalance"
    assert "raw" not in repr(raw)


async def test_a_report_the_provider_lacks_is_refused_before_http(
    conn: AsyncConnection, emulator: LedgerlyEmulator
) -> None:
    assert ReportName.AGED_PAYABLES not in conn.reports.available
    before = emulator.api_calls
    with pytest.raises(UnsupportedOperation) as caught:
        await conn.reports.aged_payables(JAN_31)
    assert caught.value.provider == "ledgerly"
    assert emulator.api_calls == before


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda r: r.profit_and_loss(JAN_31, JAN_1), "end_date"),
        (lambda r: r.profit_and_loss(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), JAN_31), "start_date"),
        (lambda r: r.profit_and_loss("2026-01-01", JAN_31), "start_date"),
        (lambda r: r.profit_and_loss(JAN_1, JAN_31, accounting_method="modified"), "accounting_method"),
        (lambda r: r.profit_and_loss(JAN_1, JAN_31, columns="week"), "columns"),
        (lambda r: r.balance_sheet(None), "as_of"),
        (lambda r: r.aged_receivables(JAN_31, customer_id=""), "customer_id"),
        # Ledgerly splits only the profit and loss by period: its provider refuses, still before HTTP.
        (lambda r: r.balance_sheet(JAN_31, columns="month"), "columns"),
    ],
)
async def test_invalid_arguments_name_the_field_before_http(
    conn: AsyncConnection, emulator: LedgerlyEmulator, call: Any, field: str
) -> None:
    before = emulator.api_calls
    with pytest.raises(ValidationFailed) as caught:
        await call(conn.reports)
    assert [issue.field for issue in caught.value.issues] == [field]
    assert emulator.api_calls == before


async def test_a_report_the_model_cannot_hold_is_a_decode_failure(
    conn: AsyncConnection, monkeypatch: Any
) -> None:
    """Cells of a column the report does not have: the payload is kept on the error, not dropped."""
    from ua_ledgerly import books

    real = books.trial_balance

    def broken(*args: Any) -> dict[str, Any]:
        body = real(*args)
        body["summary"] = [{"label": "Stray", "cells": {"nowhere": "1.00"}}]
        return body

    monkeypatch.setattr(books, "trial_balance", broken)
    with pytest.raises(DecodeFailed) as caught:
        await conn.reports.trial_balance(JAN_31)
    assert caught.value.provider == "ledgerly"
