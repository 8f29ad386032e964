"""The CorePlus meter: counts, monthly buckets, the 80 % warning and the refusal past 100 %."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from unified_accounting_quickbooks.meter import (
    BudgetAlert,
    MeteredReadBudgetWarning,
    MeterUsage,
    ReadBudgetExhausted,
    UsageMeter,
)

from unified_accounting.errors import RateLimited


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 31, 23, 59, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_counts_per_company_and_month() -> None:
    clock = Clock()
    meter = UsageMeter(clock)
    meter.record("app", "c1", "read")
    meter.record("app", "c1", "write")
    meter.record("other-app", "c1", "read")
    meter.record("app", "c2", "read")
    assert meter.usage("c1") == MeterUsage("c1", "2026-01", 2, 1)
    assert meter.usage("c1", app="app").metered_reads == 1
    clock.now = datetime(2026, 2, 1, 0, 1, tzinfo=UTC)
    assert meter.usage("c1") == MeterUsage("c1", "2026-02", 0, 0)
    assert meter.usage("c1", month="2026-01").total == 3
    assert [u.company_id for u in meter.all_usage(month="2026-01")] == ["c1", "c2"]


def test_warns_once_at_80_percent_then_refuses_at_100() -> None:
    meter = UsageMeter(Clock())
    alerts: list[BudgetAlert] = []
    meter.add_listener(alerts.append)
    for _ in range(7):
        meter.record("app", "c1", "read", budget=10)
    assert alerts == []
    with pytest.warns(MeteredReadBudgetWarning, match="8 of its 10"):
        meter.record("app", "c1", "read", budget=10)
    meter.record("app", "c1", "read", budget=10)  # still 90 %: no second warning
    meter.record("app", "c1", "write", budget=10)  # writes are free
    meter.check("app", 10)
    meter.record("app", "c2", "read", budget=10)  # the budget is the app's, across companies
    assert [a.level for a in alerts] == ["warning", "exhausted"]
    with pytest.raises(ReadBudgetExhausted) as caught:
        meter.check("app", 10)
    assert isinstance(caught.value, RateLimited) and not caught.value.retriable
    assert caught.value.retry_after == 60.0  # one minute to the next month
    meter.check("other-app", 10)
    meter.check("app", None)
