"""The CorePlus meter: metered reads versus free writes, per app, company and calendar month (UTC).

Under Intuit's App Partner Program, writes ("Core" calls) are free while reads, queries and Change
Data Capture ("CorePlus" calls) are metered per workspace and month; the free Builder tier allows
500,000 and then blocks the app. The meter counts every answered call (a 429 is not counted: it was
not served), warns once when an app passes ``budget_warning_ratio`` (80 %) of its monthly budget,
and refuses further reads before they are sent once the budget is used up.

The counts live in this process only for now; a durable store arrives with a later issue.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from unified_accounting.errors import RateLimited

CallKind = Literal["read", "write"]


@dataclass(frozen=True)
class MeterUsage:
    """Calls one company made in one month (``"2026-01"``)."""

    company_id: str
    month: str
    metered_reads: int = 0
    free_writes: int = 0

    @property
    def total(self) -> int:
        return self.metered_reads + self.free_writes


@dataclass(frozen=True)
class BudgetAlert:
    """Given to meter listeners when an app crosses its warning threshold or exhausts its budget."""

    app: str
    month: str
    metered_reads: int
    budget: int
    level: Literal["warning", "exhausted"]

    @property
    def ratio(self) -> float:
        return self.metered_reads / self.budget


class MeteredReadBudgetWarning(UserWarning):
    """Issued once per app and month when metered reads pass the warning ratio of the budget."""


class ReadBudgetExhausted(RateLimited):
    """The app used its monthly CorePlus budget: no metered read is sent until the next month."""


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def _next_month(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


class UsageMeter:
    """Counts calls; ``provider.meter.usage(company_id)`` reads them back."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # (app, company, month) -> [metered reads, free writes]
        self._counts: dict[tuple[str, str, str], list[int]] = {}
        self._alerted: set[tuple[str, str, str]] = set()
        self._listeners: list[Callable[[BudgetAlert], None]] = []

    def add_listener(self, listener: Callable[[BudgetAlert], None]) -> None:
        """Call ``listener`` with a :class:`BudgetAlert` at the warning threshold and at exhaustion."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[BudgetAlert], None]) -> None:
        self._listeners.remove(listener)

    def record(
        self,
        app: str,
        company_id: str,
        kind: CallKind,
        *,
        budget: int | None = None,
        warning_ratio: float = 0.8,
    ) -> None:
        month = month_of(self._clock())
        with self._lock:
            counts = self._counts.setdefault((app, company_id, month), [0, 0])
            counts[0 if kind == "read" else 1] += 1
            reads = self._app_reads(app, month) if kind == "read" and budget else 0
        if budget and kind == "read":
            if reads >= budget:
                self._alert(BudgetAlert(app, month, reads, budget, "exhausted"))
            elif reads >= budget * warning_ratio:
                self._alert(BudgetAlert(app, month, reads, budget, "warning"))

    def _alert(self, alert: BudgetAlert) -> None:
        key = (alert.app, alert.month, alert.level)
        with self._lock:
            if key in self._alerted:
                return
            self._alerted.add(key)
        if alert.level == "warning":
            warnings.warn(
                f"QuickBooks app {alert.app or '(no client id)'} used {alert.metered_reads} of its "
                f"{alert.budget} metered reads for {alert.month} ({alert.ratio:.0%})",
                MeteredReadBudgetWarning,
                stacklevel=2,
            )
        for listener in list(self._listeners):
            listener(alert)

    def _app_reads(self, app: str, month: str) -> int:
        return sum(c[0] for (a, _, m), c in self._counts.items() if a == app and m == month)

    def check(self, app: str, budget: int | None) -> None:
        """Raise :class:`ReadBudgetExhausted` if ``app`` may not send another metered read this month."""
        if not budget:
            return
        now = self._clock()
        month = month_of(now)
        with self._lock:
            reads = self._app_reads(app, month)
        if reads >= budget:
            wait = (_next_month(now) - now).total_seconds()
            raise ReadBudgetExhausted(
                f"the monthly QuickBooks read budget is used up ({reads} of {budget} metered reads in "
                f"{month}); reads resume next month, or raise monthly_read_budget after upgrading the "
                "Intuit App Partner tier",
                retry_after=wait,
                retriable=False,
                provider="quickbooks",
                code="read_budget_exhausted",
            )

    def usage(self, company_id: str, *, month: str | None = None, app: str | None = None) -> MeterUsage:
        """The calls of one company in ``month`` (default: this UTC month), across apps unless given."""
        month = month or month_of(self._clock())
        reads = writes = 0
        with self._lock:
            for (a, company, m), (r, w) in self._counts.items():
                if company == company_id and m == month and (app is None or a == app):
                    reads += r
                    writes += w
        return MeterUsage(company_id, month, reads, writes)

    def all_usage(self, *, month: str | None = None) -> list[MeterUsage]:
        """Every company's usage in ``month`` (default: the current one), sorted by company id."""
        month = month or month_of(self._clock())
        with self._lock:
            companies = sorted({company for (_, company, m) in self._counts if m == month})
        return [self.usage(company, month=month) for company in companies]

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._alerted.clear()
