"""The tables the demo ends with: one invoice as each provider sees it, and the calls it cost."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from rich.table import Table

from ..hookspecs import hookimpl
from ..models import Invoice

FIELDS = (
    ("id", "provider id"),
    ("number", "number"),
    ("status", "status"),
    ("issue_date", "issued"),
    ("due_date", "due"),
    ("sub_total", "sub-total"),
    ("total_tax", "tax"),
    ("total", "total"),
    ("amount_paid", "paid"),
    ("amount_due", "due now"),
    ("row_version", "row_version"),
    ("updated_at", "updated (UTC)"),
)


class CallCounter:
    """A plugin counting every HTTP call to each provider, by the provider's metering class."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()

    @hookimpl
    def ua_after_response(self, provider: str, request: httpx.Request, response: httpx.Response) -> None:
        # QuickBooks meters reads (CorePlus) and not writes; Xero counts every call against its limits.
        kind = "read" if request.method in ("GET", "HEAD") or request.url.path.endswith("/query") else "write"
        self.calls[(provider, kind)] += 1
        if response.status_code == 429:  # the client's limiter should make this impossible
            self.calls[(provider, "throttled")] += 1


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if hasattr(value, "isoformat"):
        return str(
            value.isoformat(sep=" ", timespec="seconds") if hasattr(value, "hour") else value.isoformat()
        )
    return str(getattr(value, "value", value))


def invoice_table(views: dict[str, Invoice]) -> Table:
    table = Table(title="One invoice, two accounting systems, one model")
    table.add_column("field")
    for provider in views:
        table.add_column(provider)
    for field, label in FIELDS:
        table.add_row(label, *(_show(getattr(invoice, field)) for invoice in views.values()))
    table.add_row(
        "lines",
        *(
            "; ".join(f"{line.quantity} × {line.unit_price} = {line.total_amount}" for line in inv.line_items)
            for inv in views.values()
        ),
    )
    return table


def calls_table(counter: CallCounter, metered: dict[str, str]) -> Table:
    table = Table(title="API calls made by the demo")
    for column in ("provider", "reads", "writes", "429s", "what the provider counts"):
        table.add_column(column)
    for provider, note in metered.items():
        counts = (str(counter.calls[(provider, kind)]) for kind in ("read", "write", "throttled"))
        table.add_row(provider, *counts, note)
    return table
