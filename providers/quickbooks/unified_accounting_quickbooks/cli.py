"""``ua quickbooks ...``: commands specific to QuickBooks Online."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

quickbooks_app = typer.Typer(help="QuickBooks Online: usage meter and helpers.", no_args_is_help=True)
console = Console()


@quickbooks_app.command("usage")
def usage(
    month: Annotated[
        str | None, typer.Option(help="Month as YYYY-MM (default: the current UTC month).")
    ] = None,
) -> None:
    """Metered (CorePlus) reads and free writes per company, as counted by this process."""
    from unified_accounting.plugins import get_provider

    from .provider import QuickBooksProvider

    provider = get_provider("quickbooks")
    assert isinstance(provider, QuickBooksProvider)
    rows = provider.meter.all_usage(month=month)
    table = Table(title=f"QuickBooks calls in {month or 'this month'}")
    for column in ("company", "month", "metered reads", "free writes"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.company_id, row.month, str(row.metered_reads), str(row.free_writes))
    console.print(table)
    console.print(
        "The meter counts calls made by this process only; a durable store arrives in a later release."
    )
