"""Checks that need the organisation, run by the provider before a write (never after its HTTP call).

* currency: a document in a foreign currency needs an organisation whose plan has multi-currency and
  that added the currency (``/Currencies``); a base-currency document has rate 1;
* precision: amounts of a record that names no currency have the base currency's minor units;
* tax rates: a line names an active rate of the organisation;
* tracking: a line names categories and options the organisation has (they are written by name).

What they read comes through :class:`Organisation`, whose lookups the provider keeps a while.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from unified_accounting.errors import FieldIssue
from unified_accounting.models import CompanyInfo, LineItem, LineItemType, TaxMode

from .tracking import TrackingNames


@dataclass
class Organisation:
    """What the checks may read: the company, and lookups called only when a check needs them."""

    company: CompanyInfo
    currencies: Callable[[], Awaitable[list[str]]]
    tax_types: Callable[[], Awaitable[frozenset[str]]]
    tracking: Callable[[bool], Awaitable[TrackingNames]]


async def currency_issues(
    org: Organisation, currency: str | None, rate: Decimal | None, what: str = "invoice"
) -> list[FieldIssue]:
    base = org.company.base_currency
    if currency is None or currency == base:
        if rate is not None and rate != 1:
            return [
                FieldIssue(
                    "currency_rate", f"a {what} in the base currency ({base}) has rate 1: leave it out"
                )
            ]
        return []
    if not org.company.multi_currency_enabled:
        return [
            FieldIssue(
                "currency",
                f"this Xero organisation keeps its books in {base} only (its plan has no multi-currency): "
                f"send the {what} in {base}",
            )
        ]
    enabled = await org.currencies()
    if currency not in enabled:
        return [
            FieldIssue(
                "currency",
                f"{currency} is not one of this organisation's currencies ({', '.join(sorted(enabled))}): "
                "add it in Xero (Settings, Currencies) first",
            )
        ]
    return []


def _same_tax_type(line: LineItem, previous: Mapping[str, Any] | None) -> bool:
    return (
        previous is not None
        and str(previous.get("TaxType") or "").upper() == (line.tax_rate_id or "").upper()
    )


async def line_issues(
    org: Organisation,
    lines: Iterable[LineItem],
    mode: TaxMode | None,
    previous: Callable[[str | None], Mapping[str, Any] | None],
) -> tuple[list[FieldIssue], TrackingNames | None]:
    """Problems of the lines' tax rates and tracking, and the names to write their tracking with."""
    issues: list[FieldIssue] = []
    lines = list(lines)
    if mode is not TaxMode.NO_TAX:
        named = [
            (index, line)
            for index, line in enumerate(lines)
            if line.tax_rate_id
            and line.type is not LineItemType.DESCRIPTION
            # A line kept as it was keeps its rate, retired since or not: Xero decides.
            and not _same_tax_type(line, previous(line.id))
        ]
        if named:
            active = await org.tax_types()
            issues += [
                FieldIssue(
                    f"line_items.{index}.tax_rate_id",
                    f"no active tax rate of this organisation has id {line.tax_rate_id!r} "
                    "(see conn.tax_rates.list(status='active'))",
                )
                for index, line in named
                if str(line.tax_rate_id).upper() not in active
            ]
    if not any(line.tracking for line in lines):
        return issues, None
    names = await org.tracking(False)
    if any(not names.knows(ref) for line in lines for ref in line.tracking):
        names = await org.tracking(True)  # a category made or renamed since they were read
    for index, line in enumerate(lines):
        for position, ref in enumerate(line.tracking):
            problem = names.problem(ref)
            if problem is not None:
                issues.append(FieldIssue(f"line_items.{index}.tracking.{position}", problem))
    return issues, names
