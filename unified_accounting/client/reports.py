"""``conn.reports``: the provider's financial reports, read into the unified :class:`Report`.

Every argument is checked before any HTTP call, and a report the provider does not declare
(``Provider.reports``) raises ``UnsupportedOperation``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import FieldIssue, UnsupportedOperation, ValidationFailed
from ..models import AccountingMethod, Report, ReportName, ReportPeriod
from ..provider import ReportRequest
from .updates import check_record_id

if TYPE_CHECKING:
    from .async_client import AsyncConnection

E = TypeVar("E", bound=StrEnum)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("invalid report request", issues=[FieldIssue(field, message)])


def _date(field: str, value: Any) -> dt.date:
    # A datetime is a date to Python; a report's dates are calendar days, so it is refused.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise _invalid(field, f"must be a datetime.date, got {type(value).__name__}")
    return value


def _choice(field: str, kind: type[E], value: Any) -> E:
    try:
        return kind(value)
    except ValueError:
        raise _invalid(field, f"{value!r} is not one of {', '.join(repr(v.value) for v in kind)}") from None


def _party(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        check_record_id(value)
    except ValidationFailed:
        raise _invalid(field, "must be a non-empty string: the id the provider gave") from None
    return value


class AsyncReports:
    """``conn.reports``: profit and loss, balance sheet, trial balance, aged receivables and payables."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    def __repr__(self) -> str:
        return f"<AsyncReports of {self._conn!r}>"

    @property
    def available(self) -> frozenset[ReportName]:
        """The reports this connection's provider offers."""
        return self._conn.provider.reports

    async def _run(self, request: ReportRequest, include_raw: bool | None) -> Report:
        provider = self._conn.provider
        if request.name not in provider.reports:
            raise UnsupportedOperation(provider.name, request.name.value, "report")
        report = await provider.report(self._conn.session(include_raw), request)
        if report.name is not request.name:
            raise TypeError(f"{provider.name} answered the {request.name} report with a {report.name} report")
        return report

    async def profit_and_loss(
        self,
        start_date: dt.date,
        end_date: dt.date,
        *,
        accounting_method: AccountingMethod | str = AccountingMethod.ACCRUAL,
        columns: ReportPeriod | str = ReportPeriod.TOTAL,
        include_raw: bool | None = None,
    ) -> Report:
        """Income and expenses from ``start_date`` to ``end_date`` (both included), on an accrual
        or cash basis, in one total column or one column per month, quarter or year."""
        start, end = _date("start_date", start_date), _date("end_date", end_date)
        if end < start:
            raise _invalid("end_date", f"{end} is before start_date {start}")
        request = ReportRequest(
            ReportName.PROFIT_AND_LOSS,
            start_date=start,
            end_date=end,
            accounting_method=_choice("accounting_method", AccountingMethod, accounting_method),
            columns=_choice("columns", ReportPeriod, columns),
        )
        return await self._run(request, include_raw)

    async def balance_sheet(
        self,
        as_of: dt.date,
        *,
        accounting_method: AccountingMethod | str = AccountingMethod.ACCRUAL,
        columns: ReportPeriod | str = ReportPeriod.TOTAL,
        include_raw: bool | None = None,
    ) -> Report:
        """Assets, liabilities and equity at the end of ``as_of``; with ``columns`` other than
        ``"total"``, also at the end of each earlier period the provider shows."""
        request = ReportRequest(
            ReportName.BALANCE_SHEET,
            as_of=_date("as_of", as_of),
            accounting_method=_choice("accounting_method", AccountingMethod, accounting_method),
            columns=_choice("columns", ReportPeriod, columns),
        )
        return await self._run(request, include_raw)

    async def trial_balance(
        self,
        as_of: dt.date,
        *,
        accounting_method: AccountingMethod | str = AccountingMethod.ACCRUAL,
        include_raw: bool | None = None,
    ) -> Report:
        """Every ledger account's balance at the end of ``as_of``, as debits and credits."""
        request = ReportRequest(
            ReportName.TRIAL_BALANCE,
            as_of=_date("as_of", as_of),
            accounting_method=_choice("accounting_method", AccountingMethod, accounting_method),
        )
        return await self._run(request, include_raw)

    async def aged_receivables(
        self, as_of: dt.date, *, customer_id: str | None = None, include_raw: bool | None = None
    ) -> Report:
        """What customers owe at the end of ``as_of``, by how long it is overdue (one customer's
        with ``customer_id``)."""
        request = ReportRequest(
            ReportName.AGED_RECEIVABLES,
            as_of=_date("as_of", as_of),
            customer_id=_party("customer_id", customer_id),
        )
        return await self._run(request, include_raw)

    async def aged_payables(
        self, as_of: dt.date, *, supplier_id: str | None = None, include_raw: bool | None = None
    ) -> Report:
        """What the company owes suppliers at the end of ``as_of``, by how long it is overdue (one
        supplier's with ``supplier_id``)."""
        request = ReportRequest(
            ReportName.AGED_PAYABLES,
            as_of=_date("as_of", as_of),
            supplier_id=_party("supplier_id", supplier_id),
        )
        return await self._run(request, include_raw)


__all__ = ["AsyncReports"]
