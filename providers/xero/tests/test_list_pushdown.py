"""Invoice list filters and sort sent to Xero (``ContactIDs``, ``Statuses``, ``InvoiceNumbers``,
``where`` on dates, ``order``): each gives exactly the records the unified rule keeps, and no value
changes what a request means."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from unified_accounting_xero.dates import record_date
from unified_accounting_xero.emulator import create_emulator
from unified_accounting_xero.provider import XeroProvider
from unified_accounting_xero.queries import order_of
from unified_accounting_xero.statuses import invoice_status

from unified_accounting.errors import ValidationFailed
from unified_accounting.models import InvoiceStatus
from unified_accounting.plugins import get_provider
from unified_accounting.provider import ListQuery

from .test_provider import Env, connect

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Sort:
    """A sort as the core hands it over (``ListSort``: a field, a direction, ``str`` like ``-field``)."""

    field: str
    descending: bool = False

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


@dataclass(frozen=True)
class SortedQuery(ListQuery):
    sort: Any = None


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async for value in connect(create_emulator(seed=7, contacts=4, invoices=40, payments=15)):
        yield value


async def fetch(
    env: Env, filters: dict[str, Any] | None = None, sort: Sort | None = None
) -> list[dict[str, Any]]:
    provider = get_provider("xero")
    session = env.conn.session()
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await provider.fetch_page(
            session, "invoice", SortedQuery(cursor=cursor, page_size=7, filters=filters or {}, sort=sort)
        )
        records += page.body
        if page.next_cursor is None:
            return records
        cursor = page.next_cursor


def status_of(record: dict[str, Any]) -> InvoiceStatus:
    paid = record.get("AmountPaid")
    return invoice_status(record.get("Status"), None if paid is None else Decimal(str(paid)))


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [str(r["InvoiceID"]) for r in records]


async def test_each_filter_keeps_exactly_what_the_unified_rule_keeps(env: Env) -> None:
    everything = await fetch(env)
    assert len(everything) > 20 and all(r["Type"] == "ACCREC" for r in everything)
    contact = str(everything[0]["Contact"]["ContactID"])
    by_contact = await fetch(env, {"customer_id": contact.upper()})
    assert sorted(ids(by_contact)) == sorted(
        ids([r for r in everything if str(r["Contact"]["ContactID"]) == contact])
    )
    statuses = {status_of(r) for r in everything}
    assert {InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID} <= statuses
    for wanted in (
        [InvoiceStatus.PARTIALLY_PAID],
        (InvoiceStatus.OPEN, InvoiceStatus.PAID),
        [InvoiceStatus.DRAFT],
    ):
        got = await fetch(env, {"status": wanted})
        assert sorted(ids(got)) == sorted(ids([r for r in everything if status_of(r) in wanted])), wanted
    number = str(everything[3]["InvoiceNumber"])
    assert ids(await fetch(env, {"number": number})) == [str(everything[3]["InvoiceID"])]
    days = sorted({record_date(r, "Date") for r in everything})
    low, high = days[len(days) // 4], days[3 * len(days) // 4]
    ranged = await fetch(env, {"issue_date_from": low, "issue_date_to": high})
    expected = [r for r in everything if low <= record_date(r, "Date") <= high]
    assert sorted(ids(ranged)) == sorted(ids(expected)) and expected


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        (Sort("issue_date", descending=True), lambda r: record_date(r, "Date")),
        (Sort("number"), lambda r: str(r["InvoiceNumber"])),
        (Sort("updated_at"), lambda r: str(r["UpdatedDateUTC"])),
    ],
)
async def test_sorted_by_xero_across_pages(env: Env, sort: Sort, key: Any) -> None:
    everything = await fetch(env)
    records = await fetch(env, sort=sort)
    assert sorted(ids(records)) == sorted(ids(everything))
    values = [key(r) for r in records]
    assert values == sorted(values, reverse=sort.descending)
    assert env.api_calls[-1].query["order"] == order_of(sort)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"customer_id": 'x" OR Type=="ACCPAY'}, "customer_id"),
        ({"customer_id": "00000000-0000-0000-0000-000000000000) OR (1==1"}, "customer_id"),
        ({"number": "INV-0001,INV-0002"}, "number"),
        ({"number": "INV\n0001"}, "number"),
        ({"status": ["open", "sent"]}, "status"),
        ({"issue_date_from": "2026-01-01) OR (1==1"}, "issue_date_from"),
        ({"created_since": date(2026, 1, 1)}, "created_since"),
    ],
)
async def test_hostile_values_are_refused_before_any_call(
    env: Env, filters: dict[str, Any], field: str
) -> None:
    before = len(env.api_calls)
    with pytest.raises(ValidationFailed) as caught:
        await fetch(env, filters)
    assert [issue.field for issue in caught.value.issues] == [field]
    assert len(env.api_calls) == before


async def test_quotes_in_a_number_cannot_reach_where(env: Env) -> None:
    # A number is sent as InvoiceNumbers=, never pasted into where: it finds nothing, and widens nothing.
    got = await fetch(env, {"number": 'INV-0001" OR Type=="ACCPAY'})
    assert got == []
    (call,) = [c for c in env.api_calls if "InvoiceNumbers" in c.query]
    assert call.query["where"] == 'Type=="ACCREC"'


def test_declared_pushdown_is_what_the_catalog_offers() -> None:
    # Only filters and sorts the catalog declares for invoices are announced (the core applies the rest).
    provider = XeroProvider()
    assert provider.list_filters["invoice"] <= {
        "customer_id",
        "status",
        "number",
        "issue_date_from",
        "issue_date_to",
    }
    assert set(provider.list_sorts.get("invoice", ())) <= {"updated_at", "issue_date", "number"}
