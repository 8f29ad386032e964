"""The example of docs/list-filters.md runs as the page says, against the QuickBooks emulator."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from unified_accounting import InvoiceStatus

PAGE = (Path(__file__).parents[1] / "docs" / "list-filters.md").read_text()


def test_the_documented_example_lists_what_it_says() -> None:
    start = PAGE.index("```python\nfrom datetime import date") + len("```python\n")
    namespace: dict[str, Any] = {"__name__": "list_filters_example"}
    exec(
        compile(PAGE[start : PAGE.index("```", start)], "list-filters.md", "exec", dont_inherit=True),
        namespace,
    )
    unpaid, plan = namespace["unpaid"], namespace["pager"].plan
    assert unpaid, "the seeded books have unpaid invoices of that customer"
    assert all(
        i.customer_id == namespace["customer_id"]
        and i.status in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)
        and i.issue_date is not None
        and i.issue_date >= date(2024, 1, 1)
        for i in unpaid
    )
    days = [i.issue_date for i in unpaid]
    assert days == sorted(days, reverse=True)
    assert set(plan.pushed_down + plan.filtered_after_fetch) == {"customer_id", "status", "issue_date_from"}
    assert plan.sort == "-issue_date" and plan.sorted_by in ("provider", "core")
